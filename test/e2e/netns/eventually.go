package netns

import (
	"testing"
	"time"

	"gokeepalived/internal/testutil/poll"
)

// PollInterval is how often Eventually re-evaluates its condition: the
// conditions run commands and query daemons, so they are not polled faster.
const PollInterval = 50 * time.Millisecond

// Eventually is poll.Until every PollInterval: it polls cond until it
// returns true or fails the test with cond's last explanation after timeout,
// and returns how long it waited (the scenarios report convergence times).
func Eventually(t testing.TB, timeout time.Duration, cond func() (bool, string)) time.Duration {
	t.Helper()
	return poll.Until(t, timeout, PollInterval, cond)
}
