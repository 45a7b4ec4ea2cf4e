package lbnet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/check"
	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/tcpcheck"
	"gokeepalived/internal/config"
	"gokeepalived/internal/director"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/linux/netnstest"
)

// Director is what the daemon will do, reduced to the load balancer: TCP
// health checks (internal/check, run inside the director namespace) feed
// real-server health into lb.Desired, and every change is reconciled into
// the backend.
type Director struct {
	t       testing.TB
	backend lb.Backend

	mu     sync.Mutex
	cfg    *config.Config
	health lb.HealthMap
	quorum map[string]lb.Quorum
	rec    *lb.Reconciler
	errs   []error
}

// nsChecker runs a checker on a thread inside the director's namespace, so
// its sockets live there.
type nsChecker struct {
	ns    *NS
	inner probe.Checker
}

func (c nsChecker) Check(ctx context.Context) probe.Result {
	var r probe.Result
	if err := c.ns.Do(func() error { r = c.inner.Check(ctx); return nil }); err != nil {
		return probe.Failf("enter namespace: %v", err)
	}
	return r
}

// Config loads keepalived.conf text.
func Config(t testing.TB, text string) *config.Config {
	t.Helper()
	cfg, ds := config.LoadBytes("lbnet.conf", []byte(text), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatalf("config: %v", ds)
	}
	return cfg
}

// StartDirector reconciles cfg once (every real server counts as up until
// its checker says otherwise, as in keepalived) and starts the TCP_CHECK
// runner; both stop at cleanup.
func StartDirector(t testing.TB, tp *Topo, cfgText string, b lb.Backend) *Director {
	t.Helper()
	d := &Director{t: t, backend: b, cfg: Config(t, cfgText), health: lb.HealthMap{}, quorum: map[string]lb.Quorum{},
		rec: lb.NewReconciler(b, nil)}
	if err := d.Reconcile(); err != nil {
		t.Fatal(err)
	}
	var jobs []check.Job
	for _, vs := range d.cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			for i, c := range rs.Checkers {
				if c.Type != "TCP_CHECK" {
					t.Fatalf("lbnet runs TCP_CHECK only, got %s", c.Type)
				}
				ap := netip.AddrPortFrom(rs.Addr, rs.Port)
				conn := probe.Conn{Addr: director.ConnectAddr(rs, c), Timeout: c.Timing.ConnectTimeout}
				jobs = append(jobs, check.Job{
					Spec: check.CheckSpec{
						ID:     check.CheckID(fmt.Sprintf("%s %s #%d", vs.Name(), ap, i)),
						Server: check.ServerID(ap.String()),
						Params: check.Params{DelayLoop: c.Timing.DelayLoop, Retry: c.Timing.Retry,
							DelayBeforeRetry: c.Timing.DelayBeforeRetry},
						Timeout: c.Timing.ConnectTimeout + time.Second,
					},
					Checker: nsChecker{tp.Director, tcpcheck.New(tcpcheck.Config{Conn: conn})},
				})
			}
		}
	}
	runner := check.NewRunner(jobs, check.RunnerOptions{
		Scheduler: check.SchedulerOptions{Spread: -1},
		OnChange: func(c check.Change) {
			if !c.ServerChanged {
				return
			}
			ap := netip.MustParseAddrPort(string(c.Server))
			d.mu.Lock()
			d.health[ap] = lb.Health{Up: c.ServerUp}
			d.mu.Unlock()
			t.Logf("check: %s up=%v (%s)", c.Server, c.ServerUp, c.Reason)
			if err := d.Reconcile(); err != nil {
				d.mu.Lock()
				d.errs = append(d.errs, err)
				d.mu.Unlock()
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); runner.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		d.mu.Lock()
		defer d.mu.Unlock()
		if err := errors.Join(d.errs...); err != nil {
			t.Errorf("reconcile errors while running: %v", err)
		}
	})
	return d
}

// SetConfig replaces the configuration (same real servers and checkers;
// a reload of load-balancer options) and reconciles.
func (d *Director) SetConfig(text string) error {
	cfg := Config(d.t, text)
	d.mu.Lock()
	d.cfg = cfg
	d.mu.Unlock()
	return d.Reconcile()
}

