package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gokeepalived/internal/check"
	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/notify"
)

// LVSOptions configure the health-checker / load-balancer subsystem
// (virtual_server blocks).
type LVSOptions struct {
	// Disabled turns the subsystem off (-P, VRRP only).
	Disabled bool
	// Backend is auto (IPVS when the kernel has it, else nftables), ipvs or nft.
	Backend string
	// DontRelease keeps the kernel table on exit (-I, --dont-release-ipvs).
	DontRelease bool
	// ReconcileInterval is how often the table is compared with the kernel
	// to repair drift (default 5 s).
	ReconcileInterval time.Duration

	// openBackend and localAddr replace the kernel in unit tests.
	openBackend func(choice string) (*lbBackend, error)
	localAddr   func(netip.Addr) bool
}

// lvs runs the checkers (check.Runner, its own goroutines), keeps the health
// of every real server, and reconciles the kernel table. It runs on its own
// goroutine: the VRRP loop only hands it new configurations (never waiting)
// and reads its published status.
type lvs struct {
	opts    LVSOptions
	log     *slog.Logger
	exec    *notify.Exec
	backend *lbBackend
	rec     *lb.Reconciler
	runner  *check.Runner

	reloadC chan *config.Config
	wake    chan struct{}
	mu      sync.Mutex
	pending []check.Change
	status  atomic.Pointer[[]ctl.VirtualServerStatus]
	cancel  context.CancelFunc
	done    chan struct{}

	// Owned by the run goroutine.
	ctx       context.Context
	cfg       *config.Config
	built     []lvsJob                 // every checker of cfg
	running   map[check.CheckID]lvsJob // checkers in the runner
	servers   map[check.ServerID]rsRef // what a ServerID names
	health    map[check.ServerID]*rsHealth
	quorum    map[string]lb.Quorum
	results   map[string]lb.Result
	vsErr     map[string]string
	applyErr  string
	suspended map[string]bool
}

type rsRef struct {
	vs *config.VirtualServer
	rs *config.RealServer
}

type rsHealth struct {
	up         bool
	weight     *int
	reason     string
	lastChange time.Time
}

func newLVS(opts LVSOptions, log *slog.Logger, exec *notify.Exec) *lvs {
	if opts.ReconcileInterval <= 0 {
		opts.ReconcileInterval = 5 * time.Second
	}
	if opts.openBackend == nil {
		opts.openBackend = func(choice string) (*lbBackend, error) { return openBackend(choice, nil) }
	}
	if opts.localAddr == nil {
		opts.localAddr = isLocalAddr
	}
	return &lvs{opts: opts, log: log, exec: exec, reloadC: make(chan *config.Config, 1), wake: make(chan struct{}, 1),
		done: make(chan struct{}), running: map[check.CheckID]lvsJob{}, servers: map[check.ServerID]rsRef{},
		health: map[check.ServerID]*rsHealth{}, quorum: map[string]lb.Quorum{}, results: map[string]lb.Result{},
		vsErr: map[string]string{}, suspended: map[string]bool{}}
}

// start opens the backend, flushes it if lvs_flush says so, programs the
// initial table (every real server up unless alpha) and starts the checkers
// and the subsystem's goroutine. It returns once the first table is written.
func (l *lvs) start(parent context.Context, cfg *config.Config) error {
	b, err := l.opts.openBackend(l.opts.Backend)
	if err != nil {
		return fmt.Errorf("load balancer: %w", err)
	}
	l.backend = b
	l.rec = lb.NewReconciler(b, l.log)
	l.log.Info("load balancer backend", "backend", b.name, "reason", b.why)
	if cfg.Global.LVSFlush {
		ops, err := l.rec.Flush(lb.FlushAll)
		if err != nil {
			_ = b.close()
			return fmt.Errorf("lvs_flush: %w", err)
		}
		l.log.Info("lvs_flush: cleared the load-balancer table at start", "services", len(ops))
	}
	ctx, cancel := context.WithCancel(parent)
	l.ctx, l.cancel = ctx, cancel
	l.runner = check.NewRunner(nil, check.RunnerOptions{Logger: l.log.With("subsystem", "check"), OnChange: l.onChange})
	l.setConfig(cfg)
	l.reconcile("start")
	runnerDone := make(chan struct{})
	go func() {
		defer close(runnerDone)
		if err := l.runner.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			l.log.Error("health checker stopped", "err", err)
		}
	}()
	go func() {
		defer close(l.done)
		l.run(ctx)
		<-runnerDone
		l.stop()
	}()
	return nil
}

