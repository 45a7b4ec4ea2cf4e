package netns

import (
	"testing"
	"time"
)

// PollInterval is how often Eventually re-evaluates its condition.
const PollInterval = 50 * time.Millisecond

// Eventually polls cond until it returns true or timeout passes, then fails the test with
// the last explanation cond gave. cond's string says what it saw ("backup holds no VIP;
// addresses: ..."), so a failure explains itself. It returns how long it waited.
func Eventually(t testing.TB, timeout time.Duration, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %s", timeout, why)
			return time.Since(start)
		}
		time.Sleep(PollInterval)
	}
}
