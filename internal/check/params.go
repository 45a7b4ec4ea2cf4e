package check

import "time"

// DefaultDelayLoop is keepalived's delay_loop default (60 s).
const DefaultDelayLoop = 60 * time.Second

// Timing is one level of the timing keywords: virtual_server, real_server
// or the checker block. A nil field is "not set at this level".
type Timing struct {
	DelayLoop        *time.Duration
	DelayBeforeRetry *time.Duration
	Warmup           *time.Duration
	Retry            *int
	Alpha            *bool
}

// Params are the resolved timing parameters of one checker.
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

// Resolve applies levels in order (virtual_server, real_server, checker; a
// later level overrides an earlier one) on top of kind's defaults, as
// keepalived's check_data.c does when it finalises a checker.
func Resolve(kind Kind, levels ...Timing) Params {
	d := defaultsOf(kind)
	p := Params{DelayLoop: DefaultDelayLoop, Retry: d.Retry}
	var dbr, warmup *time.Duration
	for _, l := range levels {
		if l.DelayLoop != nil {
			p.DelayLoop = *l.DelayLoop
		}
		if l.DelayBeforeRetry != nil {
			dbr = l.DelayBeforeRetry
		}
		if l.Warmup != nil {
			warmup = l.Warmup
		}
		if l.Retry != nil {
			p.Retry = *l.Retry
		}
		if l.Alpha != nil {
			p.Alpha = *l.Alpha
		}
	}
	switch {
	case dbr != nil:
		p.DelayBeforeRetry = *dbr
	case d.DelayBeforeRetryIsDelayLoop:
		p.DelayBeforeRetry = p.DelayLoop
	default:
		p.DelayBeforeRetry = d.DelayBeforeRetry
	}
	// warmup: "Enabled by default, with the maximum at delay_loop".
	p.Warmup = p.DelayLoop
	if warmup != nil {
		p.Warmup = *warmup
	}
	return p
}

func defaultsOf(kind Kind) Defaults {
	if e, ok := Lookup(kind); ok {
		return e.Defaults
	}
	return Defaults{Retry: 1, DelayBeforeRetry: time.Second}
}
