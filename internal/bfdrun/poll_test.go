package bfdrun

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"gokeepalived/internal/bfd"
)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// queueNet is side B's network in TestRunPolled: what B sends waits in the
// poller's queue, which hands it to A through Wait's deliver.
type queueNet struct{ q *[]Packet }

type queueSender struct {
	q *[]Packet
	s Session
}

func (n queueNet) Dial(s Session) (Sender, error) { return &queueSender{q: n.q, s: s}, nil }
func (q *queueSender) Send(b []byte) error {
	*q.q = append(*q.q, Packet{Payload: append([]byte(nil), b...), Src: q.s.Local, Dst: q.s.Remote, TTL: 255})
	return nil
}
func (q *queueSender) Close() error { return nil }

// stepPoller is a Poller on a fake clock: each Wait advances the clock by
// 1 ms (or to the deadline if sooner), steps the peer runtime B, and
// delivers what B sent; after stopAfter Up it cancels the loop.
type stepPoller struct {
	t      *testing.T
	clock  *fakeClock
	b      *Runtime
	queue  []Packet
	waits  int
	kicks  atomic.Int64
	cancel context.CancelFunc
	a      *Runtime
	upAt   int
	ctr    *Counters
}

func (p *stepPoller) Kick() { p.kicks.Add(1) }

func (p *stepPoller) Wait(deadline, now time.Time, deliver func(Packet)) {
	p.waits++
	if p.waits > 10000 {
		p.t.Fatal("RunPolled did not end within 10,000 waits")
	}
	next := now.Add(time.Millisecond)
	if !deadline.IsZero() && deadline.Before(next) {
		next = deadline
	}
	p.clock.now = next
	p.b.Step(next)
	for _, pk := range p.queue {
		deliver(pk)
	}
	p.queue = p.queue[:0]
	if p.upAt == 0 && len(p.a.Status()) == 1 && p.a.Status()[0].State == bfd.StateUp {
		p.upAt, p.ctr = p.waits, p.a.Status()[0].Counters
	}
	if p.upAt != 0 && p.waits == p.upAt+500 {
		p.cancel()
	}
}

// TestRunPolled: the loop sleeps only in the poller's Wait and takes the
// packets Wait delivers: the session comes Up against a peer, stays Up for
// 500 more waits (the peer's packets keep arriving through deliver), and
// when ctx ends RunPolled returns and the peer hears AdminDown. A Deliver
// from outside the loop kicks the poller.
func TestRunPolled(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := &stepPoller{t: t, clock: clock}
	wire := &wire{ttl: 255}
	a := New(Options{Network: &fakeNet{w: wire, side: 0}, Clock: clock, Rand: rand.New(rand.NewPCG(1, 1))})
	b := New(Options{Network: queueNet{q: &p.queue}, Rand: rand.New(rand.NewPCG(2, 1))})
	wire.rt[1] = b
	p.a, p.b = a, b
	if err := a.Start(t0, []Session{{Name: "peer", Local: addrA, Remote: addrB, Params: params()}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(t0, []Session{{Name: "peer", Local: addrB, Remote: addrA, Params: params()}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	a.RunPolled(ctx, p)
	if p.upAt == 0 {
		t.Fatal("the session never came Up")
	}
	last := wire.sent[0][len(wire.sent[0])-1]
	if last.State != bfd.StateAdminDown {
		t.Errorf("last packet to the peer: %v, want AdminDown", last.State)
	}
	if rx := p.ctr.Received(); rx < 10 {
		t.Errorf("A accepted %d packets through Wait's deliver", rx)
	}
	// RunPolled has returned: Deliver no longer kicks the poller.
	kicks := p.kicks.Load()
	a.Deliver(Packet{})
	if p.kicks.Load() != kicks {
		t.Error("Deliver kicked the poller after RunPolled returned")
	}
}

// TestDeliverKicksPoller: while RunPolled runs, a Deliver or a Reload from
// another goroutine kicks the poller (its Wait returns and the loop steps).
func TestDeliverKicksPoller(t *testing.T) {
	r := New(Options{Network: &fakeNet{w: &wire{}}})
	if err := r.Start(time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	kicked := make(chan struct{}, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.RunPolled(ctx, chanPoller{kicked})
	}()
	errc := r.Reload([]Session{{Name: "s", Local: addrA, Remote: addrB, Params: params()}})
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Reload not applied: the poller was not kicked")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunPolled did not return after cancel")
	}
}

// chanPoller blocks in Wait until kicked or the deadline passes.
type chanPoller struct{ c chan struct{} }

func (p chanPoller) Kick() {
	select {
	case p.c <- struct{}{}:
	default:
	}
}

func (p chanPoller) Wait(deadline, now time.Time, deliver func(Packet)) {
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(deadline.Sub(now))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-p.c:
	case <-timer:
	}
}
