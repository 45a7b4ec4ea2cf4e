// Package director is the health-check + load-balancer runtime: it runs the
// checkers of every real server (virtual_server blocks), keeps their health,
// and reconciles the kernel's load-balancing table (internal/lb) with it.
//
// One loop owns all of it: the checker scheduler (check.Scheduler), the
// health of every real server, quorum, ha_suspend and the reconciler. Its
// body is step(now), which handles every pending input (a reload, VRRP state
// events, checker results), starts the checks due, then fires the timers due
// at now (health-change coalescing, the periodic full reconcile, the
// ha_suspend address poll). Start runs it on its own goroutine, sleeping
// until the next deadline or input; tests call it on a fake clock. Checks
// themselves run off the loop (Prober) and post their results back.
//
// It talks to the VRRP runtime only through events (VRRPState) and
// publishes its status as an immutable snapshot (VirtualServers) that
// readers load without entering the loop.
package director

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gokeepalived/internal/bfd"
	"gokeepalived/internal/check"
	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/notify"
	"gokeepalived/internal/vrrp"
)

// Backend is an opened kernel load-balancing table (internal/lb/backend).
type Backend interface {
	// Table is what the reconciler reads and writes.
	Table() lb.Backend
	// Name is the backend's name for logs and status (ipvs, nft).
	Name() string
	// Why says why this backend was chosen.
	Why() string
	// Check reports a service the backend cannot program.
	Check(lb.Service) error
	Close() error
}

// OpenBackend opens the backend named by --lb-backend (auto, ipvs, nft).
// It may load kernel modules: the runtime calls it on its own goroutine.
type OpenBackend func(choice string, o lb.OpenOptions) (Backend, error)

// BuildChecker makes the checker of one configured check (check.Build).
type BuildChecker func(check.Spec, check.Params) (probe.Checker, time.Duration, error)

// Clock tells the loop the time.
type Clock interface{ Now() time.Time }

// Prober runs one check off the loop and calls done with its result exactly
// once, from any goroutine. Wait returns once every started check is done
// (after their context is cancelled).
type Prober interface {
	Start(ctx context.Context, c probe.Checker, timeout time.Duration, done func(probe.Result))
	Wait()
}

// Options configure a Director.
type Options struct {
	// Backend is auto (IPVS when the kernel has it, else nftables), ipvs or nft.
	Backend string
	// DontRelease keeps the kernel table on exit (-I, --dont-release-ipvs).
	DontRelease bool
	// ReconcileInterval is how often the table is compared with the kernel
	// to repair drift (default 5 s).
	ReconcileInterval time.Duration
	Logger            *slog.Logger

	// Open opens the backend; required once a virtual_server is configured.
	Open OpenBackend
	// Ports that tests replace; nil means the real one.
	Clock     Clock
	LocalAddr func(netip.Addr) bool // default addr.IsLocal
	Build     BuildChecker          // default check.Build
	Prober    Prober                // default: TCP_CHECKs on a connect poller, other checks one goroutine each
	MailNow   func() time.Time      // the mails' Date header; nil: the wall clock
	// Events, if set, hears every real server state change and every
	// quorum change as the loop applies it (the SNMP subagent's checker
	// notifications). It is called from the loop and must not block.
	Events func(ctl.LBEvent)
}

// healthCoalesce is how long health changes gather before one incremental
// reconcile applies them all (servers dying together cost one apply).
const healthCoalesce = 5 * time.Millisecond

// suspendPoll is how often ha_suspend looks again at virtual server
// addresses that no VRRP instance holds.
const suspendPoll = time.Second

// maxInFlight bounds the checks running at once.
const maxInFlight = 256

