package wake

import (
	"testing"
	"time"
)

// A kick posted before Wait ends it (without a deadline it would block
// forever), and a deadline already passed does not block.
func TestKickAndPassedDeadline(t *testing.T) {
	w, err := New()
	if err != nil {
		t.Skipf("eventfd: %v", err)
	}
	now := time.Now()
	w.Kick()
	w.Kick()
	w.Wait(time.Time{}, now)
	w.Wait(now, now)
}
