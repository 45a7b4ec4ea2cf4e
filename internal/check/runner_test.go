package check

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/tcpcheck"
	"gokeepalived/internal/testutil/hangtcp"
)

// listener accepts and closes connections until the test ends.
func listener(tb testing.TB) netip.AddrPort {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tb.Cleanup(func() { l.Close() })
	return netip.MustParseAddrPort(l.Addr().String())
}

func tcpJob(id string, addr netip.AddrPort, p Params) Job {
	p.Warmup = 0
	c, timeout, err := Build(Spec{Kind: KindTCP, Conn: probe.Conn{Addr: addr, Timeout: time.Second}}, p)
	if err != nil {
		panic(err)
	}
	return Job{Spec: CheckSpec{ID: CheckID(id), Server: ServerID(id), Params: p, Timeout: timeout}, Checker: c}
}

// TCP_CHECKs give the same changes on the runner's connect poller and on
// goroutines (RunnerOptions.Goroutines).
func TestRunnerReportsChanges(t *testing.T) {
	for _, gor := range []bool{false, true} {
		t.Run(fmt.Sprintf("goroutines=%v", gor), func(t *testing.T) { testRunnerReportsChanges(t, gor) })
	}
}

func testRunnerReportsChanges(t *testing.T, goroutines bool) {
	up := listener(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := netip.MustParseAddrPort(l.Addr().String())
	l.Close()

	changes := make(chan Change, 10)
	r := NewRunner([]Job{
		tcpJob("alpha-up", up, Params{DelayLoop: time.Hour, Alpha: true}),
		tcpJob("refused", down, Params{DelayLoop: time.Hour, Retry: 1, DelayBeforeRetry: 10 * time.Millisecond}),
	}, RunnerOptions{Scheduler: SchedulerOptions{Spread: -1}, OnChange: func(c Change) { changes <- c }, Goroutines: goroutines})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()

	got := map[CheckID]Change{}
	guard := time.After(10 * time.Second)
	for len(got) < 2 {
		select {
		case c := <-changes:
			got[c.Check] = c
		case <-guard:
			t.Fatalf("only %d changes after 10s: %+v", len(got), got)
		}
	}
	if c := got["alpha-up"]; !c.CheckUp || !c.ServerChanged {
		t.Errorf("alpha checker against a listener: %+v, want up", c)
	}
	want := "connect " + down.String() + ": connection refused (after 1 retries)"
	if c := got["refused"]; c.CheckUp || c.Reason != want {
		t.Errorf("closed port: %+v, want down with reason %q", c, want)
	}

	// A reload adds a checker while running.
	if err := r.Update(ctx, []Job{tcpJob("added", up, Params{DelayLoop: time.Hour, Alpha: true})}, []CheckID{"refused"}); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-changes:
		if c.Check != "added" || !c.CheckUp {
			t.Errorf("after Update: %+v", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("added checker never reported")
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Errorf("Run returned %v", err)
	}
}

func TestRunnerHardTimeout(t *testing.T) {
	results := make(chan probe.Result, 1)
	job := Job{Spec: CheckSpec{ID: "stuck", Server: "rs", Params: Params{DelayLoop: time.Hour}, Timeout: 50 * time.Millisecond},
		Checker: stuckChecker{}}
	r := NewRunner([]Job{job}, RunnerOptions{Scheduler: SchedulerOptions{Spread: -1},
		OnResult: func(_ CheckID, res probe.Result) { results <- res }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = r.Run(ctx) }()
	select {
	case res := <-results:
		if res.OK || res.Reason != "hard timeout after 50ms" {
			t.Errorf("got %+v", res)
		}
		if res.Duration <= 0 {
			t.Errorf("the runner did not measure the run: duration %v", res.Duration)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hard timeout never enforced")
	}
}

// stuckChecker claims success but only once its context ends.
type stuckChecker struct{}

func (stuckChecker) Check(ctx context.Context) probe.Result {
	<-ctx.Done()
	return probe.Result{OK: true}
}

// BenchmarkRunnerTCP runs 10,000 TCP_CHECKs against 4 loopback listeners
// through the runner (bounded concurrency) and reports checks/s, on the
// connect poller and on goroutines.
func BenchmarkRunnerTCP(b *testing.B) {
	for _, gor := range []bool{false, true} {
		b.Run(fmt.Sprintf("goroutines=%v", gor), func(b *testing.B) { benchmarkRunnerTCP(b, gor) })
	}
}

// TCP_CHECKs on the poller time out on their connect_timeout, and a
// refused connect is retried after delay_before_retry before the checker
// goes down, as on goroutines.
func TestRunnerPollerTimeoutAndRetry(t *testing.T) {
	// A loopback listener with a full accept queue: the kernel drops SYNs.
	hang := hangtcp.Addr(t)
	results := make(chan probe.Result, 16)
	changes := make(chan Change, 16)
	c, _, err := Build(Spec{Kind: KindTCP, Conn: probe.Conn{Addr: hang, Timeout: 200 * time.Millisecond}}, Params{})
	if err != nil {
		t.Fatal(err)
	}
	job := Job{Spec: CheckSpec{ID: "hang", Server: "rs", Params: Params{DelayLoop: time.Hour, Retry: 1,
		DelayBeforeRetry: 100 * time.Millisecond}, Timeout: 5 * time.Second}, Checker: c}
	r := NewRunner([]Job{job}, RunnerOptions{Scheduler: SchedulerOptions{Spread: -1},
		OnResult: func(_ CheckID, res probe.Result) { results <- res }, OnChange: func(c Change) { changes <- c }})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	want := "connect " + hang.String() + ": timeout after 200ms"
	for i := range 2 {
		select {
		case res := <-results:
			if res.OK || res.Reason != want || res.Duration < 200*time.Millisecond {
				t.Errorf("attempt %d: %+v, want a timeout %q", i, res, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("attempt %d never finished", i)
		}
	}
	select {
	case c := <-changes:
		if c.CheckUp || c.Reason != want+" (after 1 retries)" {
			t.Errorf("change: %+v", c)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the checker never went down")
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Errorf("Run returned %v", err)
	}
}

func benchmarkRunnerTCP(b *testing.B, goroutines bool) {
	const n = 10000
	addrs := []netip.AddrPort{listener(b), listener(b), listener(b), listener(b)}
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i] = Job{
			Spec:    CheckSpec{ID: CheckID(fmt.Sprintf("c%d", i)), Server: "rs", Params: Params{DelayLoop: time.Hour}, Timeout: 5 * time.Second},
			Checker: tcpcheck.New(tcpcheck.Config{Conn: probe.Conn{Addr: addrs[i%len(addrs)], Timeout: 5 * time.Second}}),
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var failed atomic.Int64
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		var count atomic.Int64
		doneAll := make(chan struct{})
		r := NewRunner(jobs, RunnerOptions{
			Scheduler:   SchedulerOptions{Spread: 100 * time.Millisecond},
			Concurrency: 256,
			Goroutines:  goroutines,
			OnResult: func(_ CheckID, res probe.Result) {
				if !res.OK {
					failed.Add(1)
				}
				if count.Add(1) == n {
					close(doneAll)
				}
			},
		})
		go func() { _ = r.Run(ctx) }()
		<-doneAll
		cancel()
	}
	el := time.Since(start)
	b.ReportMetric(float64(n*b.N)/el.Seconds(), "checks/s")
	b.ReportMetric(float64(failed.Load()), "failed")
}
