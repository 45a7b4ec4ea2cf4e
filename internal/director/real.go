package director

import (
	"context"
	"sync"
	"time"

	"gokeepalived/internal/check/probe"
)

// The real clock, timer and prober: the only code of the package that
// reads the wall clock or sleeps (internal/archtest checks). Everything
// else takes time from Clock or as step's argument.

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// run is the loop: step, then sleep until the next deadline or an input.
func (d *Director) run(ctx context.Context) {
	defer d.finish()
	for {
		d.step(d.clock.Now())
		var timer <-chan time.Time
		stop := func() bool { return false }
		if next := d.nextDeadline(); !next.IsZero() {
			t := time.NewTimer(max(next.Sub(d.clock.Now()), 0))
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
