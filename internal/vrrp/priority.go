package vrrp

// Priority bounds (RFC 9568 §5.2.4; keepalived VRRP_PRIO_OWNER).
const (
	// PriorityOwner is the priority of the address owner, which goes MASTER
	// at once and is never moved by trackers.
	PriorityOwner = 255
	// PriorityMaxTracked is the highest priority tracking weights can give
	// a non-owner: trackers cannot make an address owner.
	PriorityMaxTracked = 254
	// PriorityMinTracked is the lowest: 0 means "the master is leaving"
	// on the wire, so trackers cannot produce it.
	PriorityMinTracked = 1
)

// EffectivePriority is the one rule for an instance's effective priority,
// keepalived's vrrp_set_effective_priority (vrrp_track.c): an address owner
// (configured 255) stays at 255 whatever its trackers add; any other
// instance's total (configured priority plus the weights of its trackers) is
// clamped to 1..254. The tracker arithmetic and the core both use it, so they
// cannot disagree.
func EffectivePriority(configured, total int) uint8 {
	switch {
	case configured >= PriorityOwner:
		return PriorityOwner
	case total < PriorityMinTracked:
		return PriorityMinTracked
	case total > PriorityMaxTracked:
		return PriorityMaxTracked
	}
	return uint8(total)
}
