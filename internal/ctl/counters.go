package ctl

import (
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// Counter is one per-instance event counter. Its String is the counter's one
// name: the key in the status JSON "counters", and the base of its metric
// (internal/metrics). The daemon counts by this type only, in a fixed-size
// array (InstanceCounters): no map and no string on the advert path.
type Counter uint8

// The instance counters.
const (
	AdvertsSent Counter = iota
	AdvertsReceived
	PriorityZeroSent
	PriorityZeroReceived
	Transitions
	BecameMaster
	ReleasedMaster
	SplitBrainSuspected
	MasterRxLowerPri
	NoMasterHeard
	SendErrors
	VIPErrors
	GARPSent
	GARPErrors
	VIPsRestored
	StaleVIPsRemoved
	RoutesRestored
	RulesRestored

	// Inputs the VRRP core ignored, one counter per vrrp.IgnoreReason
	// (IgnoredCounter maps them); named "ignored_<reason>".
	IgnoredNotRunning
	IgnoredWrongVRID
	IgnoredWrongVersion
	IgnoredIntervalV2
	IgnoredZeroInterval
	IgnoredOwnAdvert
	IgnoredOwner
	IgnoredLowerPriority
	IgnoredAlreadyInState
	// IgnoredOther counts a reason the core has and this list does not yet.
	IgnoredOther

	// NumCounters is the number of counters; every Counter is below it.
	NumCounters
)

// firstIgnored is the first of the ignored-input counters.
const firstIgnored = IgnoredNotRunning

// ignoredPrefix starts the names of the ignored-input counters.
const ignoredPrefix = "ignored_"

var counterInfo = [NumCounters]struct {
	name, help string
	ignore     vrrp.IgnoreReason // the ignored-input counters' reason
}{
	AdvertsSent:          {name: "adverts_sent", help: "Advertisements sent."},
	AdvertsReceived:      {name: "adverts_received", help: "Valid advertisements received."},
	PriorityZeroSent:     {name: "priority_zero_sent", help: "Priority 0 adverts sent (giving up mastership)."},
	PriorityZeroReceived: {name: "priority_zero_received", help: "Priority 0 adverts received (the master gave up)."},
	Transitions:          {name: "transitions", help: "VRRP state changes."},
	BecameMaster:         {name: "became_master", help: "Transitions into MASTER."},
	ReleasedMaster:       {name: "released_master", help: "Transitions out of MASTER."},
	SplitBrainSuspected: {name: "split_brain_suspected",
		help: "Adverts from another master while this instance was MASTER and out-ranked it, after its first one (which may cross ours in a takeover): both held the virtual addresses."},
	MasterRxLowerPri: {name: "master_rx_lower_pri",
		help: "Adverts from a lower-priority master while MASTER (keepalived's MASTER_RX_LOWER_PRI event, notify_master_rx_lower_pri)."},
	NoMasterHeard: {name: "no_master_heard",
		help: "Master down timer expiries with no advert heard since start: alone, or cut off from the peers (firewall, unicast_peer, VRID)."},
	SendErrors: {name: "send_errors", help: "Adverts that could not be sent."},
	VIPErrors:  {name: "vip_errors", help: "Failures adding or removing virtual addresses, routes or rules."},
	GARPSent:   {name: "garp_sent", help: "Gratuitous ARPs / unsolicited neighbour advertisements sent."},
	GARPErrors: {name: "garp_errors", help: "Gratuitous ARP / NA send failures."},
	VIPsRestored: {name: "vips_restored",
		help: "Virtual addresses put back after something else removed them from the kernel while this instance was MASTER."},
	RoutesRestored: {name: "routes_restored",
		help: "Virtual routes put back after something else deleted them while this instance was MASTER."},
	RulesRestored: {name: "rules_restored",
		help: "Virtual rules put back after something else deleted them while this instance was MASTER."},
	StaleVIPsRemoved: {name: "stale_vips_removed",
		help: "Virtual addresses found on an interface while this instance was not MASTER (left by a crash, or added by hand) and removed."},

	IgnoredNotRunning:     {ignore: vrrp.IgnoreNotRunning},
	IgnoredWrongVRID:      {ignore: vrrp.IgnoreWrongVRID},
	IgnoredWrongVersion:   {ignore: vrrp.IgnoreWrongVersion},
	IgnoredIntervalV2:     {ignore: vrrp.IgnoreIntervalV2},
	IgnoredZeroInterval:   {ignore: vrrp.IgnoreZeroInterval},
	IgnoredOwnAdvert:      {ignore: vrrp.IgnoreOwnAdvert},
	IgnoredOwner:          {ignore: vrrp.IgnoreOwner},
	IgnoredLowerPriority:  {ignore: vrrp.IgnoreLowerPriority},
	IgnoredAlreadyInState: {ignore: vrrp.IgnoreAlreadyInSt},
	IgnoredOther:          {ignore: "other"},
}

func init() {
	for c := firstIgnored; c < NumCounters; c++ {
		i := &counterInfo[c]
		i.name = ignoredPrefix + string(i.ignore)
		i.help = "Inputs the VRRP state machine ignored: " + string(i.ignore) + "."
	}
}

func (c Counter) String() string {
	if c < NumCounters {
		return counterInfo[c].name
	}
	return "Counter(" + strconv.Itoa(int(c)) + ")"
}

// Description is a sentence saying what the counter counts (the metric's help).
func (c Counter) Description() string {
	if c < NumCounters {
		return counterInfo[c].help
	}
	return c.String()
}

// IgnoreReason is the reason of an ignored-input counter (the metric's
// reason label); ok is false for the other counters.
func (c Counter) IgnoreReason() (reason string, ok bool) {
	if c >= firstIgnored && c < NumCounters {
		return string(counterInfo[c].ignore), true
	}
	return "", false
}

// IgnoredCounter is the counter of inputs the core ignored for reason r.
func IgnoredCounter(r vrrp.IgnoreReason) Counter {
	switch r {
	case vrrp.IgnoreNotRunning:
		return IgnoredNotRunning
	case vrrp.IgnoreWrongVRID:
		return IgnoredWrongVRID
	case vrrp.IgnoreWrongVersion:
		return IgnoredWrongVersion
	case vrrp.IgnoreIntervalV2:
		return IgnoredIntervalV2
	case vrrp.IgnoreZeroInterval:
		return IgnoredZeroInterval
	case vrrp.IgnoreOwnAdvert:
		return IgnoredOwnAdvert
	case vrrp.IgnoreOwner:
		return IgnoredOwner
	case vrrp.IgnoreLowerPriority:
		return IgnoredLowerPriority
	case vrrp.IgnoreAlreadyInSt:
		return IgnoredAlreadyInState
	}
	return IgnoredOther
}

// InstanceCounters are what changes with every advert: the event counters,
// the drops per reason and when the last valid advert arrived. The daemon's
// loop and its socket readers write them; a published snapshot points to
// them and renderers read them when they render, so a counter bump never
// has to publish a new snapshot. All methods are safe for concurrent use,
// and a nil *InstanceCounters reads as zeros.
type InstanceCounters struct {
	events     [NumCounters]atomic.Uint64
	drops      [packet.NumDropReasons]atomic.Uint64
	lastAdvert atomic.Int64 // unix nanoseconds; 0 = none yet
	heard      atomic.Pointer[HeardDropped]
	heardAt    atomic.Int64 // unix nanoseconds of the last heard-and-dropped advert
}

// Inc adds one to counter k.
func (c *InstanceCounters) Inc(k Counter) { c.events[k].Add(1) }

// Add adds n to counter k.
func (c *InstanceCounters) Add(k Counter, n uint64) { c.events[k].Add(n) }

// Get reads counter k.
func (c *InstanceCounters) Get(k Counter) uint64 {
	if c == nil {
		return 0
	}
	return c.events[k].Load()
}

// Drop counts one advert dropped for reason r.
func (c *InstanceCounters) Drop(r packet.DropReason) { c.drops[r].Add(1) }

// Dropped reads how many adverts were dropped for reason r.
func (c *InstanceCounters) Dropped(r packet.DropReason) uint64 {
	if c == nil {
		return 0
	}
	return c.drops[r].Load()
}

// SetLastAdvert records when the last valid advert was received.
func (c *InstanceCounters) SetLastAdvert(t time.Time) { c.lastAdvert.Store(t.UnixNano()) }

// LastAdvert is when the last valid advert was received (zero: none yet).
func (c *InstanceCounters) LastAdvert() time.Time {
	if c == nil {
		return time.Time{}
	}
	if n := c.lastAdvert.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// HeardDropped is the last advert an instance heard from another router
// and dropped: the peer is there, but its adverts do not match this
// instance's configuration (another VRID with our virtual addresses, a
// different auth_pass, advert_int, version, address list, checksum form).
// It turns "never heard another router" into the cause.
type HeardDropped struct {
	From   netip.Addr
	Reason packet.DropReason
	// VRID is the VRID the advert carried.
	VRID int
	// Detail says what differed ("mine=1s received=2s"); for
	// vrid_mismatch it is the whole diagnosis.
	Detail string
}

// Text is the diagnosis as the log and the status warning word it.
func (h *HeardDropped) Text() string {
	if h.Reason == packet.DropVRIDMismatch && h.Detail != "" {
		return h.Detail
	}
	s := "heard " + h.From.String() + " but dropped its adverts (" + h.Reason.String() + "): " + h.Reason.Description()
	if h.Detail != "" {
		s += ": " + h.Detail
	}
	return s + "; the two nodes' configurations must agree"
}

// NoteHeardDropped records an advert from from, dropped for reason r, at
// now (unix nanoseconds). detail is called only when the peer or the
// reason differs from the one recorded, so that a flood of the same drop
// allocates nothing.
func (c *InstanceCounters) NoteHeardDropped(from netip.Addr, r packet.DropReason, vrid int, detail func() string, now int64) {
	if cur := c.heard.Load(); cur == nil || cur.From != from || cur.Reason != r || cur.VRID != vrid {
		h := &HeardDropped{From: from, Reason: r, VRID: vrid}
		if detail != nil {
			h.Detail = detail()
		}
		c.heard.Store(h)
	}
	c.heardAt.Store(now)
}

// HeardDropped returns the last dropped advert of another router and when
// it was heard; nil if none was.
func (c *InstanceCounters) HeardDropped() (*HeardDropped, time.Time) {
	if c == nil {
		return nil, time.Time{}
	}
	h := c.heard.Load()
	if h == nil {
		return nil, time.Time{}
	}
	return h, time.Unix(0, c.heardAt.Load())
}
