// Package snmp is gokeepalived's AgentX subagent: it serves keepalived's
// KEEPALIVED-MIB (the global scalars and the VRRP instance table) to a
// net-snmp master agent from the daemon's published status snapshot
// (ctl.Snapshot), and sends keepalived's VRRP state-change notifications.
// It runs on its own goroutines and never enters the VRRP loop.
package snmp

import (
	"sort"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/snmp/agentx"
	"gokeepalived/internal/vrrp"
)

// OIDs of KEEPALIVED-MIB (enterprises.debian.project.keepalived).
var (
	KeepalivedOID = agentx.MustOID("1.3.6.1.4.1.9586.100.5")
	// GlobalOID is the "global" subtree: version.0, routerId.0, ...
	GlobalOID = KeepalivedOID.Append(1)
	// VRRPOID is the "vrrp" subtree.
	VRRPOID = KeepalivedOID.Append(2)
	// InstanceEntryOID is vrrpInstanceEntry: .<column>.<index>.
	InstanceEntryOID = VRRPOID.Append(3, 1)
	// InstanceStateChangeOID is the vrrpInstanceStateChange notification.
	InstanceStateChangeOID = VRRPOID.Append(10, 0, 2)
	// SyncGroupEntryOID is vrrpSyncGroupEntry, SyncGroupMemberEntryOID
	// vrrpSyncGroupMemberEntry (.<column>.<group>.<member>).
	SyncGroupEntryOID       = VRRPOID.Append(1, 1)
	SyncGroupMemberEntryOID = VRRPOID.Append(2, 1)
	// SyncGroupStateChangeOID is the vrrpSyncGroupStateChange notification.
	SyncGroupStateChangeOID = VRRPOID.Append(10, 0, 1)
	// routerIDOID is routerId.0, sent with every notification.
	routerIDOID = GlobalOID.Append(2, 0)
	// snmpTrapOID is snmpTrapOID.0 (SNMPv2-MIB).
	snmpTrapOID = agentx.MustOID("1.3.6.1.6.3.1.1.4.1.0")
)

// vrrpInstanceEntry columns served (KEEPALIVED-MIB; keepalived's
// vrrp_snmp.c gives their encodings).
const (
	colName              = 2
	colVirtualRouterID   = 3
	colState             = 4
	colInitialState      = 5
	colBasePriority      = 7
	colEffectivePriority = 8
	colVipsStatus        = 9
	colPrimaryInterface  = 10
	colAdvertisementsInt = 12
	colPreempt           = 13
	colPreemptDelay      = 14
	colSyncGroup         = 18
	colAccept            = 27
	colVrrpVersion       = 30
)

// vrrpSyncGroupEntry and vrrpSyncGroupMemberEntry columns served.
const (
	sgColName         = 2
	sgColState        = 3
	sgColSMTPAlert    = 4
	sgColNotifyExec   = 5
	sgColScriptMaster = 6
	sgColScriptBackup = 7
	sgColScriptFault  = 8
	sgColScript       = 9
	sgColScriptStop   = 11
	sgMemberColName   = 2
)

// Settings are the parts of the configuration the MIB shows that the
// snapshot does not carry; the wiring hands them over at start and after
// each reload.
type Settings struct {
	// Version is the global version.0 string.
	Version string
	// RouterID is router_id (the host name when not configured).
	RouterID string
	// InitialStates is each instance's configured state (its state
	// keyword); an instance that names none is absent (init(0), as
	// keepalived shows it).
	InitialStates map[string]vrrp.State
	// AuthTypes is each VRRPv2 instance's authentication: absent none, 1
	// PASS, 2 AH (keepalived's auth_type).
	AuthTypes map[string]int
	// SyncGroups are the sync groups' configured values, by name.
	SyncGroups map[string]SyncGroupSettings
	// Checker is what the check tree shows from the configuration
	// (enable_snmp_checker); nil = no virtual servers.
	Checker *CheckerSettings
}