// Reconcile recomputes the desired state and applies the difference.
func (d *Director) Reconcile() error {
	_, err := d.ReconcileOps()
	return err
}

// ReconcileOps is Reconcile returning the operations applied.
func (d *Director) ReconcileOps() ([]lb.Op, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var desired []lb.Service
	for _, cvs := range d.cfg.VirtualServers {
		vs, err := director.VirtualServer(cvs, d.cfg.VirtualServerGroups, nil)
		if err != nil {
			return nil, err
		}
		r := lb.Desired(vs, d.health, d.quorum[vs.Name])
		d.quorum[vs.Name] = r.Quorum
		desired = append(desired, r.Services...)
	}
	ops, err := d.rec.Reconcile(desired)
	if err != nil {
		d.t.Logf("reconcile failed applying %v: %v", ops, err)
	}
	return ops, err
}

// Conf is a one-virtual-server keepalived.conf for the topology: VIP:80
// with the given scheduler and extra lines, real servers rs1..rsN with the
// given weights (TCP_CHECK every 200 ms, 500 ms connect timeout, no retry)
// and the sorry server.
func Conf(tp *Topo, sched string, weights []int, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "virtual_server %s 80 {\n    lb_algo %s\n    lb_kind NAT\n    protocol TCP\n    delay_loop 0.2\n", VIP, sched)
	for _, e := range extra {
		fmt.Fprintf(&b, "    %s\n", e)
	}
	fmt.Fprintf(&b, "    sorry_server %s %d\n", tp.Sorry.Addr.Addr(), tp.Sorry.Addr.Port())
	for i, w := range weights {
		rs := tp.RS[i]
		fmt.Fprintf(&b, "    real_server %s %d {\n        weight %d\n        TCP_CHECK {\n            connect_timeout 0.5\n            retry 0\n        }\n    }\n",
			rs.Addr.Addr(), rs.Addr.Port(), w)
	}
	b.WriteString("}\n")
	return b.String()
}

