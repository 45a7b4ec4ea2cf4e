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

// Poller is what RunPolled sleeps on: on Linux one ppoll(2) over an eventfd
// and the listening sockets, made by the loop's own thread, so that a packet
// or a due timer wakes that (real-time) thread directly. With Run, the wake-up
// goes through Go's scheduler: a timer or the network poller readies the
// loop's goroutine on another, ordinary thread, which a busy machine may
// leave waiting for tens of milliseconds (late packets, false Downs at the
// peer).
type Poller interface {
	// Wait returns at deadline (zero: no deadline), after a Kick, or when
	// packets have arrived; it hands every packet read to deliver (on the
	// calling thread) before it returns.
	Wait(deadline, now time.Time, deliver func(Packet))
	// Kick makes a Wait in progress (or the next one) return; any
	// goroutine may call it.
	Kick()
}

// RunPolled is Run with the loop's sleep, and the reading of packets, done
// by p on the calling thread: the readers are not needed (Deliver still
// works, and kicks p). It returns when ctx ends, after stopping every
// session.
func (r *Runtime) RunPolled(ctx context.Context, p Poller) {
	clock := r.opts.Clock
	if clock == nil {
		clock = wallClock{}
	}
	kick := p.Kick
	r.kick.Store(&kick)
	defer r.kick.Store(nil)
	// The kick at cancellation must be over before RunPolled returns: the
	// caller closes the poller then.
	kicked := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { p.Kick(); close(kicked) })
	defer func() {
		if !stop() {
			<-kicked
		}
	}()
	defer func() { r.Finish(clock.Now()) }()
	for ctx.Err() == nil {
		next := r.Step(clock.Now())
		if ctx.Err() != nil {
			return
		}
		p.Wait(next, clock.Now(), r.enqueue)
	}
}
