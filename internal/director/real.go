package director

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"gokeepalived/internal/check/connpoll"
	"gokeepalived/internal/check/probe"
)

// The real clock, timer and prober: the only code of the package that
// reads the wall clock or sleeps (internal/archtest checks). Everything
// else takes time from Clock or as step's argument.

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// wakeSlack is how late the loop may wake for a deadline, so that the
// checks (and timers) due within it are handled in one step: 10,000
// checks a second would otherwise wake it 10,000 times.
const wakeSlack = time.Millisecond

// run is the loop: step, then sleep until the next deadline (plus
// wakeSlack) or an input.
func (d *Director) run(ctx context.Context) {
	defer d.finish()
	for {
		d.step(d.clock.Now())
		var timer <-chan time.Time
		stop := func() bool { return false }
		if next := d.nextDeadline(); !next.IsZero() {
			t := time.NewTimer(max(next.Sub(d.clock.Now()), 0) + wakeSlack)
			timer, stop = t.C, t.Stop
		}
		select {
		case <-ctx.Done():
			stop()
			return
		case <-d.wake:
		case <-timer:
		}
		stop()
	}
}

// goProber runs each check on its own goroutine under a context with the
// check's hard timeout.
type goProber struct{ wg sync.WaitGroup }

func (p *goProber) Start(ctx context.Context, c probe.Checker, timeout time.Duration, done func(probe.Result)) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		res := c.Check(cctx)
		if cctx.Err() == context.DeadlineExceeded && res.OK {
			res = probe.Failf("hard timeout after %s", timeout)
		}
		done(res)
	}()
}

func (p *goProber) Wait() { p.wg.Wait() }

// pollProber runs a check that is one connection attempt (TCP_CHECK, a
// connpoll.Connecter) on one shared connpoll.Poller, without a goroutine,
// dialer or timer of its own, and any other check on its own goroutine.
type pollProber struct {
	goProber
	log *slog.Logger

	mu     sync.Mutex
	poll   *connpoll.Poller
	noPoll bool // the poller could not start, or Wait closed it
	seq    uint64
	dones  map[uint64]func(probe.Result)
}

func newPollProber(log *slog.Logger) *pollProber {
	return &pollProber{log: log, dones: map[uint64]func(probe.Result){}}
}

func (p *pollProber) Start(ctx context.Context, c probe.Checker, timeout time.Duration, done func(probe.Result)) {
	if cn, ok := c.(connpoll.Connecter); ok {
		p.mu.Lock()
		if p.poll == nil && !p.noPoll {
			poll, err := connpoll.New(p.finish)
			if err != nil {
				p.noPoll = true
				p.log.Warn("connect poller unavailable: TCP checks run on goroutines", "err", err)
			}
			p.poll = poll
		}
		if poll := p.poll; poll != nil {
			p.seq++
			tag := p.seq
			p.dones[tag] = done
			p.mu.Unlock()
			poll.Connect(cn.ConnTarget(), timeout, tag)
			return
		}
		p.mu.Unlock()
	}
	p.goProber.Start(ctx, c, timeout, done)
}

// finish hands the poller's results to their done funcs.
func (p *pollProber) finish(b []connpoll.Done) {
	for _, d := range b {
		p.mu.Lock()
		fn := p.dones[d.Tag]
		delete(p.dones, d.Tag)
		p.mu.Unlock()
		if fn != nil {
			fn(d.Result)
		}
	}
}

// Wait ends the attempts in flight ("canceled") and waits for the
// goroutine checks; checks started afterwards run on goroutines.
func (p *pollProber) Wait() {
	p.mu.Lock()
	poll := p.poll
	p.poll, p.noPoll = nil, true
	p.mu.Unlock()
	if poll != nil {
		poll.Close()
	}
	p.goProber.Wait()
}
