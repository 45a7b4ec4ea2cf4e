package daemon

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
)

// The status snapshot is published copy-on-change (docs/architecture.md,
// "Status snapshot"): at the end of a step in which something visible
// changed, the loop stores a new immutable ctl.Snapshot in an atomic
// pointer; the control socket, the metrics and the dump files read the
// latest one without entering the loop. Only the entries of instances that
// changed are rebuilt; the values that change with every advert (counters,
// drops, the last advert's time) are atomics the snapshot points to, so
// adverts alone never cause a publication.

// instView is what the snapshot shows of an instance, apart from its
// counters: when it differs from the view last published, the instance's
// entry is rebuilt.
type instView struct {
	cfg            *config.Instance
	state          vrrp.State
	maint          bool
	prio           uint8
	master         netip.Addr
	masterPrio     uint8
	masterAdverInt vrrp.Centisecs
	vipsHeld       bool
	lastTransition *transitionRecord
	lastAdvertFrom netip.Addr
	lastAdvertPrio uint8
	warnGen        uint64
}

func (in *instance) view() instView {
	m, mp := in.core.Master()
	return instView{cfg: in.cfg, state: in.core.State(), maint: in.core.InMaintenance(), prio: in.core.Priority(), master: m, masterPrio: mp,
		masterAdverInt: in.core.MasterAdverInterval(), vipsHeld: in.vipsHeld, lastTransition: in.lastTransition,
		lastAdvertFrom: in.lastAdvertFrom, lastAdvertPrio: in.lastAdvertPrio, warnGen: in.warnGen}
}

// noteChanges marks the unit's members whose visible state changed (after
// the core handled an input for it): a cheap comparison, no allocation.
func (d *Daemon) noteChanges(u *unit) {
	for _, in := range u.members {
		if in.pub == nil || in.view() != in.pubView {
			in.pub = nil
			d.snapDirty = true
		}
	}
}

// pid is this process's, for the snapshot (read once: publish runs often).
var pid = os.Getpid()

// snapshotAll makes the next publication rebuild every instance's entry
// (a reload, a ctl command, a tracker or link change).
func (d *Daemon) snapshotAll() {
	d.snapDirty, d.snapAll = true, true
}

// publish stores a new snapshot if something visible changed since the
// last one. It runs on the loop at the end of start, step and finish.
func (d *Daemon) publish() {
	if !d.snapDirty {
		return
	}
	snap := ctl.Snapshot{PID: pid, ConfigFile: d.opts.ConfigFile, StartedAt: d.started, ReloadedAt: d.reloaded,
		Instances: make([]*ctl.InstanceSnapshot, 0, len(d.instances))}
	for _, in := range d.instances {
		if in.pub == nil || d.snapAll {
			in.pubView = in.view()
			in.pub = d.instanceSnapshot(in)
		}
		snap.Instances = append(snap.Instances, in.pub)
	}
	slices.SortStableFunc(snap.Instances, func(a, b *ctl.InstanceSnapshot) int { return strings.Compare(a.Name, b.Name) })
	for _, g := range d.cfg.SyncGroups {
		for _, u := range d.units {
			if u.group == nil || u.name != g.Name {
				continue
			}
			sg := ctl.SyncGroupSnapshot{Name: u.name, State: u.groupState}
			for _, m := range u.members {
				sg.Members = append(sg.Members, m.cfg.Name)
			}
			snap.SyncGroups = append(snap.SyncGroups, sg)
		}
	}
	snap.Sockets = d.socketSnapshots()
	first := d.published.Load() == nil
	d.published.Store(&snap)
	d.snapDirty, d.snapAll = false, false
	if first {
		close(d.firstPublished)
	}
}

// socketSnapshots lists the shared VRRP sockets for the snapshot, sorted
// by interface then family (on the loop, which owns d.conns). Their
// counters are the sockets' atomics, read when the status is rendered.
func (d *Daemon) socketSnapshots() []*ctl.SocketSnapshot {
	out := make([]*ctl.SocketSnapshot, 0, len(d.conns))
	for k, sc := range d.conns {
		out = append(out, &ctl.SocketSnapshot{Interface: k.iface, IPv6: k.ipv6, Counters: sc})
	}
	slices.SortFunc(out, func(a, b *ctl.SocketSnapshot) int {
		if c := strings.Compare(a.Interface, b.Interface); c != 0 {
			return c
		}
		return strings.Compare(a.Family(), b.Family())
	})
	return out
}

