package vrrp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMaster(t *testing.T) {
	t.Run("RFC9568-6.4.3-9 adver timer fires: advert and reset", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(3, 255))
		fire := now.Add(time.Second)
		out := i.Handle(fire, TimerFired{})
		if d := cmp.Diff([]string{"SendAdvert(255)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		if want := fire.Add(time.Second); !out.Deadline.Equal(want) {
			t.Errorf("deadline %v, want %v", out.Deadline, want)
		}
	})
	t.Run("RFC9568-6.4.3-10 priority 0 received: advert and reset", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		at := now.Add(300 * time.Millisecond)
		out := i.Handle(at, advert(2, higher, 0, 1))
		if d := cmp.Diff([]string{"SendAdvert(100)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		// The GARP delay timer (5s) is later, so the deadline is the Adver_Timer.
		if want := at.Add(time.Second); !out.Deadline.Equal(want) {
			t.Errorf("deadline %v, want %v", out.Deadline, want)
		}
		wantState(t, i, StateMaster)
	})
	t.Run("RFC9568-6.4.3-11 higher priority: backup", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(3, 90))
		out := i.Handle(now, advert(3, lower, 100, 200))
		wantState(t, i, StateBackup)
		if out.Transition.Reason != "higher priority 100 from 192.0.2.5 (ours 90)" {
			t.Errorf("reason %q", out.Transition.Reason)
		}
		if d := cmp.Diff([]string{"ReleaseVIPs", "Notify(BACKUP)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		if i.MasterAdverInterval() != 200 {
			t.Errorf("Master_Adver_Interval = %d, want 200 (adopted)", i.MasterAdverInterval())
		}
		if want := now.Add(MasterDownInterval(3, 90, 200, 3)); !out.Deadline.Equal(want) {
			t.Errorf("deadline %v, want %v", out.Deadline, want)
		}
	})
	t.Run("RFC9568-6.4.3-11 equal priority and higher address: backup", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		out := i.Handle(now, advert(2, higher, 100, 1))
		wantState(t, i, StateBackup)
		wantReason(t, out, "equal priority 100 from 192.0.2.20, a higher address than ours 192.0.2.10")
	})
	t.Run("RFC9568-6.4.3-12 equal priority and lower address: assert with an advert", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		out := i.Handle(now, advert(2, lower, 100, 1))
		wantState(t, i, StateMaster)
		want := []string{"SplitBrainSuspect(192.0.2.5,100)", "SendAdvert(100)"}
		if d := cmp.Diff(want, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
	})
	t.Run("RFC9568-6.4.3-12 lower priority: assert with an advert, timer unchanged", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		before := i.Handle(now, TimerFired{}).Deadline
		out := i.Handle(now.Add(100*time.Millisecond), advert(2, higher, 50, 1))
		want := []string{"SplitBrainSuspect(192.0.2.20,50)", "SendAdvert(100)"}
		if d := cmp.Diff(want, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		if !out.Deadline.Equal(before) {
			t.Errorf("deadline moved from %v to %v", before, out.Deadline)
		}
	})
	t.Run("lower-priority master: its first advert may cross ours, the next is a split brain", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		firsts := func(out Output) []bool {
			var f []bool
			for _, a := range out.Actions {
				if s, ok := a.(SplitBrainSuspect); ok {
					f = append(f, s.First)
				}
			}
			return f
		}
		// One at a time: an Output's actions are valid until the next Handle.
		steps := []struct {
			name string
			at   time.Duration
			in   AdvertReceived
			want []bool
		}{
			{"first from .20", 0, advert(2, higher, 50, 1), []bool{true}},
			{"second from .20", time.Second, advert(2, higher, 50, 1), []bool{false}},
			{"first from .5", time.Second, advert(2, lower, 60, 1), []bool{true}},
		}
		for _, s := range steps {
			if d := cmp.Diff(s.want, firsts(i.Handle(now.Add(s.at), s.in))); d != "" {
				t.Errorf("%s: First (-want +got):\n%s", s.name, d)
			}
		}
		// Back to BACKUP (a higher priority), then MASTER again: the peers
		// are forgotten.
		i.Handle(now.Add(2*time.Second), advert(2, higher, 200, 1))
		wantState(t, i, StateBackup)
		i.Handle(now.Add(10*time.Second), TimerFired{})
		wantState(t, i, StateMaster)
		out := i.Handle(now.Add(11*time.Second), advert(2, higher, 50, 1))
		if d := cmp.Diff([]bool{true}, firsts(out)); d != "" {
			t.Errorf("after becoming MASTER again: First (-want +got):\n%s", d)
		}
	})
	t.Run("RFC3768-6.4.3-9 keepalived:lower_prio_no_advert discards silently", func(t *testing.T) {
		c := baseConfig(2, 100)
		c.LowerPrioNoAdvert = true
		i, now := startMaster(t, c)
		out := i.Handle(now, advert(2, higher, 50, 1))
		if d := cmp.Diff([]string{"SplitBrainSuspect(192.0.2.20,50)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
	})
	t.Run("keepalived:garp_lower_prio_repeat", func(t *testing.T) {
		c := baseConfig(2, 100)
		c.GARPLowerPrioRepeat = 2
		i, now := startMaster(t, c)
		out := i.Handle(now, advert(2, higher, 50, 1))
		if d := cmp.Diff([]string{"SplitBrainSuspect(192.0.2.20,50)", "SendAdvert(100)", "SendGratuitous(2)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
	})
	t.Run("keepalived:higher_prio_send_advert", func(t *testing.T) {
		c := baseConfig(2, 100)
		c.HigherPrioSendAdvert = true
		i, now := startMaster(t, c)
		out := i.Handle(now, advert(2, higher, 200, 1))
		if d := cmp.Diff([]string{"SendAdvert(100)", "ReleaseVIPs", "Notify(BACKUP)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
	})
	t.Run("RFC9568-6.4.3-8 shutdown: priority 0 advert, release, stop", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(3, 200))
		out := i.Handle(now, Shutdown{})
		if d := cmp.Diff([]string{"SendAdvert(0)", "ReleaseVIPs", "Notify(STOP)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		if !out.Deadline.IsZero() {
			t.Errorf("deadline %v after shutdown", out.Deadline)
		}
		if out := i.Handle(now, Shutdown{}); out.Ignored != IgnoreAlreadyInSt {
			t.Errorf("second shutdown: ignored %q", out.Ignored)
		}
	})
	t.Run("keepalived:garp_master_delay and garp_master_refresh", func(t *testing.T) {
		// RFC9568-8.1.2-4, RFC3768-8.2-3: gratuitous ARP for each VIP on
		// becoming master (SendGratuitous), repeated as keepalived does.
		c := baseConfig(3, 255)
		c.GARPMasterDelay, c.GARPMasterRefresh, c.GARPMasterRefreshRepeat = 2500*time.Millisecond, 4*time.Second, 2
		i, now := startMaster(t, c)
		var got []string
		for k := 0; k < 12; k++ {
			out := i.Handle(now, TimerFired{})
			for _, s := range render(out.Actions) {
				got = append(got, now.Sub(t0).String()+" "+s)
			}
			now = out.Deadline
		}
		want := []string{
			"1s SendAdvert(255)", "2s SendAdvert(255)", "2.5s SendGratuitous(5)", "3s SendAdvert(255)",
			"4s SendGratuitous(2)", "4s SendAdvert(255)", "5s SendAdvert(255)", "6s SendAdvert(255)",
			"7s SendAdvert(255)", "8s SendGratuitous(2)", "8s SendAdvert(255)", "9s SendAdvert(255)", "10s SendAdvert(255)",
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("timeline (-want +got):\n%s", d)
		}
	})
}

func TestReceiveChecks(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		in   AdvertReceived
		want IgnoreReason
	}{
		{"RFC3768-7.1-8 v2 interval mismatch discarded", baseConfig(2, 100), advert(2, higher, 200, 2), IgnoreIntervalV2},
		{"RFC9568-7.1-8 v3 interval mismatch accepted", baseConfig(3, 100), advert(3, higher, 200, 300), IgnoreNone},
		{"RFC9568-7.1-6 erratum 8301 zero interval discarded", baseConfig(3, 100), advert(3, higher, 200, 0), IgnoreZeroInterval},
		{"RFC9568-7.1-1 wrong version discarded", baseConfig(3, 100), advert(2, higher, 200, 1), IgnoreWrongVersion},
		{"RFC9568-7.1-4 wrong VRID discarded", baseConfig(3, 100), func() AdvertReceived { a := advert(3, higher, 200, 100); a.Advert.VRID = 52; return a }(), IgnoreWrongVRID},
		{"keepalived:own advert looped back ignored", baseConfig(3, 100), advert(3, ours, 200, 100), IgnoreOwnAdvert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := startBackup(t, tt.c)
			if out := i.Handle(t0, tt.in); out.Ignored != tt.want {
				t.Errorf("ignored %q, want %q", out.Ignored, tt.want)
			}
		})
	}
	t.Run("RFC9568-7.1-5 erratum 8298 owner processes adverts", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(3, 255))
		i.Handle(now, advert(3, higher, 255, 100))
		wantState(t, i, StateBackup)
	})
	t.Run("RFC9568-8.3.2-1 two owners: the winner stays and signals the other owner", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(3, 255))
		out := i.Handle(now, advert(3, lower, 255, 100))
		wantState(t, i, StateMaster)
		if d := cmp.Diff([]string{"SplitBrainSuspect(192.0.2.5,255)", "SendAdvert(255)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
	})
	t.Run("RFC3768-7.1-5 keepalived:owner_ignore_adverts", func(t *testing.T) {
		c := baseConfig(3, 255)
		c.OwnerIgnoreAdverts = true
		i, now := startMaster(t, c)
		if out := i.Handle(now, advert(3, higher, 255, 100)); out.Ignored != IgnoreOwner {
			t.Errorf("ignored %q, want owner", out.Ignored)
		}
		wantState(t, i, StateMaster)
	})
	t.Run("adverts ignored when not running", func(t *testing.T) {
		i := mustInstance(t, baseConfig(3, 100))
		if out := i.Handle(t0, advert(3, higher, 200, 100)); out.Ignored != IgnoreNotRunning {
			t.Errorf("INIT: ignored %q", out.Ignored)
		}
	})
}