// Director is the load-balancer runtime. Create it with New, then Start;
// Reload and VRRPState hand it inputs from any goroutine without waiting.
type Director struct {
	opts     Options
	log      *slog.Logger
	checkLog *slog.Logger
	clock    Clock

	// Inputs, posted from any goroutine.
	mu      sync.Mutex
	reloadQ *config.Config // newest unhandled reload
	eventsQ []vrrp.StateEvent
	bfdQ    []bfd.StateEvent
	resultQ []result
	wake    chan struct{}
	status  atomic.Pointer[[]ctl.VirtualServerStatus]
	cancel  context.CancelFunc
	done    chan struct{}

	// Owned by the loop.
	ctx       context.Context // checks and scripts
	cfg       *config.Config
	backend   Backend // nil until a configuration has virtual servers
	rec       *lb.Reconciler
	exec      *notify.Exec
	sched     *check.Scheduler
	built     []job                     // every checker of cfg
	running   map[check.CheckID]*runJob // checkers in the scheduler
	inFlight  int
	runSeq    uint64
	servers   map[check.ServerID]rsRef // what a ServerID names
	health    map[check.ServerID]*rsHealth
	vss       map[string]*lb.VirtualServer // cfg's virtual servers, translated
	vsBad     map[string]error             // ... or why one cannot be
	quorum    map[string]lb.Quorum
	results   map[string]lb.Result
	vsErr     map[string]string
	applyErr  string
	suspended map[string]bool
	vrrp      map[string]vrrp.StateEvent // running VRRP instances, by name
	// syncRunning are the IPVS sync daemons we started (sync.go).
	bfd         map[string]bfd.StateEvent // the last state change of each BFD session, by name
	syncRunning map[lb.SyncState]lb.SyncDaemon
	syncRefused bool     // the backend cannot sync: said once
	fifo        *fifoRun // notify_fifo / lvs_notify_fifo lines (fifo.go)
	// marks are nftables_ipvs's marks of cfg (when the backend is a
	// lb.Marker), marksSet the table last written (marks.go).
	marks    GroupMarks
	marksSet *lb.MarkTable
	// openOpts are the options the backend was opened with.
	openOpts lb.OpenOptions
	mail     *mailRun // smtp alerts (mail.go)
	initUp   []rsRef  // real servers that started up, for rs_init_notifies
	// origTimeouts are the kernel's timeouts before lvs_timeouts changed
	// them (restored at exit), nil until then.
	origTimeouts *lb.Timeouts
	changes      []check.Change // waiting for the coalesce timer
	coalesce     time.Time      // zero: no change waiting
	// healthVS are the virtual servers whose real servers' health or
	// weight changed since the last reconcile: a health change recomputes
	// lb.Desired for those only and reuses the others' last result.
	healthVS    map[string]bool
	desiredRuns int // lb.Desired calls, for tests
	// rsNames caches each real server's ID and address text for the
	// status snapshot, rebuilt on every reconcile (cleared by setConfig).
	rsNames map[*config.RealServer]rsNames
	runBuf  []check.Run

	nextFull time.Time
	nextPoll time.Time
	// nextBalance: when a connection-count scheduler's plan is refreshed
	// next (lb.Balancer backends; zero: none needs it).
	nextBalance time.Time
	balanceErr  string
}

type runJob struct {
	job
	run uint64 // the run in flight, 0 if none
}

// result is a check's outcome posted back to the loop.
type result struct {
	id  check.CheckID
	run uint64
	res probe.Result
}

type rsNames struct {
	id   check.ServerID
	addr string
}

// rsName returns rs's server ID and address text, made once per
// configuration.
func (d *Director) rsName(vs *config.VirtualServer, rs *config.RealServer) rsNames {
	n, ok := d.rsNames[rs]
	if !ok {
		n = rsNames{id: serverID(vs, rs), addr: rsAddr(rs).String()}
		d.rsNames[rs] = n
	}
	return n
}

type rsRef struct {
	vs *config.VirtualServer
	rs *config.RealServer
}

type rsHealth struct {
	up         bool
	failing    map[check.CheckID]bool // its checkers that report it down now
	weight     *int
	reason     string
	lastChange time.Time
}

// New builds a director; nothing runs before Start.
func New(opts Options) *Director {
	if opts.ReconcileInterval <= 0 {
		opts.ReconcileInterval = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.LocalAddr == nil {
		opts.LocalAddr = addr.IsLocal
	}
	if opts.Build == nil {
		opts.Build = check.Build
	}
	if opts.Prober == nil {
		opts.Prober = newPollProber(opts.Logger)
	}
	return &Director{opts: opts, log: opts.Logger, checkLog: opts.Logger.With("subsystem", "check"), clock: opts.Clock,
		wake: make(chan struct{}, 1), done: make(chan struct{}), ctx: context.Background(),
		running: map[check.CheckID]*runJob{}, servers: map[check.ServerID]rsRef{}, health: map[check.ServerID]*rsHealth{},
		vss: map[string]*lb.VirtualServer{}, vsBad: map[string]error{}, quorum: map[string]lb.Quorum{},
		results: map[string]lb.Result{}, vsErr: map[string]string{}, suspended: map[string]bool{}, healthVS: map[string]bool{}, rsNames: map[*config.RealServer]rsNames{},
		vrrp: map[string]vrrp.StateEvent{}, syncRunning: map[lb.SyncState]lb.SyncDaemon{}, bfd: map[string]bfd.StateEvent{}}
}

// Start makes cfg current and, if it has virtual servers, opens the
// backend, flushes it if lvs_flush says so and writes the first table
// (every real server up unless alpha); then it starts the loop. Its error
// (no backend) means nothing was started.
func (d *Director) Start(cfg *config.Config) error {
	ctx, cancel := context.WithCancel(context.Background())
	d.ctx, d.cancel = ctx, cancel
	if err := d.start(d.clock.Now(), cfg); err != nil {
		cancel()
		d.cancel = nil // nothing to stop
		return err
	}
	go func() {
		defer close(d.done)
		d.run(ctx)
	}()
	return nil
}

// Stop stops the checkers, applies the exit flush and waits for the loop.
func (d *Director) Stop() {
	if d.cancel == nil {
		return
	}
	d.cancel()
	<-d.done
}

// Reload hands a new configuration to the loop without waiting (the newest
// wins if several queue up). The first configuration with virtual servers
// opens the backend, on the loop's goroutine.
func (d *Director) Reload(cfg *config.Config) {
	d.mu.Lock()
	d.reloadQ = cfg
	d.mu.Unlock()
	d.kick()
}

// VRRPState takes a VRRP instance's state change (ha_suspend follows it).
// It never blocks: the VRRP loop calls it.
func (d *Director) VRRPState(ev vrrp.StateEvent) {
	d.mu.Lock()
	d.eventsQ = append(d.eventsQ, ev)
	d.mu.Unlock()
	d.kick()
}

// BFDState takes a BFD session's state change (BFD_CHECK follows it). It
// never blocks: the BFD loop calls it.
func (d *Director) BFDState(ev bfd.StateEvent) {
	d.mu.Lock()
	d.bfdQ = append(d.bfdQ, ev)
	d.mu.Unlock()
	d.kick()
}

// VirtualServers returns the last published status of every virtual
// server. It never blocks; the slice is shared and must not be modified.
func (d *Director) VirtualServers() []ctl.VirtualServerStatus {
	if d == nil {
		return nil
	}
	if p := d.status.Load(); p != nil {
		return *p
	}
	return nil
}

func (d *Director) kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Director) post(r result) {
	d.mu.Lock()
	d.resultQ = append(d.resultQ, r)
	d.mu.Unlock()
	d.kick()
}

