package daemon

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/linux/vrrpconn"
	"gokeepalived/internal/vrrp/packet"
)

type connKey struct {
	iface string
	ipv6  bool
}

// sharedConn is one VRRP socket shared by the instances on an interface and
// family. Its reader goroutine parses and validates every packet (pure code,
// no allocation on a drop) and hands accepted adverts to the daemon loop.
type sharedConn struct {
	key     connKey
	c       Conn
	targets atomic.Pointer[map[uint8]*instance] // VRID → instance, replaced on reload
	groups  map[netip.Addr]bool                 // multicast groups joined (loop-owned)

	// Unicast source check (vrrp_check_unicast_src; on by default in
	// gokeepalived): adverts from addresses that are not configured peers.
	peers       atomic.Pointer[map[netip.Addr]bool]
	unknownVRID atomic.Uint64
	malformed   atomic.Uint64
	overflow    atomic.Uint64 // accepted adverts dropped because the loop was behind
	done        chan struct{}

	// unknownLogged is when an unknown VRID was last logged (unix ns),
	// with log_unknown_vrids; foreignLogged when the diagnosis was.
	unknownLogged atomic.Int64
	foreignLogged atomic.Int64
	// kernelDrops is the kernel's receive-queue overrun count
	// (SO_RXQ_OVFL) as the reader last saw it, for the status.
	kernelDrops atomic.Uint64

	// The receive buffer size last set (loop-owned), and
	// the kernel's overrun count last logged (reader-owned).
	bufferFor  int
	drops      uint64
	dropLogged time.Time
}

// conn returns the shared socket for the instance's interface and family:
// one the loop runs (joining the instance's group if it is new to it), or
// one this build opened, or a new one with its reader. It runs off the
// loop (prepare) and reads only the plan.
func (d *Daemon) conn(p *reloadPlan, ci *config.Instance, in *instance) (*sharedConn, error) {
	iface := ci.Interface
	if iface == "" {
		iface = ci.VRF // vrf: a unicast instance without interface lives in that VRF
	}
	if in.vmac != "" && !ci.VMACXmitBase {
		iface = in.vmac // adverts leave from the virtual MAC
	}
	key := connKey{iface: iface, ipv6: in.ipv6}
	if sc, ok := p.conns[key]; ok {
		// Several instances on one interface usually share the group; the
		// kernel refuses to join it twice on one socket (EADDRINUSE).
		if g := in.dsts[0]; !in.unicast && !p.groups[key][g] {
			if err := sc.c.JoinGroup(g); err != nil {
				return nil, err
			}
			p.groups[key][g] = true
		}
		return sc, nil
	}
	fam := vrrpconn.IPv4
	if in.ipv6 {
		fam = vrrpconn.IPv6
	}
	vc := vrrpconn.Config{Interface: iface, Family: fam}
	if !in.unicast {
		vc.Groups = []netip.Addr{in.dsts[0]}
	}
	var c Conn
	if in.absent {
		c = newAbsentConn() // dynamic_interfaces: replaced when the interface appears
	} else {
		var err error
		if c, err = d.ports.Sockets.Open(vc); err != nil {
			return nil, err
		}
	}
	sc := &sharedConn{key: key, c: c, done: make(chan struct{}), groups: map[netip.Addr]bool{}}
	p.groups[key] = map[netip.Addr]bool{}
	for _, g := range vc.Groups {
		p.groups[key][g] = true
	}
	empty := map[uint8]*instance{}
	sc.targets.Store(&empty)
	p.conns[key] = sc
	p.opened = append(p.opened, sc)
	go d.reader(sc)
	return sc, nil
}

// publishTargets gives every reader the current VRID → instance map.
func (d *Daemon) publishTargets() {
	maps := map[*sharedConn]map[uint8]*instance{}
	peers := map[*sharedConn]map[netip.Addr]bool{}
	for _, sc := range d.conns {
		maps[sc] = map[uint8]*instance{}
		peers[sc] = map[netip.Addr]bool{}
	}
	for _, in := range d.instances {
		maps[in.conn][uint8(in.cfg.VRID)] = in
		for _, p := range in.cfg.UnicastPeers {
			peers[in.conn][p.Addr] = true
		}
	}
	for sc, m := range maps {
		sc.targets.Store(&m)
		p := peers[sc]
		sc.peers.Store(&p)
		d.sizeBuffer(sc, m)
	}
}

