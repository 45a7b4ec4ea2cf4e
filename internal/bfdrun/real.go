package bfdrun

import (
	"context"
	"math/rand/v2"
	"time"
)

// The wall clock and the sleeping loop: the only code of the package that
// reads the clock or sleeps (internal/archtest checks).

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func newRand() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }

// Run steps the runtime on the clock until ctx ends, then stops every
// session (AdminDown sent). Start must have been called.
func (r *Runtime) Run(ctx context.Context) {
	clock := r.opts.Clock
	if clock == nil {
		clock = wallClock{}
	}
	defer func() { r.Finish(clock.Now()) }()
	for {
		next := r.Step(clock.Now())
		var timer <-chan time.Time
		stop := func() bool { return false }
		if !next.IsZero() {
			t := time.NewTimer(max(next.Sub(clock.Now()), 0))
			timer, stop = t.C, t.Stop
		}
		select {
		case <-ctx.Done():
			stop()
			return
		case <-r.wake:
		case <-timer:
		}
		stop()
	}
}