// start makes cfg current; with virtual servers it opens the backend.
func (d *Director) start(now time.Time, cfg *config.Config) error {
	if len(cfg.VirtualServers) == 0 {
		d.cfg = cfg
		return nil
	}
	if d.opts.Open == nil {
		return fmt.Errorf("load balancer: no backend to open")
	}
	b, err := d.opts.Open(d.opts.Backend, openOptions(&cfg.Global))
	if err != nil {
		return fmt.Errorf("load balancer: %w", err)
	}
	rec := lb.NewReconciler(b.Table(), d.log)
	d.log.Info("load balancer backend", "backend", b.Name(), "reason", b.Why())
	if cfg.Global.LVSFlush {
		ops, err := rec.Flush(lb.FlushAll)
		if err != nil {
			_ = b.Close()
			return fmt.Errorf("lvs_flush: %w", err)
		}
		d.log.Info("lvs_flush: cleared the load-balancer table at start", "services", len(ops))
	}
	d.backend, d.rec = b, rec
	d.exec = &notify.Exec{Security: cfg.Global.EnableScriptSecurity, Warn: func(err error) {
		d.log.Warn("script security", "err", err)
	}}
	d.sched = check.NewScheduler(check.SchedulerOptions{})
	d.setConfig(now, cfg)
	d.openOpts = openOptions(&cfg.Global)
	d.setMarks()
	d.setTimeouts(false)
	d.setFIFOs()
	d.setMail()
	d.initNotifies()
	d.syncDaemons("start", true, false)
	d.syncJobs(now)
	d.reconcile("start")
	d.nextFull, d.nextPoll = now.Add(d.opts.ReconcileInterval), now.Add(suspendPoll)
	return nil
}

// step handles every pending input, starts the checks due, then fires
// every timer due at now.
func (d *Director) step(now time.Time) {
	// A check that completes at once (a fake prober) posts its result
	// before Start returns: take it in the same step. Bounded, since each
	// round either consumes inputs or starts checks the scheduler then
	// holds until their next deadline.
	for range 64 {
		d.mu.Lock()
		cfg, evs, bevs, res := d.reloadQ, d.eventsQ, d.bfdQ, d.resultQ
		d.reloadQ, d.eventsQ, d.bfdQ, d.resultQ = nil, nil, nil, nil
		d.mu.Unlock()
		if cfg != nil {
			d.reload(now, cfg)
		}
		if len(evs) > 0 {
			d.vrrpEvents(now, evs)
		}
		if len(bevs) > 0 {
			d.bfdEvents(now, bevs)
		}
		for _, r := range res {
			d.complete(now, r)
		}
		if d.startDue(now) == 0 && cfg == nil && len(evs) == 0 && len(bevs) == 0 && len(res) == 0 {
			break
		}
	}
	if d.backend == nil {
		return
	}
	if !d.coalesce.IsZero() && !d.coalesce.After(now) {
		d.coalesce = time.Time{}
		changes := d.changes
		d.changes = nil
		if d.applyChanges(now, changes) {
			d.reconcile("health change")
		}
	}
	if !d.nextPoll.After(now) {
		d.nextPoll = now.Add(suspendPoll)
		if d.updateSuspended() {
			d.syncJobs(now)
			d.publish()
		}
	}
	if !d.nextFull.After(now) {
		d.nextFull = now.Add(d.opts.ReconcileInterval)
		d.reconcile("periodic")
	}
	d.balance(now)
}

