package daemon

import (
	"testing"
	"time"
)

// TestDropLogPerReason: issue 10 fault 6, drop logs were rate-limited per
// instance, so a flood of one reason hid every other reason for 10 s. The
// limit is per instance and reason.
func TestDropLogPerReason(t *testing.T) {
	in := &instance{}
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC).UnixNano()
	for i, step := range []struct {
		reason string
		at     time.Duration
		want   bool
	}{
		{"ttl", 0, true},
		{"ttl", time.Second, false},
		{"auth", time.Second, true}, // another reason is logged at once
		{"unicast-src", 2 * time.Second, true},
		{"auth", 9 * time.Second, false},
		{"ttl", 10 * time.Second, true}, // 10 s after its last line
		{"auth", 11 * time.Second, true},
		{"ttl", 19 * time.Second, false},
	} {
		if got := in.dropLogDue(step.reason, t0+int64(step.at)); got != step.want {
			t.Errorf("step %d: %s at +%v logged %v, want %v", i, step.reason, step.at, got, step.want)
		}
	}
	other := &instance{}
	if !other.dropLogDue("ttl", t0+time.Second.Nanoseconds()) {
		t.Error("another instance's ttl drop was not logged")
	}
}