func TestFault(t *testing.T) {
	t.Run("keepalived:master-to-FAULT sends priority 0 and releases", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(3, 200))
		out := i.Handle(now, Fault{Source: "script chk", Reason: "script chk failed"})
		if d := cmp.Diff([]string{"SendAdvert(0)", "ReleaseVIPs", "Notify(FAULT)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		wantReason(t, out, "fault: script chk failed")
		if !out.Deadline.IsZero() {
			t.Errorf("deadline %v in FAULT", out.Deadline)
		}
		if out := i.Handle(now, advert(3, higher, 100, 100)); out.Ignored != IgnoreNotRunning {
			t.Errorf("advert in FAULT: ignored %q", out.Ignored)
		}
	})
	t.Run("keepalived:FAULT held until every source clears, then BACKUP", func(t *testing.T) {
		i := startBackup(t, baseConfig(3, 200))
		i.Handle(t0, Fault{Source: "a", Reason: "a down"})
		i.Handle(t0, Fault{Source: "b", Reason: "b down"})
		wantState(t, i, StateFault)
		if out := i.Handle(t0, FaultCleared{Source: "a"}); out.Transition != nil {
			t.Fatalf("left FAULT with b still down: %+v", out.Transition)
		}
		if out := i.Handle(t0, FaultCleared{Source: "zz"}); out.Ignored != IgnoreAlreadyInSt {
			t.Errorf("unknown source cleared: ignored %q", out.Ignored)
		}
		later := t0.Add(time.Minute)
		out := i.Handle(later, FaultCleared{Source: "b", Reason: "b up"})
		wantState(t, i, StateBackup)
		wantReason(t, out, "fault cleared (b up)")
		if want := later.Add(i.MasterDownInterval()); !out.Deadline.Equal(want) {
			t.Errorf("deadline %v, want %v", out.Deadline, want)
		}
	})
	t.Run("keepalived:owner leaves FAULT as MASTER", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(3, 255))
		i.Handle(now, Fault{Source: "eth0"})
		out := i.Handle(now, FaultCleared{Source: "eth0"})
		wantState(t, i, StateMaster)
		wantReason(t, out, "address owner")
	})
}