// onChange is called on the runner's goroutine; it never blocks.
func (l *lvs) onChange(c check.Change) {
	l.mu.Lock()
	l.pending = append(l.pending, c)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// reload hands a new configuration to the subsystem without waiting (the
// newest one wins if several queue up).
func (l *lvs) reload(cfg *config.Config) {
	for {
		select {
		case l.reloadC <- cfg:
			return
		default:
		}
		select {
		case <-l.reloadC:
		default:
		}
	}
}

// shutdown stops the checkers, applies the stop flush mode and waits.
func (l *lvs) shutdown() {
	if l.cancel != nil {
		l.cancel()
		<-l.done
	}
}

// healthCoalesce is how long health changes gather before one incremental
// reconcile applies them all (servers dying together cost one apply).
const healthCoalesce = 5 * time.Millisecond

func (l *lvs) run(ctx context.Context) {
	l.syncJobs()
	tick := time.NewTicker(l.opts.ReconcileInterval)
	defer tick.Stop()
	suspendTick := time.NewTicker(time.Second)
	defer suspendTick.Stop()
	var coalesce <-chan time.Time // set while a burst of health changes gathers
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
			if coalesce == nil {
				coalesce = time.After(healthCoalesce)
			}
		case <-coalesce:
			coalesce = nil
			l.mu.Lock()
			changes := l.pending
			l.pending = nil
			l.mu.Unlock()
			if l.applyChanges(changes) {
				l.reconcile("health change")
			}
		case cfg := <-l.reloadC:
			old := l.cfg
			l.setConfig(cfg)
			d := config.Diff(old, cfg)
			l.log.Info("virtual servers reloaded", "vs_added", strings.Join(d.VirtualServers.Added, ","),
				"vs_removed", strings.Join(d.VirtualServers.Removed, ","), "vs_changed", strings.Join(d.VirtualServers.Changed, ","),
				"rs_added", strings.Join(d.RealServers.Added, ","), "rs_removed", strings.Join(d.RealServers.Removed, ","),
				"rs_changed", strings.Join(d.RealServers.Changed, ","))
			l.syncJobs()
			l.reconcile("reload")
		case <-suspendTick.C:
			if l.updateSuspended() {
				l.syncJobs()
				l.publish()
			}
		case <-tick.C:
			l.reconcile("periodic")
		}
	}
}

// stop applies the exit flush: lvs_flush_on_stop clears the whole table;
// otherwise our services are removed unless -I.
func (l *lvs) stop() {
	defer func() {
		if err := l.backend.close(); err != nil {
			l.log.Warn("closing load-balancer backend", "err", err)
		}
	}()
	mode := lb.FlushOwned
	switch {
	case l.cfg.Global.LVSFlushOnStop == "ALL":
		mode = lb.FlushAll
	case l.opts.DontRelease:
		l.log.Info("keeping the load-balancer table on exit (-I)")
		return
	}
	ops, err := l.rec.Flush(mode)
	if err != nil {
		l.log.Error("clearing the load-balancer table on exit failed", "err", err)
		return
	}
	l.log.Info("load-balancer table cleared on exit", "services", len(ops), "all", mode == lb.FlushAll)
}