// balancer is the backend's lb.Balancer when a configured virtual server
// uses a scheduler it re-plans from connection counts.
func (d *Director) balancer() lb.Balancer {
	bal, ok := d.backend.Table().(lb.Balancer)
	if !ok || d.cfg == nil {
		return nil
	}
	for _, vs := range d.cfg.VirtualServers {
		if bal.Balances(vs.Scheduler) {
			return bal
		}
	}
	return nil
}

// balance refreshes connection-count plans when due.
func (d *Director) balance(now time.Time) {
	bal := d.balancer()
	if bal == nil {
		d.nextBalance = time.Time{}
		return
	}
	if !d.nextBalance.IsZero() && d.nextBalance.After(now) {
		return
	}
	d.nextBalance = now.Add(bal.BalanceEvery())
	n, err := bal.Balance()
	switch {
	case err != nil:
		if d.balanceErr != err.Error() {
			d.log.Error("connection counts not refreshed: least-connection plans keep their last state", "err", err)
		}
		d.balanceErr = err.Error()
	case d.balanceErr != "":
		d.log.Info("connection counts refreshed again", "services", n)
		d.balanceErr = ""
	}
}

// nextDeadline is when step has timed work next (zero: none; inputs wake
// the loop anyway).
func (d *Director) nextDeadline() time.Time {
	if d.backend == nil {
		return time.Time{}
	}
	next := d.nextFull
	for _, t := range []time.Time{d.nextPoll, d.coalesce, d.nextBalance} {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	if d.inFlight < maxInFlight {
		if t, ok := d.sched.NextDeadline(); ok && t.Before(next) {
			next = t
		}
	}
	return next
}

// finish stops the checks, waits for those running, and applies the exit
// flush.
func (d *Director) finish() {
	if d.cancel != nil {
		d.cancel()
	}
	d.opts.Prober.Wait()
	if d.backend != nil {
		d.stop()
	}
}

// reload makes a new configuration current, or opens the backend for the
// first configuration with virtual servers.
func (d *Director) reload(now time.Time, cfg *config.Config) {
	if d.backend == nil {
		if err := d.start(now, cfg); err != nil {
			d.log.Error("health checkers and load balancer not started by the reload", "err", err)
		}
		return
	}
	old := d.cfg
	d.setConfig(now, cfg)
	diff := config.Diff(old, cfg)
	d.log.Info("virtual servers reloaded", "vs_added", strings.Join(diff.VirtualServers.Added, ","),
		"vs_removed", strings.Join(diff.VirtualServers.Removed, ","), "vs_changed", strings.Join(diff.VirtualServers.Changed, ","),
		"rs_added", strings.Join(diff.RealServers.Added, ","), "rs_removed", strings.Join(diff.RealServers.Removed, ","),
		"rs_changed", strings.Join(diff.RealServers.Changed, ","))
	d.reopen(cfg)
	d.setMarks()
	d.setTimeouts(false)
	d.setFIFOs()
	d.setMail()
	d.initNotifies()
	d.syncDaemons("reload", false, false)
	d.syncJobs(now)
	d.reconcile("reload")
}

// stop applies the exit flush: lvs_flush_on_stop clears the whole table;
// otherwise our services are removed unless -I.
func (d *Director) stop() {
	d.syncDaemons("exit", false, true)
	d.setTimeouts(true)
	d.shutdownMails()
	defer d.stopFIFOs()
	defer d.stopMail()
	defer func() {
		if err := d.backend.Close(); err != nil {
			d.log.Warn("closing load-balancer backend", "err", err)
		}
	}()
	mode := lb.FlushOwned
	switch {
	case d.cfg.Global.LVSFlushOnStop == "ALL":
		mode = lb.FlushAll
	case d.opts.DontRelease:
		d.log.Info("keeping the load-balancer table on exit (-I)")
		return
	}
	d.removeMarks()
	ops, err := d.rec.Flush(mode)
	if err != nil {
		d.log.Error("clearing the load-balancer table on exit failed", "err", err)
		return
	}
	d.log.Info("load-balancer table cleared on exit", "services", len(ops), "all", mode == lb.FlushAll)
}

// setConfig makes cfg current: builds its checkers, real-server index and
// load-balancer terms. Health of real servers that stay is kept; new ones
// start up (down with alpha), as in keepalived.
func (d *Director) setConfig(now time.Time, cfg *config.Config) {
	d.cfg = cfg
	d.marks = nil
	if _, ok := d.backend.Table().(lb.Marker); ok {
		d.marks = Marks(cfg)
	}
	clear(d.rsNames)
	built, errs := jobs(cfg, d.opts.Build)
	for _, err := range errs {
		d.log.Error("health checker not started", "err", err)
	}
	d.built = built
	alpha := map[check.ServerID]bool{}
	alphaChecks := map[check.ServerID][]check.CheckID{}
	for _, j := range built {
		if j.Spec.Params.Alpha {
			alpha[j.Spec.Server] = true
			alphaChecks[j.Spec.Server] = append(alphaChecks[j.Spec.Server], j.Spec.ID)
		}
	}
	servers := map[check.ServerID]rsRef{}
	for _, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			id := serverID(vs, rs)
			servers[id] = rsRef{vs, rs}
			if _, ok := d.health[id]; !ok {
				h := &rsHealth{up: !alpha[id], reason: "no check result yet", lastChange: now, failing: map[check.CheckID]bool{}}
				// An alpha checker starts failed (keepalived's
				// num_failed_checkers counts it).
				for _, c := range alphaChecks[id] {
					h.failing[c] = true
				}
				if !h.up {
					h.reason = "alpha: down until its checkers succeed"
				} else if cfg.Global.RSInitNotifies {
					d.initUp = append(d.initUp, rsRef{vs, rs})
				}
				d.health[id] = h
			}
		}
	}
	for id, h := range d.health {
		if _, ok := servers[id]; !ok {
			if ref, ok := d.servers[id]; ok && h.up {
				d.removedMail(ref, false)
			}
			delete(d.health, id)
		}
	}
	// A checker a reload removed no longer counts as failed.
	builtIDs := map[check.CheckID]bool{}
	for _, j := range built {
		builtIDs[j.Spec.ID] = true
	}
	for _, h := range d.health {
		for c := range h.failing {
			if !builtIDs[c] {
				delete(h.failing, c)
			}
		}
	}
	d.servers = servers
	names := map[string]bool{}
	clear(d.vss)
	clear(d.vsBad)
	for _, vs := range cfg.VirtualServers {
		names[vs.Name()] = true
		t, err := VirtualServer(vs, cfg.VirtualServerGroups, d.marks)
		if err != nil {
			d.vsBad[vs.Name()] = err
			continue
		}
		d.vss[vs.Name()] = t
	}
	for n := range d.quorum {
		if !names[n] {
			delete(d.quorum, n)
		}
	}
	d.updateSuspended()
}

