package daemon

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/notify"
	"gokeepalived/internal/vrrp"
)

// Reload applies a new, already validated configuration by difference
// (STYLE rule 14): unchanged instances keep running untouched (no VIP flap,
// no state change); an instance whose only change is its priority gets the
// new priority in place; changed instances are restarted, removed ones
// released, added ones started. If the new instances cannot be built (an
// interface without an address, a socket error), nothing changes and the
// old configuration keeps running.
//
// It runs in three steps, so the loop never waits for the kernel or the
// user database: plan (on the loop: the difference, from loop-owned state),
// prepare (on the caller's goroutine: sockets opened, VMACs created, script
// users resolved, the core instances built; undone if anything fails), and
// commit (on the loop, in one step: old units shut down, new ones swapped
// in and started). Sockets and VMACs the new configuration no longer uses
// are then closed and removed, again off the loop.
func (d *Daemon) Reload(ctx context.Context, cfg *config.Config) error {
	_, err := d.ReloadSummary(ctx, cfg)
	return err
}

// ReloadSummary is Reload, and says what it changed.
func (d *Daemon) ReloadSummary(ctx context.Context, cfg *config.Config) (ctl.ReloadSummary, error) {
	var sum ctl.ReloadSummary
	err := d.applyPlan(ctx, func() *reloadPlan {
		p := d.plan(cfg)
		sum = d.summarize(p)
		return p
	})
	return sum, err
}

// applyPlan runs plan on the loop, then prepare here, then commit on the
// loop, then retires what the commit took out of service; a nil plan does
// nothing. One at a time (reloads and interface rebuilds): a second one
// plans against the first one's result.
func (d *Daemon) applyPlan(ctx context.Context, plan func() *reloadPlan) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	var p *reloadPlan
	if err := d.Do(ctx, func() { p = plan() }); err != nil || p == nil {
		return err
	}
	if err := d.prepare(p); err != nil {
		return err
	}
	var retired retiredObjects
	if err := d.commitOnLoop(ctx, p, &retired); err != nil {
		return err
	}
	d.retire(retired)
	return nil
}

// reloadPlan is what a reload (or the start) changes. plan fills the first
// part on the loop; prepare fills the second off the loop; commit installs
// it on the loop.
type reloadPlan struct {
	cfg     *config.Config
	diff    config.ConfigDiff
	restart map[string]string // old instance name → why it restarts
	// inPlace: kept instances changed without a restart → what changed
	// (inPlaceFields names).
	inPlace    map[string][]string
	keep, stop []*unit
	toStart    []*config.Instance
	// conns are the loop's sockets when planned, plus those prepare opens;
	// groups the multicast groups each has joined (a copy prepare extends).
	conns  map[connKey]*sharedConn
	groups map[connKey]map[netip.Addr]bool
	// runningVMACs are the VMACs running instances use: never removed by
	// an undo (an idempotent create may have found one).
	runningVMACs map[string]bool
	// layout names the VMACs of cfg's instances (vmacLayout), made when
	// first needed.
	layout map[string]*instVMACs
	// rebind, if set, says why this plan rebuilds instances whose interface
	// was re-created (not a reload); replaced are the sockets it does not
	// reuse (bound to the old interface), retired by the commit.
	rebind    string
	rebindIfs []string
	replaced  []*sharedConn

	// primaries caches Links.Primary per interface and family for the
	// plan's instances: 1,000 instances on 20 interfaces asked the kernel
	// 1,000 times (a link lookup and an address dump each) at start.
	primaries map[primaryKey]primaryAnswer
	// mtus caches the interfaces' MTUs likewise (a link lookup each).
	mtus map[string]int

	// Set by prepare.
	units    []*unit
	opened   []*sharedConn // sockets prepare opened
	created  []vmacRef     // VMACs of built instances no running instance uses
	trackers trackerWants
	links    map[string]bool // the new instances' interfaces: up?
	// scripts are the notify scripts of instances whose notify settings
	// changed in place (users resolved off the loop).
	scripts map[string]*notify.Scripts

	// state: planned, committed or abandoned (the caller gave up waiting
	// for the loop and undid what prepare built).
	state atomic.Int32
}