func TestPriorityChanged(t *testing.T) {
	t.Run("keepalived:owner keeps 255", func(t *testing.T) {
		i := mustInstance(t, baseConfig(3, 255))
		if out := i.Handle(t0, PriorityChanged{Effective: 100}); out.Ignored != IgnoreOwner || i.Priority() != 255 {
			t.Errorf("ignored %q priority %d", out.Ignored, i.Priority())
		}
	})
	t.Run("keepalived:clamped to 1..254", func(t *testing.T) {
		i := mustInstance(t, baseConfig(3, 100))
		i.Handle(t0, PriorityChanged{Effective: 255})
		if i.Priority() != 254 {
			t.Errorf("priority %d, want 254", i.Priority())
		}
		i.Handle(t0, PriorityChanged{Effective: 0})
		if i.Priority() != 1 {
			t.Errorf("priority %d, want 1", i.Priority())
		}
	})
	t.Run("RFC9568-6.4.2-10 raised above the master: preempts after master down interval", func(t *testing.T) {
		i := startBackup(t, baseConfig(2, 100))
		out := i.Handle(t0.Add(time.Second), advert(2, higher, 150, 1))
		i.Handle(t0.Add(1500*time.Millisecond), PriorityChanged{Effective: 200})
		if o := i.Handle(t0.Add(2*time.Second), advert(2, higher, 150, 1)); o.Ignored != IgnoreLowerPriority {
			t.Fatalf("ignored %q, want lower-priority", o.Ignored)
		}
		i.Handle(out.Deadline, TimerFired{})
		wantState(t, i, StateMaster)
	})
	t.Run("master advertises the new priority", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		i.Handle(now, PriorityChanged{Effective: 80})
		out := i.Handle(now.Add(time.Second), TimerFired{})
		if d := cmp.Diff([]string{"SendAdvert(80)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
	})
}