// setConfig makes cfg current: builds its checkers and real-server index.
// Health of real servers that stay is kept; new ones start up (down with
// alpha), as in keepalived.
func (l *lvs) setConfig(cfg *config.Config) {
	l.cfg = cfg
	jobs, errs := lvsJobs(cfg)
	for _, err := range errs {
		l.log.Error("health checker not started", "err", err)
	}
	l.built = jobs
	alpha := map[check.ServerID]bool{}
	for _, j := range jobs {
		if j.job.Spec.Params.Alpha {
			alpha[j.job.Spec.Server] = true
		}
	}
	servers := map[check.ServerID]rsRef{}
	now := time.Now()
	for _, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			id := serverID(vs, rs)
			servers[id] = rsRef{vs, rs}
			if _, ok := l.health[id]; !ok {
				h := &rsHealth{up: !alpha[id], reason: "no check result yet", lastChange: now}
				if !h.up {
					h.reason = "alpha: down until its checkers succeed"
				}
				l.health[id] = h
			}
		}
	}
	for id := range l.health {
		if _, ok := servers[id]; !ok {
			delete(l.health, id)
		}
	}
	l.servers = servers
	names := map[string]bool{}
	for _, vs := range cfg.VirtualServers {
		names[vs.Name()] = true
	}
	for n := range l.quorum {
		if !names[n] {
			delete(l.quorum, n)
		}
	}
	l.updateSuspended()
}

// updateSuspended recomputes which virtual servers ha_suspend holds (their
// address is not on this host) and reports whether that changed.
func (l *lvs) updateSuspended() bool {
	changed := false
	now := map[string]bool{}
	for _, vs := range l.cfg.VirtualServers {
		if !vs.HASuspend || !vs.Addr.IsValid() {
			continue
		}
		if !l.opts.localAddr(vs.Addr.Unmap()) {
			now[vs.Name()] = true
		}
	}
	for n := range now {
		if !l.suspended[n] {
			l.log.Info("ha_suspend: virtual server address is not local; its checkers are suspended", "vs", n)
			changed = true
		}
	}
	for n := range l.suspended {
		if !now[n] {
			l.log.Info("ha_suspend: virtual server address is local again; its checkers resume", "vs", n)
			changed = true
		}
	}
	l.suspended = now
	return changed
}

