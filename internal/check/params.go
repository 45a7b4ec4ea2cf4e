package check

import "time"

// DefaultDelayLoop is keepalived's delay_loop default (60 s).
const DefaultDelayLoop = 60 * time.Second

// Params are the timing parameters of one checker, as the configuration
// resolved them (internal/config: inheritance virtual_server → real_server →
// checker, then each kind's keepalived defaults).
type Params struct {
	// DelayLoop is the period between checks once a verdict is reached.
	DelayLoop time.Duration
	// DelayBeforeRetry is the pause before a retry after a failure.
	DelayBeforeRetry time.Duration
	// Retry is how many extra attempts a failure gets before the checker
	// goes down (nb_get_retry is an alias for HTTP_GET/SSL_GET).
	Retry int
	// Warmup is the upper bound of the random delay before the first check;
	// 0 disables it.
	Warmup time.Duration
	// Alpha starts the checker down (keepalived `alpha`).
	Alpha bool
}
