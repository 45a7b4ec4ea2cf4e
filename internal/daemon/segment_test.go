package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/vrrpconn"
	"gokeepalived/internal/vrrp/packet"
)

// The stepped harness runs several daemons in one test process on a fake
// clock: each daemon's loop is driven by the test (start, step, finish),
// never by Run, and their sockets are ports on fake segments that deliver
// every advert synchronously through the daemon's real receive path
// (parse, validate, demultiplex) into the peer's loop. Nothing sleeps: time
// moves from one deadline to the next.

var harnessT0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

type harness struct {
	t   testing.TB
	now time.Time
	// quiet discards the daemons' logs (benchmarks with many instances).
	quiet bool
	nodes []*node
	segs  map[string]*segment
	sent  []sentAdvert
}

// sentAdvert is one advert a node put on a segment.
type sentAdvert struct {
	at   time.Time
	node string
	vrid uint8
	prio uint8
}

type node struct {
	h      *harness
	name   string
	ifaces map[string]*nodeIface // interface → its address and segment
	d      *Daemon
	rec    *stateRecorder
	links  chan link.Event
	// addrEvents are the fake kernel's address notifications: every
	// change to addrs, by the daemon or by hand.
	addrEvents chan addr.Event
	// routes and routeEvents: the fake kernel's routes (by their String).
	routes      map[string]bool
	routeEvents chan addr.RouteEvent
	// rules: the fake kernel's rules (by their String; no events, as
	// netlink gives none to the daemon).
	rules map[string]bool
	// primaryFirst, when valid, is what Primary answers for eth0 (the
	// kernel\'s first address: a promoted VIP, say).
	primaryFirst netip.Addr
	ctx          context.Context
	cancel       context.CancelFunc
	clean        func()
	up           bool // started and not crashed or stopped

	// kernelDelay is what each socket open or close and each VMAC create or
	// delete costs in this fake kernel (zero in the scenarios).
	kernelDelay time.Duration
	// batchSend: its sockets send in batches (SendBatch), each recorded
	// in batches (its size) and delivered one by one.
	batchSend bool
	batches   []int
	// openGate, when set, holds every socket Open until it is closed,
	// after a value on opening says an Open is waiting.
	openGate, opening chan struct{}

	mu     sync.Mutex
	addrs  map[string]string     // the "kernel": address → the interface it is on
	vmacs  map[string]bool       // macvlans that exist
	vmacLL map[string]netip.Addr // IPv6 VMAC → its copy of the parent's link-local
	// vmacSpecs are what each VMAC was created with (the last create).
	vmacSpecs map[string]VMACSpec
	failAdd   map[string]bool // AddAddr fails for these prefixes
	promote   map[string]bool // net.ipv4.conf.IF.promote_secondaries
	sendErr   error           // SendFrom fails with it (the advert does not leave)
	ops       []string
	conns     []*segConn
	fw        *FirewallSpec // the accept-mode firewall (firewall_test.go); nil: none
}

type nodeIface struct {
	seg  *segment
	addr netip.Addr // primary IPv4 address, or the IPv6 link-local
	up   bool
	// gone: deleted; gen counts re-creations (a socket opened on an
	// earlier one can send nothing, and receives nothing).
	gone bool
	gen  int
}

type segment struct {
	name string
	cut  bool // partitioned: delivers nothing
}

// segConn is one daemon socket attached to a segment. Recv blocks until
// Close (the daemon's reader goroutine waits there harmlessly): packets are
// delivered by the segment calling receive directly.
type segConn struct {
	n      *node
	iface  string
	gen    int // the interface's generation when opened
	ipv6   bool
	closed chan struct{}
	once   sync.Once
}

func newHarness(t testing.TB) *harness {
	return &harness{t: t, now: harnessT0, segs: map[string]*segment{}}
}

