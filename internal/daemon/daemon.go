// Package daemon is gokeepalived's runtime: one event loop that owns every
// VRRP instance, feeds the pure core (internal/vrrp) with received adverts,
// timer expiries and link events, and carries out the core's actions through
// small ports to the kernel (Ports, ports.go). Socket readers, the control socket and
// reload requests only send events or closures to the loop; nothing else
// touches instance state (STYLE rule 16).
//
// The advert path is kept short and free of slow work: notify scripts,
// trackers and logging sinks run elsewhere and never delay an advert.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/vrrpconn"
	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// Options configure a Daemon.
type Options struct {
	ConfigFile string
	// DontRelease keeps VIPs, routes and rules on exit (-V).
	DontRelease bool
	Logger      *slog.Logger
	// Ports are the daemon's ports to the OS (linuxport.Linux, or fakes).
	Ports Ports
	// Notifier receives state changes; nil = none.
	Notifier Notifier
	// Ready, if set, is called once every instance has started (systemd
	// readiness).
	Ready func()
	// States, if set, receives every VRRP instance state change (the
	// load balancer's ha_suspend follows them).
	States StateSink
	// VirtualServers, if set, supplies the load balancer's status for the
	// snapshot.
	VirtualServers VirtualServerStatus
	// BFD, if set, supplies the BFD runtime's status for the snapshot.
	BFD BFDStatus
	// MaintenanceFile keeps the instances in maintenance across restarts
	// (maintenance.go); empty: not kept.
	MaintenanceFile string
}

// StateSink takes VRRP instance state changes. It is called on the VRRP
// loop and must not block.
type StateSink interface {
	VRRPState(vrrp.StateEvent)
}

// GroupStateSink is a StateSink that also hears sync-group state changes
// (the SNMP subagent's vrrpSyncGroupStateChange).
type GroupStateSink interface {
	VRRPGroupState(vrrp.GroupStateEvent)
}

// VirtualServerStatus is the load-balancer runtime's published status; it
// never blocks.
type VirtualServerStatus interface {
	VirtualServers() []ctl.VirtualServerStatus
}

// BFDStatus is the BFD runtime's published status (nil: none running);
// it never blocks.
type BFDStatus interface {
	CtlStatus() *ctl.BFDStatus
}

// Daemon runs VRRP instances. Create with New, then Run.
type Daemon struct {
	opts  Options
	log   *slog.Logger
	ports Ports

	cfg *config.Config
	// fwLast is the accept-mode firewall as last programmed (nil: none).
	fwLast    *FirewallSpec
	units     []*unit
	instances []*instance
	conns     map[connKey]*sharedConn
	timers    timerHeap // units with a deadline, earliest first (timers.go)
	due       []*unit   // fireTimers' scratch
	// rulesChecked is when the MASTERs' virtual rules were last looked
	// for in the kernel (recheckRulesDue).
	rulesChecked time.Time
	slack        time.Duration
	// Adverts queued while timers fire, sent in batches (sendbatch.go).
	txBatching bool
	txq        []queuedAdvert
	txMsgs     []vrrpconn.Out
	txErrs     []error
	// VIPs and notifications queued while timers fire, and paced
	// gratuitous ARPs/NAs (takeover.go).
	vipq    []*instance
	notifyq []queuedNotify
	garpq   []garpJob
	garpAt  time.Time
	// listCache holds each interface's addresses, listed once while
	// startAll runs (nil otherwise).
	listCache map[string][]addr.Address

	rx      chan *rxBatch
	cmds    chan func()
	linkEv  <-chan link.Event
	addrEv  <-chan addr.Event
	routeEv <-chan addr.RouteEvent
	// Interfaces deleted or re-created under their instances (relink.go):
	// the last index seen per name, and those awaiting a rebuild.
	ifIndex     map[string]int
	ifs         map[string]ifState
	rebinding   atomic.Bool // a rebuild runs (set and cleared on the loop)
	rebindAgain bool
	started     time.Time
	reloaded    time.Time
	trackers    *trackerSet
	notifier    Notifier
	runCtx      context.Context
	wake        atomic.Pointer[Waker] // set by Run
	// reloadMu makes reloads one at a time (held by Reload, off the loop).
	reloadMu sync.Mutex
	// trackerWake carries tracker changes to the loop (relayed from trackers.wake).
	trackerWake chan struct{}
	// maint is the set of instances in maintenance (loop-owned);
	// maintMu orders the writes of its file.
	maint   map[string]bool
	maintMu sync.Mutex

	// The status snapshot (snapshot.go): the latest one published, and
	// whether something visible changed since (all entries, with snapAll).
	published          atomic.Pointer[ctl.Snapshot]
	firstPublished     chan struct{} // closed by the first publication
	snapDirty, snapAll bool
	// sched is the VRRP threads' scheduling, set by Run from the
	// configuration it starts with, before any reader starts; auto raises
	// the loop's (sched.go).
	sched ThreadSettings
	auto  autoPriority
	// logUnknown is global_defs log_unknown_vrids, read by the readers.
	logUnknown atomic.Bool
	// deleting marks the instances a reload removes while they shut down
	// (notifyDeleted).
	deleting map[*instance]bool
	// startAt is when the instances may start (vrrp_startup_delay; zero:
	// now). Until then every unit waits as for its trackers (startUnit).
	startAt time.Time
	// bfd holds the BFD session states BFDState reports (for track_bfd).
	bfd bfdStates
	// statsBase holds the statistics at the last DumpStatsClear, which
	// later stats dumps subtract (written by dump writers, off the loop).
	statsBase struct {
		sync.Mutex
		m map[string]map[string]uint64
	}
	// static is the static addresses, routes and rules in place (static.go).
	static staticSet
	// promoted: the interfaces whose promote_secondaries the instances
	// want, true where we set it (promote.go).
	promoted map[string]bool
	// pacer paces gratuitous ARPs/NAs per interface (garppace.go).
	pacer garpPacer
	// lw delays and polls link states (linkwatch.go).
	lw linkWatch
}

