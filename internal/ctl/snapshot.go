package ctl

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// Snapshot is the daemon's state as its VRRP loop last published it. Once
// published it never changes; the values that change with every advert
// (InstanceCounters, a vrrp_script's run counts) are read through it when
// it is rendered, and ages are computed then from timestamps. The status
// (Status), the metrics and the dump files are all rendered from it,
// without entering the loop.
type Snapshot struct {
	PID        int
	ConfigFile string
	StartedAt  time.Time
	ReloadedAt time.Time
	// Instances, sorted by name.
	Instances []*InstanceSnapshot
	// SyncGroups are the vrrp_sync_group blocks, in configuration order.
	SyncGroups []SyncGroupSnapshot
	// VirtualServers is the load balancer's own snapshot, attached when the
	// snapshot is read.
	VirtualServers []VirtualServerStatus
	// BFD is the BFD runtime's sessions and counters, read when the
	// snapshot is read (nil: no BFD runtime).
	BFD *BFDStatus
	// Sockets are the shared VRRP sockets, sorted by interface and family.
	Sockets []*SocketSnapshot
	// BGP is the BGP speaker's own status, attached when the snapshot is
	// read (nil without a bgp block).
	BGP *BGPStatus
}

// SyncGroupSnapshot is one vrrp_sync_group: its state is the state its
// members last reached together (INIT until they first do).
type SyncGroupSnapshot struct {
	Name    string
	State   vrrp.State
	Members []string // in configuration order
}

// InstanceSnapshot is one vrrp_instance in a Snapshot.
type InstanceSnapshot struct {
	Name      string
	Interface string
	VRID      int
	IPv6      bool
	Version   int
	State     vrrp.State
	// SyncGroup is the vrrp_sync_group the instance is a member of ("" none).
	SyncGroup string
	// Maintenance: put in maintenance by gokeepalivedctl (State is then
	// BACKUP, or FAULT/INIT/STOP; the status shows BACKUP as MAINTENANCE).
	Maintenance bool
	// BasePriority is configured; EffectivePriority is after tracker weights.
	BasePriority      int
	EffectivePriority int
	AdvertInterval    time.Duration
	// MasterAdverInterval is the interval learned from the master (RFC 9568).
	MasterAdverInterval time.Duration
	Accept              bool
	NoPreempt           bool
	PreemptDelay        time.Duration
	// VIPs are the configured virtual addresses; KernelAddrs the addresses
	// (virtual and excluded) as added to the kernel, with their options.
	VIPs        []string
	KernelAddrs []string
	VIPsHeld    bool
	// Master is the current master as last seen (ours when MASTER).
	Master         netip.Addr
	MasterPriority int
	// LastAdvertFrom and LastAdvertPriority describe the last valid advert
	// received (its time is in Counters).
	LastAdvertFrom     netip.Addr
	LastAdvertPriority int
	LastTransition     *Transition
	// Warnings, each with when it expires.
	Warnings []Warning
	Trackers []TrackerSnapshot
	// Counters are live: read them when rendering.
	Counters *InstanceCounters
}