// node adds a daemon; ifaces maps interface names to "segment address".
func (h *harness) node(name string, ifaces map[string]string, cfgText string) *node {
	n := &node{h: h, name: name, ifaces: map[string]*nodeIface{}, rec: &stateRecorder{},
		links: make(chan link.Event, 64), addrEvents: make(chan addr.Event, 1024), routes: map[string]bool{}, rules: map[string]bool{}, routeEvents: make(chan addr.RouteEvent, 1024), addrs: map[string]string{}, vmacs: map[string]bool{}, vmacLL: map[string]netip.Addr{}, failAdd: map[string]bool{}}
	for ifname, spec := range ifaces {
		seg, a, _ := strings.Cut(spec, " ")
		n.ifaces[ifname] = &nodeIface{seg: h.segment(seg), addr: netip.MustParseAddr(a), up: true}
	}
	h.nodes = append(h.nodes, n)
	log := testLogger(h.t, name)
	if h.quiet {
		log = slog.New(slog.DiscardHandler)
	}
	n.d = New(h.load(cfgText), Options{Ports: n.ports(), Notifier: n.rec, Logger: log})
	return n
}

func (h *harness) segment(name string) *segment {
	if s, ok := h.segs[name]; ok {
		return s
	}
	s := &segment{name: name}
	h.segs[name] = s
	return s
}

func (h *harness) load(text string) *config.Config { return loadRaw(h.t, text) }

func testLogger(t testing.TB, name string) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})).With("node", name)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (n *node) record(op string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ops = append(n.ops, op)
}

// ports are the node's fake kernel: its clock is the harness's.
func (n *node) ports() Ports {
	return Ports{Clock: n, Thread: testThread{}, Sockets: n, Links: n, Addresses: nodeAddrs{n},
		Routes: nodeRoutes{n}, Rules: nodeRules{n}, Announcer: nopAnnouncer{}, VMACs: n, Firewall: nodeFirewall{n}}
}

func (n *node) Now() time.Time { return n.h.now }

func (n *node) Open(cfg vrrpconn.Config) (Conn, error) {
	ifname := cfg.Interface
	n.mu.Lock()
	ifc, ok := n.ifaces[ifname]
	gone := ok && ifc.gone
	gen := 0
	if ok {
		gen = ifc.gen
	}
	n.mu.Unlock()
	if (!ok && !n.hasVMAC(ifname)) || gone {
		return nil, fmt.Errorf("open socket on %s: no such device", ifname)
	}
	time.Sleep(n.kernelDelay)
	if n.openGate != nil {
		n.opening <- struct{}{}
		select {
		case <-n.openGate:
		case <-time.After(time.Minute): // a bound on a hang, not a timing assertion
			return nil, fmt.Errorf("open socket on %s: never released (was it opened on the loop?)", ifname)
		}
	}
	c := &segConn{n: n, iface: ifname, gen: gen, ipv6: cfg.Family == vrrpconn.IPv6, closed: make(chan struct{})}
	n.mu.Lock()
	n.conns = append(n.conns, c)
	n.mu.Unlock()
	n.record("open " + ifname)
	if n.batchSend {
		return batchSegConn{c}, nil
	}
	return c, nil
}

type batchSegConn struct{ *segConn }

func (c batchSegConn) SendBatch(msgs []vrrpconn.Out, errs []error) {
	c.n.batches = append(c.n.batches, len(msgs))
	for i, m := range msgs {
		errs[i] = c.SendFrom(m.Payload, m.Src, m.Dst)
	}
}

type nodeAddrs struct{ n *node }

func (a nodeAddrs) Add(p addr.Address) error {
	n := a.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.failAdd[p.Prefix.String()] {
		return fmt.Errorf("add %s: %w", p.Prefix, syscall.EADDRNOTAVAIL)
	}
	n.ops = append(n.ops, "add "+p.Prefix.String())
	n.setAddrLocked(p.Prefix, p.Dev, true)
	return nil
}

// setAddrLocked changes the fake kernel's addresses and, like the kernel,
// notifies a change (n.mu held).
func (n *node) setAddrLocked(p netip.Prefix, dev string, present bool) {
	k := p.String()
	if _, had := n.addrs[k]; had == present {
		return
	}
	if present {
		n.addrs[k] = dev
	} else {
		dev = n.addrs[k]
		delete(n.addrs, k)
	}
	n.addrEvents <- addr.Event{Prefix: p, Dev: dev, Deleted: !present}
}

