package daemon

import (
	"fmt"
	"slices"
	"time"
)

// A node whose own adverts cannot leave (a missing source address, a
// refused socket option, a local firewall) looks to its peers like a dead
// node: they take over, and this node then sees another master or never
// hears anyone. It must say that its own sends fail before it suspects
// anyone else, so the loop keeps the current run of send failures.

// sendFailure is a run of adverts that could not be sent, ended by the
// next advert that leaves.
type sendFailure struct {
	n       uint64    // failed sends in the run
	since   time.Time // the run's first failure
	at      time.Time // its last failure
	last    string    // the last failure's error
	warning string    // the status warning raised for the run ("" none)
}

// sendTroubleWindow is how long after the last failed send it still
// explains what the peers do: longer than any peer's master down interval.
func sendTroubleWindow(in *instance) time.Duration { return 3*in.cfg.AdvertInt + 30*time.Second }

// sendFailed records a failed advert send at now and raises the status
// warning, first among the instance's warnings.
func (in *instance) sendFailed(now time.Time, err error) {
	f := &in.sendFail
	if f.n == 0 {
		f.since = now
	}
	f.n++
	f.at, f.last = now, err.Error()
	msg := "our adverts cannot be sent: " + f.describe() +
		"; the other routers do not hear this node and will take over (see the \"sending advert failed\" log lines)"
	in.dropWarning(f.warning)
	in.dropWarning(msg)
	in.warnings = slices.Insert(in.warnings, 0, msg)
	in.warnUntil[msg] = now.Add(sendTroubleWindow(in))
	in.warnGen++
	if len(in.warnings) > 8 {
		delete(in.warnUntil, in.warnings[8])
		in.warnings = in.warnings[:8]
	}
	f.warning = msg
}

// sendSucceeded ends the run of failures, if any, and returns it.
func (in *instance) sendSucceeded() sendFailure {
	f := in.sendFail
	if f.n > 0 {
		in.dropWarning(f.warning)
		in.sendFail = sendFailure{}
	}
	return f
}

// sendTrouble describes our recent failed sends at now, "" if there are none.
func (in *instance) sendTrouble(now time.Time) string {
	if in.sendFail.n == 0 || now.Sub(in.sendFail.at) > sendTroubleWindow(in) {
		return ""
	}
	return in.sendFail.describe()
}

func (f *sendFailure) describe() string {
	return fmt.Sprintf("%d send errors since %s, last error: %s", f.n, f.since.Format("15:04:05.000"), f.last)
}

// dropWarning removes one status warning.
func (in *instance) dropWarning(msg string) {
	if msg == "" {
		return
	}
	in.warnings = slices.DeleteFunc(in.warnings, func(w string) bool { return w == msg })
	delete(in.warnUntil, msg)
	in.warnGen++
}