const (
	planPending int32 = iota
	planCommitted
	planAbandoned
)

// retiredObjects are what a commit took out of service: closed and removed
// off the loop (closing a raw socket waits for its reader and the kernel).
type retiredObjects struct {
	conns []*sharedConn
	vmacs []vmacRef
}

// newPlan is a plan with the loop's sockets and VMACs (none at start).
func (d *Daemon) newPlan(cfg *config.Config) *reloadPlan {
	p := &reloadPlan{cfg: cfg, restart: map[string]string{}, inPlace: map[string][]string{}, scripts: map[string]*notify.Scripts{},
		conns: map[connKey]*sharedConn{}, groups: map[connKey]map[netip.Addr]bool{}, runningVMACs: map[string]bool{}}
	for k, sc := range d.conns {
		p.conns[k] = sc
		p.groups[k] = maps.Clone(sc.groups)
	}
	for _, in := range d.instances {
		for _, name := range in.vmacNames() {
			p.runningVMACs[name] = true
		}
	}
	return p
}

// plan computes what a reload to newCfg changes (on the loop; cheap).
func (d *Daemon) plan(newCfg *config.Config) *reloadPlan { return d.planWith(newCfg, nil) }

// planWith is plan with instances that restart whatever changed (name →
// why).
func (d *Daemon) planWith(newCfg *config.Config, force map[string]string) *reloadPlan {
	p := d.newPlan(newCfg)
	p.diff = config.Diff(d.cfg, newCfg)
	diff := p.diff
	restart := p.restart
	for n, why := range force {
		restart[n] = why
	}
	for _, n := range diff.Instances.Removed {
		restart[n] = "removed"
	}
	newByName := map[string]*config.Instance{}
	for _, ci := range newCfg.Instances {
		newByName[ci.Name] = ci
	}
	for _, n := range diff.Instances.Changed {
		if _, forced := restart[n]; forced {
			continue
		}
		if old := d.find(n); old != nil {
			if fields, ok := inPlaceChanges(old.cfg, newByName[n]); ok {
				if sameVMACs(old, p.vmacLayout()[n]) {
					p.inPlace[n] = fields
					continue
				}
				restart[n] = "its VMAC interfaces changed"
				continue
			}
		}
		restart[n] = "its configuration changed"
	}
	if diff.GlobalChanged {
		for _, in := range d.instances {
			if _, ok := restart[in.cfg.Name]; !ok {
				restart[in.cfg.Name] = "global_defs changed"
			}
		}
	}
	changedGroups := map[string]bool{}
	for _, g := range append(append(diff.SyncGroups.Changed, diff.SyncGroups.Removed...), diff.SyncGroups.Added...) {
		changedGroups[g] = true
	}
	// A unit restarts as a whole if any member restarts or its group changed.
	for _, u := range d.units {
		why := ""
		for _, in := range u.members {
			if r, ok := restart[in.cfg.Name]; ok && why == "" {
				why = in.cfg.Name + " " + r
			}
			if in.cfg.SyncGroup != "" && changedGroups[in.cfg.SyncGroup] && why == "" {
				why = "vrrp_sync_group " + in.cfg.SyncGroup + " changed"
			}
			if nc := newByName[in.cfg.Name]; nc != nil && nc.SyncGroup != in.cfg.SyncGroup && why == "" {
				why = in.cfg.Name + " moved to another sync group"
			}
		}
		if why != "" {
			for _, in := range u.members {
				if _, ok := restart[in.cfg.Name]; !ok {
					restart[in.cfg.Name] = why
				}
			}
			p.stop = append(p.stop, u)
		} else {
			p.keep = append(p.keep, u)
		}
	}
	kept := map[string]bool{}
	for _, u := range p.keep {
		for _, in := range u.members {
			kept[in.cfg.Name] = true
		}
	}
	for _, ci := range newCfg.Instances {
		if !kept[ci.Name] {
			p.toStart = append(p.toStart, ci)
		}
	}
	return p
}