// setAddr adds or removes an address by hand (not through the daemon).
func (n *node) setAddr(prefix, dev string, present bool) {
	n.mu.Lock()
	n.setAddrLocked(netip.MustParsePrefix(prefix), dev, present)
	n.mu.Unlock()
	n.h.settle()
}

type nodeRoutes struct{ n *node }

func (r nodeRoutes) Add(rt addr.Route) error {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	r.n.routes[rt.String()] = true
	return nil
}

func (r nodeRoutes) Del(rt addr.Route) error { return r.n.delRoute(rt) }

// Has is the fake kernel's answer to "is this route there" (routeChecker).
func (r nodeRoutes) Has(rt addr.Route) (bool, error) { return r.n.hasRoute(rt.String()), nil }

// flushRoutes removes every route silently, as the kernel does with a
// device's last IPv4 address: no route event.
func (n *node) flushRoutes() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.routes)
}

type nodeRules struct{ n *node }

func (r nodeRules) Add(ru addr.Rule) error {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	r.n.rules[ru.String()] = true
	return nil
}

func (r nodeRules) Del(ru addr.Rule) error {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	delete(r.n.rules, ru.String())
	return nil
}

func (r nodeRules) Has(ru addr.Rule) (bool, error) { return r.n.hasRule(ru.String()), nil }

func (n *node) hasRule(s string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rules[s]
}

func (r nodeRoutes) Watch(context.Context, func()) (<-chan addr.RouteEvent, error) {
	return r.n.routeEvents, nil
}

// delRoute deletes a route (the daemon, or a hand) and, like the kernel,
// notifies it.
func (n *node) delRoute(rt addr.Route) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.routes[rt.String()] {
		return nil
	}
	delete(n.routes, rt.String())
	table := rt.Table
	if table == 0 {
		table = 254
	}
	n.routeEvents <- addr.RouteEvent{Dst: rt.Dst.Masked(), Table: table, Deleted: true}
	return nil
}

func (n *node) hasRoute(s string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.routes[s]
}

func (a nodeAddrs) List(dev string) ([]addr.Address, error) {
	n := a.n
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []addr.Address
	for p, d := range n.addrs {
		if d == dev {
			out = append(out, addr.Address{Prefix: netip.MustParsePrefix(p), Dev: dev})
		}
	}
	return out, nil
}

func (a nodeAddrs) Watch(context.Context, func()) (<-chan addr.Event, error) {
	return a.n.addrEvents, nil
}

func (a nodeAddrs) Del(p addr.Address) error {
	n := a.n
	n.mu.Lock()
	defer n.mu.Unlock()
	n.setAddrLocked(p.Prefix, p.Dev, false)
	n.ops = append(n.ops, "del "+p.Prefix.String())
	return nil
}

