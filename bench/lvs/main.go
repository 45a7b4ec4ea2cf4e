// Command lvs is the health-checking-at-scale benchmark: N real servers
// (TCP listeners in a child process, on a few addresses in 198.18.0.0/15)
// behind V virtual servers, TCP_CHECK at delay_loop 1 s, checked by
// internal/check's Runner; the results drive lb.Desired and an
// lb.Reconciler over a backend (the lbtest fake, or nftables in the current
// network namespace). A sample of servers is killed at random moments; the
// table says CPU %, RSS and the time from each death to the server's
// removal from the load-balancing table. Health changes are applied as the
// daemon applies them: gathered for -coalesce, then only the changed
// services reconciled, with a full pass every -full.
//
// Run it through bench/lvs/run.sh (root: it makes a network namespace).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"

	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gokeepalived/internal/check"
	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/tcpcheck"
	"gokeepalived/internal/config"
	gkdirector "gokeepalived/internal/director"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/lbtest"
	"gokeepalived/internal/lb/nft"
)

func main() {
	serve := flag.Bool("serve", false, "child mode: listen on every real server's port")
	n := flag.Int("n", 10000, "real servers")
	vss := flag.Int("vs", 100, "virtual servers (real servers are split evenly)")
	naddr := flag.Int("addrs", 4, "real-server addresses (198.18.1.1 ...)")
	backend := flag.String("backend", "fake", "fake (lbtest) or nft (table in this network namespace)")
	kills := flag.Int("kill", 100, "servers killed during the run")
	dur := flag.Duration("duration", 40*time.Second, "measured run (kills happen in its first part)")
	header := flag.Bool("header", false, "print the table header first")
	coalesce := flag.Duration("coalesce", 5*time.Millisecond, "health changes gather this long before one reconcile")
	full := flag.Duration("full", 5*time.Second, "full reconcile (read back everything, repair drift) interval")
	flag.StringVar(&mode, "mode", "new", "new: TCP_CHECKs on the connect poller, lb.Desired only for the virtual servers whose real servers changed; old: a goroutine and net.Dialer per check, lb.Desired for every virtual server")
	flag.StringVar(&engine, "engine", "runner", "runner: internal/check's Runner and the LB loop in miniature; director: the daemon's internal/director loop (its default prober), over the same backend")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the measured run to this file")
	flag.StringVar(&memProfile, "memprofile", "", "write an allocation profile (alloc_space/alloc_objects) at the end to this file")
	flag.Parse()
	if (mode != "new" && mode != "old") || (engine != "runner" && engine != "director") || (engine == "director" && mode == "old") {
		fmt.Fprintln(os.Stderr, "-mode new|old, -engine runner|director (the director has only the new mode)")
		os.Exit(2)
	}
	raiseNofile()
	servers := realServers(*n, *naddr)
	if *serve {
		if err := serveMain(servers); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		return
	}
	if err := benchMain(servers, *vss, *backend, *kills, *dur, *header, *coalesce, *full); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// raiseNofile lifts RLIMIT_NOFILE: 10,000 listeners plus checks in flight.
func raiseNofile() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	want := uint64(1 << 17)
	if l.Max < want {
		l.Max = want // needs CAP_SYS_RESOURCE; if it fails, keep what we have
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func realServers(n, naddr int) []netip.AddrPort {
	per := (n + naddr - 1) / naddr
	out := make([]netip.AddrPort, 0, n)
	for i := range n {
		a := netip.AddrFrom4([4]byte{198, 18, 1, byte(1 + i/per)})
		out = append(out, netip.AddrPortFrom(a, uint16(10000+i%per)))
	}
	return out
}

// serveMain listens on every server, prints "ready", then closes the
// listeners named on stdin ("kill ADDR:PORT"), answering "dead ADDR:PORT".
func serveMain(servers []netip.AddrPort) error {
	ls := map[netip.AddrPort]net.Listener{}
	var accepts atomic.Int64
	for _, s := range servers {
		l, err := net.Listen("tcp", s.String())
		if err != nil {
			return err
		}
		ls[s] = l
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				accepts.Add(1)
				c.Close()
			}
		}()
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 1 && f[0] == "count" {
			fmt.Fprintln(out, "count", accepts.Load())
			out.Flush()
			continue
		}
		if len(f) != 2 || f[0] != "kill" {
			continue
		}
		ap, err := netip.ParseAddrPort(f[1])
		if err != nil || ls[ap] == nil {
			fmt.Fprintln(out, "error", f[1])
		} else {
			ls[ap].Close()
			fmt.Fprintln(out, "dead", f[1])
		}
		out.Flush()
	}
	return nil // stdin closed: the parent is done
}