// prepare builds what the plan starts, off the loop: VMACs, sockets (with
// their readers), script users, the core instances, the trackers' configs.
// It touches no loop-owned state. On an error it undoes what it built.
func (d *Daemon) prepare(p *reloadPlan) error {
	units, err := d.makeUnits(p)
	if err != nil {
		d.undo(p)
		return err
	}
	p.units = units
	for _, ci := range p.cfg.Instances {
		if slices.Contains(p.inPlace[ci.Name], "notify") {
			if p.scripts[ci.Name], err = scriptsOf(ci.Notify, &p.cfg.Global); err != nil {
				d.undo(p)
				return fmt.Errorf("vrrp_instance %s: %w", ci.Name, err)
			}
		}
	}
	p.trackers = d.wantTrackers(p.cfg)
	// The state of the interfaces the new instances track, so their start
	// on the loop asks the kernel nothing (the link watcher keeps it).
	p.links = map[string]bool{}
	for _, ci := range p.toStart {
		names := []string{ci.Interface}
		for _, t := range ci.TrackInterface {
			names = append(names, t.Name)
		}
		for _, g := range p.cfg.SyncGroups {
			if g.Name == ci.SyncGroup {
				for _, t := range g.TrackInterface {
					names = append(names, t.Name)
				}
			}
		}
		for _, n := range names {
			if _, ok := p.links[n]; n != "" && !ok {
				up, err := d.ports.Links.Up(n)
				p.links[n] = up && err == nil
			}
		}
	}
	return nil
}

// undo closes the sockets prepare opened and removes the VMACs it created
// that no running instance uses.
func (d *Daemon) undo(p *reloadPlan) {
	for _, sc := range p.opened {
		sc.c.Close()
		<-sc.done
	}
	d.removeVMACs(p.created)
}

// commitOnLoop runs commit on the loop. If ctx ends before the loop takes
// it, the plan is abandoned and undone; once taken, it is waited for (it is
// short), so the caller learns what happened.
func (d *Daemon) commitOnLoop(ctx context.Context, p *reloadPlan, retired *retiredObjects) error {
	done := make(chan struct{})
	f := func() {
		defer close(done)
		if p.state.CompareAndSwap(planPending, planCommitted) {
			*retired = d.commit(p)
			// Published before Reload returns: a status read after it
			// sees the new configuration.
			d.snapshotAll()
			d.publish()
		}
	}
	select {
	case d.cmds <- f:
		d.kick()
	case <-ctx.Done():
		d.undo(p)
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		if p.state.CompareAndSwap(planPending, planAbandoned) {
			d.undo(p)
			return ctx.Err()
		}
		<-done // the loop is committing it now
		return nil
	}
}