// New builds a daemon for cfg. It has no side effects.
func New(cfg *config.Config, opts Options) *Daemon {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Daemon{
		opts:     opts,
		log:      opts.Logger,
		ports:    opts.Ports,
		cfg:      cfg,
		conns:    map[connKey]*sharedConn{},
		ifIndex:  map[string]int{},
		ifs:      map[string]ifState{},
		rx:       make(chan *rxBatch, 1024),
		cmds:     make(chan func(), 16),
		bfd:      bfdStates{up: map[string]bool{}, wake: make(chan struct{}, 1)},
		notifier: opts.Notifier,
		lw:       linkWatch{seenUp: map[string]bool{}, pending: map[string]pendingLink{}, used: map[string]string{}},

		firstPublished: make(chan struct{}),
	}
}

type rxEvent struct {
	in  *instance
	src netip.Addr
	adv packet.Advert
}

// Run starts every instance and runs until ctx ends, then shuts down
// gracefully: masters send priority-0 adverts and release their VIPs
// (unless DontRelease). The VRRP loop runs on its own locked OS thread and
// sleeps in the kernel (Waker); its body is start, then step until ctx
// ends, then finish, which tests drive themselves with a fake clock.
func (d *Daemon) Run(ctx context.Context) error {
	if m := d.ports.missing(); m != "" {
		return fmt.Errorf("daemon: no %s port (Options.Ports)", m)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d.sched, d.auto = threadSettings(&d.cfg.Global), newAutoPriority(&d.cfg.Global)
	loop := d.sched
	d.setupLoopThread(loop)
	w, err := d.ports.Thread.NewWaker()
	if err != nil {
		return err
	}
	d.wake.Store(&w)
	cleanup, err := d.start(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	go func() {
		<-ctx.Done()
		d.kick()
	}()
	for ctx.Err() == nil {
		d.step()
		next := d.wakeAt()
		w.Wait(next, d.now())
		d.lateWake(&loop, next)
	}
	d.finish()
	return nil
}

// start does everything Run does before its loop: the link and address
// watchers, the notifier, the trackers, then every instance. The
// returned cleanup stops what start started (after finish).
func (d *Daemon) start(ctx context.Context) (cleanup func(), err error) {
	d.logUnknown.Store(d.cfg.Global.LogUnknownVRIDs)
	var undo []func()
	cleanup = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	d.runCtx = ctx
	d.started = d.now()
	if delay := d.cfg.Global.StartupDelay; delay > 0 {
		d.startAt = d.started.Add(delay)
		d.log.Info("delaying the start of the VRRP instances (vrrp_startup_delay)", "delay", delay)
	}
	lctx, stopLinks := context.WithCancel(context.Background())
	undo = append(undo, stopLinks)
	evs, err := d.ports.Links.Watch(lctx, d.kick)
	if err != nil {
		return cleanup, fmt.Errorf("watching links: %w", err)
	}
	d.linkEv = evs
	aevs, err := d.ports.Addresses.Watch(lctx, d.kick)
	if err != nil {
		return cleanup, fmt.Errorf("watching addresses: %w", err)
	}
	d.addrEv = aevs
	revs, err := d.ports.Routes.Watch(lctx, d.kick)
	if err != nil {
		return cleanup, fmt.Errorf("watching routes: %w", err)
	}
	d.routeEv = revs
	if r, ok := d.notifier.(notifierRunner); ok {
		nctx, stopNotify := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := r.Run(nctx); err != nil {
				d.log.Error("notifier stopped", "err", err)
			}
		}()
		// Stop the notifier after the shutdown notifications are queued and
		// delivered (bounded: keepalived gives its STOP notify script 1 s).
		undo = append(undo, func() {
			if dr, ok := d.notifier.(notifierDrainer); ok {
				dctx, cancel := context.WithTimeout(context.Background(), notifyDrainTimeout)
				if !dr.Drain(dctx) {
					d.log.Warn("shutdown: notifications still running after the drain timeout are abandoned", "timeout", notifyDrainTimeout)
				}
				cancel()
			}
			stopNotify()
			<-done
		})
	}
	d.trackers = newTrackerSet(d)
	d.trackers.ctx = ctx
	// Tracker results arrive on trackers.wake; relay them to the loop.
	d.trackerWake = make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-d.trackers.wake:
				select {
				case d.trackerWake <- struct{}{}:
				default:
				}
				d.kick()
			case <-ctx.Done():
				return
			}
		}
	}()
	// The same build as a reload's, from nothing (nothing runs yet, so it
	// may as well run here).
	d.loadMaintenance()
	p := d.newPlan(d.cfg)
	p.toStart = d.cfg.Instances
	if err := d.prepare(p); err != nil {
		return cleanup, err
	}
	d.install(p, nil)
	d.setStatic(d.cfg)
	d.setPromote(d.cfg)
	d.configurePacing(d.cfg)
	d.configureLinkWatch(d.cfg)
	d.startAll(d.units)
	d.snapshotAll()
	d.publish()
	if d.opts.Ready != nil {
		d.opts.Ready()
	}
	return cleanup, nil
}

// now reads the clock.
func (d *Daemon) now() time.Time { return d.ports.Clock.Now() }

// step handles every pending input (adverts, link and tracker changes,
// ctl requests and reloads), then every timer due at the clock's now, then
// publishes the status snapshot if anything visible changed.
func (d *Daemon) step() {
	d.drain()
	d.fireTimers()
	d.fireLinkTimers(d.now())
	d.sendPaced(d.now())
	d.recheckRulesDue()
	d.announcePaced()
	d.publish()
}

