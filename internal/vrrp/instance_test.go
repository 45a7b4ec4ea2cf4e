package vrrp

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Each subtest name starts with the requirement ID of docs/rfc-ledger.md it
// checks, or "keepalived:<behaviour>" for a keepalived behaviour.

func TestTimers(t *testing.T) {
	tests := []struct {
		name    string
		version uint8
		prio    uint8
		mai     Centisecs
		skew    time.Duration
		mdi     time.Duration
	}{
		// keepalived logs "Master down timer = 3414062 usecs" for this one.
		{"RFC3768-6.1-1 v2 priority 150", 2, 150, 100, 414062500 * time.Nanosecond, 3414062500 * time.Nanosecond},
		{"RFC3768-6.1-2 v2 priority 100", 2, 100, 100, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		// v2 skew does not scale with the interval.
		{"RFC3768-6.1-1 v2 priority 100 interval 3s", 2, 100, 300, 609375 * time.Microsecond, 9609375 * time.Microsecond},
		{"RFC9568-6.1-1 v3 priority 200 interval 50cs", 3, 200, 50, 109375 * time.Microsecond, 1609375 * time.Microsecond},
		{"RFC9568-6.1-2 v3 priority 1 interval 4095cs", 3, 1, 4095, 40790039062 * time.Nanosecond, 163640039062 * time.Nanosecond},
		{"RFC9568-6.1-1 v3 owner", 3, 255, 100, 3906250 * time.Nanosecond, 3003906250 * time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SkewTime(tt.version, tt.prio, tt.mai); got != tt.skew {
				t.Errorf("SkewTime = %v, want %v", got, tt.skew)
			}
			if got := MasterDownInterval(tt.version, tt.prio, tt.mai, 3); got != tt.mdi {
				t.Errorf("MasterDownInterval = %v, want %v", got, tt.mdi)
			}
		})
	}
	t.Run("keepalived:down_timer_adverts multiplier", func(t *testing.T) {
		if got, want := MasterDownInterval(3, 100, 100, 5), 5*time.Second+609375*time.Microsecond; got != want {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

func TestStartup(t *testing.T) {
	t.Run("RFC9568-6.4.1-1 owner goes master at once", func(t *testing.T) {
		// Also RFC9568-8.1.2-2 and RFC3768-8.2-3: the addresses are
		// configured (AcquireVIPs) before the gratuitous ARP is sent.
		i := mustInstance(t, baseConfig(3, 255))
		out := i.Handle(t0, Startup{})
		want := []string{"AcquireVIPs", "SendAdvert(255)", "SendGratuitous(5)", "Notify(MASTER)"}
		if d := cmp.Diff(want, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		wantState(t, i, StateMaster)
		if want := t0.Add(time.Second); !out.Deadline.Equal(want) {
			t.Errorf("deadline %v, want Adver_Timer %v", out.Deadline, want)
		}
		wantReason(t, out, "address owner (priority 255)")
	})
	t.Run("RFC9568-6.4.1-2 non-owner waits master down interval in backup", func(t *testing.T) {
		i := mustInstance(t, baseConfig(2, 100))
		out := i.Handle(t0, Startup{})
		wantState(t, i, StateBackup)
		if want := t0.Add(3609375 * time.Microsecond); !out.Deadline.Equal(want) {
			t.Errorf("deadline %v, want %v", out.Deadline, want)
		}
		if d := cmp.Diff([]string{"Notify(BACKUP)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		wantReason(t, out, "waiting 3.609s (master down interval)")
	})
	t.Run("keepalived:state-MASTER-non-owner-starts-BACKUP", func(t *testing.T) {
		c := baseConfig(3, 200)
		c.InitialState = StateMaster
		i := mustInstance(t, c)
		i.Handle(t0, Startup{})
		wantState(t, i, StateBackup)
	})
	t.Run("keepalived:nopreempt-and-preempt_delay-cleared-with-state-MASTER", func(t *testing.T) {
		c := baseConfig(3, 200)
		c.InitialState, c.NoPreempt, c.PreemptDelay = StateMaster, true, time.Minute
		i := mustInstance(t, c)
		if got := i.Config(); got.NoPreempt || got.PreemptDelay != 0 {
			t.Errorf("NoPreempt=%v PreemptDelay=%v, want both cleared", got.NoPreempt, got.PreemptDelay)
		}
		c = baseConfig(3, 255)
		c.NoPreempt = true
		if mustInstance(t, c).Config().NoPreempt {
			t.Error("owner kept nopreempt; keepalived resets it")
		}
	})
	t.Run("keepalived:startup-with-fault-enters-FAULT", func(t *testing.T) {
		i := mustInstance(t, baseConfig(3, 100))
		i.Handle(t0, Fault{Source: "interface eth0", Reason: "interface eth0 down"})
		wantState(t, i, StateInit)
		out := i.Handle(t0, Startup{})
		wantState(t, i, StateFault)
		wantReason(t, out, "eth0 down")
		if !out.Deadline.IsZero() {
			t.Errorf("deadline %v in FAULT, want none", out.Deadline)
		}
	})
	t.Run("startup twice is ignored", func(t *testing.T) {
		i := startBackup(t, baseConfig(3, 100))
		if out := i.Handle(t0, Startup{}); out.Ignored != IgnoreAlreadyInSt || out.Transition != nil {
			t.Errorf("second Startup: %+v", out)
		}
	})
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"vrid 0", func(c *Config) { c.VRID = 0 }, "VRID"},
		{"version 4", func(c *Config) { c.Version = 4 }, "version 4"},
		{"priority 0", func(c *Config) { c.Priority = 0 }, "priority"},
		{"v2 fractional interval", func(c *Config) { c.AdverInt = 1500 * time.Millisecond }, "whole seconds"},
		{"RFC9568-6.1-6 v3 interval over 40.95s", func(c *Config) { c.Version = 3; c.AdverInt = 41 * time.Second }, "10ms steps"},
		{"no primary address", func(c *Config) { c.PrimaryAddr = netip.Addr{} }, "primary address"},
		{"initial state FAULT", func(c *Config) { c.InitialState = StateFault }, "initial state"},
		{"down timer adverts 101", func(c *Config) { c.DownTimerAdverts = 101 }, "1..100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := baseConfig(2, 100)
			tt.mod(&c)
			_, err := NewInstance(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBackup(t *testing.T) {
	t.Run("RFC9568-6.4.2-7 master down timer fires: advert, GARP, master", func(t *testing.T) {
		// RFC3768-6.4-1: VRRPv2's Backup rules, checked with a v2 config.
		i := startBackup(t, baseConfig(2, 100))
		now := t0.Add(time.Second)
		i.Handle(now, advert(2, higher, 150, 1))
		fire := now.Add(i.MasterDownInterval())
		if out := i.Handle(fire.Add(-time.Nanosecond), TimerFired{}); out.Transition != nil || len(out.Actions) != 0 {
			t.Fatalf("early TimerFired acted: %v", render(out.Actions))
		}
		out := i.Handle(fire, TimerFired{})
		want := []string{"AcquireVIPs", "SendAdvert(100)", "SendGratuitous(5)", "Notify(MASTER)"}
		if d := cmp.Diff(want, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		wantState(t, i, StateMaster)
		if out.Transition.Reason != "no advertisement from 192.0.2.20 for 3.609s (master down interval)" {
			t.Errorf("reason %q", out.Transition.Reason)
		}
		if want := fire.Add(time.Second); !out.Deadline.Equal(want) {
			t.Errorf("deadline %v, want Adver_Timer %v", out.Deadline, want)
		}
	})
	t.Run("RFC9568-6.4.2-8 priority 0 sets master down timer to skew time", func(t *testing.T) {
		i := startBackup(t, baseConfig(2, 90))
		now := t0.Add(time.Second)
		i.Handle(now, advert(2, higher, 150, 1))
		out := i.Handle(now.Add(time.Second), advert(2, higher, 0, 1))
		want := now.Add(time.Second).Add(648437500 * time.Nanosecond) // (256-90)/256 s
		if !out.Deadline.Equal(want) {
			t.Fatalf("deadline %v, want %v", out.Deadline, want)
		}
		out = i.Handle(want, TimerFired{})
		if out.Transition == nil || out.Transition.Reason != "received priority 0 from master 192.0.2.20 (shutdown); taking over after skew time 0.648s" {
			t.Errorf("transition %+v", out.Transition)
		}
	})
	t.Run("RFC9568-6.4.2-9 higher or equal priority resets the timer", func(t *testing.T) {
		for _, p := range []uint8{100, 101, 254} {
			i := startBackup(t, baseConfig(2, 100))
			now := t0.Add(3 * time.Second)
			out := i.Handle(now, advert(2, lower, p, 1))
			if want := now.Add(i.MasterDownInterval()); !out.Deadline.Equal(want) || out.Ignored != "" {
				t.Errorf("priority %d: deadline %v ignored %q, want %v", p, out.Deadline, out.Ignored, want)
			}
		}
	})
	t.Run("RFC9568-6.4.2-9 v3 adopts the master's interval", func(t *testing.T) {
		i := startBackup(t, baseConfig(3, 100))
		out := i.Handle(t0, advert(3, higher, 200, 50))
		if i.MasterAdverInterval() != 50 {
			t.Fatalf("Master_Adver_Interval = %d, want 50", i.MasterAdverInterval())
		}
		// 3*0.5s + (156*50/256)cs = 1.5s + 304.6875ms
		if want := t0.Add(1804687500 * time.Nanosecond); !out.Deadline.Equal(want) {
			t.Errorf("deadline %v, want %v", out.Deadline, want)
		}
	})
	t.Run("RFC9568-6.4.2-10 preempt discards lower priority", func(t *testing.T) {
		i := startBackup(t, baseConfig(2, 100))
		start := i.Handle(t0, TimerFired{}).Deadline
		out := i.Handle(t0.Add(time.Second), advert(2, higher, 90, 1))
		if out.Ignored != IgnoreLowerPriority || !out.Deadline.Equal(start) {
			t.Fatalf("ignored %q deadline %v, want lower-priority and %v", out.Ignored, out.Deadline, start)
		}
		out = i.Handle(start, TimerFired{})
		wantReason(t, out, "preempting lower priority 90 master 192.0.2.20 (ours 100)")
	})
	t.Run("RFC9568-6.1-4 nopreempt accepts lower priority", func(t *testing.T) {
		c := baseConfig(2, 100)
		c.NoPreempt = true
		i := startBackup(t, c)
		now := t0.Add(time.Second)
		out := i.Handle(now, advert(2, higher, 90, 1))
		if want := now.Add(i.MasterDownInterval()); out.Ignored != "" || !out.Deadline.Equal(want) {
			t.Errorf("ignored %q deadline %v, want accepted and %v", out.Ignored, out.Deadline, want)
		}
	})
	t.Run("RFC9568-6.1-3 owner preempts whatever Preempt_Mode", func(t *testing.T) {
		c := baseConfig(3, 255)
		c.NoPreempt = true
		i, now := startMaster(t, c)
		// Knocked to BACKUP by a (misconfigured) equal owner with a higher address...
		i.Handle(now, advert(3, higher, 255, 100))
		wantState(t, i, StateBackup)
		// ...it still discards lower-priority adverts.
		if out := i.Handle(now.Add(time.Second), advert(3, lower, 254, 100)); out.Ignored != IgnoreLowerPriority {
			t.Errorf("ignored %q, want lower-priority", out.Ignored)
		}
	})
	t.Run("RFC9568-6.4.2-6 shutdown cancels the timer", func(t *testing.T) {
		i := startBackup(t, baseConfig(2, 100))
		out := i.Handle(t0.Add(time.Second), Shutdown{})
		wantState(t, i, StateStop)
		if !out.Deadline.IsZero() || cmp.Diff([]string{"Notify(STOP)"}, render(out.Actions)) != "" {
			t.Errorf("deadline %v actions %v", out.Deadline, render(out.Actions))
		}
		out = i.Handle(t0.Add(2*time.Second), Startup{})
		wantState(t, i, StateBackup)
	})
	t.Run("keepalived:no-master-heard-since-startup", func(t *testing.T) {
		i := startBackup(t, baseConfig(2, 100))
		out := i.Handle(t0.Add(i.MasterDownInterval()), TimerFired{})
		if d := cmp.Diff([]string{"NoMasterHeard", "AcquireVIPs", "SendAdvert(100)", "SendGratuitous(5)", "Notify(MASTER)"}, render(out.Actions)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
		wantReason(t, out, "no advertisement heard in 3.609s since entering BACKUP")
	})
	t.Run("keepalived:preempt_delay", func(t *testing.T) {
		c := baseConfig(2, 100)
		c.PreemptDelay = 10 * time.Second
		i := startBackup(t, c)
		var out Output
		// A lower master advertises every second; it is accepted for 10s.
		for s := 1; s <= 10; s++ {
			out = i.Handle(t0.Add(time.Duration(s)*time.Second), advert(2, higher, 90, 1))
			if out.Ignored != "" {
				t.Fatalf("t=%ds: ignored %q during preempt delay", s, out.Ignored)
			}
		}
		last := out.Deadline
		out = i.Handle(t0.Add(11*time.Second), advert(2, higher, 90, 1))
		if out.Ignored != IgnoreLowerPriority || !out.Deadline.Equal(last) {
			t.Fatalf("after delay: ignored %q deadline %v, want discard and %v", out.Ignored, out.Deadline, last)
		}
		i.Handle(last, TimerFired{})
		wantState(t, i, StateMaster)
	})
	t.Run("keepalived:preempt_delay-restarted-by-higher-priority", func(t *testing.T) {
		c := baseConfig(2, 100)
		c.PreemptDelay = 10 * time.Second
		i := startBackup(t, c)
		i.Handle(t0.Add(time.Second), advert(2, higher, 90, 1)) // starts the delay
		i.Handle(t0.Add(2*time.Second), advert(2, lower, 120, 1))
		if out := i.Handle(t0.Add(12*time.Second), advert(2, higher, 90, 1)); out.Ignored != "" {
			t.Errorf("ignored %q: delay should have restarted at t=12s", out.Ignored)
		}
	})
}