// syncJobs makes the runner run exactly the wanted checkers: every built
// one except those of suspended virtual servers. A checker whose
// definition is unchanged keeps running with its state.
func (l *lvs) syncJobs() {
	want := map[check.CheckID]lvsJob{}
	for _, j := range l.built {
		if !l.suspended[j.vs] {
			want[j.job.Spec.ID] = j
		}
	}
	var add []check.Job
	var remove []check.CheckID
	for id, j := range l.running {
		if w, ok := want[id]; !ok || w.fingerprint != j.fingerprint {
			remove = append(remove, id)
		}
	}
	for id, j := range want {
		if r, ok := l.running[id]; !ok || r.fingerprint != j.fingerprint {
			add = append(add, j.job)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return
	}
	if err := l.runner.Update(l.ctx, add, remove); err != nil {
		if l.ctx.Err() == nil {
			l.log.Error("updating health checkers failed", "err", err)
		}
		return
	}
	for _, id := range remove {
		delete(l.running, id)
	}
	for _, j := range add {
		l.running[j.Spec.ID] = want[j.Spec.ID]
	}
	l.log.Info("health checkers updated", "started", len(add), "stopped", len(remove), "running", len(l.running))
}

// applyChanges folds checker results into real-server health, logging each
// real server state change once with its reason. It reports whether the
// table may need to change.
func (l *lvs) applyChanges(changes []check.Change) bool {
	dirty := false
	for _, c := range changes {
		ref, ok := l.servers[c.Server]
		if !ok || l.suspended[ref.vs.Name()] {
			continue // removed by a reload, or ha_suspend removed its checkers
		}
		h := l.health[c.Server]
		if c.WeightChanged {
			h.weight = c.Weight
			dirty = true
			w := "configured"
			if c.Weight != nil {
				w = fmt.Sprint(*c.Weight)
			}
			l.log.Info(fmt.Sprintf("real server %s of VS %s weight %s: %s", rsAddr(ref.rs), ref.vs.Name(), w, c.Reason),
				"vs", ref.vs.Name(), "rs", rsAddr(ref.rs).String(), "reason", c.Reason)
		}
		if c.ServerChanged && c.ServerUp != h.up {
			h.up, h.reason, h.lastChange = c.ServerUp, c.Reason, c.At
			if h.lastChange.IsZero() {
				h.lastChange = time.Now()
			}
			dirty = true
			state := "down"
			if c.ServerUp {
				state = "up"
			}
			l.log.Info(fmt.Sprintf("real server %s of VS %s %s: %s", rsAddr(ref.rs), ref.vs.Name(), state, c.Reason),
				"vs", ref.vs.Name(), "rs", rsAddr(ref.rs).String(), "to", state, "reason", c.Reason, "check", string(c.Check))
			l.notifyRS(ref, c.ServerUp)
		} else if c.ServerChanged || !c.CheckUp {
			h.reason = c.Reason
		}
	}
	if !dirty {
		l.publish()
	}
	return dirty
}

// notifyRS runs a real server's notify_up / notify_down script.
func (l *lvs) notifyRS(ref rsRef, up bool) {
	s := ref.rs.NotifyDown
	if up {
		s = ref.rs.NotifyUp
	}
	l.runScript(s, "real server "+rsAddr(ref.rs).String())
}

func (l *lvs) runScript(ref *config.ScriptRef, what string) {
	if ref == nil || len(ref.Args) == 0 || l.exec == nil {
		return
	}
	s := &notify.Script{Argv: ref.Args}
	cred, err := notify.ResolveUser(ref.User, ref.Group, l.cfg.Global.ScriptUser, l.cfg.Global.ScriptGroup)
	if err != nil {
		l.log.Error("script user", "script", s.String(), "err", err)
		return
	}
	s.User = cred
	ctx := l.ctx
	go func() {
		res := l.exec.Run(ctx, s, 0)
		if res.Err != nil {
			l.log.Warn("script failed", "script", s.String(), "for", what, "err", res.Err)
		}
	}()
}

// reconcile computes the desired table from config and health and applies
// the difference, then publishes the status. A health change reconciles
// only the services whose desired state changed (lb.ReconcileChanged);
// start, reload and the periodic pass read the whole table back and also
// repair drift.
func (l *lvs) reconcile(why string) {
	var desired []lb.Service
	for _, vs := range l.cfg.VirtualServers {
		hm := lb.HealthMap{}
		for _, rs := range vs.RealServers {
			if h := l.health[serverID(vs, rs)]; h != nil {
				hm[rsAddr(rs)] = lb.Health{Up: h.up, Weight: h.weight}
			}
		}
		name := vs.Name()
		res, err := lb.Desired(vs, l.cfg.VirtualServerGroups, hm, l.quorum[name])
		if err != nil {
			if l.vsErr[name] != err.Error() {
				l.log.Error("virtual server not programmed", "vs", name, "err", err)
			}
			l.vsErr[name] = err.Error()
			delete(l.results, name)
			continue
		}
		if err := l.backendCheck(res.Services); err != nil {
			if l.vsErr[name] != err.Error() {
				l.log.Error("virtual server not programmed", "vs", name, "backend", l.backend.name, "err", err)
			}
			l.vsErr[name] = err.Error()
			delete(l.results, name)
			continue
		}
		delete(l.vsErr, name)
		l.quorum[name] = res.Quorum
		l.results[name] = res
		if res.QuorumChanged {
			state := "down"
			script := vs.QuorumDown
			if res.Quorum.Up {
				state, script = "up", vs.QuorumUp
			}
			l.log.Info(fmt.Sprintf("virtual server %s quorum %s: %s", name, state, res.Reason), "vs", name, "reason", res.Reason)
			l.runScript(script, "virtual server "+name)
		}
		desired = append(desired, res.Services...)
	}
	reconcile := l.rec.Reconcile
	if why == "health change" {
		reconcile = l.rec.ReconcileChanged
	}
	ops, err := reconcile(desired)
	switch {
	case err != nil:
		if l.applyErr != err.Error() {
			l.log.Error("load-balancer table not updated", "why", why, "err", err)
		}
		l.applyErr = err.Error()
	default:
		if l.applyErr != "" {
			l.log.Info("load-balancer table updated again after errors", "why", why)
		}
		l.applyErr = ""
		if why == "periodic" && len(ops) > 0 {
			l.log.Warn("load-balancer table drifted from the configuration (changed by another tool?); repaired", "changes", len(ops))
		}
	}
	l.publish()
}

// backendCheck reports a service the backend cannot program.
func (l *lvs) backendCheck(ss []lb.Service) error {
	if l.backend.check == nil {
		return nil
	}
	for _, s := range ss {
		if err := l.backend.check(s); err != nil {
			return err
		}
	}
	return nil
}

// publish stores the status the daemon snapshot reads.
func (l *lvs) publish() {
	var out []ctl.VirtualServerStatus
	for _, vs := range l.cfg.VirtualServers {
		name := vs.Name()
		res, hasRes := l.results[name]
		s := ctl.VirtualServerStatus{Name: name, Backend: l.backend.name, Algo: vs.Scheduler, Kind: vs.Method,
			Protocol: vs.Protocol, Quorum: res.Quorum.Up, WeightSum: res.WeightSum, Reason: res.Reason,
			Suspended: l.suspended[name], Error: l.vsErr[name]}
		if s.Error == "" {
			s.Error = l.applyErr
		}
		if vs.Persistence > 0 {
			s.Persistence = vs.Persistence.String()
		}
		inTable := map[netip.AddrPort]bool{}
		if hasRes && len(res.Services) > 0 {
			for _, d := range res.Services[0].Dests {
				inTable[d.AddrPort()] = true
			}
		}
		if vs.Sorry != nil {
			s.SorryAddr = netip.AddrPortFrom(vs.Sorry.Addr.Unmap(), vs.Sorry.Port).String()
			s.Sorry = hasRes && !res.Quorum.Up
		}
		for _, rs := range vs.RealServers {
			id := serverID(vs, rs)
			r := ctl.RealServerStatus{Addr: rsAddr(rs).String(), Weight: rs.Weight, Checkers: len(rs.Checkers),
				InTable: inTable[rsAddr(rs)]}
			if h := l.health[id]; h != nil {
				r.Up, r.Reason, r.LastChange = h.up, h.reason, h.lastChange
				if h.weight != nil {
					r.Weight = *h.weight
				}
			}
			s.RealServers = append(s.RealServers, r)
		}
		out = append(out, s)
	}
	l.status.Store(&out)
}

// snapshot returns the last published status (never blocks).
func (l *lvs) snapshot() []ctl.VirtualServerStatus {
	if l == nil {
		return nil
	}
	p := l.status.Load()
	if p == nil {
		return nil
	}
	return *p
}

// isLocalAddr reports whether a is configured on an interface of this host.
func isLocalAddr(a netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return true // cannot tell: do not suspend
	}
	for _, x := range addrs {
		if n, ok := x.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == a {
				return true
			}
		}
	}
	return false
}

