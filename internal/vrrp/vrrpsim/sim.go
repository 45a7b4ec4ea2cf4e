// Package vrrpsim runs VRRP instances (the pure core in internal/vrrp) on a
// simulated L2 segment with a fake clock. Everything is driven from one
// seeded RNG and a single event queue, so a run is a pure function of its
// seed and inputs: a failing scenario is replayed exactly by its seed.
//
// The segment delivers each advertisement to every other live node in the
// same partition after Delay plus a uniform jitter in [0, Jitter], drops it
// with probability Loss and duplicates it with probability Dup. Nodes can
// crash (no priority-0 advert), restart, stop gracefully, change priority,
// and run on clocks with a constant offset and a rate error (ppm).
package vrrpsim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// Epoch is global virtual time zero.
var Epoch = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)

// Net describes the segment's impairments.
type Net struct {
	Delay  time.Duration // fixed one-way delay
	Jitter time.Duration // extra uniform delay in [0, Jitter]
	Loss   float64       // per-packet, per-receiver drop probability
	Dup    float64       // per-packet, per-receiver duplication probability
}

// MaxDelay is the largest one-way delay the segment can produce.
func (n Net) MaxDelay() time.Duration { return n.Delay + n.Jitter }

// Node is one simulated router running one VRRP instance.
type Node struct {
	ID   int
	Cfg  vrrp.Config
	Inst *vrrp.Instance
	Up   bool
	// HoldsVIPs is true between AcquireVIPs and ReleaseVIPs.
	HoldsVIPs bool
	// Clock error: local = global + Offset + global*DriftPPM/1e6.
	Offset   time.Duration
	DriftPPM int64
	// LastAdvertSent is the global time of the last non-zero advert sent.
	LastAdvertSent time.Duration
	SplitBrain     int // SplitBrainSuspect actions seen

	timerGen uint64
}

// Local converts global virtual time g to the node's clock.
func (n *Node) Local(g time.Duration) time.Time {
	return Epoch.Add(g + n.Offset + time.Duration(int64(g)*n.DriftPPM/1_000_000))
}

// global converts a deadline on the node's clock to the earliest global time
// at which the node's clock has reached it.
func (n *Node) global(t time.Time) time.Duration {
	l := t.Sub(Epoch) - n.Offset
	g := time.Duration(int64(l) * 1_000_000 / (1_000_000 + n.DriftPPM))
	for n.Local(g).Before(t) {
		g++
	}
	for g > 0 && !n.Local(g-1).Before(t) {
		g--
	}
	return g
}

// TransitionRecord is one state change, at global virtual time At.
type TransitionRecord struct {
	At   time.Duration
	Node int
	vrrp.Transition
}

// DropRecord is one advertisement lost on the segment.
type DropRecord struct {
	At       time.Duration
	From, To int
}

type evKind uint8

const (
	evDeliver evKind = iota
	evTimer
	evFunc
)

type event struct {
	at   time.Duration
	seq  uint64
	kind evKind
	node int
	from int
	gen  uint64
	adv  packet.Advert
	fn   func()
	desc string
}

// Sim is a simulated segment with its nodes.
type Sim struct {
	Seed  uint64
	Nodes []*Node
	Net   Net
	// Partition[i] is node i's side; nodes on different sides cannot hear
	// each other.
	Partition []int
	// Verbose records every send and delivery in the trace, not only
	// transitions, drops and scheduled events.
	Verbose bool

	Transitions []TransitionRecord
	Drops       []DropRecord

	now   time.Duration
	rng   *rand.Rand
	q     []event
	seq   uint64
	trace []string
	// Check, if set, runs after every event; a non-nil error stops Run.
	Check func(*Sim) error
}