// Receive buffer per instance sharing a socket: room for several adverts of
// every instance (an skb takes about 1 kB of the budget), so a loop that
// falls behind for a moment, or the bursts of adverts whose timers run in
// step, do not overrun the queue. The kernel default (about 200 kB) holds
// one advert each of only 200 instances.
const (
	bufferPerInstance = 8 << 10
	bufferMin         = 256 << 10
	bufferMax         = 32 << 20
)

// bufferSize is the receive buffer for the instances sharing a socket. An
// instance with kernel_rx_buf_size counts for that many bytes, as in
// keepalived (the socket gets the sum over its instances). With
// vrrp_rx_bufs_policy, every other instance counts for its share under
// the policy (policyShare), as keepalived sums them. With neither, the
// default per instance, bounded.
func bufferSize(g *config.Global, insts map[uint8]*instance) int {
	if g != nil && g.RxBufsPolicy != "" {
		size := 0
		for _, in := range insts {
			size += policyShare(g, in)
		}
		if size > 0 {
			return min(size, 1<<30) // the kernel doubles it into an int
		}
	}
	size, explicit := 0, false
	for _, in := range insts {
		if n := in.cfg.KernelRxBufSize; n > 0 {
			size += n
			explicit = true
		} else {
			size += bufferPerInstance
		}
	}
	if explicit {
		return min(size, 1<<30) // the kernel doubles it into an int
	}
	return min(max(size, bufferMin), bufferMax)
}

// policyShare is an instance's share of its socket's receive buffer under
// vrrp_rx_bufs_policy (keepalived 2.2.7 vrrp_scheduler.c): its
// kernel_rx_buf_size if set, else the policy's bytes (a number), the
// multiplier times its advert's length (ADVERT) or times its interface's
// MTU (MTU).
func policyShare(g *config.Global, in *instance) int {
	if n := in.cfg.KernelRxBufSize; n > 0 {
		return n
	}
	switch g.RxBufsPolicy {
	case config.RxBufsSize:
		return g.RxBufsBytes
	case config.RxBufsAdvert:
		return g.RxBufsMultiplier * advertLen(in.cfg, len(in.vips))
	case config.RxBufsMTU:
		return g.RxBufsMultiplier * in.mtu
	}
	return 0
}

// advertLen is the length keepalived counts for an advert (vrrp_adv_len):
// the VRRP header, the addresses, VRRPv2's authentication data, and for
// IPv4 the IP header.
func advertLen(c *config.Instance, vips int) int {
	if c.Family == 6 {
		return 8 + 16*vips
	}
	n := 8 + 4*vips + 20
	if c.Version == 2 {
		n += 8
	}
	return n
}

// sizeBuffer sizes sc's receive buffer for its instances, when it changed.
func (d *Daemon) sizeBuffer(sc *sharedConn, insts map[uint8]*instance) {
	bc, ok := sc.c.(batchConn)
	if !ok {
		return
	}
	size := bufferSize(&d.cfg.Global, insts)
	if size == sc.bufferFor {
		return
	}
	sc.bufferFor = size
	n := len(insts)
	if err := bc.SetReadBuffer(size); err != nil {
		d.log.Warn("cannot size the VRRP socket's receive buffer; adverts may be dropped in bursts", "interface", sc.key.iface,
			"instances", n, "bytes", size, "err", err)
	}
}

// noteDrops logs, at most every 10 s, adverts the kernel dropped because
// the socket's receive queue was full (SO_RXQ_OVFL). It runs on the reader.
func (d *Daemon) noteDrops(sc *sharedConn, bc batchConn) {
	n := bc.Drops()
	sc.kernelDrops.Store(n)
	if n <= sc.drops {
		return
	}
	now := time.Now()
	if now.Sub(sc.dropLogged) < 10*time.Second {
		return
	}
	d.log.Warn("VRRP socket receive queue overran: the kernel dropped adverts before they were read", "interface", sc.key.iface,
		"ipv6", sc.key.ipv6, "dropped", n-sc.drops, "total", n)
	sc.drops, sc.dropLogged = n, now
}

func (d *Daemon) closeConns() {
	for k, sc := range d.conns {
		sc.c.Close()
		<-sc.done
		delete(d.conns, k)
	}
}

// batchConn is a Conn that also reads many packets per call (the Linux
// adapter: recvmmsg), reports the kernel's receive-queue overruns and takes
// a receive buffer size. Test fakes implement Recv only.
type batchConn interface {
	RecvBatch(b *vrrpconn.Batch) error
	Drops() uint64
	SetReadBuffer(bytes int) error
}

