package vrrp

import (
	"testing"
	"time"
)

// keepalived vrrp_track.c vrrp_set_effective_priority: an owner is never
// moved; anyone else's configured priority plus tracking weights is clamped
// to 1..254.
func TestEffectivePriority(t *testing.T) {
	tests := []struct {
		name              string
		configured, total int
		want              uint8
	}{
		{"no weights", 100, 100, 100},
		{"weights lower", 100, 80, 80},
		{"weights raise", 100, 130, 130},
		{"weights push to exactly 1", 100, 1, 1},
		{"weights push to 0", 100, 0, 1},
		{"weights push below 1", 100, -150, 1},
		{"weights push to exactly 254", 200, 254, 254},
		{"weights push to 255: not an owner", 200, 255, 254},
		{"weights push above 254", 200, 400, 254},
		{"lowest configured, no weights", 1, 1, 1},
		{"254 raised stays 254", 254, 300, 254},
		{"owner, no weights", 255, 255, 255},
		{"owner, negative weights", 255, 100, 255},
		{"owner, weights below 1", 255, -300, 255},
		{"owner, positive weights", 255, 400, 255},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EffectivePriority(tt.configured, tt.total); got != tt.want {
				t.Errorf("EffectivePriority(%d, %d) = %d, want %d", tt.configured, tt.total, got, tt.want)
			}
		})
	}
}

// The core applies the same rule to what trackers send (PriorityChanged),
// also after a reload to or from 255 (ConfiguredPriority).
func TestPriorityEdges(t *testing.T) {
	tests := []struct {
		name       string
		configured uint8
		reload     uint8 // 0: no reload
		tracked    uint8 // PriorityChanged.Effective as it arrives
		want       uint8
		ignored    IgnoreReason
	}{
		{"tracked 0 is raised to 1", 100, 0, 0, 1, IgnoreNone},
		{"tracked 255 is lowered to 254", 100, 0, 255, 254, IgnoreNone},
		{"tracked within range", 100, 0, 70, 70, IgnoreNone},
		{"owner ignores a lower priority", 255, 0, 100, 255, IgnoreOwner},
		{"owner ignores 1", 255, 0, 1, 255, IgnoreOwner},
		{"reload 100 to 255: owner, trackers ignored", 100, 255, 90, 255, IgnoreOwner},
		{"reload 254 to 255: owner", 254, 255, 254, 255, IgnoreOwner},
		{"reload 255 to 100: trackers apply again", 255, 100, 120, 120, IgnoreNone},
		{"reload 255 to 100: tracked 255 is 254", 255, 100, 255, 254, IgnoreNone},
		{"reload 255 to 100: tracked 0 is 1", 255, 100, 0, 1, IgnoreNone},
		{"reload 255 to 254: tracked 254 changes nothing", 255, 254, 254, 254, IgnoreAlreadyInSt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := mustInstance(t, baseConfig(2, tt.configured))
			i.Handle(t0, Startup{})
			if tt.reload != 0 {
				i.Handle(t0.Add(time.Second), ConfiguredPriority{Priority: tt.reload})
				if want := EffectivePriority(int(tt.reload), int(tt.reload)); i.Priority() != want {
					t.Fatalf("after reload to %d: priority %d, want %d", tt.reload, i.Priority(), want)
				}
			}
			out := i.Handle(t0.Add(2*time.Second), PriorityChanged{Effective: tt.tracked})
			if i.Priority() != tt.want || out.Ignored != tt.ignored {
				t.Errorf("priority %d (ignored %q), want %d (ignored %q)", i.Priority(), out.Ignored, tt.want, tt.ignored)
			}
		})
	}
}