// vrrpEvents records VRRP instance states; a stopped instance is
// forgotten (its addresses are then looked up on the host, as for any
// address no instance holds).
func (d *Director) vrrpEvents(now time.Time, evs []vrrp.StateEvent) {
	for _, ev := range evs {
		if ev.State == vrrp.StateInit || ev.State == vrrp.StateStop {
			delete(d.vrrp, ev.Instance)
			continue
		}
		d.vrrp[ev.Instance] = ev
	}
	if d.backend != nil {
		d.syncDaemons("vrrp state", false, false)
	}
	if d.backend != nil && d.updateSuspended() {
		d.syncJobs(now)
		d.publish()
	}
}

// updateSuspended recomputes which virtual servers ha_suspend holds and
// reports whether that changed. A virtual server address that a VRRP
// instance holds is active while one such instance is MASTER (its events
// say so at once); any other address is active while it is on an
// interface of this host (polled).
func (d *Director) updateSuspended() bool {
	changed := false
	held := map[netip.Addr]bool{} // address of a VRRP instance → some instance holding it is MASTER
	for _, ev := range d.vrrp {
		for _, a := range ev.Addrs {
			a = a.Unmap()
			held[a] = held[a] || ev.State == vrrp.StateMaster
		}
	}
	now := map[string]string{} // suspended VS → why
	for _, vs := range d.cfg.VirtualServers {
		if !vs.HASuspend || !vs.Addr.IsValid() {
			continue
		}
		a := vs.Addr.Unmap()
		if master, ok := held[a]; ok {
			if !master {
				now[vs.Name()] = "no VRRP instance holding it is MASTER"
			}
		} else if !d.opts.LocalAddr(a) {
			now[vs.Name()] = "it is on no interface"
		}
	}
	for n, why := range now {
		if !d.suspended[n] {
			d.log.Info("ha_suspend: virtual server address is not local; its checkers are suspended", "vs", n, "reason", why)
			changed = true
		}
	}
	for n := range d.suspended {
		if _, ok := now[n]; !ok {
			d.log.Info("ha_suspend: virtual server address is local again; its checkers resume", "vs", n)
			changed = true
		}
	}
	clear(d.suspended)
	for n := range now {
		d.suspended[n] = true
	}
	return changed
}