func (n *node) Primary(ifname string, ipv6 bool) (netip.Addr, error) {
	n.mu.Lock()
	i, ok := n.ifaces[ifname]
	gone := ok && i.gone
	n.mu.Unlock()
	if gone {
		return netip.Addr{}, fmt.Errorf("interface %s: no such device", ifname)
	}
	n.mu.Lock()
	first := n.primaryFirst
	n.mu.Unlock()
	if first.IsValid() && ifname == "eth0" && first.Is6() == ipv6 {
		return first, nil
	}
	if ok && i.addr.Is6() == ipv6 {
		return i.addr, nil
	}
	n.mu.Lock()
	ll, ok := n.vmacLL[ifname]
	n.mu.Unlock()
	if ok && ipv6 {
		return ll, nil
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no address", ifname)
}

// SetPromoteSecondaries records the interface's sysctl in n.promote.
func (n *node) SetPromoteSecondaries(ifname string, on bool) (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.promote == nil {
		n.promote = map[string]bool{}
	}
	was := n.promote[ifname]
	n.promote[ifname] = on
	return was, nil
}

func (n *node) Up(ifname string) (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if i, ok := n.ifaces[ifname]; ok {
		return i.up, nil
	}
	return false, fmt.Errorf("interface %s: %w", ifname, ErrNoInterface)
}

func (n *node) Watch(context.Context, func()) (<-chan link.Event, error) { return n.links, nil }

func (n *node) Create(spec VMACSpec) error {
	name, parent, ipv6 := spec.Name, spec.Parent, spec.IPv6
	time.Sleep(n.kernelDelay)
	if _, ok := n.ifaces[parent]; !ok {
		return fmt.Errorf("vmac %s: parent %s: no such device", name, parent)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.vmacs[name] = true
	if n.vmacSpecs == nil {
		n.vmacSpecs = map[string]VMACSpec{}
	}
	n.vmacSpecs[name] = spec
	if p := n.ifaces[parent].addr; ipv6 && p.Is6() {
		n.vmacLL[name] = p // vmac.Create copies the parent's link-local
	}
	n.ops = append(n.ops, "vmac+ "+name)
	return nil
}

func (n *node) Delete(name string) error {
	time.Sleep(n.kernelDelay)
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.vmacs, name)
	delete(n.vmacLL, name)
	n.ops = append(n.ops, "vmac- "+name)
	return nil
}

func (n *node) hasVMAC(name string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.vmacs[name]
}

func (c *segConn) Send(p []byte, dst netip.Addr) error { return c.SendFrom(p, netip.Addr{}, dst) }

// SendFrom delivers the advert to every other running node with a socket
// of the same family on the segment (multicast), or to the node owning dst
// (unicast).
func (c *segConn) SendFrom(p []byte, src, dst netip.Addr) error {
	h := c.n.h
	ifname := c.iface
	parent := c.n.parentOf(ifname)
	ifc := c.n.ifaces[parent]
	c.n.mu.Lock()
	stale := ifc != nil && (ifc.gone || (ifname == parent && c.gen != ifc.gen))
	c.n.mu.Unlock()
	if stale {
		return fmt.Errorf("send on %s: no such device", ifname)
	}
	if ifc == nil || !ifc.up {
		return fmt.Errorf("send on %s: %w", ifname, ErrLinkDown)
	}
	c.n.mu.Lock()
	sendErr := c.n.sendErr
	c.n.mu.Unlock()
	if sendErr != nil {
		return fmt.Errorf("send to %v on %s: %w", dst, ifname, sendErr)
	}
	if !src.IsValid() {
		src = ifc.addr
	}
	// The kernel's rule: a link-local source must be an address of the
	// interface the packet leaves by.
	c.n.mu.Lock()
	own := ifc.addr
	if ll, ok := c.n.vmacLL[ifname]; ok {
		own = ll
	} else if ifname != parent {
		own = netip.Addr{} // a VMAC without addresses
	}
	c.n.mu.Unlock()
	if src.Is6() && src.IsLinkLocalUnicast() && src != own {
		return fmt.Errorf("send to %v on %s from %v: %w", dst, ifname, src, syscall.EINVAL)
	}
	fam := packet.IPv4
	if c.ipv6 {
		fam = packet.IPv6
	}
	adv, err := packet.Parse(p, fam)
	if err != nil {
		h.t.Errorf("%s sent an unparsable advert: %v", c.n.name, err)
		return err
	}
	h.sent = append(h.sent, sentAdvert{at: h.now, node: c.n.name, vrid: adv.VRID, prio: adv.Priority})
	if ifc.seg.cut {
		return nil
	}
	for _, o := range h.nodes {
		if o == c.n || !o.up {
			continue
		}
		for oname, oif := range o.ifaces {
			if oif.seg != ifc.seg || !oif.up {
				continue
			}
			if !dst.IsMulticast() && dst != oif.addr {
				continue
			}
			for key, sc := range o.d.conns {
				if key.ipv6 != c.ipv6 || o.parentOf(key.iface) != oname {
					continue
				}
				if c, ok := sc.c.(*segConn); ok && c.iface == oname && c.gen != oif.gen {
					continue // bound to a deleted interface
				}
				var a packet.Advert
				o.d.receive(sc, slices.Clone(p), vrrpconn.Meta{Src: src, Dst: dst, TTL: 255}, fam, &a)
			}
		}
	}
	return nil
}

// parentOf maps a VMAC name (vrrp.N) to its parent interface.
func (n *node) parentOf(ifname string) string {
	if _, ok := n.ifaces[ifname]; ok {
		return ifname
	}
	for _, in := range n.d.instances {
		if in.vmac == ifname {
			return in.cfg.Interface
		}
	}
	return ifname
}

func (c *segConn) Recv([]byte) (int, vrrpconn.Meta, error) {
	<-c.closed
	return 0, vrrpconn.Meta{}, net.ErrClosed
}

func (c *segConn) Close() error {
	c.once.Do(func() {
		time.Sleep(c.n.kernelDelay)
		close(c.closed)
	})
	return nil
}

// JoinGroup: a segment delivers every group to every socket.
func (c *segConn) JoinGroup(netip.Addr) error { return nil }

// start starts the node's daemon at the harness's now.
func (n *node) start() {
	n.h.t.Helper()
	n.ctx, n.cancel = context.WithCancel(context.Background())
	clean, err := n.d.start(n.ctx)
	if err != nil {
		n.h.t.Fatalf("%s: start: %v", n.name, err)
	}
	n.clean, n.up = clean, true
	n.h.t.Cleanup(n.kill)
	n.h.settle()
}

// stop shuts the node down gracefully (priority 0, VIPs released).
func (n *node) stop() {
	if !n.up {
		return
	}
	n.cancel()
	n.d.finish()
	n.clean()
	n.up = false
	n.h.settle()
}

// kill makes the node vanish without a word (a crash, or a cable pulled):
// no priority 0, its VIPs stay in its "kernel".
func (n *node) kill() {
	if !n.up {
		return
	}
	n.up = false
	n.cancel()
	n.mu.Lock()
	conns := slices.Clone(n.conns)
	n.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	n.clean()
}

// setLink changes an interface's carrier and tells the daemon, as the
// kernel's link watcher does.
func (n *node) setLink(ifname string, up bool) {
	n.ifaces[ifname].up = up
	n.links <- link.Event{Name: ifname, Up: up}
	n.h.settle()
}

// deleteLink deletes an interface (ip link del): its sockets are dead, its
// addresses and VMACs gone, and the daemon hears of it.
func (n *node) deleteLink(ifname string) {
	n.mu.Lock()
	ifc := n.ifaces[ifname]
	ifc.gone, ifc.up = true, false
	for p, dev := range n.addrs {
		if dev == ifname {
			delete(n.addrs, p)
			// The kernel's event names an index whose name is gone.
			n.addrEvents <- addr.Event{Prefix: netip.MustParsePrefix(p), Index: 10 + ifc.gen, Deleted: true}
		}
	}
	n.mu.Unlock()
	n.links <- link.Event{Name: ifname, Index: 10 + ifc.gen, Deleted: true}
	n.h.settle()
}

// recreateLink creates the interface again (a new index), up, with its
// address, and waits for the daemon's rebuild of its instances.
func (n *node) recreateLink(ifname string) {
	n.mu.Lock()
	ifc := n.ifaces[ifname]
	ifc.gone, ifc.up = false, true
	ifc.gen++
	n.mu.Unlock()
	n.links <- link.Event{Name: ifname, Index: 10 + ifc.gen, Up: true}
	n.h.settle()
	n.awaitRebind()
}

// awaitRebind steps the node until no rebuild of its instances runs.
func (n *node) awaitRebind() {
	n.h.t.Helper()
	deadline := time.Now().Add(time.Minute) // a bound on a hang, not a timing assertion
	for n.d.rebinding.Load() || !n.idle() {
		if time.Now().After(deadline) {
			n.h.t.Fatal("the rebuild never finished")
		}
		if n.idle() {
			runtime.Gosched()
			continue
		}
		n.d.step()
	}
	n.h.settle()
}

// reload runs Reload as ctl or SIGHUP would, on another goroutine (its
// prepare step runs there, off the loop), stepping the node's loop for its
// plan and commit steps until it returns; the clock does not move.
func (n *node) reload(text string) error {
	n.h.t.Helper()
	cfg := n.h.load(text)
	done := make(chan error, 1)
	go func() { done <- n.d.Reload(context.Background(), cfg) }()
	err := n.stepUntil(done, nil)
	n.h.settle()
	return err
}

// stepUntil steps the node's loop whenever it has input, until done
// delivers; timed, if set, gets each step's duration.
func (n *node) stepUntil(done <-chan error, timed func(time.Duration)) error {
	n.h.t.Helper()
	deadline := time.Now().Add(time.Minute) // a bound on a hang, not a timing assertion
	for {
		select {
		case err := <-done:
			return err
		default:
		}
		if time.Now().After(deadline) {
			n.h.t.Fatal("the operation never finished")
		}
		if n.idle() {
			runtime.Gosched()
			continue
		}
		t0 := time.Now()
		n.d.step()
		if timed != nil {
			timed(time.Since(t0))
		}
	}
}

func (n *node) idle() bool {
	return len(n.d.rx) == 0 && len(n.d.cmds) == 0 && len(n.links) == 0 && len(n.addrEvents) == 0 && len(n.routeEvents) == 0
}

// settle steps every running node until no input is pending.
func (h *harness) settle() {
	h.t.Helper()
	for range 10000 {
		busy := false
		for _, n := range h.nodes {
			if n.up && !n.idle() {
				n.d.step()
				busy = true
			}
		}
		if !busy {
			return
		}
	}
	h.t.Fatal("the daemons never went idle (an advert storm?)")
}

// advance moves the clock by d, stepping every node at each deadline.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	end := h.now.Add(d)
	for {
		h.settle()
		var next time.Time
		for _, n := range h.nodes {
			if !n.up {
				continue
			}
			if dl := n.d.nextDeadline(); !dl.IsZero() && (next.IsZero() || dl.Before(next)) {
				next = dl
			}
		}
		if next.IsZero() || next.After(end) {
			break
		}
		if next.After(h.now) {
			h.now = next
		}
		for _, n := range h.nodes {
			if n.up {
				n.d.step()
			}
		}
	}
	h.now = end
	for _, n := range h.nodes {
		if n.up {
			n.d.step()
		}
	}
	h.settle()
}