// readBatch is how many packets a reader takes from its socket per call.
const readBatch = 64

// rxBatch carries the adverts a reader accepted from one read to the loop:
// one channel send and one wake-up per batch, not per packet. The adverts'
// addresses live in addrs, valid until the loop has handled the batch and
// recycled it (the core keeps no reference to them).
type rxBatch struct {
	evs   []rxEvent
	addrs []netip.Addr
}

var rxBatches = sync.Pool{New: func() any { return new(rxBatch) }}

func getBatch() *rxBatch { return rxBatches.Get().(*rxBatch) }

func putBatch(b *rxBatch) {
	clear(b.evs) // drop the instance pointers
	b.evs, b.addrs = b.evs[:0], b.addrs[:0]
	rxBatches.Put(b)
}

// reader receives, parses and validates packets for one socket. It never
// blocks on the loop: when the loop is behind, the adverts are counted as
// dropped ("overflow").
func (d *Daemon) reader(sc *sharedConn) {
	defer close(sc.done)
	// The reader runs on its own real-time thread too, so an advert is
	// read as soon as it arrives even when the CPUs are busy. The thread is
	// never unlocked: it exits with the goroutine.
	runtime.LockOSThread()
	_ = d.ports.Thread.Setup(d.sched)
	fam := packet.IPv4
	if sc.key.ipv6 {
		fam = packet.IPv6
	}
	var adv packet.Advert
	adv.Addrs = make([]netip.Addr, 0, packet.MaxAddrs)
	if bc, ok := sc.c.(batchConn); ok {
		// Every packet waiting is read with one call, and the adverts
		// accepted from it reach the loop with one wake-up.
		vb := vrrpconn.NewBatch(readBatch)
		for {
			if err := bc.RecvBatch(vb); err != nil {
				if d.readerDone(sc, err) {
					return
				}
				continue
			}
			sc.malformed.Add(uint64(vb.Truncated()))
			d.noteDrops(sc, bc)
			b := getBatch()
			for i := range vb.Len() {
				raw, meta := vb.Packet(i)
				d.accept(sc, b, raw, meta, fam, &adv)
			}
			d.deliver(sc, b)
		}
	}
	buf := make([]byte, 65536)
	for {
		n, meta, err := sc.c.Recv(buf)
		if err != nil {
			if d.readerDone(sc, err) {
				return
			}
			continue
		}
		d.receive(sc, buf[:n], meta, fam, &adv)
	}
}

// readerDone reports whether a receive error ends the reader (the socket
// was closed); a truncated packet is counted as malformed.
func (d *Daemon) readerDone(sc *sharedConn, err error) bool {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, errConnClosed) {
		return true
	}
	if errors.Is(err, vrrpconn.ErrTruncated) {
		sc.malformed.Add(1)
		return false
	}
	return isClosedErr(err)
}

// receive parses and validates one packet read from sc and queues it for
// the loop if accepted: accept then deliver, for one packet. Tests that
// deliver packets themselves call it.
func (d *Daemon) receive(sc *sharedConn, raw []byte, meta vrrpconn.Meta, fam packet.Family, adv *packet.Advert) {
	b := getBatch()
	d.accept(sc, b, raw, meta, fam, adv)
	d.deliver(sc, b)
}

// deliver hands a batch of accepted adverts to the loop and wakes it once;
// when the loop is behind they are counted as dropped ("overflow").
func (d *Daemon) deliver(sc *sharedConn, b *rxBatch) {
	if len(b.evs) == 0 {
		putBatch(b)
		return
	}
	select {
	case d.rx <- b:
		d.kick()
	default:
		sc.overflow.Add(uint64(len(b.evs)))
		putBatch(b)
	}
}