// commit swaps the prepared configuration in, on the loop, in one step:
// the restarted and removed units shut down (priority 0, VIPs released),
// the kept ones take their new configuration, the new ones start. It
// returns the sockets and VMACs nothing uses any more, for retire.
func (d *Daemon) commit(p *reloadPlan) retiredObjects {
	var retired retiredObjects
	d.cfg = p.cfg
	d.logUnknown.Store(p.cfg.Global.LogUnknownVRIDs)
	// Static entries: those dropped removed, the new ones added (after a
	// rebuild, those on the re-created interface are added again).
	d.setStatic(p.cfg)
	d.setPromote(p.cfg)
	d.configurePacing(p.cfg)
	d.configureLinkWatch(p.cfg)
	running := slices.Concat(p.keep, p.units)
	for _, u := range p.stop {
		for _, in := range u.members {
			d.log.Info("stopping VRRP instance for reload", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "reason", p.restart[in.cfg.Name])
		}
		d.deleting = map[*instance]bool{}
		for _, in := range u.members {
			d.deleting[in] = p.restart[in.cfg.Name] == "removed"
		}
		d.handleUnit(u, vrrp.AllMembers, vrrp.Shutdown{})
		d.deleting = nil
		for _, in := range u.members {
			in.unit = nil
			for _, name := range in.vmacNames() {
				if !vmacInUse(running, name) {
					retired.vmacs = append(retired.vmacs, vmacRef{in.cfg.Name, name})
				}
			}
		}
	}
	newByName := map[string]*config.Instance{}
	for _, ci := range p.cfg.Instances {
		newByName[ci.Name] = ci
	}
	for _, u := range p.keep {
		for _, in := range u.members {
			in.cfg = newByName[in.cfg.Name]
			if fields := p.inPlace[in.cfg.Name]; len(fields) > 0 {
				d.log.Info("instance changed in place by reload (no restart)", "instance", in.cfg.Name, "vrid", in.cfg.VRID,
					"changed", strings.Join(fields, ","), "priority", in.cfg.Priority)
			}
		}
	}
	retired.conns = d.install(p, p.keep)
	d.startAll(p.units)
	for _, u := range p.keep {
		for _, in := range u.members {
			fields := p.inPlace[in.cfg.Name]
			if slices.Contains(fields, "notify") {
				in.scripts = p.scripts[in.cfg.Name]
			}
			if slices.ContainsFunc(fields, func(f string) bool { return addrFields[f] }) {
				d.applyAddrChanges(in)
			}
			if slices.Contains(fields, "priority") {
				// In place, through the core: a change to or from 255 makes
				// or unmakes the address owner.
				d.handle(in, vrrp.ConfiguredPriority{Priority: uint8(in.cfg.Priority)})
			}
			d.applyTracking(in)
		}
	}
	d.syncFirewall() // a changed table, accept mode or address list
	if n, ok := d.notifier.(notifierConfigurable); ok {
		n.SetConfig(p.cfg)
	}
	if p.rebind != "" {
		for _, n := range p.rebindIfs {
			if d.ifs[n] == ifBack {
				delete(d.ifs, n)
			}
		}
		d.log.Info("instances rebuilt", "why", p.rebind, "restarted", len(p.stop))
		return retired
	}
	d.fifoStates(p.keep)
	d.reloaded = d.now()
	d.log.Info("configuration reloaded", "kept", len(p.keep), "restarted", len(p.stop),
		"added", strings.Join(p.diff.Instances.Added, ","), "removed", strings.Join(p.diff.Instances.Removed, ","))
	return retired
}

// install makes keep plus the prepared units the running set, gives the
// socket readers their new targets and the trackers their configuration,
// and returns the sockets no instance uses any more (taken out of d.conns;
// their readers see no targets).
func (d *Daemon) install(p *reloadPlan, keep []*unit) []*sharedConn {
	d.units = append(keep, p.units...)
	d.resetTimers()
	d.instances = nil
	for _, u := range d.units {
		d.instances = append(d.instances, u.members...)
	}
	d.resetSlack()
	used := map[*sharedConn]bool{}
	for _, in := range d.instances {
		used[in.conn] = true
	}
	var unused []*sharedConn
	for _, sc := range p.replaced {
		empty := map[uint8]*instance{}
		sc.targets.Store(&empty)
		unused = append(unused, sc)
		if d.conns[sc.key] == sc {
			delete(d.conns, sc.key)
		}
	}
	for k, sc := range p.conns {
		if !used[sc] {
			empty := map[uint8]*instance{}
			sc.targets.Store(&empty)
			unused = append(unused, sc)
			delete(d.conns, k)
			continue
		}
		sc.groups = p.groups[k]
		d.conns[k] = sc
	}
	d.publishTargets()
	d.trackers.apply(p.trackers)
	for name, up := range p.links {
		// A link event since prepare looked is newer: keep it.
		if _, ok := d.trackers.links[name]; !ok {
			d.trackers.links[name] = up
			if up && d.lw.seenUp != nil {
				d.lw.seenUp[name] = true
			}
		}
	}
	return unused
}

// retire closes sockets and removes VMACs a commit took out of service,
// off the loop.
func (d *Daemon) retire(r retiredObjects) {
	for _, sc := range r.conns {
		sc.c.Close()
		<-sc.done
	}
	d.removeVMACs(r.vmacs)
}

