package daemon

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"gokeepalived/internal/bfd"
	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/notify"
	"gokeepalived/internal/track"
	"gokeepalived/internal/vrrp"
)

// faultSource is the core fault source used for everything the trackers
// decide; the link of the instance's own interface uses its own source so
// the reason names it.
const faultSource = "tracking"

// trackerSet runs vrrp_script, track_file and vrrp_track_process trackers
// on their own goroutines; they wake the loop when a result changes.
type trackerSet struct {
	d         *Daemon
	wake      chan struct{}
	scripts   map[string]*runningTracker[*track.ScriptTracker]
	files     map[string]*runningTracker[*track.FileTracker]
	processes map[string]*runningTracker[*track.ProcessTracker]
	links     map[string]bool // interface → up
	ctx       context.Context
	wg        sync.WaitGroup
}

type runningTracker[T any] struct {
	t      T
	cfg    any
	cancel context.CancelFunc
}

func newTrackerSet(d *Daemon) *trackerSet {
	return &trackerSet{
		d: d, wake: make(chan struct{}, 1),
		scripts:   map[string]*runningTracker[*track.ScriptTracker]{},
		files:     map[string]*runningTracker[*track.FileTracker]{},
		processes: map[string]*runningTracker[*track.ProcessTracker]{},
		links:     map[string]bool{},
	}
}

func (ts *trackerSet) opts() track.Options {
	return track.Options{Wake: ts.wake, Logger: ts.d.log, Exec: &notify.Exec{Security: ts.d.cfg.Global.EnableScriptSecurity}}
}

// trackerWants are the trackers a configuration asks for, with script
// users resolved: built off the loop (prepare), applied on it.
type trackerWants struct {
	scripts   map[string]track.ScriptConfig
	files     map[string]track.FileConfig
	processes map[string]track.ProcessConfig
}

// wantTrackers builds the trackers cfg asks for (user lookups: off the loop).
func (d *Daemon) wantTrackers(cfg *config.Config) trackerWants {
	w := trackerWants{scripts: map[string]track.ScriptConfig{}, files: map[string]track.FileConfig{},
		processes: map[string]track.ProcessConfig{}}
	for _, s := range cfg.Scripts {
		sc, err := makeScript(&s.Command, &cfg.Global)
		if err != nil || sc == nil {
			d.log.Error("vrrp_script cannot run", "script", s.Name, "err", err)
			continue
		}
		w.scripts[s.Name] = track.ScriptConfig{
			Name: s.Name, Script: sc, Interval: s.Interval, Timeout: s.Timeout,
			Weight: s.Weight, Reverse: s.Reverse, Rise: s.Rise, Fall: s.Fall, InitFail: s.InitFail,
		}
	}
	for _, f := range cfg.TrackFiles {
		fc := track.FileConfig{Name: f.Name, Path: f.Path, Weight: f.Weight, Reverse: f.Reverse, InitOverwrite: f.InitOverwrite}
		if f.InitFile {
			v := int(f.InitValue)
			fc.InitFile = &v
		}
		w.files[f.Name] = fc
	}
	for _, p := range cfg.TrackProcesses {
		pc := track.ProcessConfig{Name: p.Name, Quorum: p.Quorum, ForkDelay: p.ForkDelay, TerminateDelay: p.TerminateDelay,
			Weight: p.Weight, Reverse: p.Reverse, FullCommand: p.FullCommand}
		if len(p.Process) > 0 {
			pc.Process, pc.Params = p.Process[0], p.Process[1:]
		}
		switch p.ParamMatch {
		case "initial":
			pc.ParamMatch = track.ParamMatchInitial
		case "partial":
			pc.ParamMatch = track.ParamMatchPartial
		default:
			if len(pc.Params) > 0 {
				pc.ParamMatch = track.ParamMatchExact
			}
		}
		if p.QuorumMax > 0 {
			q := p.QuorumMax
			pc.QuorumMax = &q
		}
		w.processes[p.Name] = pc
	}
	return w
}

// apply brings the running trackers in line with w (on the loop), keeping
// running ones whose configuration did not change (so a reload does not
// reset them).
func (ts *trackerSet) apply(w trackerWants) {
	syncTrackers(ts, ts.scripts, w.scripts, func(c track.ScriptConfig) *track.ScriptTracker { return track.NewScriptTracker(c, ts.opts()) })
	syncTrackers(ts, ts.files, w.files, func(c track.FileConfig) *track.FileTracker { return track.NewFileTracker(c, ts.opts()) })
	syncTrackers(ts, ts.processes, w.processes, func(c track.ProcessConfig) *track.ProcessTracker { return track.NewProcessTracker(c, ts.opts()) })
}

type runner interface{ Run(context.Context) error }