// startLVS starts the health-checker / load-balancer subsystem when cfg
// has virtual servers and it is not disabled (-P). Its errors (no backend)
// stop the daemon from starting.
func (d *Daemon) startLVS(ctx context.Context, cfg *config.Config) error {
	if d.opts.LVS.Disabled || len(cfg.VirtualServers) == 0 || d.lvs != nil {
		return nil
	}
	l := newLVS(d.opts.LVS, d.log, &notify.Exec{Security: cfg.Global.EnableScriptSecurity, Warn: func(err error) {
		d.log.Warn("script security", "err", err)
	}})
	if err := l.start(ctx, cfg); err != nil {
		return err
	}
	d.lvs = l
	return nil
}

// reloadLVS hands a reloaded configuration to the subsystem (on the VRRP
// loop: it never waits for the checkers), or starts the subsystem if this
// is the first configuration with virtual servers.
func (d *Daemon) reloadLVS(cfg *config.Config) error {
	if d.lvs != nil {
		d.lvs.reload(cfg)
		return nil
	}
	return d.startLVS(d.runCtx, cfg)
}

// stopLVS stops the checkers and applies the exit flush (on the loop's
// goroutine, when Run returns).
func (d *Daemon) stopLVS() {
	if d.lvs != nil {
		d.lvs.shutdown()
	}
}