func (d *Daemon) find(name string) *instance {
	for _, in := range d.instances {
		if in.cfg.Name == name {
			return in
		}
	}
	return nil
}

// inPlaceFields are what a reload changes in a running instance without
// restarting it (keepalived adds and removes addresses in place), each with
// how to copy it from the new configuration. Anything else (interface,
// VRID, family, version, ...) restarts the instance.
var inPlaceFields = []struct {
	name string
	copy func(dst, src *config.Instance)
}{
	{"priority", func(d, s *config.Instance) { d.Priority = s.Priority }},
	{"virtual_ipaddress", func(d, s *config.Instance) { d.VIPs = s.VIPs }},
	{"virtual_ipaddress_excluded", func(d, s *config.Instance) { d.ExcludedVIPs = s.ExcludedVIPs }},
	{"virtual_routes", func(d, s *config.Instance) { d.Routes = s.Routes }},
	{"virtual_rules", func(d, s *config.Instance) { d.Rules = s.Rules }},
	{"track_interface", func(d, s *config.Instance) { d.TrackInterface = s.TrackInterface }},
	{"track_script", func(d, s *config.Instance) { d.TrackScript = s.TrackScript }},
	{"track_file", func(d, s *config.Instance) { d.TrackFile = s.TrackFile }},
	{"track_process", func(d, s *config.Instance) { d.TrackProcess = s.TrackProcess }},
	{"notify", func(d, s *config.Instance) { d.Notify = s.Notify }},
}

// addrFields are the in-place fields the kernel's addresses, routes and
// rules follow.
var addrFields = map[string]bool{"virtual_ipaddress": true, "virtual_ipaddress_excluded": true, "virtual_routes": true, "virtual_rules": true}

// inPlaceChanges reports which in-place fields differ between two versions
// of an instance, and whether they are all that differs.
func inPlaceChanges(old, new *config.Instance) (changed []string, ok bool) {
	if old == nil || new == nil {
		return nil, false
	}
	same := func(a, b *config.Instance) bool {
		return config.Diff(&config.Config{Instances: []*config.Instance{a}}, &config.Config{Instances: []*config.Instance{b}}).Instances.Empty()
	}
	all := *old
	for _, f := range inPlaceFields {
		one := *old
		f.copy(&one, new)
		if !same(old, &one) {
			changed = append(changed, f.name)
		}
		f.copy(&all, new)
	}
	return changed, same(&all, new)
}

func vmacInUse(units []*unit, name string) bool {
	for _, u := range units {
		for _, in := range u.members {
			if name != "" && slices.Contains(in.vmacNames(), name) {
				return true
			}
		}
	}
	return false
}

type primaryKey struct {
	ifname string
	ipv6   bool
}

type primaryAnswer struct {
	a   netip.Addr
	err error
}

// mtu is the interface's MTU (the vrrp_rx_bufs_policy MTU policy), asked
// once per interface per plan; defaultMTU when the Links port cannot tell.
func (p *reloadPlan) mtu(links Links, ifname string) int {
	if n, ok := p.mtus[ifname]; ok {
		return n
	}
	n := defaultMTU
	if m, ok := links.(linkMTU); ok {
		if v, err := m.MTU(ifname); err == nil && v > 0 {
			n = v
		}
	}
	if p.mtus == nil {
		p.mtus = map[string]int{}
	}
	p.mtus[ifname] = n
	return n
}

// primary is links.Primary, asked once per interface and family per plan.
func (p *reloadPlan) primary(links Links, ifname string, ipv6 bool) (netip.Addr, error) {
	k := primaryKey{ifname, ipv6}
	if r, ok := p.primaries[k]; ok {
		return r.a, r.err
	}
	a, err := links.Primary(ifname, ipv6)
	if p.primaries == nil {
		p.primaries = map[primaryKey]primaryAnswer{}
	}
	p.primaries[k] = primaryAnswer{a, err}
	return a, err
}
