package daemon

import (
	"testing"
	"time"

	"gokeepalived/internal/vrrp/packet"
)

// TestDropLogPerReason: issue 10 fault 6, drop logs were rate-limited per
// instance, so a flood of one reason hid every other reason for 10 s. The
// limit is per instance and reason.
// RFC9568-7.1-9, RFC3768-7.1-9: failed checks are logged, rate-limited
// (per instance and reason), and always counted.
func TestDropLogPerReason(t *testing.T) {
	in := &instance{}
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC).UnixNano()
	for i, step := range []struct {
		reason packet.DropReason
		at     time.Duration
		want   bool
	}{
		{packet.DropTTL, 0, true},
		{packet.DropTTL, time.Second, false},
		{packet.DropAuthMismatch, time.Second, true}, // another reason is logged at once
		{packet.DropUnicastSrc, 2 * time.Second, true},
		{packet.DropAuthMismatch, 9 * time.Second, false},
		{packet.DropTTL, 10 * time.Second, true}, // 10 s after its last line
		{packet.DropAuthMismatch, 11 * time.Second, true},
		{packet.DropTTL, 19 * time.Second, false},
	} {
		if got := in.dropLogDue(step.reason, t0+int64(step.at)); got != step.want {
			t.Errorf("step %d: %s at +%v logged %v, want %v", i, step.reason, step.at, got, step.want)
		}
	}
	other := &instance{}
	if !other.dropLogDue(packet.DropTTL, t0+time.Second.Nanoseconds()) {
		t.Error("another instance's ttl drop was not logged")
	}
}
