package vrrp

import (
	"net/netip"
	"time"

	"gokeepalived/internal/vrrp/packet"
)

// State is the state of one VRRP instance. INIT, BACKUP and MASTER are the
// RFC's Initialize, Backup and Master (RFC 9568: Active); FAULT and STOP are
// keepalived's additions, reported to notify scripts under those names.
type State uint8

const (
	// StateInit is RFC "Initialize": configured, not started.
	StateInit State = iota
	// StateBackup is RFC "Backup": monitoring the master, Master_Down_Timer running.
	StateBackup
	// StateMaster is RFC "Master" (RFC 9568 "Active"): owns the VIPs, Adver_Timer running.
	StateMaster
	// StateFault is keepalived's FAULT: a tracked object failed; no adverts, no VIPs.
	StateFault
	// StateStop is keepalived's STOP: shut down (RFC: back to Initialize).
	StateStop
)

// NumStates is the number of states; every State is below it.
const NumStates = StateStop + 1

var stateNames = [NumStates]string{"INIT", "BACKUP", "MASTER", "FAULT", "STOP"}

// keepalivedCodes are keepalived's numbers for the states
// (keepalived/include/vrrp.h), as its JSON dump and exporters show them.
var keepalivedCodes = [NumStates]int{0, 1, 2, 3, 98}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "UNKNOWN"
}

// KeepalivedCode is keepalived's number for the state: 0 INIT, 1 BACKUP,
// 2 MASTER, 3 FAULT, 98 STOP (the "state" field of keepalived.json).
func (s State) KeepalivedCode() int {
	if s < NumStates {
		return keepalivedCodes[s]
	}
	return 0
}

// Input is one event fed to Instance.Handle. The concrete types are Startup,
// Shutdown, AdvertReceived, TimerFired, PriorityChanged,
// ConfiguredPriority, Fault and FaultCleared.
type Input interface{ isInput() }

// Startup is the RFC Startup event: the instance starts (or restarts after
// Shutdown).
type Startup struct{}

// Shutdown is the RFC Shutdown event: the daemon is stopping the instance.
type Shutdown struct{}

// AdvertReceived is an advertisement for this instance's VRID that the
// packet layer has already validated (TTL, version, checksum, auth, count).
// Src is the IP source address of the advert, the sender's primary address.
type AdvertReceived struct {
	Src    netip.Addr
	Advert packet.Advert
}

// TimerFired tells the instance that the clock reached Output.Deadline. A
// spurious or early TimerFired is harmless: only expired timers act.
type TimerFired struct{}

// PriorityChanged carries the new effective priority (configured priority
// plus tracking weights, computed by the tracker with EffectivePriority). The
// core applies EffectivePriority again: it is clamped to 1..254, and an
// address owner (configured 255) ignores it, as keepalived does.
type PriorityChanged struct{ Effective uint8 }

// ConfiguredPriority carries a new configured priority (a reload that
// changed nothing else). Unlike PriorityChanged it can make or unmake the
// address owner: 255 makes the instance the owner (a BACKUP takes over at
// once, RFC 9568 §6.4.1 as for a starting owner), and a former owner gets
// the new priority; its trackers then apply through PriorityChanged.
type ConfiguredPriority struct{ Priority uint8 }

// ConfiguredVIPs carries a new list of virtual addresses (a reload that
// changed the instance's virtual_ipaddress in place, without a restart).
// A MASTER adds them (AcquireVIPs: the daemon has removed the dropped
// ones), advertises the new list at once and announces them; in any other
// state only the list changes, for the next time it becomes MASTER.
type ConfiguredVIPs struct{ VIPs []netip.Addr }

// Fault reports that a tracked object failed. Source identifies it (for
// example "interface eth0"); the instance stays in FAULT until every Source
// that faulted has been cleared. Reason is the human text.
type Fault struct{ Source, Reason string }

// FaultCleared reports that the tracked object Source recovered.
type FaultCleared struct{ Source, Reason string }

func (Startup) isInput()            {}
func (Shutdown) isInput()           {}
func (AdvertReceived) isInput()     {}
func (TimerFired) isInput()         {}
func (PriorityChanged) isInput()    {}
func (ConfiguredPriority) isInput() {}
func (ConfiguredVIPs) isInput()     {}
func (Fault) isInput()              {}
func (FaultCleared) isInput()       {}

