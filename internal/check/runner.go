package check

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"gokeepalived/internal/check/connpoll"
	"gokeepalived/internal/check/probe"
)

// Clock is the runner's view of time.
type Clock interface {
	Now() time.Time
	// NewTimer returns a channel that fires once after d, and a stop func.
	NewTimer(d time.Duration) (<-chan time.Time, func() bool)
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (RealClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// Job is one checker to run: its scheduling spec and its implementation.
type Job struct {
	Spec    CheckSpec
	Checker probe.Checker
}

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	Scheduler SchedulerOptions
	Clock     Clock // default RealClock
	// Concurrency bounds checks in flight (default 256).
	Concurrency int
	// OnChange receives every state change, from the runner's loop goroutine.
	OnChange func(Change)
	// OnResult, if set, receives every result (metrics), from the loop goroutine.
	OnResult func(CheckID, probe.Result)
	Logger   *slog.Logger // default discards
	// Slack is how late the loop may wake for a due check, so that the
	// checks due within it start together in one wake-up (10,000 checks
	// a second would otherwise wake it 10,000 times). Default 1 ms;
	// negative: wake at each deadline.
	Slack time.Duration
	// Goroutines runs every check on a goroutine of its own, TCP_CHECKs
	// too; by default a check that is one connection attempt
	// (connpoll.Connecter) runs on the runner's connpoll.Poller.
	Goroutines bool
}

// Runner executes a Scheduler in real time: one loop goroutine owns the
// scheduler; each due check runs in its own goroutine under a context with
// the check's hard timeout, except a TCP_CHECK (any connpoll.Connecter),
// which is a connection attempt on the runner's one connpoll.Poller: no
// goroutine, dialer or timer of its own, results handed back in batches.
type Runner struct {
	opts RunnerOptions
	jobs []Job
	cmds chan func(now time.Time)
	st   *runState // owned by Run's loop
}

// NewRunner builds a runner; nothing starts before Run.
func NewRunner(jobs []Job, opts RunnerOptions) *Runner {
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 256
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Slack == 0 {
		opts.Slack = time.Millisecond
	}
	opts.Slack = max(opts.Slack, 0)
	return &Runner{opts: opts, jobs: jobs, cmds: make(chan func(time.Time))}
}

type done struct {
	id  CheckID
	res probe.Result
}

// Update adds and removes checkers while Run is running (a reload). It
// returns once the loop has applied it, or when ctx ends.
func (r *Runner) Update(ctx context.Context, add []Job, remove []CheckID) error {
	errc := make(chan error, 1)
	select {
	case r.cmds <- func(now time.Time) { errc <- r.apply(now, add, remove) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-errc
}

// state is owned by the Run loop.
type runState struct {
	sched    *Scheduler
	checkers map[CheckID]probe.Checker
}

func (r *Runner) apply(now time.Time, add []Job, remove []CheckID) error {
	st := r.st
	for _, id := range remove {
		for _, c := range st.sched.Remove(now, id) {
			r.emit(c)
		}
		delete(st.checkers, id)
	}
	for _, j := range add {
		if err := st.sched.Add(now, j.Spec); err != nil {
			return err
		}
		st.checkers[j.Spec.ID] = j.Checker
	}
	return nil
}

func (r *Runner) emit(c Change) {
	state := "down"
	if c.CheckUp {
		state = "up"
	}
	r.opts.Logger.Info("checker state", "rs", string(c.Server), "check", string(c.Check), "to", state,
		"server_up", c.ServerUp, "reason", c.Reason)
	if r.opts.OnChange != nil {
		r.opts.OnChange(c)
	}
}

// Run executes checks until ctx ends, then waits for running checks (they
// see ctx cancelled) and returns ctx.Err().
func (r *Runner) Run(ctx context.Context) error {
	clock := r.opts.Clock
	r.st = &runState{sched: NewScheduler(r.opts.Scheduler), checkers: map[CheckID]probe.Checker{}}
	if err := r.apply(clock.Now(), r.jobs, nil); err != nil {
		return fmt.Errorf("check runner: %w", err)
	}
	results := make(chan done, r.opts.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	inFlight := 0
	// Connection attempts on the poller: tag → check, results queued.
	var (
		poller    *connpoll.Poller
		noPoller  = r.opts.Goroutines
		polled    = &polledQ{wake: make(chan struct{}, 1)}
		tags      = map[uint64]CheckID{}
		tagSeq    uint64
		spare     []connpoll.Done
		runs      []Run
		closePoll = func() {
			if poller != nil {
				poller.Close()
				poller = nil
			}
		}
	)
	defer closePoll()
	for {
		now := clock.Now()
		runs = r.st.sched.AppendDue(runs[:0], now, r.opts.Concurrency-inFlight)
		for _, run := range runs {
			c := r.st.checkers[run.ID]
			timeout := run.Deadline.Sub(now)
			inFlight++
			if cn, ok := c.(connpoll.Connecter); ok && !noPoller {
				if poller == nil {
					p, err := connpoll.New(polled.add)
					if err != nil {
						r.opts.Logger.Warn("connect poller unavailable: TCP checks run on goroutines", "err", err)
						noPoller = true
					}
					poller = p
				}
				if poller != nil {
					tagSeq++
					tags[tagSeq] = run.ID
					poller.Connect(cn.ConnTarget(), timeout, tagSeq)
					continue
				}
			}
			wg.Add(1)
			go func(id CheckID) {
				defer wg.Done()
				cctx, cancel := context.WithTimeout(ctx, timeout)
				start := clock.Now()
				res := c.Check(cctx)
				if cctx.Err() == context.DeadlineExceeded && res.OK {
					res = probe.Failf("hard timeout after %s", timeout)
				}
				res.Duration = clock.Now().Sub(start)
				cancel()
				results <- done{id, res}
			}(run.ID)
		}
		var timerC <-chan time.Time
		stop := func() bool { return false }
		if inFlight < r.opts.Concurrency {
			if next, ok := r.st.sched.NextDeadline(); ok {
				timerC, stop = clock.NewTimer(max(next.Sub(now), 0) + r.opts.Slack)
			}
		}
		select {
		case <-ctx.Done():
			stop()
			closePoll()
			// Drain so that workers never block on send.
			go func() {
				for range results {
				}
			}()
			wg.Wait()
			close(results)
			return ctx.Err()
		case d := <-results:
			stop()
			inFlight--
			r.complete(clock.Now(), d)
			// Take whatever else finished without re-arming the timer.
			for more := true; more; {
				select {
				case d := <-results:
					inFlight--
					r.complete(clock.Now(), d)
				default:
					more = false
				}
			}
		case <-polled.wake:
			stop()
			got := polled.take(spare)
			now := clock.Now()
			for _, d := range got {
				id, ok := tags[d.Tag]
				if !ok {
					continue
				}
				delete(tags, d.Tag)
				inFlight--
				r.complete(now, done{id, d.Result})
			}
			clear(got)
			spare = got[:0]
		case <-timerC:
		case cmd := <-r.cmds:
			stop()
			cmd(clock.Now())
		}
	}
}

func (r *Runner) complete(now time.Time, d done) {
	if r.opts.OnResult != nil {
		r.opts.OnResult(d.id, d.res)
	}
	for _, c := range r.st.sched.Complete(now, d.id, d.res) {
		r.emit(c)
	}
}

// polledQ hands the poller's results to the runner's loop: the poller
// appends a batch and wakes the loop once.
type polledQ struct {
	mu   sync.Mutex
	q    []connpoll.Done
	wake chan struct{}
}

func (p *polledQ) add(b []connpoll.Done) {
	p.mu.Lock()
	p.q = append(p.q, b...)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// take returns what is queued and queues into spare from now on.
func (p *polledQ) take(spare []connpoll.Done) []connpoll.Done {
	p.mu.Lock()
	got := p.q
	p.q = spare[:0]
	p.mu.Unlock()
	return got
}