func syncTrackers[T runner, C any](ts *trackerSet, running map[string]*runningTracker[T], want map[string]C, mk func(C) T) {
	for name, rt := range running {
		if c, ok := want[name]; !ok || !reflect.DeepEqual(rt.cfg, c) {
			rt.cancel()
			delete(running, name)
		}
	}
	for name, c := range want {
		if _, ok := running[name]; ok {
			continue
		}
		t := mk(c)
		ctx, cancel := context.WithCancel(ts.ctx)
		running[name] = &runningTracker[T]{t: t, cfg: c, cancel: cancel}
		ts.wg.Add(1)
		go func() {
			defer ts.wg.Done()
			if err := t.Run(ctx); err != nil && ctx.Err() == nil {
				ts.d.log.Error("tracker stopped", "tracker", name, "err", err)
			}
		}()
	}
}

func (ts *trackerSet) stop() {
	for _, rt := range ts.scripts {
		rt.cancel()
	}
	for _, rt := range ts.files {
		rt.cancel()
	}
	for _, rt := range ts.processes {
		rt.cancel()
	}
	ts.wg.Wait()
}

// tracks returns the instance's tracked objects including its sync group's.
func (d *Daemon) tracks(in *instance) (ifs, scripts, files, procs []config.Track) {
	c := in.cfg
	ifs = append(ifs, c.TrackInterface...)
	ifs = append(ifs, trackGroupInterfaces(d.cfg, c.Name)...)
	scripts = append(scripts, c.TrackScript...)
	files = append(files, c.TrackFile...)
	procs = append(procs, c.TrackProcess...)
	for _, g := range d.cfg.SyncGroups {
		if g.Name == c.SyncGroup {
			ifs = append(ifs, g.TrackInterface...)
			scripts = append(scripts, g.TrackScript...)
			files = append(files, g.TrackFile...)
			procs = append(procs, g.TrackProcess...)
		}
	}
	return
}

// bfdStates is what the BFD runtime last said of each session. BFDState
// writes it from the BFD loop; the VRRP loop reads it under the lock.
type bfdStates struct {
	mu   sync.Mutex
	up   map[string]bool
	wake chan struct{}
}

// BFDState takes a BFD session state change (from the BFD runtime) for
// track_bfd; it never blocks. A session nothing has reported is down, as
// keepalived starts a tracked BFD session down.
func (d *Daemon) BFDState(ev bfd.StateEvent) {
	d.bfd.mu.Lock()
	d.bfd.up[ev.Session] = ev.Up()
	d.bfd.mu.Unlock()
	select {
	case d.bfd.wake <- struct{}{}:
	default:
	}
	d.kick()
}

func (s *bfdStates) isUp(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up[name]
}

// bfdTracks returns the instance's track_bfd lines, its sync group's
// included.
func (d *Daemon) bfdTracks(in *instance) []config.Track {
	out := append([]config.Track(nil), in.cfg.TrackBFD...)
	for _, g := range d.cfg.SyncGroups {
		if g.Name == in.cfg.SyncGroup {
			out = append(out, g.TrackBFD...)
		}
	}
	return out
}

// bfdWeight is keepalived's weight of a track_bfd line: its own, else
// the bfd_instance's.
func (d *Daemon) bfdWeight(t config.Track) (int, bool) {
	if t.HasWeight {
		return t.Weight, t.Reverse
	}
	for _, b := range d.cfg.BFDInstances {
		if b.Name == t.Name {
			return b.Weight, b.Reverse
		}
	}
	return 0, false
}

// effects computes every tracker's effect on the instance.
func (d *Daemon) effects(in *instance) []track.Effect {
	ts := d.trackers
	var out []track.Effect
	if !in.cfg.DontTrackPrimary && in.cfg.Interface != "" {
		out = append(out, track.InterfaceEffect(in.cfg.Interface, ts.linkUp(in.cfg.Interface), 0, false))
	}
	ifs, scripts, files, procs := d.tracks(in)
	for _, t := range ifs {
		out = append(out, track.InterfaceEffect(t.Name, ts.linkUp(t.Name), t.Weight, t.Reverse))
	}
	for _, t := range scripts {
		rt := ts.scripts[t.Name]
		if rt == nil {
			continue
		}
		w := rt.t.Config().Weight
		rev := rt.t.Config().Reverse
		if t.HasWeight {
			w, rev = t.Weight, t.Reverse
		}
		out = append(out, track.WeightEffect("script", t.Name, w, rev, rt.t.Snapshot().Status))
	}
	for _, t := range files {
		rt := ts.files[t.Name]
		if rt == nil {
			continue
		}
		cfg := rt.cfg.(track.FileConfig)
		w, rev := cfg.Weight, cfg.Reverse
		if t.HasWeight {
			w, rev = t.Weight, t.Reverse
		}
		out = append(out, track.FileEffect(t.Name, rt.t.Snapshot().Value, w, rev))
	}
	for _, t := range procs {
		rt := ts.processes[t.Name]
		if rt == nil {
			continue
		}
		cfg := rt.cfg.(track.ProcessConfig)
		w, rev := cfg.Weight, cfg.Reverse
		if t.HasWeight {
			w, rev = t.Weight, t.Reverse
		}
		out = append(out, track.WeightEffect("process", t.Name, w, rev, rt.t.Snapshot().Status))
	}
	for _, t := range d.bfdTracks(in) {
		st := track.StatusDown
		if d.bfd.isUp(t.Name) {
			st = track.StatusUp
		}
		w, rev := d.bfdWeight(t)
		out = append(out, track.WeightEffect("bfd", t.Name, w, rev, st))
	}
	return out
}