func confText(servers []netip.AddrPort, vss int) string {
	var b strings.Builder
	per := (len(servers) + vss - 1) / vss
	for v := range vss {
		lo, hi := v*per, min((v+1)*per, len(servers))
		if lo >= hi {
			break
		}
		fmt.Fprintf(&b, "virtual_server 192.0.2.%d 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n", 1+v)
		for _, s := range servers[lo:hi] {
			fmt.Fprintf(&b, "  real_server %s %d {\n    weight 1\n    TCP_CHECK {\n    }\n  }\n", s.Addr(), s.Port())
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// director is the daemon's LB loop in miniature: check changes mark it
// dirty; one goroutine waits coalesce for more, recomputes the desired
// state and reconciles the services that changed (lb.ReconcileChanged),
// and every full interval reads the whole table back (lb.Reconcile, the
// drift repair), as internal/daemon does.
type director struct {
	vss      []*lb.VirtualServer // the configuration, translated once
	rec      *lb.Reconciler
	coalesce time.Duration
	full     time.Duration
	allVS    bool // -mode old: lb.Desired for every virtual server on every pass
	mu       sync.Mutex
	health   lb.HealthMap
	quorum   []lb.Quorum
	results  [][]lb.Service // per virtual server, from its last lb.Desired
	vsOf     map[netip.AddrPort]int
	dirtyVS  map[int]bool
	dirty    chan struct{}

	removedMu   sync.Mutex
	removed     map[netip.AddrPort]time.Time
	reconciles  atomic.Int64 // incremental
	recTime     atomic.Int64 // ns spent in incremental reconciles
	fulls       atomic.Int64
	fullTime    atomic.Int64 // ns spent in full passes
	desiredTime atomic.Int64 // ns spent in lb.Desired (all passes)
	desiredRuns atomic.Int64 // lb.Desired calls (one per virtual server recomputed)
}

// setHealth records a real server's health and marks its virtual server.
func (d *director) setHealth(ap netip.AddrPort, up bool) {
	d.mu.Lock()
	d.health[ap] = lb.Health{Up: up}
	d.dirtyVS[d.vsOf[ap]] = true
	d.mu.Unlock()
	select {
	case d.dirty <- struct{}{}:
	default:
	}
}

func (d *director) reconcile(full bool) error {
	t0 := time.Now()
	d.mu.Lock()
	var desired []lb.Service
	for i, vs := range d.vss {
		if full || d.allVS || d.dirtyVS[i] || d.results[i] == nil {
			r := lb.Desired(vs, d.health, d.quorum[i])
			d.quorum[i], d.results[i] = r.Quorum, r.Services
			d.desiredRuns.Add(1)
		}
		desired = append(desired, d.results[i]...)
	}
	clear(d.dirtyVS)
	d.mu.Unlock()
	start := time.Now()
	d.desiredTime.Add(int64(start.Sub(t0)))
	var ops []lb.Op
	var err error
	if full {
		ops, err = d.rec.Reconcile(desired)
	} else {
		ops, err = d.rec.ReconcileChanged(desired)
	}
	now := time.Now()
	if full {
		d.fulls.Add(1)
		d.fullTime.Add(int64(now.Sub(start)))
	} else {
		d.reconciles.Add(1)
		d.recTime.Add(int64(now.Sub(start)))
	}
	d.removedMu.Lock()
	for _, op := range ops {
		if op.Kind == lb.DeleteDest {
			if _, seen := d.removed[op.Dest.AddrPort()]; !seen {
				d.removed[op.Dest.AddrPort()] = now
			}
		}
	}
	d.removedMu.Unlock()
	return err
}

func (d *director) loop(ctx context.Context, errs chan<- error) {
	report := func(err error) {
		if err != nil {
			select {
			case errs <- err:
			default:
			}
		}
	}
	tick := time.NewTicker(d.full)
	defer tick.Stop()
	var coalesce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.dirty:
			if coalesce == nil {
				coalesce = time.After(d.coalesce)
			}
		case <-coalesce:
			coalesce = nil
			report(d.reconcile(false))
		case <-tick.C:
			report(d.reconcile(true))
		}
	}
}

type cpuSample struct {
	wall  time.Time
	ticks int64 // utime+stime in clock ticks
}

func cpuNow() cpuSample {
	s := cpuSample{wall: time.Now()}
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return s
	}
	// fields after the ")" of comm: state is field 3; utime 14, stime 15
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.ticks = u + st
	return s
}

