package netnstest

import (
	"testing"
	"time"
)

// Until polls cond every interval until it reports done, then returns how long
// that took. When timeout has passed first, it fails the test with cond's last
// explanation, so a failure says what was seen ("backup holds no VIP;
// addresses: ..."). It is the one polling loop of the kernel and e2e tests:
// real waits go through it instead of a bare sleep.
func Until(t testing.TB, timeout, interval time.Duration, cond func() (done bool, why string)) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for tries := 1; ; tries++ {
		ok, why := cond()
		if ok {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s (%d tries): %s", timeout, tries, why)
			return time.Since(start)
		}
		time.Sleep(interval)
	}
}

// Eventually is Until for a condition that returns nil once met (its last
// error explains a failure), polled every 10 ms: kernel state settles fast.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	Until(t, timeout, 10*time.Millisecond, func() (bool, string) {
		if err := cond(); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
}