func (ts *trackerSet) linkUp(name string) bool {
	up, ok := ts.links[name]
	if !ok {
		var err error
		if ts.d.lw.isPolled(name) {
			up = ts.d.probe(name) // linkbeat: the poll, not netlink
		} else if up, err = ts.d.ports.Links.Up(name); err != nil {
			up = false
		}
		ts.links[name] = up
		if up && ts.d.lw.seenUp != nil {
			ts.d.lw.seenUp[name] = true
		}
	}
	return up
}

// startUnit feeds the unit Startup, then the trackers' current verdict. A
// unit with a member tracking something with weight 0 that has no result yet
// (a vrrp_script that has not run, a process list not scanned) is not started
// until every such tracker has one: keepalived holds those instances back
// (num_script_init) instead of reporting a FAULT that clears a moment later.
// trackersChanged starts it when the results arrive.
func (d *Daemon) startUnit(u *unit) {
	if !d.startAt.IsZero() {
		u.awaitingTrackers = true // vrrp_startup_delay: startDelayed starts it
		return
	}
	for _, in := range u.members {
		if p := track.EffectivePriority(in.cfg.Priority, d.effects(in)...); p.Init && !p.Fault {
			if !u.awaitingTrackers {
				d.log.Info("waiting for the first result of tracked objects before starting", "instance", in.cfg.Name,
					"vrid", in.cfg.VRID, "reason", p.Reason)
			}
			u.awaitingTrackers = true
			return
		}
	}
	u.awaitingTrackers = false
	d.startMaintenance(u)
	d.handleUnit(u, vrrp.AllMembers, vrrp.Startup{})
	for _, in := range u.members {
		d.applyTracking(in)
	}
}

// applyTracking feeds the core the effective priority and fault state.
func (d *Daemon) applyTracking(in *instance) {
	if in.unit != nil && in.unit.awaitingTrackers {
		return // startUnit applies it when the unit starts
	}
	p := track.EffectivePriority(in.cfg.Priority, d.effects(in)...)
	if p.Value != int(in.core.Priority()) && p.Value >= 1 && p.Value <= 255 {
		why := p.Reason
		if why == "" {
			// Every weighted tracker is back to neutral: say so rather
			// than log an empty reason.
			why = fmt.Sprintf("no tracker weight applies any more: base priority %d", in.cfg.Priority)
		}
		d.log.Info("effective priority changed", "instance", in.cfg.Name, "vrid", in.cfg.VRID,
			"from", in.core.Priority(), "to", p.Value, "reason", why)
		d.notifyPriority(in, p.Value)
		d.handle(in, vrrp.PriorityChanged{Effective: uint8(p.Value)})
	}
	faulty := p.Fault || p.Init
	reason := p.Reason
	if p.Init && !p.Fault {
		reason = "waiting for the first result: " + p.Reason
	}
	_, was := in.faults[faultSource]
	switch {
	case faulty && (!was || in.faults[faultSource] != reason):
		in.faults[faultSource] = reason
		if !was {
			d.handle(in, vrrp.Fault{Source: faultSource, Reason: reason})
		}
	case !faulty && was:
		delete(in.faults, faultSource)
		d.handle(in, vrrp.FaultCleared{Source: faultSource, Reason: "tracked objects recovered"})
	}
}

func (d *Daemon) linkChanged(name string, up bool) {
	if old, ok := d.trackers.links[name]; ok && old == up {
		return
	}
	d.trackers.links[name] = up
	state := "down"
	if up {
		if d.lw.seenUp != nil {
			d.lw.seenUp[name] = true
		}
		state = "up"
		d.staticLinkUp(name)
	}
	for _, in := range d.instances {
		if d.tracksLink(in, name) {
			d.log.Info("tracked interface changed", "instance", in.cfg.Name, "interface", name, "link", state)
			d.applyTracking(in)
		}
	}
}