// WaitTable polls the backend until the service on VIP:80 has exactly the
// given destinations (address:port → weight).
func WaitTable(t testing.TB, b lb.Backend, timeout time.Duration, want map[string]int) {
	t.Helper()
	netnstest.Eventually(t, timeout, func() error {
		ss, err := b.Services()
		if err != nil {
			return err
		}
		got := map[string]int{}
		for _, s := range ss {
			if s.Addr.String() == VIP && s.Port == 80 {
				for _, d := range s.Dests {
					got[d.AddrPort().String()] = d.Weight
				}
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			return fmt.Errorf("table (-want +got):\n%s", d)
		}
		return nil
	})
}

// ExpectSpread sends n requests and compares the count per server.
func ExpectSpread(t testing.TB, tp *Topo, n int, want map[string]int) {
	t.Helper()
	got, err := tp.Spread(n, 80)
	if err != nil {
		t.Errorf("requests failed: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("spread of %d requests (-want +got):\n%s", n, d)
	}
	t.Logf("spread of %d requests: %v", n, got)
}

// ExpectSticky sends n requests and requires one server to answer them all.
func ExpectSticky(t testing.TB, tp *Topo, n int) string {
	t.Helper()
	got, err := tp.Spread(n, 80)
	if err != nil {
		t.Errorf("requests failed: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("%d requests from one client went to %v, want a single server", n, got)
	}
	for k := range got {
		return k
	}
	return ""
}

// RunScenario is the load-balancing scenario every backend must pass, on
// real traffic: wrr spread by weight, a dead server taken out by its health
// check, all dead → sorry server, all back → restored, a reload to rr,
// drift repaired, inhibit_on_failure (weight 0: no new connections), sh
// and persistence stick a client to one server. show prints the backend's
// table for the log.
func RunScenario(t *testing.T, tp *Topo, b lb.Backend, show func() string) {
	const wait = 10 * time.Second
	rs := func(i int) string { return tp.RS[i].Addr.String() }
	logTable := func(step string) {
		if show != nil {
			t.Logf("%s:\n%s", step, show())
		}
	}
	d := StartDirector(t, tp, Conf(tp, "wrr", []int{1, 2, 3}), b)

	WaitTable(t, b, wait, map[string]int{rs(0): 1, rs(1): 2, rs(2): 3})
	logTable("wrr 1:2:3")
	ExpectSpread(t, tp, 60, map[string]int{"rs1": 10, "rs2": 20, "rs3": 30})

	start := time.Now()
	tp.RS[1].Stop()
	WaitTable(t, b, wait, map[string]int{rs(0): 1, rs(2): 3})
	t.Logf("rs2 killed: out of the table after %v", time.Since(start).Round(time.Millisecond))
	ExpectSpread(t, tp, 40, map[string]int{"rs1": 10, "rs3": 30})

	tp.RS[0].Stop()
	tp.RS[2].Stop()
	WaitTable(t, b, wait, map[string]int{tp.Sorry.Addr.String(): 1})
	logTable("all down: sorry server")
	ExpectSpread(t, tp, 4, map[string]int{"sorry": 4})

	for _, r := range tp.RS {
		r.Start(t)
	}
	WaitTable(t, b, wait, map[string]int{rs(0): 1, rs(1): 2, rs(2): 3})
	ExpectSpread(t, tp, 60, map[string]int{"rs1": 10, "rs2": 20, "rs3": 30})

	if err := d.SetConfig(Conf(tp, "rr", []int{1, 2, 3})); err != nil {
		t.Fatal(err)
	}
	ExpectSpread(t, tp, 30, map[string]int{"rs1": 10, "rs2": 10, "rs3": 10})

	// Drift: another tool removes rs3 behind our back.
	ss, err := b.Services()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ss, func(s lb.Service) bool { return s.Addr.String() == VIP })
	if i < 0 {
		t.Fatalf("service %s:80 not in the table", VIP)
	}
	rs3, _ := ss[i].Dest(tp.RS[2].Addr)
	tampered := ss[i]
	tampered.Dests = slices.DeleteFunc(slices.Clone(tampered.Dests), func(d lb.Dest) bool { return d == rs3 })
	if err := b.Apply([]lb.Op{{Kind: lb.DeleteDest, Service: tampered, Dest: rs3}}); err != nil {
		t.Fatal(err)
	}
	WaitTable(t, b, time.Second, map[string]int{rs(0): 1, rs(1): 2})
	ops, err := d.ReconcileOps()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || ops[0].Kind != lb.AddDest || ops[0].Dest.AddrPort() != tp.RS[2].Addr {
		t.Errorf("drift repair applied %v, want one add-dest of %s", ops, rs(2))
	}
	WaitTable(t, b, time.Second, map[string]int{rs(0): 1, rs(1): 2, rs(2): 3})

	// inhibit_on_failure: a dead server stays with weight 0 and gets no
	// new connections.
	if err := d.SetConfig(Conf(tp, "rr", []int{1, 2, 3}, "inhibit_on_failure")); err != nil {
		t.Fatal(err)
	}
	tp.RS[0].Stop()
	WaitTable(t, b, wait, map[string]int{rs(0): 0, rs(1): 2, rs(2): 3})
	logTable("inhibit_on_failure, rs1 down")
	ExpectSpread(t, tp, 20, map[string]int{"rs2": 10, "rs3": 10})
	tp.RS[0].Start(t)
	WaitTable(t, b, wait, map[string]int{rs(0): 1, rs(1): 2, rs(2): 3})

	// Source hashing and persistence keep one client on one server.
	if err := d.SetConfig(Conf(tp, "sh", []int{1, 1, 1})); err != nil {
		t.Fatal(err)
	}
	ExpectSticky(t, tp, 10)
	if err := d.SetConfig(Conf(tp, "rr", []int{1, 1, 1}, "persistence_timeout 60")); err != nil {
		t.Fatal(err)
	}
	logTable("rr with persistence_timeout 60")
	first := ExpectSticky(t, tp, 10)
	// The persisted server dies: the client moves to a live one and
	// sticks there.
	for _, r := range tp.RS {
		if r.Name == first {
			r.Stop()
			WaitTable(t, b, wait, without(map[string]int{rs(0): 1, rs(1): 1, rs(2): 1}, r.Addr.String()))
		}
	}
	if second := ExpectSticky(t, tp, 10); second == first {
		t.Errorf("client still sent to dead %s", first)
	}
}

func without(m map[string]int, k string) map[string]int {
	delete(m, k)
	return m
}
