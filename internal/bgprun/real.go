package bgprun

import (
	"context"
	"time"
)

// The wall clock and the sleeping loop: the only code of the package that
// reads the clock or sleeps (internal/archtest checks).

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Run steps the runtime until ctx ends, then withdraws every path and
// stops the speaker. Start must have been called.
func (r *Runtime) Run(ctx context.Context) {
	clock := r.opts.Clock
	if clock == nil {
		clock = wallClock{}
	}
	defer r.Finish()
	for {
		next := r.Step(clock.Now())
		t := time.NewTimer(max(next.Sub(clock.Now()), 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}