// New returns a simulation of one node per config, all down.
func New(seed uint64, net Net, cfgs []vrrp.Config) (*Sim, error) {
	s := &Sim{Seed: seed, Net: net, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for k, c := range cfgs {
		inst, err := vrrp.NewInstance(c)
		if err != nil {
			return nil, err
		}
		s.Nodes = append(s.Nodes, &Node{ID: k, Cfg: c, Inst: inst})
		s.Partition = append(s.Partition, 0)
	}
	return s, nil
}

// Rand is the simulation's RNG, for scenario generators that want their
// choices in the same reproducible stream.
func (s *Sim) Rand() *rand.Rand { return s.rng }

// Now is the current global virtual time.
func (s *Sim) Now() time.Duration { return s.now }

func (s *Sim) push(e event) {
	s.seq++
	e.seq = s.seq
	s.q = append(s.q, e)
	// sift up
	for i := len(s.q) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s.q[i], s.q[p] = s.q[p], s.q[i]
		i = p
	}
}

func (s *Sim) less(i, j int) bool {
	if s.q[i].at != s.q[j].at {
		return s.q[i].at < s.q[j].at
	}
	return s.q[i].seq < s.q[j].seq
}

func (s *Sim) pop() event {
	e := s.q[0]
	last := len(s.q) - 1
	s.q[0] = s.q[last]
	s.q[last] = event{}
	s.q = s.q[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s.q) && s.less(l, m) {
			m = l
		}
		if r < len(s.q) && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s.q[i], s.q[m] = s.q[m], s.q[i]
		i = m
	}
	return e
}

// At schedules fn at global time at; desc goes into the trace.
func (s *Sim) At(at time.Duration, desc string, fn func()) {
	s.push(event{at: at, kind: evFunc, fn: fn, desc: desc})
}

// Logf adds a line to the trace.
func (s *Sim) Logf(format string, args ...any) {
	s.trace = append(s.trace, fmt.Sprintf("%12.6fs ", s.now.Seconds())+fmt.Sprintf(format, args...))
}

// Trace returns the recorded trace.
func (s *Sim) Trace() string { return strings.Join(s.trace, "\n") }

// RunUntil processes events up to and including global time end.
func (s *Sim) RunUntil(end time.Duration) error {
	for len(s.q) > 0 && s.q[0].at <= end {
		e := s.pop()
		s.now = e.at
		switch e.kind {
		case evFunc:
			s.Logf("event: %s", e.desc)
			e.fn()
		case evTimer:
			n := s.Nodes[e.node]
			if !n.Up || e.gen != n.timerGen {
				continue
			}
			s.handle(n, vrrp.TimerFired{})
		case evDeliver:
			n := s.Nodes[e.node]
			if !n.Up {
				continue
			}
			if s.Verbose {
				s.Logf("n%d <- n%d advert prio %d", e.node, e.from, e.adv.Priority)
			}
			s.handle(n, vrrp.AdvertReceived{Src: s.Nodes[e.from].Cfg.PrimaryAddr, Advert: e.adv})
		}
		if s.Check != nil {
			if err := s.Check(s); err != nil {
				return err
			}
		}
	}
	s.now = max(s.now, end)
	return nil
}

func (s *Sim) handle(n *Node, in vrrp.Input) {
	out := n.Inst.Handle(n.Local(s.now), in)
	for _, a := range out.Actions {
		switch a := a.(type) {
		case vrrp.SendAdvert:
			s.broadcast(n, a.Priority)
		case vrrp.AcquireVIPs:
			n.HoldsVIPs = true
		case vrrp.ReleaseVIPs:
			n.HoldsVIPs = false
		case vrrp.SplitBrainSuspect:
			n.SplitBrain++
		}
	}
	if tr := out.Transition; tr != nil {
		s.Transitions = append(s.Transitions, TransitionRecord{At: s.now, Node: n.ID, Transition: *tr})
		s.Logf("n%d %s -> %s: %s", n.ID, tr.From, tr.To, tr.Reason)
	}
	n.timerGen++
	if !out.Deadline.IsZero() {
		s.push(event{at: n.global(out.Deadline), kind: evTimer, node: n.ID, gen: n.timerGen})
	}
}