// SyncGroupSettings are a vrrp_sync_group's configured values the MIB
// shows: smtp_alert (resolved as keepalived does: the group's, else
// smtp_alert_vrrp, else smtp_alert, else off), whether a notify script is
// set, and the scripts as command lines.
type SyncGroupSettings struct {
	SMTPAlert, NotifyExec                   bool
	Master, Backup, Fault, Notify, StopExec string
}

// snmpState is keepalived's VrrpState for s: init(0), backup(1),
// master(2), fault(3), unknown(4); a stopped instance is unknown in the
// table (vrrp_snmp_state) and shutdown(5) in a notification.
func snmpState(s vrrp.State, notification bool) int32 {
	if c := s.KeepalivedCode(); c <= 3 {
		return int32(c)
	}
	if notification && s == vrrp.StateStop {
		return 5
	}
	return 4
}

// truth is SNMPv2-TC TruthValue (and keepalived's two-valued enums):
// true(1), false(2).
func truth(b bool) int32 {
	if b {
		return 1
	}
	return 2
}

// view is the served tree at one moment, sorted by OID.
type view []agentx.VarBind

// buildView renders snap (and the settings) as the sorted list of the
// objects served under the registered subtrees: KEEPALIVED-MIB when
// opts.VRRP, VRRP-MIB when opts.RFC2787, VRRPv3-MIB when opts.RFC6527.
func buildView(snap *ctl.Snapshot, set *Settings, opts *Options) view {
	var v view
	lookup := opts.Lookup
	if lookup == nil {
		lookup = LookupIface
	}
	if opts.RFC2787 {
		v = buildRFC2787(v, snap, set, opts.Traps, lookup)
	}
	if opts.RFC6527 {
		v = buildRFC6527(v, snap, lookup)
	}
	if opts.Checker {
		v = buildChecker(v, snap, set.Checker)
	}
	if !opts.VRRP && !opts.Checker {
		sort.Slice(v, func(i, j int) bool { return v[i].Name.Compare(v[j].Name) < 0 })
		return v
	}
	v = append(v, agentx.String(GlobalOID.Append(1, 0), set.Version))
	if set.RouterID != "" {
		v = append(v, agentx.String(routerIDOID, set.RouterID))
	}
	if snap == nil || !opts.VRRP {
		sort.Slice(v, func(i, j int) bool { return v[i].Name.Compare(v[j].Name) < 0 })
		return v
	}
	for i, in := range snap.Instances {
		idx := uint32(i + 1)
		col := func(c uint32) agentx.OID { return InstanceEntryOID.Append(c, idx) }
		adv := uint32(in.AdvertInterval.Seconds())
		if in.Version == 3 {
			adv = uint32(in.AdvertInterval.Milliseconds() / 10)
		}
		accept := int32(0) // keepalived shows 0 for VRRPv2
		if in.Version == 3 {
			accept = truth(in.Accept)
		}
		initial := snmpState(set.InitialStates[in.Name], false)
		v = append(v,
			agentx.String(col(colName), in.Name),
			agentx.Gauge(col(colVirtualRouterID), uint32(in.VRID)),
			agentx.Int32(col(colState), snmpState(in.State, false)),
			agentx.Int32(col(colInitialState), initial),
			agentx.Int32(col(colBasePriority), int32(in.BasePriority)),
			agentx.Int32(col(colEffectivePriority), int32(in.EffectivePriority)),
			agentx.Int32(col(colVipsStatus), truth(in.VIPsHeld)),
			agentx.Gauge(col(colAdvertisementsInt), adv),
			agentx.Int32(col(colPreempt), truth(!in.NoPreempt)),
			agentx.Gauge(col(colPreemptDelay), uint32(in.PreemptDelay.Seconds())),
			agentx.Int32(col(colAccept), accept),
			agentx.Int32(col(colVrrpVersion), int32(in.Version)),
		)
		if in.Interface != "" {
			v = append(v, agentx.String(col(colPrimaryInterface), in.Interface))
		}
		if in.SyncGroup != "" {
			v = append(v, agentx.String(col(colSyncGroup), in.SyncGroup))
		}
	}
	// Sync groups and their members, in configuration order (keepalived's
	// indexes).
	for i, g := range snap.SyncGroups {
		idx := uint32(i + 1)
		col := func(c uint32) agentx.OID { return SyncGroupEntryOID.Append(c, idx) }
		gs := set.SyncGroups[g.Name]
		v = append(v,
			agentx.String(col(sgColName), g.Name),
			agentx.Int32(col(sgColState), snmpState(g.State, false)),
			agentx.Int32(col(sgColSMTPAlert), truth(gs.SMTPAlert)),
			agentx.Int32(col(sgColNotifyExec), truth(gs.NotifyExec)),
		)
		for c, s := range map[uint32]string{sgColScriptMaster: gs.Master, sgColScriptBackup: gs.Backup,
			sgColScriptFault: gs.Fault, sgColScript: gs.Notify, sgColScriptStop: gs.StopExec} {
			if s != "" {
				v = append(v, agentx.String(col(c), s))
			}
		}
		for j, m := range g.Members {
			v = append(v, agentx.String(SyncGroupMemberEntryOID.Append(sgMemberColName, idx, uint32(j+1)), m))
		}
	}
	sort.Slice(v, func(i, j int) bool { return v[i].Name.Compare(v[j].Name) < 0 })
	return v
}