// Action is one thing the daemon must do, in order. The concrete types are
// SendAdvert, AcquireVIPs, ReleaseVIPs, SendGratuitous, Notify,
// SplitBrainSuspect and NoMasterHeard.
type Action interface{ isAction() }

// SendAdvert: send one advertisement with this priority (0 = giving up
// mastership) and the configured interval and addresses.
type SendAdvert struct{ Priority uint8 }

// AcquireVIPs: add the virtual addresses (and routes/rules) to the interface.
type AcquireVIPs struct{}

// ReleaseVIPs: remove the virtual addresses.
type ReleaseVIPs struct{}

// SendGratuitous: send Repeat gratuitous ARPs (IPv4) or unsolicited NAs
// (IPv6) for every virtual address; ExtraIf: only for those on the extra
// interfaces (garp_extra_if), once.
type SendGratuitous struct {
	Repeat  int
	ExtraIf bool
}

// Notify: the instance entered State; run notify scripts, fifo, SMTP.
type Notify struct {
	State  State
	Reason string
}

// SplitBrainSuspect: we are MASTER and received an advert from another
// router claiming mastership that we out-rank (lower priority, or equal
// priority and a lower address). Two masters held the VIPs at once; the
// daemon should log and count it. We stay MASTER.
//
// First: the first such advert from this peer since we became MASTER. It
// may have left the peer before our first advert reached it, which is
// what every takeover from a lower-priority master looks like; only a
// later one shows that the peer does not hear us.
type SplitBrainSuspect struct {
	Peer         netip.Addr
	PeerPriority uint8
	First        bool
}

// NoMasterHeard: a BACKUP's Master_Down_Timer expired without it ever having
// received an advertisement since it started (or left FAULT). Either it is
// the only router, or it cannot hear its peers (firewall, wrong unicast
// peers, VRID mismatch): worth a warning, since the peers may all be MASTER.
type NoMasterHeard struct{ Since time.Time }

func (SendAdvert) isAction()        {}
func (AcquireVIPs) isAction()       {}
func (ReleaseVIPs) isAction()       {}
func (SendGratuitous) isAction()    {}
func (Notify) isAction()            {}
func (SplitBrainSuspect) isAction() {}
func (NoMasterHeard) isAction()     {}

// Transition records a state change and why it happened.
type Transition struct {
	From, To State
	Reason   string
}

// IgnoreReason says why an input was ignored; empty when it was not. The
// daemon counts each under one typed counter (ctl.IgnoredCounter); the value
// is the reason's one spelling (snake_case) in the status and the metrics.
type IgnoreReason string

// Reasons an input is ignored.
const (
	IgnoreNone          IgnoreReason = ""
	IgnoreNotRunning    IgnoreReason = "not_running"      // advert in INIT, FAULT or STOP
	IgnoreWrongVRID     IgnoreReason = "wrong_vrid"       // defensive: the packet layer demuxes by VRID
	IgnoreWrongVersion  IgnoreReason = "wrong_version"    // RFC 9568 §7.1 / RFC 3768 §7.1
	IgnoreIntervalV2    IgnoreReason = "v2_interval"      // RFC 3768 §7.1: Adver Int must match ours
	IgnoreZeroInterval  IgnoreReason = "zero_interval"    // RFC 9568 erratum 8301
	IgnoreOwnAdvert     IgnoreReason = "own_advert"       // looped back from our own address
	IgnoreOwner         IgnoreReason = "owner"            // owner_ignore_adverts (RFC 3768 §7.1 as published)
	IgnoreLowerPriority IgnoreReason = "lower_priority"   // BACKUP, preempting: RFC 9568 §6.4.2
	IgnoreAlreadyInSt   IgnoreReason = "already_in_state" // Startup when running, Shutdown when stopped
)

// Output is what Handle returns. Actions and Transition point into buffers
// owned by the Instance: they are valid only until the next call to Handle
// on the same Instance (copy them if they must live longer).
type Output struct {
	// Actions to perform, in order.
	Actions []Action
	// Deadline is when the next timer expires; call Handle(Deadline,
	// TimerFired{}) then. Zero means no timer is running.
	Deadline time.Time
	// Transition is non-nil when the state changed.
	Transition *Transition
	// Ignored is set when the input had no effect, with the reason.
	Ignored IgnoreReason
}