// accept parses and validates one packet read from sc, demultiplexes it by
// VRID (a table lookup) and appends an accepted advert to b. It is pure
// code and allocates nothing once b has grown to its working size
// (BenchmarkReceive).
func (d *Daemon) accept(sc *sharedConn, b *rxBatch, raw []byte, meta vrrpconn.Meta, fam packet.Family, adv *packet.Advert) {
	n := len(raw)
	if err := packet.ParseInto(adv, raw, fam); err != nil {
		// Attribute to the instance if the VRID byte is readable.
		if n >= 2 {
			if in := (*sc.targets.Load())[raw[1]]; in != nil {
				var pe packet.ParseError
				if errors.As(err, &pe) {
					in.stats.Drop(pe.Reason())
					in.stats.NoteHeardDropped(meta.Src, pe.Reason(), int(raw[1]), nil, d.now().UnixNano())
					return
				}
			}
		}
		sc.malformed.Add(1)
		return
	}
	in := (*sc.targets.Load())[adv.VRID]
	if in == nil {
		sc.unknownVRID.Add(1)
		d.foreignVRID(sc, adv, meta.Src)
		d.logUnknownVRID(sc, adv.VRID, meta.Src)
		return
	}
	m := packet.Meta{Family: fam, TTL: uint8(min(max(meta.TTL, 0), 255)), Src: meta.Src, Dst: meta.Dst}
	want := in.expect.Load()
	if r := packet.Validate(*adv, raw, m, *want); r != packet.OK {
		d.dropped(in, r, adv, raw, m, want)
		return
	}
	// gokeepalived always checks unicast sources (keepalived's
	// vrrp_check_unicast_src is opt-in): an advert from an address that
	// is not a configured peer is dropped and counted.
	if in.unicast {
		if p := sc.peers.Load(); p != nil && !(*p)[meta.Src] {
			d.dropped(in, packet.DropUnicastSrc, adv, raw, m, want)
			return
		}
	}
	start := len(b.addrs)
	b.addrs = append(b.addrs, adv.Addrs...)
	b.evs = append(b.evs, rxEvent{in: in, src: meta.Src, adv: *adv})
	b.evs[len(b.evs)-1].adv.Addrs = b.addrs[start:len(b.addrs):len(b.addrs)]
}

var errConnClosed = errors.New("connection closed")

func isClosedErr(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && errors.Is(oe.Err, net.ErrClosed)
}

// dropped counts an advert in dropped for reason r, records that its
// sender was heard (unless it is our own advert, looped back), and logs
// it at most once per 10 s per instance and reason, with what differed
// (the count is always kept). It runs on the reader goroutine and
// allocates only when it logs or the sender or reason changes.
func (d *Daemon) dropped(in *instance, r packet.DropReason, adv *packet.Advert, raw []byte, m packet.Meta, want *packet.Expect) {
	in.stats.Drop(r)
	now := d.now().UnixNano() // the daemon's clock: the status compares against it
	detail := func() string { return dropDetail(r, adv, raw, m, want) }
	if r != packet.DropOwnAddress {
		in.stats.NoteHeardDropped(m.Src, r, int(adv.VRID), detail, now)
	}
	if !in.dropLogDue(r, now) {
		return
	}
	msg := "dropped VRRP advertisement: " + r.Description()
	if s := detail(); s != "" {
		msg += ": " + s
	}
	d.log.Warn(msg, "instance", in.name, "vrid", in.vrid, "from", m.Src.String(), "drop", r.String())
}

// dropDetail says what differed between a dropped advert and what the
// instance expects, for the reasons where both values help
// ("mine=1s received=2s", as keepalived's "mine=2 sec rcv'd=1 sec");
// "" for the others.
func dropDetail(r packet.DropReason, adv *packet.Advert, raw []byte, m packet.Meta, want *packet.Expect) string {
	switch r {
	case packet.DropIntervalMismatch:
		return fmt.Sprintf("mine=%v received=%v", time.Duration(want.AdverInt)*time.Second, time.Duration(adv.AdverInt)*time.Second)
	case packet.DropVersion:
		if len(raw) > 0 {
			return fmt.Sprintf("mine=%d received=%d", want.Version, raw[0]>>4)
		}
	case packet.DropAuthType:
		return fmt.Sprintf("mine=%s received=%s", authTypeName(want.AuthType), authTypeName(adv.AuthType))
	case packet.DropAddrCount, packet.DropAddrList:
		return fmt.Sprintf("mine=%s received=%s", fmtAddrs(want.VIPs), fmtAddrs(adv.Addrs))
	case packet.DropTTL:
		return fmt.Sprintf("received=%d, want 255", m.TTL)
	case packet.DropDestination:
		if want.Unicast {
			return "mine=unicast (unicast_peer) received=multicast to " + m.Dst.String()
		}
		return "mine=multicast received=unicast to " + m.Dst.String()
	}
	return ""
}

func authTypeName(t uint8) string {
	switch t {
	case packet.AuthNone:
		return "none"
	case packet.AuthPass:
		return "PASS"
	case packet.AuthAH:
		return "AH"
	}
	return strconv.Itoa(int(t))
}