// finish shuts every instance down (priority 0, VIPs released) and closes
// what the loop owns.
func (d *Daemon) finish() {
	d.shutdownAll(d.units)
	d.clearStatic()
	d.setPromote(nil)
	d.trackers.stop()
	d.closeConns()
	d.removeVMACs(allVMACs(d.instances))
	d.removeFirewall()
	d.snapshotAll()
	d.publish()
}

// kick wakes the loop if it runs (events posted before Run are handled
// by its first drain).
func (d *Daemon) kick() {
	if w := d.wake.Load(); w != nil {
		(*w).Kick()
	}
}

// drain handles every event posted to the loop since it last looked,
// without blocking.
func (d *Daemon) drain() {
	for {
		select {
		case b := <-d.rx:
			for i := range b.evs {
				ev := &b.evs[i]
				d.handle(ev.in, vrrp.AdvertReceived{Src: ev.src, Advert: ev.adv})
			}
			putBatch(b)
		case le, ok := <-d.linkEv:
			if !ok {
				d.linkEv = nil
				continue
			}
			d.linkEvent(le)
			d.snapshotAll()
		case ae, ok := <-d.addrEv:
			if !ok {
				d.addrEv = nil
				continue
			}
			d.addrChanged(ae)
			d.snapshotAll()
		case re, ok := <-d.routeEv:
			if !ok {
				d.routeEv = nil
				continue
			}
			d.routeChanged(re)
		case <-d.trackerWake:
			d.trackersChanged()
			d.snapshotAll()
		case <-d.bfd.wake:
			d.trackersChanged()
			d.snapshotAll()
		case f := <-d.cmds:
			f()
			d.snapshotAll()
		default:
			return
		}
	}
}