// Family is "ipv4" or "ipv6".
func (in *InstanceSnapshot) Family() string {
	if in.IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// MaintenanceState is the state shown for a BACKUP in maintenance.
const MaintenanceState = "MAINTENANCE"

// StateName is the state as the status and the dumps show it: MAINTENANCE
// for a BACKUP in maintenance, else the VRRP state.
func (in *InstanceSnapshot) StateName() string {
	if in.Maintenance && in.State == vrrp.StateBackup {
		return MaintenanceState
	}
	return in.State.String()
}

// HeardDroppedRecent is how long after the last dropped advert of another
// router the status still warns about it: the peer advertises every
// interval, so three missed ones mean it stopped or was fixed.
func HeardDroppedRecent(advertInterval time.Duration) time.Duration {
	return 3*advertInterval + 2*time.Second
}

// Warning is a status warning that stays current until Until.
type Warning struct {
	Text  string
	Until time.Time
}

// TrackerSnapshot is one tracked object of an instance.
type TrackerSnapshot struct {
	TrackerStatus
	// Counts, when set, returns a vrrp_script's runs and failures now.
	Counts func() (runs, failures uint64)
}

// Status renders the snapshot as the control socket's answer at now (ages
// and expired warnings are computed against now). Notify is left to the
// caller.
func (s *Snapshot) Status(now time.Time) *Status {
	st := &Status{PID: s.PID, ConfigFile: s.ConfigFile, StartedAt: s.StartedAt, ReloadedAt: s.ReloadedAt,
		VirtualServers: s.VirtualServers, BFD: s.BFD, BGP: s.BGP, Instances: make([]InstanceStatus, 0, len(s.Instances))}
	for _, in := range s.Instances {
		st.Instances = append(st.Instances, in.Status(now))
	}
	for _, so := range s.Sockets {
		st.Sockets = append(st.Sockets, so.Status())
	}
	return st
}

// Status renders one instance at now. Every counter is present, zero
// included; drops only when non-zero.
func (in *InstanceSnapshot) Status(now time.Time) InstanceStatus {
	is := InstanceStatus{
		Name: in.Name, Interface: in.Interface, VRID: in.VRID, Family: in.Family(), Version: in.Version,
		State: in.StateName(), Maintenance: in.Maintenance, BasePriority: in.BasePriority, EffectivePriority: in.EffectivePriority,
		AdvertInterval: in.AdvertInterval.String(), VIPs: in.VIPs, VIPsHeld: in.VIPsHeld,
		LastTransition: in.LastTransition, Counters: make(map[string]uint64, NumCounters),
	}
	if in.Master.IsValid() {
		is.Master, is.MasterPriority = in.Master.String(), in.MasterPriority
	}
	if last := in.Counters.LastAdvert(); !last.IsZero() {
		is.LastAdvert = last
		is.LastAdvertAge = now.Sub(last).Round(time.Millisecond).String()
		is.Extra = map[string]string{
			"last_advert_from":     in.LastAdvertFrom.String(),
			"last_advert_priority": strconv.Itoa(in.LastAdvertPriority),
		}
	}
	for c := range NumCounters {
		is.Counters[c.String()] = in.Counters.Get(c)
	}
	for r := packet.DropReason(1); r < packet.NumDropReasons; r++ {
		if n := in.Counters.Dropped(r); n > 0 {
			if is.Drops == nil {
				is.Drops = map[string]uint64{}
			}
			is.Drops[r.String()] = n
		}
	}
	for _, w := range in.Warnings {
		if now.Before(w.Until) {
			is.Warnings = append(is.Warnings, w.Text)
		}
	}
	if h, at := in.Counters.HeardDropped(); h != nil {
		is.HeardDropped = &HeardDroppedStatus{From: h.From.String(), Reason: h.Reason.String(), VRID: h.VRID,
			Detail: h.Detail, Text: h.Text(), Last: at, Age: now.Sub(at).Round(time.Millisecond).String()}
		if text := h.Text(); now.Sub(at) < HeardDroppedRecent(in.AdvertInterval) &&
			!slices.ContainsFunc(is.Warnings, func(w string) bool { return strings.Contains(w, text) }) {
			is.Warnings = append(is.Warnings, text)
		}
	}
	for _, t := range in.Trackers {
		ts := t.TrackerStatus
		if t.Counts != nil {
			ts.Runs, ts.Failures = t.Counts()
		}
		is.Trackers = append(is.Trackers, ts)
	}
	return is
}

// Counter reads one of the instance's counters by its typed name.
func (in InstanceStatus) Counter(c Counter) uint64 { return in.Counters[c.String()] }

// Dropped reads how many adverts the instance dropped for reason r.
func (in InstanceStatus) Dropped(r packet.DropReason) uint64 { return in.Drops[r.String()] }
