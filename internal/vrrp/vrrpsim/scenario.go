package vrrpsim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"gokeepalived/internal/vrrp"
)

// EventKind is the fault a random scenario injects in its chaos phase.
type EventKind uint8

// The injected faults.
const (
	CrashMaster   EventKind = iota // master dies silently
	StopMaster                     // master shuts down (priority-0 advert)
	PartitionHeal                  // segment splits in two, then heals
	PriorityDrop                   // master's priority falls below the best backup's
	CrashRestart                   // master dies, later restarts
	numEventKinds
)

var eventNames = [...]string{"crash-master", "stop-master", "partition-heal", "priority-drop", "crash-restart"}

func (k EventKind) String() string { return eventNames[k] }

// Scenario is a random cluster and one injected fault, fully determined by
// Seed (see RandomScenario).
type Scenario struct {
	Seed      uint64
	N         int
	Version   uint8
	AdverInt  time.Duration
	Prios     []uint8
	Drift     []int64
	Net       Net
	Event     EventKind
	Side      []int         // PartitionHeal: each node's side
	Hold      time.Duration // PartitionHeal: partition length; CrashRestart: downtime
	NewPrio   uint8         // PriorityDrop
	StartSkew []time.Duration
}

// RandomScenario derives a scenario from seed: 2-5 nodes, v2 (1s) or v3
// (0.5/1/2s), distinct priorities at least 8 apart (sometimes one owner),
// delay <= 2ms plus jitter <= 1ms, loss 0 (30% of seeds) or up to 20%,
// duplication up to 5%, clock drift within ±200ppm.
//
// Priorities differ by at least 8 so that backups' Skew_Times differ by more
// than twice the worst delay plus drift (8/256 of the smallest interval,
// 15.6ms, against 6ms + 2*200ppm*MDI): with no loss, only the best backup
// can time out before it hears the new master. Equal priorities are covered
// by the table tests.
func RandomScenario(seed uint64) Scenario {
	r := rand.New(rand.NewPCG(seed, 0x5ce7a210))
	sc := Scenario{Seed: seed, N: 2 + r.IntN(4)}
	if r.IntN(2) == 0 {
		sc.Version, sc.AdverInt = 2, time.Second
	} else {
		sc.Version = 3
		sc.AdverInt = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}[r.IntN(3)]
	}
	// Distinct priorities, >= 8 apart, from 1..254; sometimes an owner.
	slots := r.Perm(31) // priorities 8*(1..31) = 8..248
	for k := range sc.N {
		sc.Prios = append(sc.Prios, uint8(8*(slots[k]+1)))
		sc.Drift = append(sc.Drift, r.Int64N(401)-200)
		sc.StartSkew = append(sc.StartSkew, time.Duration(r.Int64N(int64(time.Second))))
	}
	if r.IntN(5) == 0 {
		sc.Prios[r.IntN(sc.N)] = 255
	}
	sc.Net = Net{Delay: time.Duration(100+r.IntN(1900)) * time.Microsecond, Jitter: time.Duration(r.IntN(1000)) * time.Microsecond}
	if r.IntN(10) >= 3 {
		sc.Net.Loss = r.Float64() * 0.2
	}
	if r.IntN(2) == 0 {
		sc.Net.Dup = r.Float64() * 0.05
	}
	sc.Event = EventKind(r.IntN(int(numEventKinds)))
	sc.Side = make([]int, sc.N)
	for k := range sc.Side {
		sc.Side[k] = r.IntN(2)
	}
	sc.Side[r.IntN(sc.N)] ^= 1 // at least one node on each side unless N... ensure below
	ones := 0
	for _, s := range sc.Side {
		ones += s
	}
	if ones == 0 || ones == sc.N {
		sc.Side[0] ^= 1
	}
	sc.Hold = time.Duration(500+r.IntN(19500)) * time.Millisecond
	sc.NewPrio = uint8(1 + r.IntN(7))
	return sc
}

func (sc Scenario) String() string {
	return fmt.Sprintf("seed=%d n=%d v%d adv=%v prios=%v drift=%v net=%+v event=%v side=%v hold=%v newprio=%d",
		sc.Seed, sc.N, sc.Version, sc.AdverInt, sc.Prios, sc.Drift, sc.Net, sc.Event, sc.Side, sc.Hold, sc.NewPrio)
}

// Configs returns the instance configs of the scenario's nodes.
func (sc Scenario) Configs() []vrrp.Config {
	var cs []vrrp.Config
	for k := range sc.N {
		cs = append(cs, vrrp.Config{
			VRID: 51, Version: sc.Version, Priority: sc.Prios[k], AdverInt: sc.AdverInt,
			PrimaryAddr: Addr(k), VIPs: []netip.Addr{netip.MustParseAddr("198.51.100.1")},
			GARPMasterRepeat: 5, GARPMasterDelay: 5 * time.Second,
		})
	}
	return cs
}

