// Package poll is the one polling loop of the tests that must wait for real
// time to pass (kernel, e2e, script and file-watching tests): a condition is
// re-evaluated until it holds, and a timeout fails the test with what the
// condition last saw, instead of a bare sleep. Unit tests of the loops use
// their injected clocks instead.
package poll

import (
	"testing"
	"time"
)

// Until polls cond every interval until it reports done, then returns how long
// that took. When timeout has passed first, it fails the test with cond's last
// explanation, so a failure says what was seen ("backup holds no VIP;
// addresses: ..."). The timeout only stops a broken test from hanging.
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

// NoError is Until for a condition that returns nil once met; its last error
// explains a failure.
func NoError(t testing.TB, timeout, interval time.Duration, cond func() error) time.Duration {
	t.Helper()
	return Until(t, timeout, interval, func() (bool, string) {
		if err := cond(); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
}