// foreignVRID handles an advert for a VRID no instance on sc runs. Every
// instance on the socket counts it (drops_total{reason="vrid_mismatch"}:
// RFC 9568 §7.1 "MUST verify that the VRID is configured on the receiving
// interface"). When it carries one of an instance's virtual addresses it
// is almost surely the same cluster with another virtual_router_id: both
// nodes then hold the addresses, so the instance records it as heard and
// dropped (status warning, and the no-master diagnosis names it) and the
// log says so once per 10 s per socket. Adverts of other clusters on a
// shared segment are logged once a minute, at info.
func (d *Daemon) foreignVRID(sc *sharedConn, adv *packet.Advert, src netip.Addr) {
	targets := *sc.targets.Load()
	now := d.now().UnixNano()
	var msg string
	ours := false
	text := func() string {
		if msg == "" {
			msg = foreignVRIDText(src, adv.VRID, sc.key.iface, targets)
		}
		return msg
	}
	for _, in := range targets {
		in.stats.Drop(packet.DropVRIDMismatch)
		if want := in.expect.Load(); want != nil && sharesAddr(want.VIPs, adv.Addrs) {
			ours = true
			in.stats.NoteHeardDropped(src, packet.DropVRIDMismatch, int(adv.VRID), text, now)
		}
	}
	if len(targets) == 0 {
		return
	}
	every := int64(time.Minute)
	if ours {
		every = dropLogInterval
	}
	last := sc.foreignLogged.Load()
	if now-last < every || !sc.foreignLogged.CompareAndSwap(last, now) {
		return
	}
	if ours {
		d.log.Warn(text(), "interface", sc.key.iface, "from", src.String(), "vrid", adv.VRID, "drop", packet.DropVRIDMismatch.String())
	} else {
		d.log.Info(text(), "interface", sc.key.iface, "from", src.String(), "vrid", adv.VRID, "drop", packet.DropVRIDMismatch.String())
	}
}

// foreignVRIDText is the diagnosis of an advert for another VRID:
// "192.0.2.12 advertises VRID 52 on eth0; we run 51: same cluster? the
// VRIDs must match".
func foreignVRIDText(src netip.Addr, vrid uint8, iface string, targets map[uint8]*instance) string {
	ids := make([]int, 0, len(targets))
	for id := range targets {
		ids = append(ids, int(id))
	}
	slices.Sort(ids)
	run := make([]string, len(ids))
	for i, id := range ids {
		run[i] = strconv.Itoa(id)
	}
	return fmt.Sprintf("%s advertises VRID %d on %s; we run %s: same cluster? the VRIDs must match",
		src, vrid, iface, strings.Join(run, ", "))
}

func sharesAddr(a, b []netip.Addr) bool {
	for _, x := range a {
		for _, y := range b {
			if sameAddr(x, y) {
				return true
			}
		}
	}
	return false
}

func sameAddr(x, y netip.Addr) bool { return x.WithZone("") == y.WithZone("") }

// dropLogInterval is how often drops of one reason are logged per instance.
const dropLogInterval = int64(10 * time.Second)

// dropLogDue reports whether a drop for reason r at now (unix nanos) is
// logged, and if so takes the slot: a flood of one kind (say, adverts with
// the wrong TTL) must not hide another kind (a wrong password) for 10 s.
func (in *instance) dropLogDue(r packet.DropReason, now int64) bool {
	if int(r) >= len(in.dropLogged) {
		return false
	}
	slot := &in.dropLogged[r]
	last := slot.Load()
	return (last == 0 || now-last >= dropLogInterval) && slot.CompareAndSwap(last, now)
}

// logUnknownVRID logs an advert for a VRID no instance on sc has, with
// log_unknown_vrids (keepalived: "Unknown VRID(N) received on
// interface(IF). ignoring..."), at most once a second per socket: keepalived
// logs every one, which a busy segment turns into a flood. The count is
// always kept.
func (d *Daemon) logUnknownVRID(sc *sharedConn, vrid uint8, src netip.Addr) {
	if !d.logUnknown.Load() {
		return
	}
	now := time.Now().UnixNano()
	last := sc.unknownLogged.Load()
	if now-last < int64(time.Second) || !sc.unknownLogged.CompareAndSwap(last, now) {
		return
	}
	d.log.Info("unknown VRID received; ignoring (log_unknown_vrids)", "vrid", vrid, "interface", sc.key.iface, "from", src.String())
}