// Result reports what a scenario run checked.
type Result struct {
	// Strict is true when the chaos window had no loss, so the exact timing
	// property was checked; otherwise only eventual convergence was.
	Strict bool
	Sim    *Sim
}

// Run executes the scenario and checks its properties, returning the first
// violation. The Sim (with its trace) is returned either way.
//
// Phases (global virtual time):
//
//	A  start: nodes boot within 1s, scenario loss; 2s + 4 MDI.
//	B  settle with loss 0 for MDI + 2 advert intervals, then require exactly
//	   one master, the best node; then 10 intervals of steady state with no
//	   transition and never more than one master.
//	C  inject the event with scenario loss and check its property (below).
//	D  loss 0 again: settle, exactly one master (the best), steady state.
//
// Phase C properties, checked strictly only when no advert was lost from
// two intervals before the event to the end of the window ("Strict"):
//
//	crash-master:   the best backup b becomes master once, at T with
//	                T - crash in (MDI_b - Adver_Interval, MDI_b + max delay]
//	                (its timer was last reset by the master's last advert,
//	                sent at most one interval before the crash), and no other
//	                node becomes master.
//	stop-master:    b becomes master at T - stop in [Skew_b + min delay,
//	                Skew_b + max delay], no other node does.
//	partition-heal: from heal + MDI + Adver_Interval + max delay to the end
//	                of the window, exactly one master, the best.
//	priority-drop:  b becomes master at T - change in (MDI_b - Adver_Interval,
//	                MDI_b + max delay], and is the only master after T + max delay.
//	crash-restart:  eventual properties only (phase D).
//
// Clock drift is allowed for with a tolerance of 2*200ppm of the interval
// plus 1µs. Non-strict runs still must converge in phase D.
func (sc Scenario) Run(verbose bool) (Result, error) {
	s, err := New(sc.Seed, sc.Net, sc.Configs())
	if err != nil {
		return Result{}, err
	}
	s.Verbose = verbose
	res := Result{Sim: s}
	for k, n := range s.Nodes {
		n.DriftPPM = sc.Drift[k]
		n.Offset = time.Duration(k) * 1000 * time.Second
	}
	adv := sc.AdverInt
	var mdiMax time.Duration
	for _, p := range sc.Prios {
		mdiMax = max(mdiMax, sc.rfcMDI(p))
	}
	tol := func(d time.Duration) time.Duration { return d*400/1_000_000 + time.Microsecond }
	maxD := sc.Net.MaxDelay()

	// Phase A.
	for k := range s.Nodes {
		s.At(sc.StartSkew[k], fmt.Sprintf("start n%d (priority %d)", k, sc.Prios[k]), func() { s.Start(k) })
	}
	t := 2*time.Second + 4*mdiMax
	if err := s.RunUntil(t); err != nil {
		return res, err
	}
	// Phase B.
	if err := sc.settle(s, &t, mdiMax, "B"); err != nil {
		return res, err
	}
	// Phase C.
	s.Net.Loss = sc.Net.Loss
	tc := t
	m := s.Masters()[0]
	var check func() error
	end := tc + mdiMax + 4*adv + maxD
	switch sc.Event {
	case CrashMaster, CrashRestart:
		s.At(tc, fmt.Sprintf("crash master n%d", m), func() { s.Crash(m) })
		if sc.Event == CrashRestart {
			s.At(tc+sc.Hold, fmt.Sprintf("restart n%d", m), func() { s.Start(m) })
			end = tc + sc.Hold + mdiMax + 4*adv
			break
		}
		check = func() error {
			b := s.Best()
			mdi := sc.rfcMDI(s.Nodes[b].Inst.Priority())
			return sc.takeover(s, b, tc, end, mdi-adv-tol(mdi), mdi+maxD+tol(mdi))
		}
	case StopMaster:
		s.At(tc, fmt.Sprintf("stop master n%d", m), func() { s.Stop(m) })
		check = func() error {
			b := s.Best()
			sk := sc.rfcSkew(s.Nodes[b].Inst.Priority())
			return sc.takeover(s, b, tc, end, sk+sc.Net.Delay-tol(sk+adv), sk+maxD+tol(sk+adv))
		}
	case PriorityDrop:
		s.At(tc, fmt.Sprintf("n%d priority -> %d", m, sc.NewPrio), func() { s.SetPriority(m, sc.NewPrio) })
		check = func() error {
			b := s.Best()
			if b == m {
				return nil // a single node: nothing to take over
			}
			mdi := sc.rfcMDI(s.Nodes[b].Inst.Priority())
			return sc.takeover(s, b, tc, end, mdi-adv-tol(mdi), mdi+maxD+tol(mdi))
		}
	case PartitionHeal:
		s.At(tc, fmt.Sprintf("partition %v", sc.Side), func() { copy(s.Partition, sc.Side) })
		th := tc + sc.Hold
		s.At(th, "heal", func() { clear(s.Partition) })
		conv := th + mdiMax + adv + maxD + tol(mdiMax+adv)
		end = conv + 3*adv
		s.At(conv, "check one master after heal", func() {})
		check = func() error {
			if s.DropsBetween(th, end) > 0 {
				return nil
			}
			res.Strict = true
			// Replay the window's transitions after conv: there must be none,
			// and the state at conv must be exactly one master, the best.
			if tr := s.TransitionsBetween(conv, end); len(tr) > 0 {
				return fmt.Errorf("transition after heal convergence bound: n%d %s->%s at %.6fs: %s",
					tr[0].Node, tr[0].From, tr[0].To, tr[0].At.Seconds(), tr[0].Reason)
			}
			if ms := s.Masters(); len(ms) != 1 || ms[0] != s.Best() {
				return fmt.Errorf("masters %v at %.6fs (heal at %.6fs, bound MDI+adv+delay), want [n%d]",
					ms, end.Seconds(), th.Seconds(), s.Best())
			}
			return nil
		}
	}
	if err := s.RunUntil(end); err != nil {
		return res, err
	}
	if check != nil && s.DropsBetween(tc-2*adv, end) == 0 {
		if sc.Event != PartitionHeal {
			res.Strict = true
		}
		if err := check(); err != nil {
			return res, fmt.Errorf("phase C (%v): %w", sc.Event, err)
		}
	} else if check != nil && sc.Event == PartitionHeal {
		if err := check(); err != nil {
			return res, fmt.Errorf("phase C (%v): %w", sc.Event, err)
		}
	}
	// Phase D.
	t = end
	if err := sc.settle(s, &t, mdiMax, "D"); err != nil {
		return res, err
	}
	return res, nil
}

