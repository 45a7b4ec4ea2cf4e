package bfd

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// simNet is two sessions over a lossy, delaying link, on a fake clock. Loss
// and delay come from a seeded RNG, so a failing seed replays exactly.
type simNet struct {
	t        *testing.T
	now      time.Time
	s        [2]*Session
	deadline [2]time.Time
	inflight []delivery
	rng      *rand.Rand
	loss     float64       // probability a packet is lost
	maxDelay time.Duration // uniform delay in [0, maxDelay]
	cut      bool
	lastAt   [2]time.Time // a link keeps order: no packet overtakes another
	upSeen   bool         // both sessions were Up at once since it was cleared
	log      []simTransition
}

type delivery struct {
	at time.Time
	to int
	p  Control
}

type simTransition struct {
	at      time.Time
	session int
	tr      Transition
	dt      time.Duration // the session's detection time just before
}

func newSimNet(t *testing.T, seed uint64, loss float64, maxDelay time.Duration, a, b Config) *simNet {
	n := &simNet{t: t, now: t0, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), loss: loss, maxDelay: maxDelay}
	for i, c := range []Config{a, b} {
		s, err := NewSession(c, rand.New(rand.NewPCG(seed+uint64(i), 7)))
		if err != nil {
			t.Fatal(err)
		}
		n.s[i] = s
		n.apply(i, s.Handle(n.now, Startup{}))
	}
	return n
}

func (n *simNet) apply(i int, out Output) {
	if out.Dropped != OK {
		n.t.Fatalf("session %d dropped a packet of its peer: %v", i, out.Dropped)
	}
	if out.Transition != nil {
		n.log = append(n.log, simTransition{n.now, i, *out.Transition, n.s[i].DetectionTime()})
	}
	n.deadline[i] = out.Deadline
	if n.s[0] != nil && n.s[1] != nil && n.bothUp() {
		n.upSeen = true
	}
	for _, p := range out.Send {
		// Through the wire: what the peer gets is what parses.
		b, err := p.Marshal()
		if err != nil {
			n.t.Fatal(err)
		}
		if n.cut || n.rng.Float64() < n.loss {
			continue
		}
		q, err := ParseControl(b)
		if err != nil {
			n.t.Fatal(err)
		}
		at := n.now.Add(time.Duration(n.rng.Int64N(int64(n.maxDelay) + 1)))
		if at.Before(n.lastAt[1-i]) {
			at = n.lastAt[1-i]
		}
		n.lastAt[1-i] = at
		n.inflight = append(n.inflight, delivery{at, 1 - i, q})
	}
}

// run advances the clock to until, delivering packets and firing timers in
// time order.
func (n *simNet) run(until time.Time) {
	for steps := 0; ; steps++ {
		if steps > 1_000_000 {
			n.t.Fatal("simulation does not advance")
		}
		next, kind, idx := until, -1, -1
		for i, d := range n.deadline {
			if !d.IsZero() && d.Before(next) {
				next, kind, idx = d, 0, i
			}
		}
		for j, d := range n.inflight {
			if d.at.Before(next) {
				next, kind, idx = d.at, 1, j
			}
		}
		if kind < 0 {
			n.now = until
			return
		}
		n.now = next
		if kind == 0 {
			n.apply(idx, n.s[idx].Handle(n.now, TimerFired{}))
			continue
		}
		d := n.inflight[idx]
		n.inflight = append(n.inflight[:idx], n.inflight[idx+1:]...)
		n.apply(d.to, n.s[d.to].Handle(n.now, Received{Packet: d.p}))
	}
}

func (n *simNet) bothUp() bool { return n.s[0].State() == StateUp && n.s[1].State() == StateUp }

func (n *simNet) history() string {
	var s string
	for _, l := range n.log {
		s += fmt.Sprintf("  %v s%d %v → %v (%v): %s\n", l.at.Sub(t0), l.session, l.tr.From, l.tr.To, l.tr.Diag, l.tr.Reason)
	}
	return s
}

// TestSimulator runs two sessions over a seeded lossy, delaying link: they
// come Up; a cut of the link is detected by each side within its
// detection time (RFC 5880 §6.8.4) with diag 1; after the link heals they
// come Up again. With no loss, no session ever goes Down before the cut.
func TestSimulator(t *testing.T) {
	const seeds = 300
	for seed := uint64(1); seed <= seeds; seed++ {
		loss := []float64{0, 0.02, 0.1}[seed%3]
		a, b := cfg(1), cfg(2)
		a.Name, b.Name = "a", "b"
		a.DesiredMinTx, a.RequiredMinRx = time.Duration(10+seed%4*20)*time.Millisecond, 20*time.Millisecond
		b.DetectMult = uint8(2 + seed%3)
		b.Passive = seed%5 == 0
		maxDelay := 2 * time.Millisecond
		n := newSimNet(t, seed, loss, maxDelay, a, b)

		n.run(t0.Add(5 * time.Second))
		if !n.upSeen {
			t.Fatalf("seed %d (loss %v): not Up after 5s:\n%s", seed, loss, n.history())
		}
		if loss == 0 {
			for _, l := range n.log {
				if l.tr.To != StateInit && l.tr.To != StateUp {
					t.Fatalf("seed %d: went %v without loss:\n%s", seed, l.tr.To, n.history())
				}
			}
		}

		// Cut the link once both are Up; packets in flight still arrive.
		for !n.bothUp() {
			n.run(n.now.Add(time.Second))
			if n.now.Sub(t0) > time.Minute {
				t.Fatalf("seed %d: never both Up for a cut:\n%s", seed, n.history())
			}
		}
		cutAt := n.now
		n.cut = true
		dts := [2]time.Duration{n.s[0].DetectionTime(), n.s[1].DetectionTime()}
		mark := len(n.log)
		n.run(cutAt.Add(3 * time.Second))
		for i := range 2 {
			var down *simTransition
			for j := mark; j < len(n.log); j++ {
				if n.log[j].session == i && n.log[j].tr.From == StateUp {
					down = &n.log[j]
					break
				}
			}
			if down == nil {
				t.Fatalf("seed %d: session %d never noticed the cut:\n%s", seed, i, n.history())
			}
			// The last packet arrived at most maxDelay after the cut.
			if limit := dts[i] + maxDelay; down.at.Sub(cutAt) > limit {
				t.Errorf("seed %d: session %d Down %v after the cut, detection time %v + delay %v", seed, i, down.at.Sub(cutAt), dts[i], maxDelay)
			}
			if down.tr.To != StateDown || down.tr.Diag != DiagControlDetectionExpired {
				t.Errorf("seed %d: session %d left Up with %+v", seed, i, down.tr)
			}
		}

		// With loss a session may go Down again later (three packets lost
		// in a row): recovery means both were Up at once.
		n.cut, n.upSeen = false, false
		n.run(n.now.Add(10 * time.Second))
		if !n.upSeen {
			t.Fatalf("seed %d (loss %v): not Up 10s after the link healed:\n%s", seed, loss, n.history())
		}
	}
}