// Do runs f on the daemon loop and waits for it (reloads; status readers
// use the published snapshot instead).
func (d *Daemon) Do(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	// What f changed is published before the caller returns, so a status
	// read after a reload or a ctl command sees its effect.
	case d.cmds <- func() { f(); d.snapshotAll(); d.publish(); close(done) }:
		d.kick()
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// makeUnits builds the runtime for the plan's instances to start, grouping
// sync-group members into one unit. It runs off the loop (prepare) and
// reads no loop-owned state: only the plan.
func (d *Daemon) makeUnits(p *reloadPlan) ([]*unit, error) {
	cfg := p.cfg
	byGroup := map[string]*unit{}
	var units []*unit
	var errs []error
	for _, ci := range p.toStart {
		in, err := d.newInstance(p, ci)
		if in != nil {
			for _, name := range in.vmacNames() {
				if !p.runningVMACs[name] {
					p.created = append(p.created, vmacRef{in.cfg.Name, name})
				}
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("vrrp_instance %s: %w", ci.Name, err))
			continue
		}
		if ci.SyncGroup != "" {
			u := byGroup[ci.SyncGroup]
			if u == nil {
				u = &unit{name: ci.SyncGroup}
				for _, g := range cfg.SyncGroups {
					if g.Name == ci.SyncGroup {
						if u.scripts, err = scriptsOf(g.Notify, &cfg.Global); err != nil {
							errs = append(errs, fmt.Errorf("vrrp_sync_group %s: %w", g.Name, err))
						}
					}
				}
				byGroup[ci.SyncGroup] = u
				units = append(units, u)
			}
			in.unit, in.index = u, len(u.members)
			u.members = append(u.members, in)
			continue
		}
		u := &unit{name: ci.Name, members: []*instance{in}}
		in.unit = u
		units = append(units, u)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, u := range units {
		if _, ok := byGroup[u.name]; ok {
			cores := make([]*vrrp.Instance, len(u.members))
			for i, m := range u.members {
				cores[i] = m.core
			}
			g, err := vrrp.NewSyncGroup(u.name, cores...)
			if err != nil {
				return nil, fmt.Errorf("vrrp_sync_group %s: %w", u.name, err)
			}
			u.group = g
		}
	}
	return units, nil
}

// newInstance builds one instance (off the loop). On an error after its
// VMAC was created it still returns the instance, so the caller can remove
// that VMAC.
func (d *Daemon) newInstance(p *reloadPlan, ci *config.Instance) (*instance, error) {
	cfg := p.cfg
	in := &instance{
		name:      ci.Name,
		vrid:      ci.VRID,
		cfg:       ci,
		ipv6:      ci.Family == 6,
		faults:    map[string]string{},
		warnedAt:  map[string]time.Time{},
		warnUntil: map[string]time.Time{},
		sendBuf:   make([]byte, 0, 1500),
	}
	for _, v := range ci.VIPs {
		in.vips = append(in.vips, v.Prefix.Addr())
	}
	var err error
	if in.scripts, err = scriptsOf(ci.Notify, &cfg.Global); err != nil {
		return nil, err
	}
	if cfg.Global.DynamicInterfaces && ci.Interface != "" {
		// dynamic_interfaces: an instance whose interface does not exist
		// yet is built without a socket and waits in FAULT (relink.go).
		if _, err := d.ports.Links.Up(ci.Interface); errors.Is(err, ErrNoInterface) {
			in.absent = true
		}
	}
	lay := p.vmacLayout()[ci.Name]
	if lay == nil {
		lay = &instVMACs{}
	}
	switch {
	case in.absent:
		// No VMAC or ipvlan on an interface that does not exist yet: the
		// instance is rebuilt when it appears.
	case ci.UseVMAC:
		// use_vmac: the VIPs live on a macvlan with the RFC's virtual MAC
		// 00:00:5e:00:01:VRID (IPv6 ...:02:VRID), or the one given, so
		// GARPs and traffic use it and a takeover needs no ARP cache
		// update on switches' side.
		spec := VMACSpec{Name: lay.main, Parent: ci.Interface, VRID: uint8(ci.VRID), IPv6: in.ipv6, MAC: ci.VMACMAC}
		if err := d.ports.VMACs.Create(spec); err != nil {
			return nil, err
		}
		in.vmac = spec.Name
		d.log.Info("virtual MAC interface ready", "instance", ci.Name, "vmac", in.vmac, "parent", ci.Interface)
	case ci.IPVLAN != nil:
		// use_ipvlan: an L2 ipvlan of the interface (it shares the
		// parent's MAC) carries the adverts, from its own address.
		spec := VMACSpec{Name: lay.main, Parent: ci.Interface, VRID: uint8(ci.VRID), IPv6: in.ipv6,
			IPVLAN: true, IPVLANMode: ci.IPVLAN.Mode, Addr: ci.IPVLAN.Addr}
		if err := d.ports.VMACs.Create(spec); err != nil {
			return nil, err
		}
		in.vmac = spec.Name
		d.log.Info("ipvlan interface ready", "instance", ci.Name, "ipvlan", in.vmac, "parent", ci.Interface,
			"mode", ci.IPVLAN.Mode, "address", ci.IPVLAN.Addr.String())
	}
	for _, k := range lay.extras {
		spec := VMACSpec{Name: lay.extra[k], Parent: k.parent, VRID: uint8(ci.VRID), IPv6: k.ipv6, MAC: ci.VMACMAC}
		if err := d.ports.VMACs.Create(spec); err != nil {
			return in, err
		}
		in.extraVMACs = append(in.extraVMACs, spec.Name)
		d.log.Info("virtual MAC interface ready for addresses on another interface", "instance", ci.Name,
			"vmac", spec.Name, "parent", k.parent, "ipv6", k.ipv6)
	}
	in.vmacExtra = lay.extra
	return d.finishInstance(p, ci, in)
}

// finishInstance completes newInstance once the VMAC (if any) exists. On an
// error it still returns in, so the caller can remove that VMAC.
func (d *Daemon) finishInstance(p *reloadPlan, ci *config.Instance, in *instance) (*instance, error) {
	cfg := p.cfg
	var err error
	fail := func(e error) (*instance, error) { return in, e }
	if in.addrs, err = kernelAddrs(ci, in.vmac, in.vmacExtra); err != nil {
		return fail(err)
	}
	if in.routes, in.rules, err = kernelRoutes(ci); err != nil {
		return fail(err)
	}
	// Our source address: unicast_src_ip / mcast_src_ip, else the
	// interface's primary (IPv4) or link-local (IPv6) address. An IPv6
	// VMAC carries a copy of its parent's link-local address (vmac.Create),
	// and the adverts it sends must come from an address of its own: the
	// kernel refuses a link-local source of another interface (EINVAL).
	srcIf := ci.Interface
	if in.vmac != "" && in.ipv6 && !ci.VMACXmitBase {
		srcIf = in.vmac
	}
	switch {
	case ci.UnicastSrc.IsValid():
		in.src = ci.UnicastSrc
	case ci.McastSrc.IsValid():
		in.src = ci.McastSrc
	case in.absent:
		// No interface, no address yet: rebuilt when it appears.
		in.src = netip.IPv4Unspecified()
		if in.ipv6 {
			in.src = netip.IPv6Unspecified()
		}
	case ipvlanSrc(ci).IsValid():
		in.src = ipvlanSrc(ci)
	default:
		in.src, err = p.primary(d.ports.Links, srcIf, in.ipv6)
		if err != nil {
			return fail(err)
		}
		if isVirtualAddr(cfg, in.src) {
			// The kernel promoted a virtual address to primary when the
			// interface's own one was removed (promote_secondaries), or
			// a crashed run left it first in the list. Adverts from a VIP
			// are dropped by the node holding it ("own address"): a
			// permanent dual master (found by the chaos harness).
			own, ok := d.ownAddress(cfg, srcIf, in.ipv6)
			if !ok {
				return fail(fmt.Errorf("interface %s has no address of its own to send adverts from: its primary %s is a virtual address", srcIf, in.src))
			}
			d.log.Warn("the interface's primary address is a virtual address: adverts are sent from the interface's own address",
				"instance", ci.Name, "interface", srcIf, "primary", in.src.String(), "src", own.String())
			in.src = own
		}
	}
	in.mtu = defaultMTU
	if !in.absent {
		in.mtu = p.mtu(d.ports.Links, ci.Interface)
	}
	if len(ci.UnicastPeers) > 0 {
		in.unicast = true
		for _, p := range ci.UnicastPeers {
			in.dsts = append(in.dsts, p.Addr)
		}
	} else if ci.McastDst.IsValid() {
		in.dsts = []netip.Addr{ci.McastDst} // mcast_dst_ip
	} else if in.ipv6 {
		in.dsts = []netip.Addr{cfg.Global.MulticastGroup6}
	} else {
		in.dsts = []netip.Addr{cfg.Global.MulticastGroup4}
	}
	core, err := vrrp.NewInstance(coreConfig(ci, &cfg.Global, in.src, in.vips))
	if err != nil {
		return fail(err)
	}
	in.core = core
	in.advert = packet.Advert{Version: uint8(ci.Version), Type: 1, VRID: uint8(ci.VRID), Addrs: in.vips}
	if ci.Version == 2 {
		in.advert.AdverInt = uint16(ci.AdvertInt / time.Second)
	} else {
		in.advert.AdverInt = uint16(ci.AdvertInt / (10 * time.Millisecond))
	}
	expect := packet.Expect{
		VRID: uint8(ci.VRID), Version: uint8(ci.Version), AdverInt: in.advert.AdverInt,
		VIPs: in.vips, SkipCheckAdvAddr: ci.SkipCheckAdvAddr, OwnAddrs: []netip.Addr{in.src},
		Unicast: in.unicast, Strict: ci.Strict, ChecksumAsV2: ci.V3ChecksumAsV2,
	}
	if in.unicast && ci.OldUnicastChecksum == "on" && ci.Version == 3 && !in.ipv6 {
		// old_unicast_checksum: the pseudo-header names the IPv4 group.
		in.checksumDst = cfg.Global.MulticastGroup4
		expect.ChecksumDst = in.checksumDst
	}
	if !in.unicast {
		// keepalived binds the socket to the group: an instance hears only
		// adverts sent to its own (mcast_dst_ip, or the global group).
		expect.Group = in.dsts[0]
	}
	if ci.Auth != nil && ci.Version == 2 {
		in.advert.AuthType = 1
		in.advert.AuthData = packet.PassAuth(ci.Auth.Pass)
		expect.AuthType, expect.AuthPass = 1, in.advert.AuthData
	}
	in.expect.Store(&expect)
	conn, err := d.conn(p, ci, in)
	if err != nil {
		return fail(err)
	}
	in.conn = conn
	return in, nil
}

// startAll starts units: Startup, then the current link and tracker state.
func (d *Daemon) startAll(units []*unit) {
	// One address dump per interface for the whole start, not one per
	// instance (present): 1,000 instances on 20 interfaces dumped their
	// interface 1,000 times before the last one started its timer.
	d.listCache = map[string][]addr.Address{}
	defer func() { d.listCache = nil }()
	for _, u := range units {
		for _, in := range u.members {
			d.log.Info("starting VRRP instance", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "af", in.family(),
				"interface", in.cfg.Interface, "priority", in.cfg.Priority, "version", in.cfg.Version,
				"advert_int", in.cfg.AdvertInt, "src", in.src, "peers", fmtAddrs(in.dsts),
				"master_down_interval", in.core.MasterDownInterval())
		}
		for _, in := range u.members {
			d.firewallNotice(in)
		}
		for _, in := range u.members {
			// Addresses of ours left on the interface (a crash, a -V exit,
			// a hand): the instance does not hold them yet (keepalived
			// removes them at start too).
			if in.absent {
				// Before Startup: the core starts in FAULT, naming it.
				d.interfaceAbsent(in)
				continue
			}
			d.removeStaleAtStart(in)
		}
		d.startUnit(u)
		for _, in := range u.members {
			if in.absent {
				// After Startup, whose transition clears the warnings.
				if why, ok := in.faults[deletedFault(in.cfg.Interface)]; ok {
					in.warn(d.now(), why+": the instance waits in FAULT for it to appear", 24*time.Hour)
				}
				continue
			}
			d.checkSrcIP(in)
		}
	}
}

func (d *Daemon) shutdownAll(units []*unit) {
	for _, u := range units {
		d.handleUnit(u, vrrp.AllMembers, vrrp.Shutdown{})
	}
}

// removeVMACs deletes the VMACs (unless -V keeps the VIPs on them).
func (d *Daemon) removeVMACs(refs []vmacRef) {
	if d.opts.DontRelease && d.shuttingDown() {
		return
	}
	for _, r := range refs {
		if err := d.ports.VMACs.Delete(r.name); err != nil {
			d.log.Error("removing virtual MAC interface failed", "instance", r.instance, "vmac", r.name, "err", err)
		}
	}
}

// handle feeds one input to the instance's unit.
func (d *Daemon) handle(in *instance, input vrrp.Input) {
	if in.unit == nil {
		return // removed by a reload while the event was queued
	}
	member := in.index
	if in.unit.group == nil {
		member = 0
	}
	d.handleUnit(in.unit, member, input)
}

func (d *Daemon) handleUnit(u *unit, member int, input vrrp.Input) {
	now := d.now()
	defer d.noteChanges(u)
	if adv, ok := input.(vrrp.AdvertReceived); ok {
		in := u.members[max(member, 0)]
		in.lastAdvertFrom, in.lastAdvertPrio = adv.Src, adv.Advert.Priority
		in.stats.SetLastAdvert(now)
		in.count(ctl.AdvertsReceived)
		if adv.Advert.Priority == 0 {
			in.count(ctl.PriorityZeroReceived)
		}
	}
	if u.group == nil {
		in := u.members[0]
		out := in.core.Handle(now, input)
		if out.Ignored != vrrp.IgnoreNone {
			in.count(ctl.IgnoredCounter(out.Ignored))
		}
		if out.Transition != nil {
			d.transition(in, now, *out.Transition)
		}
		for _, a := range out.Actions {
			d.act(in, now, a)
		}
		d.setDeadline(u, out.Deadline)
		return
	}
	out := u.group.Handle(now, member, input)
	if out.Ignored != vrrp.IgnoreNone && member >= 0 {
		u.members[member].count(ctl.IgnoredCounter(out.Ignored))
	}
	for _, t := range out.Transitions {
		d.transition(u.members[t.Member], now, t.Transition)
	}
	for _, a := range out.Actions {
		d.act(u.members[a.Member], now, a.Action)
	}
	d.setDeadline(u, out.Deadline)
	d.groupState(u, out)
}

// groupState notifies the sync group's own scripts when all its members
// have reached a new common state (keepalived's group notify).
func (d *Daemon) groupState(u *unit, out vrrp.GroupOutput) {
	if len(out.Transitions) == 0 {
		return
	}
	st := u.members[0].core.State()
	for _, m := range u.members[1:] {
		if m.core.State() != st {
			return
		}
	}
	if st == u.groupState {
		return
	}
	from := u.groupState
	u.groupState = st
	reason := out.Transitions[len(out.Transitions)-1].Reason
	d.log.Info("sync group state change", "group", u.name, "from", from.String(), "to", st.String(), "reason", reason)
	d.snapshotAll()
	if gs, ok := d.opts.States.(GroupStateSink); ok {
		gs.VRRPGroupState(vrrp.GroupStateEvent{Group: u.name, State: st})
	}
	if d.notifier != nil {
		for _, g := range d.cfg.SyncGroups {
			if g.Name == u.name {
				d.notifier.GroupChanged(g, u.scripts, from, st, reason)
			}
		}
	}
}

// transition logs one state change, exactly one Info line with its reason.
func (d *Daemon) transition(in *instance, now time.Time, t vrrp.Transition) {
	in.lastTransition = &transitionRecord{from: t.From, to: t.To, reason: t.Reason, at: now}
	in.count(ctl.Transitions)
	if t.To == vrrp.StateMaster {
		in.count(ctl.BecameMaster)
	}
	if t.From == vrrp.StateMaster {
		in.count(ctl.ReleasedMaster)
	}
	in.clearWarnings()
	if (t.To == vrrp.StateBackup || t.To == vrrp.StateFault) && t.From != vrrp.StateMaster && t.From != vrrp.StateInit {
		// Whatever was added while we did not look (a MASTER leaving
		// releases its own; INIT: the start removed them).
		defer d.removeStaleAtStart(in)
	}
	d.log.Info("state change", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "af", in.family(),
		"from", t.From.String(), "to", t.To.String(), "reason", t.Reason)
	if d.opts.States != nil {
		ev := vrrp.StateEvent{Instance: in.cfg.Name, State: t.To}
		for _, a := range in.addrs {
			ev.Addrs = append(ev.Addrs, a.Prefix.Addr())
		}
		d.opts.States.VRRPState(ev)
	}
}

// act carries out one action of the core.
func (d *Daemon) act(in *instance, now time.Time, a vrrp.Action) {
	if _, ok := a.(vrrp.ReleaseVIPs); ok {
		// Adverts queued in this tick leave before the slow kernel work,
		// as they would unbatched; VIPs queued are added before any is
		// removed (takeover.go).
		d.flushSends()
		d.flushAcquires()
	}
	switch a := a.(type) {
	case vrrp.SendAdvert:
		d.sendAdvert(in, a.Priority)
	case vrrp.AcquireVIPs:
		d.acquire(in)
	case vrrp.ReleaseVIPs:
		if d.shuttingDown() && d.opts.DontRelease {
			d.log.Info("keeping virtual addresses on exit (-V)", "instance", in.cfg.Name)
			return
		}
		d.release(in)
	case vrrp.SendGratuitous:
		d.announce(in, a.Repeat, a.ExtraIf)
	case vrrp.Notify:
		prev := vrrp.StateInit
		if in.lastTransition != nil {
			prev = in.lastTransition.from
		}
		if len(d.vipq) > 0 {
			// After the VIPs queued in this step (takeover.go).
			d.notifyq = append(d.notifyq, queuedNotify{in: in, prev: prev, a: a})
			return
		}
		d.notify(in, prev, a)
	case vrrp.SplitBrainSuspect:
		// keepalived's MASTER_RX_LOWER_PRI event (script and FIFO) fires
		// for every such advert.
		in.count(ctl.MasterRxLowerPri)
		if d.notifier != nil {
			d.notifier.MasterRxLowerPri(in.cfg, in.scripts, int(in.core.Priority()), a.Peer, int(a.PeerPriority))
		}
		if a.First {
			// Its advert may have crossed our first one: a takeover from a
			// lower-priority master looks like this. A second one is a
			// split brain.
			d.log.Info("advert from a lower-priority master received; it should yield on hearing ours", "instance", in.cfg.Name,
				"vrid", in.cfg.VRID, "af", in.family(), "peer", a.Peer, "peer_priority", a.PeerPriority, "priority", in.core.Priority())
			return
		}
		in.count(ctl.SplitBrainSuspected)
		cause := "check that VRRP (IP protocol 112) is not filtered by a firewall on that host, and that both use the same VRID, version, authentication and " + modeHint(in)
		if trouble := in.sendTrouble(now); trouble != "" {
			// Our own failed sends come first (issue 9: the IPv6 use_vmac adverts that never left).
			cause = "this node fails to send them (" + trouble + "): fix that here first (see the \"sending advert failed\" log lines); a firewall on that host is not the likely cause"
		}
		msg := fmt.Sprintf("split brain suspected: %s (priority %d) also advertises as MASTER for VRID %d on %s while we are MASTER (priority %d); "+
			"both hold the virtual addresses until it yields. It is not hearing our adverts: %s",
			a.Peer, a.PeerPriority, in.cfg.VRID, in.cfg.Interface, in.core.Priority(), cause)
		// Raised again by every advert of the other master: expires soon after it yields.
		in.warn(now, msg, 3*in.cfg.AdvertInt+time.Second)
		d.rateLimitedWarn(in, now, "split-brain", msg, "peer", a.Peer.String(), "peer_priority", a.PeerPriority)
	case vrrp.NoMasterHeard:
		in.count(ctl.NoMasterHeard)
		if h, _ := in.stats.HeardDropped(); h != nil {
			// Another router is there and this node hears it: its adverts
			// were dropped. Say which and why, not "cannot hear".
			msg := fmt.Sprintf("became MASTER without accepting an advert from another router since %s: %s",
				a.Since.Format("15:04:05.000"), h.Text())
			in.warn(now, msg, 10*time.Minute)
			d.rateLimitedWarn(in, now, "no-master", msg, "peer", h.From.String(), "drop", h.Reason.String())
			return
		}
		if strings.EqualFold(in.cfg.State, "MASTER") {
			// Configured to be master: hearing nobody is what a cold start of
			// the cluster looks like (the other nodes wait silently in
			// BACKUP), so it is no cause for a warning. A firewall on a
			// BACKUP-configured node still shows there (and as a split brain
			// on this one).
			d.log.Info("became MASTER as configured (state MASTER); no other router heard", "instance", in.cfg.Name,
				"vrid", in.cfg.VRID, "af", in.family(), "since", a.Since.Format("15:04:05.000"))
			return
		}
		cause := fmt.Sprintf("check that VRRP (IP protocol 112) to %s is not filtered by a firewall, and that peers use VRID %d, version %d and the same authentication",
			fmtAddrs(in.dsts), in.cfg.VRID, in.cfg.Version)
		if trouble := in.sendTrouble(now); trouble != "" {
			cause = "and this node fails to send its own adverts (" + trouble + "): the likely cause is on this node " +
				"(its interface, addresses or sockets; see the \"sending advert failed\" log lines), not a firewall on a peer"
		}
		msg := fmt.Sprintf("became MASTER without ever hearing another router since %s: if another node should be MASTER, this node cannot hear it; %s",
			a.Since.Format("15:04:05.000"), cause)
		in.warn(now, msg, 10*time.Minute)
		d.rateLimitedWarn(in, now, "no-master", msg)
	}
}

// notify tells the notifier (scripts, FIFO, mail) of a state change.
func (d *Daemon) notify(in *instance, prev vrrp.State, a vrrp.Notify) {
	if d.deleting[in] && a.State == vrrp.StateStop {
		d.notifyDeleted(in)
		return
	}
	if d.notifier != nil {
		d.notifier.StateChanged(in.cfg, in.scripts, prev, a.State, int(in.core.Priority()), a.Reason)
	}
}

func modeHint(in *instance) string {
	if in.unicast {
		return "unicast peers (each side must list the other in unicast_peer)"
	}
	return "multicast group " + fmtAddrs(in.dsts)
}

// rateLimitedWarn logs a warning at most once per 10 seconds per kind.
func (d *Daemon) rateLimitedWarn(in *instance, now time.Time, kind, msg string, kv ...any) {
	key := "log:" + kind
	if last, ok := in.warnedAt[key]; ok && now.Sub(last) < 10*time.Second {
		return
	}
	in.warnedAt[key] = now
	args := append([]any{"instance", in.cfg.Name, "vrid", in.cfg.VRID, "af", in.family()}, kv...)
	d.log.Warn(msg, args...)
}

func (d *Daemon) shuttingDown() bool { return d.runCtx != nil && d.runCtx.Err() != nil }

// sendAdvert sends one advert to every destination. Failures are counted
// (send_errors), logged, and kept as a run (sendfail.go) that the status
// and the split-brain and no-master diagnoses name first. While the loop
// fires timers, an advert to one destination on a socket that sends in
// batches is queued instead, and leaves with the others of the tick
// (flushSends).
func (d *Daemon) sendAdvert(in *instance, prio uint8) {
	in.advert.Priority = prio
	opts := packet.Options{ChecksumAsV2: in.cfg.V3ChecksumAsV2}
	now := d.now()
	if d.txBatching && len(in.dsts) == 1 && !in.txQueued {
		if _, ok := in.conn.c.(batchSender); ok {
			if !d.encode(in, in.dsts[0], opts, now) {
				return
			}
			in.txQueued = true
			d.txq = append(d.txq, queuedAdvert{in: in, prio: prio})
			return
		}
	}
	sent, failed := false, false
	for _, dst := range in.dsts {
		if !d.encode(in, dst, opts, now) {
			return
		}
		ok, bad := d.sent(in, prio, dst, now, in.conn.c.SendFrom(in.sendBuf, in.src, dst))
		sent, failed = sent || ok, failed || bad
	}
	d.sendsDone(in, sent, failed)
}

// encode writes the instance's advert to dst into its sendBuf; a failure
// is counted, kept and logged.
func (d *Daemon) encode(in *instance, dst netip.Addr, opts packet.Options, now time.Time) bool {
	cdst := dst
	if in.checksumDst.IsValid() {
		cdst = in.checksumDst // old_unicast_checksum: the checksum only
	}
	key := encodedAdvert{ok: true, src: in.src, dst: cdst, opts: opts}
	if in.encoded == key {
		// Pre-encoded: only the priority may differ.
		packet.SetPriority(in.sendBuf, in.advert.Priority)
		return true
	}
	in.encoded = encodedAdvert{}
	b, err := in.advert.AppendBinary(in.sendBuf[:0], in.src, cdst, opts)
	if err != nil {
		in.count(ctl.SendErrors)
		in.sendFailed(now, err)
		d.log.Error("encoding advert", "instance", in.cfg.Name, "err", err)
		return false
	}
	in.sendBuf = b
	in.encoded = key
	return true
}

// sent accounts for one advert to dst: counted, or its failure counted,
// logged and kept. ok: it left; failed: it failed for a reason worth
// reporting (a farewell advert on a link that went down is not).
func (d *Daemon) sent(in *instance, prio uint8, dst netip.Addr, now time.Time, err error) (ok, failed bool) {
	if err != nil {
		in.count(ctl.SendErrors)
		if prio == 0 && (errors.Is(err, ErrLinkDown) || (errors.Is(err, ErrSendRefused) && !d.trackers.linkUp(in.cfg.Interface))) {
			// The farewell advert of a master whose link just went down
			// cannot leave (IPv4 says ENETUNREACH; IPv6 EINVAL, since the
			// link-local source is gone); that is expected, not worth a
			// warning.
			d.log.Debug("priority-0 advert not sent: the interface is down", "instance", in.cfg.Name, "to", dst.String(), "err", err.Error())
			return false, false
		}
		in.sendFailed(now, err)
		if in.sendFail.n == 1 && (errors.Is(err, ErrLinkDown) || errors.Is(err, ErrSendRefused)) {
			// The first failure of a run, of the kind a link going down
			// gives: the link event that follows puts the instance in
			// FAULT, and this send raced it (IPv6 says EINVAL once the
			// link-local source is gone). Counted and shown in the status;
			// the warning waits for a second failure in a row.
			d.log.Debug("advert not sent; the interface may be going down", "instance", in.cfg.Name, "to", dst.String(), "err", err.Error())
			return false, true
		}
		d.rateLimitedWarn(in, now, "send", "sending advert failed", "to", dst.String(), "err", err.Error(),
			"send_errors", in.sendFail.n, "since", in.sendFail.since.Format("15:04:05.000"))
		return false, true
	}
	in.count(ctl.AdvertsSent)
	if prio == 0 {
		in.count(ctl.PriorityZeroSent)
	}
	return true, false
}

// sendsDone ends a run of failed sends once an advert left everywhere.
func (d *Daemon) sendsDone(in *instance, sent, failed bool) {
	if sent && !failed && in.sendFail.n > 0 {
		run := in.sendSucceeded()
		d.log.Info("adverts are sent again", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "af", in.family(),
			"send_errors", run.n, "since", run.since.Format("15:04:05.000"), "last_err", run.last)
	}
}

func (d *Daemon) acquire(in *instance) {
	// The drop rule first, as keepalived: no packet to a new address
	// slips through.
	in.vipset = true
	d.syncFirewall()
	if d.deferAcquire(in) {
		return // added with the step's batch (takeover.go)
	}
	// Adverts queued in this tick leave before the slow kernel work.
	d.flushSends()
	errs := make([]error, len(in.addrs))
	for i, a := range in.addrs {
		errs[i] = d.ports.Addresses.Add(a)
	}
	d.acquired(in, errs)
}

// acquired accounts for in's VIPs added (errs: one per address), then adds
// its virtual routes and rules.
func (d *Daemon) acquired(in *instance, errs []error) {
	added := 0
	var failed []string
	for i, a := range in.addrs {
		if err := errs[i]; err != nil {
			in.count(ctl.VIPErrors)
			failed = append(failed, a.Prefix.String())
			d.log.Error("adding virtual address failed", "instance", in.cfg.Name, "address", a.String(), "err", err)
			continue
		}
		added++
	}
	for _, r := range in.routes {
		if err := d.ports.Routes.Add(r); err != nil {
			d.log.Error("adding virtual route failed", "instance", in.cfg.Name, "route", r.String(), "err", err)
		}
	}
	for _, r := range in.rules {
		if err := d.ports.Rules.Add(r); err != nil {
			d.log.Error("adding virtual rule failed", "instance", in.cfg.Name, "rule", r.String(), "err", err)
		}
	}
	// Held means the kernel has them: not when every add failed.
	in.vipsHeld = added > 0 || len(in.addrs) == 0
	if len(failed) > 0 {
		msg := fmt.Sprintf("MASTER without %d of its %d virtual addresses (%s): adding them failed (see the error log: an address another interface holds, a missing interface, or a netlink error)",
			len(failed), len(in.addrs), strings.Join(failed, ","))
		in.warn(d.now(), msg, 10*time.Minute)
	}
	if added > 0 {
		d.log.Info("virtual addresses added", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "addresses", fmtAddrs(in.vips))
	}
}

func (d *Daemon) release(in *instance) {
	for _, r := range in.rules {
		if err := d.ports.Rules.Del(r); err != nil {
			d.log.Error("removing virtual rule failed", "instance", in.cfg.Name, "rule", r.String(), "err", err)
		}
	}
	for _, r := range in.routes {
		if err := d.ports.Routes.Del(r); err != nil {
			d.log.Error("removing virtual route failed", "instance", in.cfg.Name, "route", r.String(), "err", err)
		}
	}
	for _, a := range in.addrs {
		if err := d.ports.Addresses.Del(a); err != nil {
			in.count(ctl.VIPErrors)
			d.log.Error("removing virtual address failed", "instance", in.cfg.Name, "address", a.String(), "err", err)
		}
	}
	if in.vipsHeld {
		d.log.Info("virtual addresses removed", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "addresses", fmtAddrs(in.vips))
	}
	in.vipsHeld = false
	in.vipset = false
	d.syncFirewall()
}

func fmtAddrs(as []netip.Addr) string {
	s := ""
	for i, a := range as {
		if i > 0 {
			s += ","
		}
		s += a.String()
	}
	return s
}

// isVirtualAddr reports whether a is a virtual (or excluded) address of
// any instance of cfg.
func isVirtualAddr(cfg *config.Config, a netip.Addr) bool {
	for _, ci := range cfg.Instances {
		for _, list := range [][]config.VIP{ci.VIPs, ci.ExcludedVIPs} {
			for _, v := range list {
				if v.Prefix.Addr() == a {
					return true
				}
			}
		}
	}
	return false
}

// ownAddress is the first address of the family on ifname that is not a
// virtual address of cfg (IPv6: link-local only).
func (d *Daemon) ownAddress(cfg *config.Config, ifname string, ipv6 bool) (netip.Addr, bool) {
	as, err := d.ports.Addresses.List(ifname)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, a := range as {
		ip := a.Prefix.Addr()
		if ip.Is6() != ipv6 || (ipv6 && !ip.IsLinkLocalUnicast()) || isVirtualAddr(cfg, ip) {
			continue
		}
		return ip, true
	}
	return netip.Addr{}, false
}