func statusKB(key string) int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// Profiles of the benchmark process (-cpuprofile covers the measured run),
// and the mode (see -mode).
var cpuProfile, memProfile, mode, engine string

const clkTck = 100 // sysconf(_SC_CLK_TCK) on Linux

func benchMain(servers []netip.AddrPort, vss int, backend string, nkill int, dur time.Duration, header bool, coalesce, full time.Duration) error {
	// Real servers in a child process, so that their accepts are not
	// counted as the checker's CPU.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.Command(self, append([]string{"-serve"}, childArgs()...)...)
	child.Stderr = os.Stderr
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		return err
	}
	defer func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { child.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			child.Process.Kill()
			<-done
		}
	}()
	replies := bufio.NewScanner(stdout)
	if !replies.Scan() || replies.Text() != "ready" {
		return fmt.Errorf("real servers did not start: %q", replies.Text())
	}

	cfg, ds := config.LoadBytes("bench.conf", []byte(confText(servers, vss)), config.LoadOptions{})
	if ds.HasErrors() {
		return fmt.Errorf("config: %v", ds)
	}
	var b lb.Backend
	switch backend {
	case "fake":
		b = lbtest.New()
	case "nft":
		nb := nft.New(nft.Options{Table: "gklbb-bench"})
		defer nb.Flush()
		b = nb
	default:
		return fmt.Errorf("unknown backend %q", backend)
	}
	var lbvss []*lb.VirtualServer
	for _, cvs := range cfg.VirtualServers {
		vs, err := gkdirector.VirtualServer(cvs, cfg.VirtualServerGroups, nil)
		if err != nil {
			return err
		}
		lbvss = append(lbvss, vs)
	}
	d := &director{vss: lbvss, rec: lb.NewReconciler(b, nil), coalesce: coalesce, full: full, health: lb.HealthMap{},
		allVS: mode == "old", quorum: make([]lb.Quorum, len(lbvss)), results: make([][]lb.Service, len(lbvss)),
		vsOf: map[netip.AddrPort]int{}, dirtyVS: map[int]bool{}, dirty: make(chan struct{}, 1),
		removed: map[netip.AddrPort]time.Time{}}
	for i, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			d.vsOf[netip.AddrPortFrom(rs.Addr, rs.Port)] = i
		}
	}
	countAccepts := func() int64 {
		fmt.Fprintln(stdin, "count")
		if !replies.Scan() {
			return 0
		}
		n, _ := strconv.ParseInt(strings.TrimPrefix(replies.Text(), "count "), 10, 64)
		return n
	}
	var (
		initial  time.Duration
		counter  func() int64 // checks done so far
		warmFail func() error // what failed before any kill
		p0       = cfg.VirtualServers[0].RealServers[0].Checkers[0].Timing
	)
	errs := make(chan error, 1)
	if engine == "director" {
		// The daemon's own loop: its default prober, its reconciles; the
		// backend wrapper records when each server's delete was applied.
		kb, ok := b.(lb.KeyedBackend)
		if !ok {
			return fmt.Errorf("backend %s cannot read back by key", backend)
		}
		rb := &recBackend{KeyedBackend: kb, d: d}
		gd := gkdirector.New(gkdirector.Options{ReconcileInterval: full,
			Open: func(string, lb.OpenOptions) (gkdirector.Backend, error) { return benchBackend{rb, backend}, nil }})
		t0 := time.Now()
		if err := gd.Start(cfg); err != nil {
			return err
		}
		initial = time.Since(t0)
		defer gd.Stop()
		// Checks done are the real servers' accepts (a refused check of a
		// killed server is not counted: about 1 %).
		counter = countAccepts
		warmFail = func() error {
			for _, vs := range gd.VirtualServers() {
				for _, r := range vs.RealServers {
					if !r.Up || !r.InTable {
						return fmt.Errorf("%s not up before any server was killed: %s", r.Addr, r.Reason)
					}
				}
			}
			return nil
		}
	} else {
		t0 := time.Now()
		if err := d.reconcile(true); err != nil {
			return fmt.Errorf("initial reconcile: %w", err)
		}
		initial = time.Since(t0)
		c, f, stop := startRunner(cfg, d, errs)
		defer stop()
		counter = c.Load
		warmFail = func() error {
			if n := f.Load(); n > 0 {
				return fmt.Errorf("%d checks failed before any server was killed", n)
			}
			return nil
		}
	}

	// Warm up: every checker has run (warmup ≤ delay_loop) and the rate is steady.
	time.Sleep(p0.DelayLoop + 2*time.Second)
	if err := warmFail(); err != nil {
		return err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0, n0 := cpuNow(), counter()
	d.reconciles.Store(0)
	d.recTime.Store(0)
	d.fulls.Store(0)
	d.fullTime.Store(0)
	d.desiredTime.Store(0)
	d.desiredRuns.Store(0)

	// Kill nkill distinct servers at random moments in the first part of
	// the run, leaving time for the last ones to be removed.
	rng := rand.New(rand.NewPCG(1, 2))
	victims := rng.Perm(len(servers))[:nkill]
	killWindow := dur - 8*time.Second
	at := make([]time.Duration, nkill)
	for i := range at {
		at[i] = time.Duration(rng.Int64N(int64(killWindow)))
	}
	slices.Sort(at)
	died := map[netip.AddrPort]time.Time{}
	start := time.Now()
	for i, v := range victims {
		time.Sleep(time.Until(start.Add(at[i])))
		s := servers[v]
		fmt.Fprintf(stdin, "kill %s\n", s)
		if !replies.Scan() || replies.Text() != "dead "+s.String() {
			return fmt.Errorf("kill %s: child said %q", s, replies.Text())
		}
		died[s] = time.Now()
	}
	time.Sleep(time.Until(start.Add(dur)))
	c1, n1 := cpuNow(), counter()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return err
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
		f.Close()
	}
	if n := n1 - n0; n > 0 {
		fmt.Fprintf(os.Stderr, "%s: %.1f allocations, %.0f bytes per check (whole process); %d GCs\n", backend,
			float64(m1.Mallocs-m0.Mallocs)/float64(n), float64(m1.TotalAlloc-m0.TotalAlloc)/float64(n), m1.NumGC-m0.NumGC)
	}
	select {
	case err := <-errs:
		return fmt.Errorf("reconcile: %w", err)
	default:
	}

	var lat []time.Duration
	missing := 0
	d.removedMu.Lock()
	for s, t := range died {
		r, ok := d.removed[s]
		if !ok {
			missing++
			continue
		}
		lat = append(lat, r.Sub(t))
	}
	d.removedMu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	wall := c1.wall.Sub(c0.wall).Seconds()
	cpu := float64(c1.ticks-c0.ticks) / clkTck / wall * 100
	if header {
		fmt.Println("| backend | mode | real servers / virtual servers | checks/s | CPU % (of one core) | µs per check | RSS / peak MiB | killed | death → removal median | p99 | max | not removed | health reconciles (mean) | full passes (mean) | lb.Desired per pass | initial program | load average (1 min) |")
		fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	}
	mean := func(total, n int64) time.Duration {
		return (time.Duration(total) / time.Duration(max(1, n))).Round(time.Microsecond)
	}
	rate := float64(n1-n0) / wall
	label := mode
	recs := fmt.Sprintf("%d (%v)", d.reconciles.Load(), mean(d.recTime.Load(), d.reconciles.Load()))
	fulls := fmt.Sprintf("%d (%v)", d.fulls.Load(), mean(d.fullTime.Load(), d.fulls.Load()))
	desired := fmt.Sprint(mean(d.desiredTime.Load(), d.reconciles.Load()+d.fulls.Load()))
	if engine == "director" {
		// The daemon's loop: its applies (health and periodic) are
		// counted at the backend; its lb.Desired is not timed here.
		label = "director"
		recs = fmt.Sprintf("%d applies (%v)", d.reconciles.Load(), mean(d.recTime.Load(), d.reconciles.Load()))
		fulls, desired = "–", "–"
	}
	fmt.Printf("| %s | %s | %d / %d | %.0f | %.1f | %.0f | %.0f / %.0f | %d | %v | %v | %v | %d | %s | %s | %s | %v | %s |\n",
		backend, label, len(servers), len(cfg.VirtualServers), rate, cpu, cpu/100/max(rate, 1)*1e6,
		float64(statusKB("VmRSS"))/1024, float64(statusKB("VmHWM"))/1024, nkill,
		pct(0.5).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond), missing,
		recs, fulls, desired, initial.Round(time.Millisecond), loadAvg())
	fmt.Fprintf(os.Stderr, "%s %s: lb.Desired: mean %v per pass, %.1f virtual servers recomputed per pass\n", backend, mode,
		mean(d.desiredTime.Load(), d.reconciles.Load()+d.fulls.Load()),
		float64(d.desiredRuns.Load())/float64(max(1, d.reconciles.Load()+d.fulls.Load())))
	fmt.Fprintf(os.Stderr, "params: delay_loop %v retry %d delay_before_retry %v connect_timeout %v; GOMAXPROCS %d\n",
		p0.DelayLoop, p0.Retry, p0.DelayBeforeRetry, p0.ConnectTimeout, runtime.GOMAXPROCS(0))
	if missing > 0 {
		return fmt.Errorf("%d killed servers never left the table", missing)
	}
	return nil
}

