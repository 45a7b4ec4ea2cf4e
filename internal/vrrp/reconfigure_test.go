package vrrp

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// A reload that changes only the priority is applied in place; crossing 255
// makes or unmakes the address owner (issue: the owner flag stayed as first
// configured, so 255→100 stayed owner and 100→255 was clamped to 254).
func TestConfiguredPriority(t *testing.T) {
	t.Run("100 to 255: BACKUP takes over as owner", func(t *testing.T) {
		i := startBackup(t, baseConfig(2, 100))
		i.Handle(t0.Add(time.Second), advert(2, higher, 200, 1))
		out := i.Handle(t0.Add(1500*time.Millisecond), ConfiguredPriority{Priority: 255})
		if i.State() != StateMaster || i.Priority() != 255 {
			t.Fatalf("state %v priority %d, want MASTER 255", i.State(), i.Priority())
		}
		if got := render(out.Actions); !slices.Contains(got, "SendAdvert(255)") || !slices.Contains(got, "AcquireVIPs") {
			t.Errorf("actions %q, want the owner's takeover", got)
		}
		// Trackers cannot move an owner.
		if out := i.Handle(t0.Add(2*time.Second), PriorityChanged{Effective: 90}); out.Ignored != IgnoreOwner || i.Priority() != 255 {
			t.Errorf("owner took a tracker priority: ignored %q priority %d", out.Ignored, i.Priority())
		}
	})
	t.Run("255 to 100: the former owner yields to a higher peer", func(t *testing.T) {
		i := mustInstance(t, baseConfig(2, 255))
		i.Handle(t0, Startup{})
		if i.State() != StateMaster {
			t.Fatalf("owner did not start as MASTER: %v", i.State())
		}
		out := i.Handle(t0.Add(500*time.Millisecond), ConfiguredPriority{Priority: 100})
		if i.Priority() != 100 || i.State() != StateMaster {
			t.Fatalf("priority %d state %v, want 100 MASTER", i.Priority(), i.State())
		}
		if got := render(out.Actions); !slices.Equal(got, []string{"SendAdvert(100)"}) {
			t.Errorf("actions %q, want an immediate advert at the new priority", got)
		}
		// No longer the owner: a tracker now moves it, clamped to 1..254.
		if out := i.Handle(t0.Add(600*time.Millisecond), PriorityChanged{Effective: 254}); out.Ignored != IgnoreNone || i.Priority() != 254 {
			t.Errorf("tracker priority: ignored %q priority %d, want 254", out.Ignored, i.Priority())
		}
		i.Handle(t0.Add(700*time.Millisecond), PriorityChanged{Effective: 100})
		i.Handle(t0.Add(800*time.Millisecond), advert(2, lower, 150, 1))
		if i.State() != StateBackup {
			t.Errorf("state %v after a priority-150 advert, want BACKUP", i.State())
		}
	})
	t.Run("255 to 100 restores the configured nopreempt", func(t *testing.T) {
		c := baseConfig(2, 255)
		c.NoPreempt = true
		i := mustInstance(t, c)
		i.Handle(t0, Startup{})
		i.Handle(t0.Add(time.Second), ConfiguredPriority{Priority: 100})
		if !i.Config().NoPreempt {
			t.Errorf("nopreempt lost after leaving priority 255")
		}
		i.Handle(t0.Add(time.Second), ConfiguredPriority{Priority: 255})
		if i.Config().NoPreempt {
			t.Errorf("nopreempt kept for an owner")
		}
	})
	t.Run("same priority is ignored", func(t *testing.T) {
		i := startBackup(t, baseConfig(2, 100))
		if out := i.Handle(t0, ConfiguredPriority{Priority: 100}); out.Ignored != IgnoreAlreadyInSt {
			t.Errorf("ignored = %q", out.Ignored)
		}
	})
}

// A reload that changes only the VIP list is applied in place (issue 10,
// fault 3: the instance was restarted, and the VIP was on neither node for
// seconds): a MASTER stays MASTER, adds the addresses, advertises the new
// list at once and announces it; a BACKUP only takes the list.
func TestConfiguredVIPs(t *testing.T) {
	other := netip.MustParseAddr("198.51.100.2")
	t.Run("MASTER stays MASTER and advertises the new list", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		now = now.Add(100 * time.Millisecond)
		out := i.Handle(now, ConfiguredVIPs{VIPs: []netip.Addr{vip, other}})
		if out.Transition != nil || i.State() != StateMaster {
			t.Fatalf("transition %+v state %v, want none and MASTER", out.Transition, i.State())
		}
		if got, want := render(out.Actions), []string{"AcquireVIPs", "SendAdvert(100)", "SendGratuitous(5)"}; !slices.Equal(got, want) {
			t.Errorf("actions %q, want %q", got, want)
		}
		if !slices.Equal(i.Config().VIPs, []netip.Addr{vip, other}) {
			t.Errorf("VIPs %v", i.Config().VIPs)
		}
		if !out.Deadline.Equal(now.Add(time.Second)) {
			t.Errorf("deadline %v, want the next advert a second after this one", out.Deadline.Sub(now))
		}
	})
	t.Run("BACKUP takes the list and does nothing", func(t *testing.T) {
		i := startBackup(t, baseConfig(2, 100))
		out := i.Handle(t0.Add(time.Second), ConfiguredVIPs{VIPs: []netip.Addr{other}})
		if len(out.Actions) != 0 || out.Transition != nil || i.State() != StateBackup {
			t.Errorf("actions %q transition %+v state %v, want nothing", render(out.Actions), out.Transition, i.State())
		}
		if !slices.Equal(i.Config().VIPs, []netip.Addr{other}) {
			t.Errorf("VIPs %v", i.Config().VIPs)
		}
	})
	t.Run("same list is ignored", func(t *testing.T) {
		i, now := startMaster(t, baseConfig(2, 100))
		if out := i.Handle(now, ConfiguredVIPs{VIPs: []netip.Addr{vip}}); out.Ignored != IgnoreAlreadyInSt || len(out.Actions) != 0 {
			t.Errorf("ignored %q actions %q", out.Ignored, render(out.Actions))
		}
	})
}