func (d *Daemon) tracksLink(in *instance, name string) bool {
	if !in.cfg.DontTrackPrimary && in.cfg.Interface == name {
		return true
	}
	ifs, _, _, _ := d.tracks(in)
	for _, t := range ifs {
		if t.Name == name {
			return true
		}
	}
	return false
}

func (d *Daemon) trackersChanged() {
	for _, u := range d.units {
		if u.awaitingTrackers {
			d.startUnit(u)
		}
	}
	for _, in := range d.instances {
		d.applyTracking(in)
	}
}

// status reports the trackers of one instance for the status snapshot
// (on the loop); a script's run counts are read when it is rendered.
func (ts *trackerSet) status(in *instance) []ctl.TrackerSnapshot {
	var out []ctl.TrackerSnapshot
	row := func(s ctl.TrackerStatus) { out = append(out, ctl.TrackerSnapshot{TrackerStatus: s}) }
	if !in.cfg.DontTrackPrimary && in.cfg.Interface != "" {
		row(ctl.TrackerStatus{Kind: "interface", Name: in.cfg.Interface, OK: ts.links[in.cfg.Interface]})
	}
	ifs, scripts, files, procs := ts.d.tracks(in)
	for _, t := range ifs {
		row(ctl.TrackerStatus{Kind: "interface", Name: t.Name, OK: ts.links[t.Name], Weight: t.Weight})
	}
	add := func(kind string, t config.Track, s track.Snapshot, w int) {
		if t.HasWeight {
			w = t.Weight
		}
		row(ctl.TrackerStatus{Kind: kind, Name: t.Name, OK: s.Status == track.StatusUp, Weight: w, Reason: s.Reason, LastChange: s.Since})
	}
	for _, t := range scripts {
		if rt := ts.scripts[t.Name]; rt != nil {
			add("script", t, rt.t.Snapshot(), rt.t.Config().Weight)
			out[len(out)-1].Counts = rt.t.Counts
		}
	}
	for _, t := range files {
		if rt := ts.files[t.Name]; rt != nil {
			add("file", t, rt.t.Snapshot(), rt.cfg.(track.FileConfig).Weight)
		}
	}
	for _, t := range procs {
		if rt := ts.processes[t.Name]; rt != nil {
			add("process", t, rt.t.Snapshot(), rt.cfg.(track.ProcessConfig).Weight)
		}
	}
	for _, t := range ts.d.bfdTracks(in) {
		w, _ := ts.d.bfdWeight(t)
		out = append(out, ctl.TrackerSnapshot{TrackerStatus: ctl.TrackerStatus{Kind: "bfd", Name: t.Name, OK: ts.d.bfd.isUp(t.Name), Weight: w}})
	}
	return out
}

// notifyPriority tells the notifier about an effective priority change of
// an instance with notify_priority_changes, with the state it is in before
// the core reacts (keepalived notifies as it sets the priority).
func (d *Daemon) notifyPriority(in *instance, prio int) {
	n, ok := d.notifier.(notifierPriority)
	if !ok || !in.cfg.NotifyPriorityChanges {
		return
	}
	n.PriorityChanged(in.cfg, in.core.State() == vrrp.StateMaster, prio)
}

// notifyDeleted tells the notifier about an instance a reload removed,
// instead of its STOP. keepalived sends nothing for one that was in FAULT
// unless notify_deleted is set.
func (d *Daemon) notifyDeleted(in *instance) {
	n, ok := d.notifier.(notifierDeleted)
	if !ok {
		return
	}
	from := vrrp.StateInit
	if in.lastTransition != nil {
		from = in.lastTransition.from
	}
	if from == vrrp.StateFault && !in.cfg.NotifyDeleted {
		return
	}
	n.InstanceDeleted(in.cfg, in.scripts, from, int(in.core.Priority()))
}

// fifoStates writes the state of the units a reload kept as they were to
// the notify FIFOs, with fifo_write_vrrp_states_on_reload: keepalived
// writes every instance and group whose state the reload did not change
// (the others notify their transition anyway).
func (d *Daemon) fifoStates(kept []*unit) {
	n, ok := d.notifier.(notifierFIFOState)
	if !ok || !d.cfg.Global.FIFOWriteStatesOnReload {
		return
	}
	for _, u := range kept {
		if u.group != nil {
			for _, g := range d.cfg.SyncGroups {
				if g.Name == u.name {
					n.FIFOState(nil, g, u.groupState, 0)
				}
			}
		}
		for _, in := range u.members {
			n.FIFOState(in.cfg, nil, in.core.State(), int(in.core.Priority()))
		}
	}
}