// state is the instance's state ("" if the node has no such instance).
func (n *node) state(name string) string {
	if in := n.d.find(name); in != nil {
		return in.core.State().String()
	}
	return ""
}

func (n *node) holds(prefix string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.addrs[prefix]
	return ok
}

func (n *node) status(name string) (st struct {
	State    string
	Prio     int
	Held     bool
	Counters map[string]uint64
	Drops    map[string]uint64
	Warnings []string
}) {
	snap, err := n.d.Status(context.Background())
	if err != nil {
		n.h.t.Fatalf("%s: status: %v", n.name, err)
	}
	for _, is := range snap.Instances {
		if is.Name == name {
			st.State, st.Prio, st.Held, st.Counters, st.Drops, st.Warnings = is.State, is.EffectivePriority, is.VIPsHeld, is.Counters, is.Drops, is.Warnings
		}
	}
	return st
}

// holders lists the nodes whose kernel holds prefix.
func (h *harness) holders(prefix string) []string {
	var out []string
	for _, n := range h.nodes {
		if n.holds(prefix) {
			out = append(out, n.name)
		}
	}
	return out
}

// expect checks each node's state of instance name, then that exactly the
// MASTER nodes hold vip.
func (h *harness) expect(name, vip string, states ...string) {
	h.t.Helper()
	var got, masters []string
	for _, n := range h.nodes {
		got = append(got, n.name+"="+n.state(name))
		if n.state(name) == "MASTER" {
			masters = append(masters, n.name)
		}
	}
	var want []string
	for i, n := range h.nodes {
		want = append(want, n.name+"="+states[i])
	}
	if !slices.Equal(got, want) {
		h.t.Fatalf("at +%v %s: states %v, want %v", h.now.Sub(harnessT0), name, got, want)
	}
	if vip != "" {
		if hs := h.holders(vip); !slices.Equal(hs, masters) {
			h.t.Fatalf("at +%v: %s held by %v, want the masters %v", h.now.Sub(harnessT0), vip, hs, masters)
		}
	}
}

// sentBy counts the adverts node sent for vrid with priority prio since t.
func (h *harness) sentBy(node string, vrid, prio uint8, since time.Time) int {
	c := 0
	for _, s := range h.sent {
		if s.node == node && s.vrid == vrid && s.prio == prio && !s.at.Before(since) {
			c++
		}
	}
	return c
}

func linkDown(name string) link.Event { return link.Event{Name: name, Up: false} }
