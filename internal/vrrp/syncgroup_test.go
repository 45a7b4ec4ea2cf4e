package vrrp

import (
	"testing"
	"time"
)

func newGroup(t *testing.T) *SyncGroup {
	t.Helper()
	a, b := baseConfig(3, 100), baseConfig(3, 100)
	b.VRID = 52
	g, err := NewSyncGroup("VG_1", mustInstance(t, a), mustInstance(t, b))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func groupStates(g *SyncGroup) [2]State {
	return [2]State{g.Members()[0].State(), g.Members()[1].State()}
}

func TestSyncGroup(t *testing.T) {
	t.Run("keepalived:sync-group member FAULT takes the others to FAULT", func(t *testing.T) {
		g := newGroup(t)
		g.Handle(t0, AllMembers, Startup{})
		out := g.Handle(t0, 0, Fault{Source: "eth0", Reason: "eth0 down"})
		if got := groupStates(g); got != [2]State{StateFault, StateFault} {
			t.Fatalf("states %v, want both FAULT", got)
		}
		if len(out.Transitions) != 2 || out.Transitions[1].Member != 1 {
			t.Errorf("transitions %+v", out.Transitions)
		}
		// Member 1 has its own fault too; clearing member 0's keeps both in FAULT.
		g.Handle(t0, 1, Fault{Source: "chk", Reason: "chk failed"})
		g.Handle(t0, 0, FaultCleared{Source: "eth0"})
		if got := groupStates(g); got != [2]State{StateFault, StateFault} {
			t.Fatalf("states %v, want both still FAULT", got)
		}
		g.Handle(t0, 1, FaultCleared{Source: "chk"})
		if got := groupStates(g); got != [2]State{StateBackup, StateBackup} {
			t.Fatalf("states %v, want both BACKUP", got)
		}
	})
	t.Run("keepalived:sync-group member MASTER pulls the others", func(t *testing.T) {
		g := newGroup(t)
		g.Handle(t0, AllMembers, Startup{})
		// Member 1 keeps hearing its master; member 0 hears nothing.
		g.Handle(t0.Add(2*time.Second), 1, advert(3, higher, 200, 100))
		out := g.Handle(t0.Add(time.Hour), 0, TimerFired{})
		if got := groupStates(g); got != [2]State{StateMaster, StateMaster} {
			t.Fatalf("states %v, want both MASTER", got)
		}
		acquired := map[int]bool{}
		for _, a := range out.Actions {
			if _, ok := a.Action.(AcquireVIPs); ok {
				acquired[a.Member] = true
			}
		}
		if !acquired[0] || !acquired[1] {
			t.Errorf("AcquireVIPs for %v, want both", acquired)
		}
	})
	t.Run("keepalived:sync-group MASTER to BACKUP takes the others", func(t *testing.T) {
		g := newGroup(t)
		g.Handle(t0, AllMembers, Startup{})
		out := g.Handle(t0.Add(time.Hour), AllMembers, TimerFired{})
		if got := groupStates(g); got != [2]State{StateMaster, StateMaster} {
			t.Fatalf("states %v, want both MASTER", got)
		}
		out = g.Handle(t0.Add(time.Hour+time.Second), 1, func() AdvertReceived { a := advert(3, higher, 200, 100); a.Advert.VRID = 52; return a }())
		if got := groupStates(g); got != [2]State{StateBackup, StateBackup} {
			t.Fatalf("states %v, want both BACKUP", got)
		}
		if out.Deadline.IsZero() {
			t.Error("no deadline in BACKUP")
		}
	})
	t.Run("rejects duplicates", func(t *testing.T) {
		i := mustInstance(t, baseConfig(3, 100))
		if _, err := NewSyncGroup("x", i, i); err == nil {
			t.Error("duplicate member accepted")
		}
	})
}
