package netnstest

import (
	"testing"
	"time"

	"gokeepalived/internal/testutil/poll"
)

// Eventually is poll.NoError every 10 ms (kernel state settles fast): it
// calls cond until it returns nil, or fails the test with cond's last error
// after timeout.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	poll.NoError(t, timeout, 10*time.Millisecond, cond)
}