// syncJobs makes the scheduler hold exactly the wanted checkers: every
// built one except those of suspended virtual servers. A checker whose
// definition is unchanged keeps running with its state.
func (d *Director) syncJobs(now time.Time) {
	want := map[check.CheckID]job{}
	for _, j := range d.built {
		if !d.suspended[j.vs] {
			want[j.Spec.ID] = j
		}
	}
	var remove []check.CheckID
	var add []job
	for id, j := range d.running {
		if w, ok := want[id]; !ok || w.fingerprint != j.fingerprint {
			remove = append(remove, id)
		}
	}
	for id, j := range want {
		if r, ok := d.running[id]; !ok || r.fingerprint != j.fingerprint {
			add = append(add, j)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return
	}
	for _, id := range remove {
		for _, c := range d.sched.Remove(now, id) {
			d.emit(now, c)
		}
		delete(d.running, id)
	}
	started := 0
	for _, j := range add {
		if err := d.sched.Add(now, j.Spec); err != nil {
			d.log.Error("updating health checkers failed", "err", err)
			continue
		}
		d.running[j.Spec.ID] = &runJob{job: j}
		started++
		if j.bfd != "" {
			d.setBFDCheck(now, j.Spec.ID, j.bfd)
		}
	}
	d.log.Info("health checkers updated", "started", started, "stopped", len(remove), "running", len(d.running))
}

// bfdEvents records BFD session states and gives them to the BFD_CHECK
// checkers following each session.
func (d *Director) bfdEvents(now time.Time, evs []bfd.StateEvent) {
	for _, ev := range evs {
		d.bfd[ev.Session] = ev
		if d.sched == nil {
			continue
		}
		for id, j := range d.running {
			if j.bfd == ev.Session {
				d.setBFDCheck(now, id, j.bfd)
			}
		}
	}
}

// setBFDCheck gives a BFD_CHECK checker its session's last known state; a
// session not reported yet is down (keepalived's BFD process reports every
// session Down at start).
func (d *Director) setBFDCheck(now time.Time, id check.CheckID, session string) {
	ev, known := d.bfd[session]
	reason := "BFD session " + session + " has not come Up yet"
	if known {
		reason = fmt.Sprintf("BFD session %s is %s (%s)", session, ev.To, ev.Reason)
		if ev.Diag != bfd.DiagNone && !ev.Up() {
			reason = fmt.Sprintf("BFD session %s is %s: %s (%s)", session, ev.To, ev.Diag, ev.Reason)
		}
	}
	for _, c := range d.sched.Set(now, id, known && ev.Up(), reason) {
		d.emit(now, c)
	}
}

// startDue starts the checks due at now and says how many.
func (d *Director) startDue(now time.Time) int {
	if d.sched == nil || d.inFlight >= maxInFlight {
		return 0
	}
	d.runBuf = d.sched.AppendDue(d.runBuf[:0], now, maxInFlight-d.inFlight)
	runs := d.runBuf
	for _, r := range runs {
		j := d.running[r.ID]
		d.runSeq++
		j.run = d.runSeq
		d.inFlight++
		id, run := r.ID, j.run
		d.opts.Prober.Start(d.ctx, j.Checker, r.Deadline.Sub(now), func(res probe.Result) {
			d.post(result{id: id, run: run, res: res})
		})
	}
	return len(runs)
}

// complete takes a check's result; one of a checker removed (or replaced
// by a reload) since it started is dropped.
func (d *Director) complete(now time.Time, r result) {
	d.inFlight--
	j, ok := d.running[r.id]
	if !ok || j.run != r.run {
		return
	}
	j.run = 0
	for _, c := range d.sched.Complete(now, r.id, r.res) {
		d.emit(now, c)
	}
}

// emit logs a checker's state change and queues it for the coalesced
// health update.
func (d *Director) emit(now time.Time, c check.Change) {
	state := "down"
	if c.CheckUp {
		state = "up"
	}
	d.checkLog.Info("checker state", "rs", string(c.Server), "check", string(c.Check), "to", state,
		"server_up", c.ServerUp, "reason", c.Reason)
	d.changes = append(d.changes, c)
	if d.coalesce.IsZero() {
		d.coalesce = now.Add(healthCoalesce)
	}
}

// applyChanges folds checker results into real-server health, logging each
// real server state change once with its reason. It reports whether the
// table may need to change.
func (d *Director) applyChanges(now time.Time, changes []check.Change) bool {
	dirty := false
	for _, c := range changes {
		ref, ok := d.servers[c.Server]
		if !ok || d.suspended[ref.vs.Name()] {
			continue // removed by a reload, or ha_suspend removed its checkers
		}
		h := d.health[c.Server]
		d.checkerMail(ref, c)
		if c.Check != "" {
			if c.CheckUp {
				delete(h.failing, c.Check)
			} else {
				h.failing[c.Check] = true
			}
		}
		if c.WeightChanged {
			h.weight = c.Weight
			dirty = true
			d.healthVS[ref.vs.Name()] = true
			w := "configured"
			if c.Weight != nil {
				w = fmt.Sprint(*c.Weight)
			}
			d.log.Info(fmt.Sprintf("real server %s of VS %s weight %s: %s", rsAddr(ref.rs), ref.vs.Name(), w, c.Reason),
				"vs", ref.vs.Name(), "rs", rsAddr(ref.rs).String(), "reason", c.Reason)
		}
		if c.ServerChanged && c.ServerUp != h.up {
			h.up, h.reason, h.lastChange = c.ServerUp, c.Reason, c.At
			if h.lastChange.IsZero() {
				h.lastChange = now
			}
			dirty = true
			d.healthVS[ref.vs.Name()] = true
			state := "down"
			if c.ServerUp {
				state = "up"
			}
			d.log.Info(fmt.Sprintf("real server %s of VS %s %s: %s", rsAddr(ref.rs), ref.vs.Name(), state, c.Reason),
				"vs", ref.vs.Name(), "rs", rsAddr(ref.rs).String(), "to", state, "reason", c.Reason, "check", string(c.Check))
			d.notifyRS(ref, c.ServerUp)
			d.event(ref.vs, ref.rs, c.ServerUp)
			d.fifoLine(fmt.Sprintf("RS %s %s %s\n", fmtRS(ref.vs, ref.rs), fmtVS(ref.vs), upDown(c.ServerUp)))
		} else if c.ServerChanged || !c.CheckUp {
			h.reason = c.Reason
		}
	}
	if !dirty {
		d.publish()
	}
	return dirty
}

// event tells Options.Events of a real server's new state (rs set) or a
// virtual server's new quorum state (rs nil), with the virtual server's
// live and configured real server counts.
func (d *Director) event(vs *config.VirtualServer, rs *config.RealServer, up bool) {
	if d.opts.Events == nil {
		return
	}
	ev := ctl.LBEvent{VS: vs.Name(), VSIndex: -1, RSIndex: -1, Up: up, RealTotal: len(vs.RealServers)}
	for i, v := range d.cfg.VirtualServers {
		if v == vs {
			ev.VSIndex = i
		}
	}
	for i, r := range vs.RealServers {
		if h := d.health[serverID(vs, r)]; h != nil && h.up {
			ev.RealUp++
		}
		if r == rs {
			ev.RS, ev.RSIndex = rsAddr(r).String(), i
		}
	}
	d.opts.Events(ev)
}

// notifyRS runs a real server's notify_up / notify_down script.
func (d *Director) notifyRS(ref rsRef, up bool) {
	s := ref.rs.NotifyDown
	if up {
		s = ref.rs.NotifyUp
	}
	d.runScript(s, "real server "+rsAddr(ref.rs).String())
}

func (d *Director) runScript(ref *config.ScriptRef, what string) {
	if ref == nil || len(ref.Args) == 0 || d.exec == nil {
		return
	}
	s := &notify.Script{Argv: ref.Args}
	cred, err := notify.ResolveUser(ref.User, ref.Group, d.cfg.Global.ScriptUser, d.cfg.Global.ScriptGroup)
	if err != nil {
		d.log.Error("script user", "script", s.String(), "err", err)
		return
	}
	s.User = cred
	ctx, exec := d.ctx, d.exec
	go func() {
		res := exec.Run(ctx, s, 0)
		if res.Err != nil {
			d.log.Warn("script failed", "script", s.String(), "for", what, "err", res.Err)
		}
	}()
}

// reconcile computes the desired table from config and health and applies
// the difference, then publishes the status. A health change reconciles
// only the services whose desired state changed (lb.ReconcileChanged);
// start, reload and the periodic pass read the whole table back and also
// repair drift. A health change also recomputes lb.Desired only for the
// virtual servers whose real servers changed (healthVS); the others keep
// their last result.
func (d *Director) reconcile(why string) {
	var desired []lb.Service
	onlyHealth := why == "health change"
	for _, vs := range d.cfg.VirtualServers {
		name := vs.Name()
		t, ok := d.vss[name]
		if !ok {
			d.notProgrammed(name, d.vsBad[name])
			continue
		}
		if prev, ok := d.results[name]; onlyHealth && ok && !d.healthVS[name] {
			desired = append(desired, prev.Services...)
			continue
		}
		d.desiredRuns++
		hm := lb.HealthMap{}
		for _, rs := range vs.RealServers {
			if h := d.health[d.rsName(vs, rs).id]; h != nil {
				hm[rsAddr(rs)] = lb.Health{Up: h.up, Weight: h.weight}
			}
		}
		prev := d.quorum[name]
		firstEval := !prev.Known
		res := lb.Desired(t, hm, prev)
		if err := d.backendCheck(res.Services); err != nil {
			d.notProgrammed(name, err, "backend", d.backend.Name())
			continue
		}
		delete(d.vsErr, name)
		d.quorum[name] = res.Quorum
		d.results[name] = res
		if res.QuorumChanged {
			state := "down"
			script := vs.QuorumDown
			if res.Quorum.Up {
				state, script = "up", vs.QuorumUp
			}
			d.log.Info(fmt.Sprintf("virtual server %s quorum %s: %s", name, state, res.Reason), "vs", name, "reason", res.Reason)
			d.runScript(script, "virtual server "+name)
			d.event(vs, nil, res.Quorum.Up)
			d.fifoLine(fmt.Sprintf("VS %s %s\n", fmtVS(vs), upDown(res.Quorum.Up)))
			d.quorumMail(vs, res, !prev.Known)
		} else if firstEval && res.Quorum.Up {
			// keepalived notifies "Starting with quorum up" too (its
			// virtualServerQuorumStateChange at start); the scripts keep
			// lb.Desired's rule.
			d.event(vs, nil, true)
		}
		desired = append(desired, res.Services...)
	}
	clear(d.healthVS)
	reconcile := d.rec.Reconcile
	if onlyHealth {
		reconcile = d.rec.ReconcileChanged
	}
	ops, err := reconcile(desired)
	switch {
	case err != nil:
		if d.applyErr != err.Error() {
			d.log.Error("load-balancer table not updated", "why", why, "err", err)
		}
		d.applyErr = err.Error()
	default:
		if d.applyErr != "" {
			d.log.Info("load-balancer table updated again after errors", "why", why)
		}
		d.applyErr = ""
		if why == "periodic" && len(ops) > 0 {
			d.log.Warn("load-balancer table drifted from the configuration (changed by another tool?); repaired", "changes", len(ops))
		}
	}
	d.publish()
}

// notProgrammed records (and logs once) why a virtual server is left out
// of the table.
func (d *Director) notProgrammed(name string, err error, kv ...any) {
	if d.vsErr[name] != err.Error() {
		d.log.Error("virtual server not programmed", append(append([]any{"vs", name}, kv...), "err", err)...)
	}
	d.vsErr[name] = err.Error()
	delete(d.results, name)
}

// backendCheck reports a service the backend cannot program.
func (d *Director) backendCheck(ss []lb.Service) error {
	for _, s := range ss {
		if err := d.backend.Check(s); err != nil {
			return err
		}
	}
	return nil
}

// publish stores a new status snapshot (a fresh value: readers keep the
// one they loaded).
func (d *Director) publish() {
	var out []ctl.VirtualServerStatus
	for _, vs := range d.cfg.VirtualServers {
		name := vs.Name()
		res, hasRes := d.results[name]
		s := ctl.VirtualServerStatus{Name: name, Backend: d.backend.Name(), Algo: vs.Scheduler, Kind: vs.Method,
			Protocol: vs.Protocol, Quorum: res.Quorum.Up, WeightSum: res.WeightSum, Reason: res.Reason,
			Suspended: d.suspended[name], Error: d.vsErr[name]}
		if s.Error == "" {
			s.Error = d.applyErr
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
			names := d.rsName(vs, rs)
			id := names.id
			r := ctl.RealServerStatus{Addr: names.addr, Weight: rs.Weight, Checkers: len(rs.Checkers),
				InTable: inTable[rsAddr(rs)]}
			if h := d.health[id]; h != nil {
				r.Up, r.Reason, r.LastChange = h.up, h.reason, h.lastChange
				r.FailedCheckers = len(h.failing)
				if h.weight != nil {
					r.Weight = *h.weight
				}
			}
			s.RealServers = append(s.RealServers, r)
		}
		out = append(out, s)
	}
	d.status.Store(&out)
}

// reopen applies a reload's backend options: new receive buffers go to
// the backend's sockets; a new net_namespace_ipvs needs a restart (as in
// keepalived, which refuses to change it at a reload).
func (d *Director) reopen(cfg *config.Config) {
	o := openOptions(&cfg.Global)
	if o.NetNS != d.openOpts.NetNS {
		d.log.Warn("net_namespace_ipvs changed by the reload: the load-balancer table stays where it is until a restart",
			"running", orNone(d.openOpts.NetNS), "configured", orNone(o.NetNS))
	}
	if o.Cmd != d.openOpts.Cmd || o.Monitor != d.openOpts.Monitor {
		if s, ok := d.backend.Table().(lb.RcvBufSetter); ok {
			if err := s.SetRcvBufs(o.Cmd, o.Monitor); err != nil {
				d.log.Error("lvs_netlink receive buffers not changed", "err", err)
			}
		}
	}
	o.NetNS = d.openOpts.NetNS
	d.openOpts = o
}

func orNone(s string) string {
	if s == "" {
		return "(the daemon's namespace)"
	}
	return s
}