// startRunner runs every TCP_CHECK on internal/check's Runner, feeding
// the miniature LB loop d; it returns the check counters and a stop func.
func startRunner(cfg *config.Config, d *director, errs chan error) (checks, failed *atomic.Int64, stop func()) {
	var jobs []check.Job
	for _, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			for i, c := range rs.Checkers {
				ap := netip.AddrPortFrom(rs.Addr, rs.Port)
				conn := probe.Conn{Addr: ap, Timeout: c.Timing.ConnectTimeout}
				jobs = append(jobs, check.Job{
					Spec: check.CheckSpec{
						ID:     check.CheckID(fmt.Sprintf("%s %s #%d", vs.Name(), ap, i)),
						Server: check.ServerID(ap.String()),
						Params: check.Params{DelayLoop: c.Timing.DelayLoop, Retry: c.Timing.Retry,
							DelayBeforeRetry: c.Timing.DelayBeforeRetry, Warmup: c.Timing.Warmup},
						Timeout: c.Timing.ConnectTimeout + time.Second,
					},
					Checker: tcpcheck.New(tcpcheck.Config{Conn: conn}),
				})
			}
		}
	}
	checks, failed = &atomic.Int64{}, &atomic.Int64{}
	slack := time.Duration(0) // the runner's default
	if mode == "old" {
		slack = -1
	}
	runner := check.NewRunner(jobs, check.RunnerOptions{
		Concurrency: 1024,
		Goroutines:  mode == "old",
		Slack:       slack,
		OnResult: func(_ check.CheckID, r probe.Result) {
			checks.Add(1)
			if !r.OK {
				failed.Add(1)
			}
		},
		OnChange: func(c check.Change) {
			if !c.ServerChanged {
				return
			}
			d.setHealth(netip.MustParseAddrPort(string(c.Server)), c.ServerUp)
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	go d.loop(ctx, errs)
	runDone := make(chan struct{})
	go func() { defer close(runDone); runner.Run(ctx) }()
	return checks, failed, func() { cancel(); <-runDone }
}

// recBackend is the backend the daemon's director writes through: it
// records when each server's delete was applied, and the applies.
type recBackend struct {
	lb.KeyedBackend
	d *director
}

func (r *recBackend) Apply(ops []lb.Op) error {
	start := time.Now()
	err := r.KeyedBackend.Apply(ops)
	now := time.Now()
	r.d.reconciles.Add(1)
	r.d.recTime.Add(int64(now.Sub(start)))
	if err == nil {
		r.d.removedMu.Lock()
		for _, op := range ops {
			if op.Kind == lb.DeleteDest {
				if _, seen := r.d.removed[op.Dest.AddrPort()]; !seen {
					r.d.removed[op.Dest.AddrPort()] = now
				}
			}
		}
		r.d.removedMu.Unlock()
	}
	return err
}

// benchBackend is the director's opened backend.
type benchBackend struct {
	rb   *recBackend
	name string
}

func (b benchBackend) Table() lb.Backend      { return b.rb }
func (b benchBackend) Name() string           { return b.name }
func (b benchBackend) Why() string            { return "benchmark" }
func (b benchBackend) Check(lb.Service) error { return nil }
func (b benchBackend) Close() error           { return nil }

// loadAvg is the 1-minute load average (the machine is shared).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// childArgs passes the server layout flags on to the child.
func childArgs() []string {
	var a []string
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "n" || f.Name == "addrs" {
			a = append(a, "-"+f.Name+"="+f.Value.String())
		}
	})
	return a
}
