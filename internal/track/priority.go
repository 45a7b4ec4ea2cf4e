// Package track implements keepalived's trackers (vrrp_script,
// track_file, vrrp_track_process, track_interface) and the pure arithmetic
// that turns their results into an instance's effective priority or FAULT.
//
// Trackers report raw results (a script's up/down, a file's integer, a
// process quorum); the weight is applied per tracking instance by the pure
// functions here, because keepalived lets each instance override a
// tracker's weight ("track_script { NAME weight -20 }").
package track

import (
	"fmt"
	"strings"

	"gokeepalived/internal/vrrp"
)

// Status is a tracker's current result.
type Status int

const (
	// StatusInit: no result yet. A weighted tracker contributes nothing; an
	// unweighted one holds the instance in INIT (keepalived num_script_init).
	StatusInit Status = iota
	StatusUp
	StatusDown
)

func (s Status) String() string {
	switch s {
	case StatusUp:
		return "UP"
	case StatusDown:
		return "DOWN"
	}
	return "INIT"
}

// Effect is what one tracker does to one instance.
type Effect struct {
	Name   string // tracker name, for the reason
	Delta  int    // added to the base priority
	Fault  bool   // forces FAULT
	Init   bool   // holds the instance in INIT until the tracker has a result
	Reason string // human explanation, e.g. `script chk_nginx DOWN (weight -20)`
}

// WeightEffect is keepalived's rule for vrrp_script, track_process,
// track_interface and track_bfd (vrrp_track.c initialise_*_state and
// process_*_update_priority), with reverse as multiplier -1:
//
//   - weight 0: FAULT while the tracker is down (or, with reverse, while it
//     is up); INIT while it has no result;
//   - weight > 0: +weight (−weight with reverse) while up, nothing while down;
//   - weight < 0: weight (−weight with reverse) while down, nothing while up.
func WeightEffect(kind, name string, weight int, reverse bool, st Status) Effect {
	e := Effect{Name: name}
	mult := 1
	rev := ""
	if reverse {
		mult = -1
		rev = " reverse"
	}
	switch {
	case weight == 0:
		switch {
		case st == StatusInit:
			e.Init = true
			e.Reason = fmt.Sprintf("%s %s has no result yet", kind, name)
		case (st == StatusUp) != (mult == 1):
			e.Fault = true
			e.Reason = fmt.Sprintf("%s %s is %s (weight 0%s)", kind, name, st, rev)
		}
	case st == StatusUp && weight > 0, st == StatusDown && weight < 0:
		e.Delta = weight * mult
		e.Reason = fmt.Sprintf("%s %s is %s (weight %d%s): %+d", kind, name, st, weight, rev, e.Delta)
	}
	return e
}

// InterfaceEffect is track_interface: an unweighted interface that is down
// means FAULT; a weighted one moves the priority as WeightEffect says.
func InterfaceEffect(name string, up bool, weight int, reverse bool) Effect {
	st := StatusDown
	if up {
		st = StatusUp
	}
	return WeightEffect("interface", name, weight, reverse, st)
}

// FileStatusFault is the per-instance track_file status that means FAULT.
const FileStatusFault = -254

// FileEffect is track_file (vrrp_track.c update_track_file_status): with
// weight 0 a non-zero value is FAULT; otherwise value×weight (negated with
// reverse) is clamped to [-254, 253] and -254 means FAULT, anything else is
// added to the priority. value is what ParseTrackFile returned.
func FileEffect(name string, value, weight int, reverse bool) Effect {
	e := Effect{Name: name}
	var status int
	if weight == 0 {
		if value != 0 {
			status = FileStatusFault
		}
	} else {
		status = value * weight
		if reverse {
			status = -status
		}
		status = max(FileStatusFault, min(253, status))
	}
	switch {
	case status == FileStatusFault:
		e.Fault = true
		e.Reason = fmt.Sprintf("track file %s value %d (weight %d) means FAULT", name, value, weight)
	case status != 0:
		e.Delta = status
		e.Reason = fmt.Sprintf("track file %s value %d (weight %d): %+d", name, value, weight, status)
	}
	return e
}

// Priority is an instance's effective priority and state constraint.
type Priority struct {
	Value  int    // effective priority, 1..254, or 255 for an address owner
	Fault  bool   // some tracker forces FAULT
	Init   bool   // some unweighted tracker has no result yet (and none forces FAULT)
	Reason string // the trackers that matter, "; "-separated
}

// EffectivePriority adds the effects to base and applies the core's rule,
// vrrp.EffectivePriority: the sum is clamped to [1, 254]; an address owner
// (base 255) keeps 255 whatever the weights. FAULT and INIT apply to owners
// too.
func EffectivePriority(base int, effects ...Effect) Priority {
	p := Priority{}
	total := base
	var faults, inits, deltas []string
	for _, e := range effects {
		switch {
		case e.Fault:
			faults = append(faults, e.Reason)
		case e.Init:
			inits = append(inits, e.Reason)
		case e.Delta != 0:
			total += e.Delta
			deltas = append(deltas, e.Reason)
		}
	}
	p.Value = int(vrrp.EffectivePriority(base, total))
	p.Fault = len(faults) > 0
	p.Init = !p.Fault && len(inits) > 0
	switch {
	case p.Fault:
		p.Reason = strings.Join(faults, "; ")
	case p.Init:
		p.Reason = strings.Join(inits, "; ")
	case len(deltas) > 0 && base < vrrp.PriorityOwner:
		p.Reason = fmt.Sprintf("base %d, %s → %d", base, strings.Join(deltas, ", "), p.Value)
	}
	return p
}