// get answers a Get for name: the object, or noSuchInstance under a
// subtree we serve (noSuchObject elsewhere).
func (v view) get(name agentx.OID, served []agentx.OID) agentx.VarBind {
	i := sort.Search(len(v), func(i int) bool { return v[i].Name.Compare(name) >= 0 })
	if i < len(v) && v[i].Name.Compare(name) == 0 {
		return v[i]
	}
	for _, s := range served {
		if name.HasPrefix(s) && len(name) > len(s)+1 {
			return agentx.Exception(name, agentx.NoSuchInstance)
		}
	}
	return agentx.Exception(name, agentx.NoSuchObject)
}

// next answers a GetNext search range: the first object after Start (or
// at it when Include) and before End (when End is set), else
// endOfMibView named Start.
func (v view) next(r agentx.SearchRange) agentx.VarBind {
	i := sort.Search(len(v), func(i int) bool {
		c := v[i].Name.Compare(r.Start)
		return c > 0 || (c == 0 && r.Include)
	})
	if i < len(v) && (len(r.End) == 0 || v[i].Name.Compare(r.End) < 0) {
		return v[i]
	}
	return agentx.Exception(r.Start, agentx.EndOfMibView)
}

// bulk answers a GetBulk (RFC 2741 §7.2.3.3): the non-repeaters once,
// then up to maxRep rounds over the repeaters, each continuing from what
// the previous round returned; it stops early when every repeater has
// reached the end of the view.
func (v view) bulk(nonRep, maxRep int, ranges []agentx.SearchRange) []agentx.VarBind {
	nonRep = min(nonRep, len(ranges))
	out := make([]agentx.VarBind, 0, nonRep+maxRep*(len(ranges)-nonRep))
	for _, r := range ranges[:nonRep] {
		out = append(out, v.next(r))
	}
	rep := append([]agentx.SearchRange(nil), ranges[nonRep:]...)
	for round := 0; round < maxRep && len(rep) > 0; round++ {
		ended := 0
		for j := range rep {
			vb := v.next(rep[j])
			out = append(out, vb)
			if vb.Type == agentx.EndOfMibView {
				ended++
			}
			rep[j].Start, rep[j].Include = vb.Name, false
		}
		if ended == len(rep) {
			break
		}
	}
	return out
}