// SocketCount implements ctl.SocketCounters: the socket's drops counted
// before an instance could be named.
func (sc *sharedConn) SocketCount(c ctl.SocketCounter) uint64 {
	switch c {
	case ctl.SocketVRIDMismatch:
		return sc.unknownVRID.Load()
	case ctl.SocketMalformed:
		return sc.malformed.Load()
	case ctl.SocketLoopQueueFull:
		return sc.overflow.Load()
	case ctl.SocketKernelQueueFull:
		return sc.kernelDrops.Load()
	}
	return 0
}

// instanceSnapshot builds one instance's entry (on the loop).
func (d *Daemon) instanceSnapshot(in *instance) *ctl.InstanceSnapshot {
	v := in.pubView
	s := &ctl.InstanceSnapshot{
		Name: in.cfg.Name, Interface: in.cfg.Interface, VRID: in.cfg.VRID, IPv6: in.ipv6, Version: in.cfg.Version,
		State: v.state, Maintenance: v.maint, BasePriority: in.cfg.Priority, EffectivePriority: int(v.prio),
		AdvertInterval: in.cfg.AdvertInt, MasterAdverInterval: v.masterAdverInt.Duration(),
		Accept: in.cfg.Accept, NoPreempt: !in.cfg.Preempt, PreemptDelay: in.cfg.PreemptDelay,
		VIPsHeld: v.vipsHeld, Master: v.master, MasterPriority: int(v.masterPrio),
		LastAdvertFrom: v.lastAdvertFrom, LastAdvertPriority: int(v.lastAdvertPrio), Counters: &in.stats,
	}
	if in.unit != nil && in.unit.group != nil {
		s.SyncGroup = in.unit.name
	}
	for _, a := range in.cfg.VIPs {
		s.VIPs = append(s.VIPs, a.Prefix.String())
	}
	for _, a := range in.addrs {
		s.KernelAddrs = append(s.KernelAddrs, a.String())
	}
	if t := v.lastTransition; t != nil {
		s.LastTransition = &ctl.Transition{From: t.from.String(), To: t.to.String(), Reason: t.reason, At: t.at}
	}
	s.Warnings = in.warningSnapshot()
	if d.trackers != nil {
		s.Trackers = d.trackers.status(in)
	}
	return s
}

// warningSnapshot is the instance's warnings, each with when it expires
// (readers drop the expired ones).
func (in *instance) warningSnapshot() []ctl.Warning {
	var out []ctl.Warning
	for _, w := range in.warnings {
		out = append(out, ctl.Warning{Text: w, Until: in.warnUntil[w]})
	}
	return out
}

// Snapshot returns the latest published snapshot, nil before the daemon has
// started. It never enters the loop: any goroutine may call it.
func (d *Daemon) Snapshot() *ctl.Snapshot {
	p := d.published.Load()
	if p == nil {
		return nil
	}
	s := *p
	if d.opts.VirtualServers != nil {
		// The load balancer's own published status, as it is now.
		s.VirtualServers = d.opts.VirtualServers.VirtualServers()
	}
	if d.opts.BFD != nil {
		s.BFD = d.opts.BFD.CtlStatus()
	}
	return &s
}

// errNotStarted answers a dump request before the first snapshot.
var errNotStarted = errors.New("gokeepalived is starting: no status yet")

// Status renders the latest snapshot for the control socket, with the
// notifier's counters. It never enters the loop; before the daemon has
// started it waits for the first snapshot until ctx ends.
func (d *Daemon) Status(ctx context.Context) (*ctl.Status, error) {
	if d.published.Load() == nil {
		select {
		case <-d.firstPublished:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s := d.Snapshot()
	st := s.Status(d.now())
	if c, ok := d.notifier.(interface{ Counters() map[string]uint64 }); ok {
		st.Notify = c.Counters()
	}
	return st, nil
}

// Published is closed once the daemon has published its first snapshot
// (every configured instance started): readers that export the instances,
// such as the DBus service, wait for it.
func (d *Daemon) Published() <-chan struct{} { return d.firstPublished }
