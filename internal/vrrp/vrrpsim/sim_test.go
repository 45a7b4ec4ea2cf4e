package vrrpsim

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"gokeepalived/internal/vrrp"
)

var (
	flagSeed      = flag.Int64("seed", -1, "run only this scenario seed, with a verbose trace")
	flagScenarios = flag.Int("scenarios", 10000, "number of random scenarios (100 under -short)")
)

// TestRandomScenarios runs seeded random clusters through startup, a fault
// (crash, graceful stop, partition and heal, priority drop, crash and
// restart) and recovery, checking the properties documented on Scenario.Run.
// A failure prints the scenario, its trace and the command that replays it.
func TestRandomScenarios(t *testing.T) {
	if *flagSeed >= 0 {
		sc := RandomScenario(uint64(*flagSeed))
		res, err := sc.Run(true)
		t.Logf("%v\nstrict=%v\ntrace:\n%s", sc, res.Strict, res.Sim.Trace())
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	n := *flagScenarios
	if testing.Short() {
		n = min(n, 100)
	}
	strict := map[EventKind]int{}
	total := map[EventKind]int{}
	start := time.Now()
	for seed := range uint64(n) {
		sc := RandomScenario(seed)
		res, err := sc.Run(false)
		total[sc.Event]++
		if res.Strict {
			strict[sc.Event]++
		}
		if err != nil {
			t.Fatalf("%v\n%v\n\ntrace:\n%s\n\nreplay: go test ./internal/vrrp/vrrpsim -run 'TestRandomScenarios$' -seed %d -v",
				err, sc, res.Sim.Trace(), seed)
		}
	}
	t.Logf("%d scenarios in %v", n, time.Since(start).Round(time.Millisecond))
	for k := range numEventKinds {
		t.Logf("%-15v %5d runs, %5d with the strict (no-loss window) timing check", k, total[k], strict[k])
		// The strict checks must actually run: a third of seeds have no loss.
		if k != CrashRestart && total[k] >= 20 && strict[k]*5 < total[k] {
			t.Errorf("%v: only %d of %d runs checked strictly", k, strict[k], total[k])
		}
	}
}

// TestSimDeterministic: the same seed gives the same trace.
func TestSimDeterministic(t *testing.T) {
	for _, seed := range []uint64{1, 7, 42} {
		a, _ := RandomScenario(seed).Run(true)
		b, _ := RandomScenario(seed).Run(true)
		if a.Sim.Trace() != b.Sim.Trace() {
			t.Fatalf("seed %d: traces differ", seed)
		}
	}
}

// TestPropertiesCanFail breaks the core's contract on purpose through the
// simulator and checks that the property checks notice: a node that never
// sends adverts (nothing heard, so every node goes master).
func TestPropertiesCanFail(t *testing.T) {
	sc := RandomScenario(3)
	sc.N, sc.Prios, sc.Drift, sc.StartSkew = 2, []uint8{100, 200}, []int64{0, 0}, []time.Duration{0, 0}
	sc.Net = Net{Delay: time.Millisecond}
	s, err := New(1, sc.Net, sc.Configs())
	if err != nil {
		t.Fatal(err)
	}
	s.Start(0)
	s.Start(1)
	copy(s.Partition, []int{0, 1}) // never heal
	if err := s.RunUntil(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	if ms := s.Masters(); len(ms) != 2 {
		t.Fatalf("partitioned pair: masters %v, want both", ms)
	}
	if err := sc.settleCheckOnly(s); err == nil {
		t.Fatal("settle check passed with a permanent partition")
	}
}

// settleCheckOnly runs Scenario.settle without healing, for TestPropertiesCanFail.
func (sc Scenario) settleCheckOnly(s *Sim) error {
	t := s.Now()
	var mdi time.Duration
	for _, n := range s.Nodes {
		mdi = max(mdi, n.Inst.MasterDownInterval())
	}
	return sc.settle(s, &t, mdi, "test")
}

func TestNoPreemptKeepsLowerMaster(t *testing.T) {
	// keepalived:nopreempt — a higher-priority node that restarts stays BACKUP.
	cfgs := RandomScenario(0).Configs()[:1]
	cfgs = append(cfgs, cfgs[0])
	cfgs[0].Priority, cfgs[1].Priority = 100, 200
	cfgs[1].PrimaryAddr = Addr(1)
	cfgs[0].NoPreempt, cfgs[1].NoPreempt = true, true
	s, err := New(5, Net{Delay: time.Millisecond}, cfgs)
	if err != nil {
		t.Fatal(err)
	}
	s.Start(0)
	s.At(30*time.Second, "start n1", func() { s.Start(1) })
	if err := s.RunUntil(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	if ms := s.Masters(); fmt.Sprint(ms) != "[0]" {
		t.Fatalf("masters %v, want [0] (nopreempt)\n%s", ms, s.Trace())
	}
	if s.Nodes[1].Inst.State() != vrrp.StateBackup {
		t.Fatalf("n1 %v, want BACKUP", s.Nodes[1].Inst.State())
	}
}