// settle turns loss off, waits for convergence and checks the steady state.
func (sc Scenario) settle(s *Sim, t *time.Duration, mdiMax time.Duration, phase string) error {
	adv := sc.AdverInt
	s.Net.Loss = 0
	*t += mdiMax + 2*adv + sc.Net.MaxDelay()
	if err := s.RunUntil(*t); err != nil {
		return err
	}
	if ms := s.Masters(); len(ms) != 1 || ms[0] != s.Best() {
		return fmt.Errorf("phase %s: masters %v after settling with no loss, want exactly [n%d] (best)", phase, ms, s.Best())
	}
	from := *t
	s.Check = func(s *Sim) error {
		if ms := s.Masters(); len(ms) > 1 {
			return fmt.Errorf("phase %s steady state: two masters %v", phase, ms)
		}
		return nil
	}
	*t += 10 * adv
	err := s.RunUntil(*t)
	s.Check = nil
	if err != nil {
		return err
	}
	if tr := s.TransitionsBetween(from, *t); len(tr) > 0 {
		return fmt.Errorf("phase %s steady state: n%d %s->%s at %.6fs: %s", phase, tr[0].Node, tr[0].From, tr[0].To, tr[0].At.Seconds(), tr[0].Reason)
	}
	return nil
}

// takeover checks that node b, and only b, became master in [t0, end], once,
// at t0+lo .. t0+hi, and is the only master at the end.
func (sc Scenario) takeover(s *Sim, b int, t0, end, lo, hi time.Duration) error {
	var at []time.Duration
	for _, tr := range s.TransitionsBetween(t0, end) {
		if tr.To != vrrp.StateMaster {
			continue
		}
		if tr.Node != b {
			return fmt.Errorf("n%d became master at +%v; only the best backup n%d should", tr.Node, tr.At-t0, b)
		}
		at = append(at, tr.At)
	}
	if len(at) != 1 {
		return fmt.Errorf("best backup n%d became master %d times after the event, want once", b, len(at))
	}
	if d := at[0] - t0; d < lo || d > hi {
		return fmt.Errorf("best backup n%d took over %v after the event, want within [%v, %v]", b, d, lo, hi)
	}
	if ms := s.Masters(); len(ms) != 1 || ms[0] != b {
		return fmt.Errorf("masters %v at end of window, want [n%d]", ms, b)
	}
	return nil
}

// rfcSkew is Skew_Time written out independently of package vrrp, so that
// the simulator checks the core's timers against the RFC rather than
// against themselves. RFC 3768 §6.1: (256-Priority)/256 s; RFC 9568 §6.1:
// ((256-Priority) * Master_Adver_Interval)/256 (all nodes share one interval).
func (sc Scenario) rfcSkew(prio uint8) time.Duration {
	if sc.Version == 2 {
		return time.Duration(float64(time.Second) * float64(256-int(prio)) / 256)
	}
	return time.Duration(float64(sc.AdverInt) * float64(256-int(prio)) / 256)
}

// rfcMDI is Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
func (sc Scenario) rfcMDI(prio uint8) time.Duration { return 3*sc.AdverInt + sc.rfcSkew(prio) }
