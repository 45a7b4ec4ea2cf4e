package vrrp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMaintenance(t *testing.T) {
	t.Run("master hands over with priority 0, keeps the VIPs until the new master's advert, stays BACKUP", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		out := i.Handle(now, Maintenance{On: true})
		if d := cmp.Diff([]string{"SendAdvert(0)"}, render(out.Actions)); d != "" || out.Transition != nil {
			t.Errorf("actions (-want +got):\n%s; transition %v", d, out.Transition)
		}
		if want := now.Add(i.MasterDownInterval()); !out.Deadline.Equal(want) {
			t.Errorf("deadline %v, want %v (the hand-over's bound)", out.Deadline, want)
		}
		if out := i.Handle(now.Add(time.Second), TimerFired{}); len(out.Actions) != 0 {
			t.Errorf("handing over, the Adver_Timer acted: %v", render(out.Actions))
		}
		out = i.Handle(now.Add(800*time.Millisecond), advert(2, lower, 50, 1))
		if d := cmp.Diff([]string{"ReleaseVIPs", "Notify(BACKUP)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		wantReason(t, out, "maintenance on: handed over with a priority 0 advert; 192.0.2.5 (priority 50) took over after 0.800s (ours 100)")
		if !out.Deadline.IsZero() {
			t.Errorf("deadline %v, want none (no timer acts in maintenance)", out.Deadline)
		}
		// Lower-priority adverts come and go: never MASTER.
		i.Handle(now.Add(time.Hour), TimerFired{})
		i.Handle(now.Add(time.Hour), advert(2, lower, 50, 1))
		out = i.Handle(now.Add(2*time.Hour), TimerFired{})
		wantState(t, i, StateBackup)
		if !i.InMaintenance() || out.Transition != nil {
			t.Errorf("InMaintenance %v, transition %v", i.InMaintenance(), out.Transition)
		}
	})
	t.Run("nobody takes over: the VIPs are released anyway", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		out := i.Handle(now, Maintenance{On: true})
		out = i.Handle(out.Deadline, TimerFired{})
		if d := cmp.Diff([]string{"ReleaseVIPs", "Notify(BACKUP)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		wantReason(t, out, "no other router took over within 3.609s: addresses released anyway")
	})
	t.Run("off: preempts a lower-priority master at once", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		i.Handle(now, Maintenance{On: true})
		i.Handle(now, advert(2, lower, 50, 1)) // the new master
		now = now.Add(10 * time.Second)
		i.Handle(now, advert(2, lower, 50, 1)) // discarded: preempting
		out := i.Handle(now, Maintenance{On: false})
		if out.Deadline.After(now) {
			t.Fatalf("deadline %v, want now %v (the timer expired in maintenance)", out.Deadline, now)
		}
		out = i.Handle(now, TimerFired{})
		wantState(t, i, StateMaster)
		wantReason(t, out, "preempting lower priority 50 master 192.0.2.5")
	})
	t.Run("off with nopreempt: follows the master", func(t *testing.T) {
		c := baseConfig(2, 100)
		c.NoPreempt = true
		i, now := startMaster(t, c)
		i.Handle(now, Maintenance{On: true})
		for k := range 10 {
			i.Handle(now.Add(time.Duration(k)*time.Second), advert(2, lower, 50, 1))
		}
		now = now.Add(9 * time.Second)
		out := i.Handle(now, Maintenance{On: false})
		if want := now.Add(i.MasterDownInterval()); !out.Deadline.Equal(want) {
			t.Errorf("deadline %v, want %v", out.Deadline, want)
		}
		i.Handle(now.Add(time.Second), TimerFired{})
		wantState(t, i, StateBackup)
	})
	t.Run("owner starts and recovers as BACKUP in maintenance", func(t *testing.T) {
		i := mustInstance(t, baseConfig(2, 255))
		i.Handle(t0, Maintenance{On: true})
		i.Handle(t0, Startup{})
		wantState(t, i, StateBackup)
		out := i.Handle(t0.Add(time.Second), Maintenance{On: false})
		wantState(t, i, StateMaster)
		wantReason(t, out, "maintenance off; address owner (priority 255) takes over")
	})
	t.Run("repeated input is ignored", func(t *testing.T) {
		i := startBackup(t, baseConfig(2, 100))
		if out := i.Handle(t0, Maintenance{On: false}); out.Ignored != IgnoreAlreadyInSt {
			t.Errorf("off when not in maintenance: ignored %q", out.Ignored)
		}
		i.Handle(t0, Maintenance{On: true})
		if out := i.Handle(t0, Maintenance{On: true}); out.Ignored != IgnoreAlreadyInSt {
			t.Errorf("on twice: ignored %q", out.Ignored)
		}
	})
	t.Run("sync group: a member in maintenance is not pulled to MASTER", func(t *testing.T) {
		a, b := mustInstance(t, baseConfig(2, 100)), mustInstance(t, baseConfig(2, 100))
		g, err := NewSyncGroup("G", a, b)
		if err != nil {
			t.Fatal(err)
		}
		g.Handle(t0, 1, Maintenance{On: true})
		out := g.Handle(t0, AllMembers, Startup{})
		g.Handle(out.Deadline, AllMembers, TimerFired{})
		if a.State() != StateMaster || b.State() != StateBackup {
			t.Errorf("states %v %v, want MASTER BACKUP", a.State(), b.State())
		}
	})
}

func TestHandOver(t *testing.T) {
	i, now := startMaster(t, baseConfig(2, 100))
	out := i.Handle(now, HandOver{})
	if d := cmp.Diff([]string{"SendAdvert(0)"}, render(out.Actions)); d != "" {
		t.Errorf("actions (-want +got):\n%s", d)
	}
	if out := i.Handle(now, HandOver{}); out.Ignored != IgnoreAlreadyInSt {
		t.Errorf("HandOver while handing over: ignored %q, want already_in_state", out.Ignored)
	}
	out = i.Handle(now.Add(700*time.Millisecond), advert(2, lower, 50, 1))
	wantReason(t, out, "failover requested: handed over with a priority 0 advert; 192.0.2.5 (priority 50) took over after 0.700s (ours 100)")
	// We follow the lower-priority new master instead of preempting it.
	for k := 1; k <= 10; k++ {
		i.Handle(now.Add(time.Duration(k)*time.Second), advert(2, lower, 50, 1))
		i.Handle(now.Add(time.Duration(k)*time.Second), TimerFired{})
	}
	wantState(t, i, StateBackup)
	// It stops advertising: we take over, and behave normally again.
	now = now.Add(10 * time.Second)
	out = i.Handle(now.Add(i.MasterDownInterval()), TimerFired{})
	wantState(t, i, StateMaster)
	wantReason(t, out, "no advertisement from 192.0.2.5")
	// Nobody takes over: it stays MASTER and advertises again.
	now = now.Add(i.MasterDownInterval())
	out = i.Handle(now, HandOver{})
	out = i.Handle(out.Deadline, TimerFired{})
	if d := cmp.Diff([]string{"SendAdvert(100)"}, render(out.Actions)); d != "" || out.Transition != nil {
		t.Errorf("hand-over timed out: actions (-want +got):\n%s; transition %v", d, out.Transition)
	}
	wantState(t, i, StateMaster)
	i.Handle(now, advert(2, higher, 150, 1))
	if out := i.Handle(now, HandOver{}); out.Ignored != IgnoreAlreadyInSt {
		t.Errorf("HandOver in BACKUP: ignored %q, want already_in_state", out.Ignored)
	}
}
