package daemon

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"slices"
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
	srcDrops    sync.Map // *instance → *atomic.Uint64
	unknownVRID atomic.Uint64
	malformed   atomic.Uint64
	overflow    atomic.Uint64 // accepted adverts dropped because the loop was behind
	done        chan struct{}

	// unknownLogged is when an unknown VRID was last logged (unix ns).
	unknownLogged atomic.Int64
}

func (sc *sharedConn) unicastSrcDrops(in *instance) uint64 {
	if v, ok := sc.srcDrops.Load(in); ok {
		return v.(*atomic.Uint64).Load()
	}
	return 0
}

// conn returns the shared socket for the instance's interface and family:
// one the loop runs (joining the instance's group if it is new to it), or
// one this build opened, or a new one with its reader. It runs off the
// loop (prepare) and reads only the plan.
func (d *Daemon) conn(p *reloadPlan, ci *config.Instance, in *instance) (*sharedConn, error) {
	iface := ci.Interface
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
	c, err := d.ports.Sockets.Open(vc)
	if err != nil {
		return nil, err
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
	}
}

func (d *Daemon) closeConns() {
	for k, sc := range d.conns {
		sc.c.Close()
		<-sc.done
		delete(d.conns, k)
	}
}

// reader receives, parses and validates packets for one socket. It never
// blocks on the loop: when the loop is behind, the advert is counted as
// dropped ("overflow").
func (d *Daemon) reader(sc *sharedConn) {
	defer close(sc.done)
	// The reader runs on its own real-time thread too, so an advert is
	// read as soon as it arrives even when the CPUs are busy. The thread is
	// never unlocked: it exits with the goroutine.
	runtime.LockOSThread()
	_ = d.ports.Thread.Setup(d.sched)
	buf := make([]byte, 65536)
	fam := packet.IPv4
	if sc.key.ipv6 {
		fam = packet.IPv6
	}
	var adv packet.Advert
	adv.Addrs = make([]netip.Addr, 0, packet.MaxAddrs)
	for {
		n, meta, err := sc.c.Recv(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, errConnClosed) {
				return
			}
			if errors.Is(err, vrrpconn.ErrTruncated) {
				sc.malformed.Add(1)
				continue
			}
			if isClosedErr(err) {
				return
			}
			continue
		}
		d.receive(sc, buf[:n], meta, fam, &adv)
	}
}

// receive parses and validates one packet read from sc (pure code, no
// allocation on a drop) and queues an accepted advert for the loop. The
// readers call it; so do tests that deliver packets themselves.
func (d *Daemon) receive(sc *sharedConn, raw []byte, meta vrrpconn.Meta, fam packet.Family, adv *packet.Advert) {
	n := len(raw)
	if err := packet.ParseInto(adv, raw, fam); err != nil {
		// Attribute to the instance if the VRID byte is readable.
		if n >= 2 {
			if in := (*sc.targets.Load())[raw[1]]; in != nil {
				var pe packet.ParseError
				if errors.As(err, &pe) {
					in.drops[pe.Reason()].Add(1)
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
		d.logUnknownVRID(sc, adv.VRID, meta.Src)
		return
	}
	m := packet.Meta{Family: fam, TTL: uint8(min(max(meta.TTL, 0), 255)), Src: meta.Src, Dst: meta.Dst}
	if r := packet.Validate(*adv, raw, m, in.expect); r != packet.OK {
		in.drops[r].Add(1)
		d.logDrop(in, r, meta.Src)
		return
	}
	// gokeepalived always checks unicast sources (keepalived's
	// vrrp_check_unicast_src is opt-in): an advert from an address that
	// is not a configured peer is dropped and counted.
	if in.unicast {
		if p := sc.peers.Load(); p != nil && !(*p)[meta.Src] {
			v, _ := sc.srcDrops.LoadOrStore(in, new(atomic.Uint64))
			v.(*atomic.Uint64).Add(1)
			d.logDropText(in, "unicast-src", "source is not one of the configured unicast_peer addresses", meta.Src)
			return
		}
	}
	ev := rxEvent{in: in, src: meta.Src, adv: *adv}
	ev.adv.Addrs = slices.Clone(adv.Addrs)
	select {
	case d.rx <- ev:
		d.kick()
	default:
		sc.overflow.Add(1)
	}
}

var errConnClosed = errors.New("connection closed")

func isClosedErr(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && errors.Is(oe.Err, net.ErrClosed)
}

// logDrop logs a dropped advert at most once per 10 s per instance and
// reason, from the reader goroutine (the count is always kept).
func (d *Daemon) logDrop(in *instance, r packet.DropReason, src netip.Addr) {
	d.logDropText(in, r.String(), r.Description(), src)
}

func (d *Daemon) logDropText(in *instance, reason, desc string, src netip.Addr) {
	now := time.Now().UnixNano()
	slot := &in.dropLogged
	last := slot.Load()
	if now-last < int64(10*time.Second) || !slot.CompareAndSwap(last, now) {
		return
	}
	d.log.Warn("dropped VRRP advertisement: "+desc, "instance", in.name, "vrid", in.vrid,
		"from", src.String(), "drop", reason)
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