func (s *Sim) broadcast(from *Node, prio uint8) {
	c := from.Cfg
	adv := packet.Advert{Version: c.Version, Type: 1, VRID: c.VRID, Priority: prio, Addrs: c.VIPs}
	if c.Version == 2 {
		adv.AdverInt = uint16(c.AdverInt / time.Second)
	} else {
		adv.AdverInt = uint16(c.AdverInt / (10 * time.Millisecond))
	}
	if prio != 0 {
		from.LastAdvertSent = s.now
	}
	if s.Verbose {
		s.Logf("n%d sends advert prio %d", from.ID, prio)
	}
	for _, to := range s.Nodes {
		if to == from || !to.Up || s.Partition[to.ID] != s.Partition[from.ID] {
			continue
		}
		if s.Net.Loss > 0 && s.rng.Float64() < s.Net.Loss {
			s.Drops = append(s.Drops, DropRecord{At: s.now, From: from.ID, To: to.ID})
			s.Logf("drop n%d -> n%d (prio %d)", from.ID, to.ID, prio)
			continue
		}
		copies := 1
		if s.Net.Dup > 0 && s.rng.Float64() < s.Net.Dup {
			copies = 2
		}
		for range copies {
			d := s.Net.Delay
			if s.Net.Jitter > 0 {
				d += time.Duration(s.rng.Int64N(int64(s.Net.Jitter) + 1))
			}
			s.push(event{at: s.now + d, kind: evDeliver, node: to.ID, from: from.ID, adv: adv})
		}
	}
}

// Start boots node k (Startup).
func (s *Sim) Start(k int) {
	n := s.Nodes[k]
	n.Up = true
	s.handle(n, vrrp.Startup{})
}

// Crash kills node k without a priority-0 advert; its VIPs vanish with it.
func (s *Sim) Crash(k int) {
	n := s.Nodes[k]
	n.Up, n.HoldsVIPs = false, false
	n.timerGen++
	inst, err := vrrp.NewInstance(n.Cfg) // a restarted process starts from scratch
	if err != nil {
		panic(err) // the config was valid at New
	}
	n.Inst = inst
}

// Stop shuts node k down gracefully (Shutdown: a master sends priority 0).
func (s *Sim) Stop(k int) {
	n := s.Nodes[k]
	s.handle(n, vrrp.Shutdown{})
	n.Up = false
}

// SetPriority feeds node k a new effective priority.
func (s *Sim) SetPriority(k int, p uint8) { s.handle(s.Nodes[k], vrrp.PriorityChanged{Effective: p}) }

// Masters returns the live nodes in MASTER.
func (s *Sim) Masters() []int {
	var m []int
	for _, n := range s.Nodes {
		if n.Up && n.Inst.State() == vrrp.StateMaster {
			m = append(m, n.ID)
		}
	}
	return m
}

// Best returns the live node that should be master: highest effective
// priority, ties broken by the higher primary address (RFC 9568 §6.4.3).
func (s *Sim) Best() int {
	best := -1
	for _, n := range s.Nodes {
		if !n.Up {
			continue
		}
		if best < 0 {
			best = n.ID
			continue
		}
		b := s.Nodes[best]
		if p, bp := n.Inst.Priority(), b.Inst.Priority(); p > bp || p == bp && n.Cfg.PrimaryAddr.Compare(b.Cfg.PrimaryAddr) > 0 {
			best = n.ID
		}
	}
	return best
}

// DropsBetween counts drops in [from, to].
func (s *Sim) DropsBetween(from, to time.Duration) int {
	c := 0
	for _, d := range s.Drops {
		if d.At >= from && d.At <= to {
			c++
		}
	}
	return c
}

// TransitionsBetween returns transitions in [from, to].
func (s *Sim) TransitionsBetween(from, to time.Duration) []TransitionRecord {
	var r []TransitionRecord
	for _, t := range s.Transitions {
		if t.At >= from && t.At <= to {
			r = append(r, t)
		}
	}
	return r
}

// Addr returns the primary address the scenario helpers give node k.
func Addr(k int) netip.Addr { return netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + k)}) }
