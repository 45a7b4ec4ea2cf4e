package snmp

import (
	"net/netip"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/snmp/agentx"
)

// OIDs of KEEPALIVED-MIB's check tree (keepalived's check_snmp.c).
var (
	// CheckOID is the "check" subtree, served with enable_snmp_checker.
	CheckOID = KeepalivedOID.Append(3)
	// VSGroupEntryOID is virtualServerGroupEntry (.<column>.<group>).
	VSGroupEntryOID = CheckOID.Append(1, 1)
	// VSGroupMemberEntryOID is virtualServerGroupMemberEntry
	// (.<column>.<group>.<member>).
	VSGroupMemberEntryOID = CheckOID.Append(2, 1)
	// VirtualServerEntryOID is virtualServerEntry (.<column>.<vs>).
	VirtualServerEntryOID = CheckOID.Append(3, 1)
	// RealServerEntryOID is realServerEntry (.<column>.<vs>.<rs>; the
	// sorry server, when there is one, is the first real server).
	RealServerEntryOID = CheckOID.Append(4, 1)
	// LVSSyncDaemonOID and LVSTimeoutsOID are the lvsSyncDaemon and
	// lvsTimeouts scalar groups.
	LVSSyncDaemonOID = CheckOID.Append(6)
	LVSTimeoutsOID   = CheckOID.Append(7)
	// RealServerStateChangeOID and QuorumStateChangeOID are the checkTraps
	// notifications.
	RealServerStateChangeOID = CheckOID.Append(5, 0, 1)
	QuorumStateChangeOID     = CheckOID.Append(5, 0, 2)
)

// virtualServerEntry columns served (the statistics and rate columns,
// 27-36 and 38-50, are not: see operations.md).
const (
	vsColType             = 2
	vsColNameOfGroup      = 3
	vsColFwMark           = 4
	vsColAddrType         = 5
	vsColAddress          = 6
	vsColPort             = 7
	vsColProtocol         = 8
	vsColAlgo             = 9
	vsColKind             = 10
	vsColStatus           = 11
	vsColVirtualHost      = 12
	vsColPersist          = 13
	vsColPersistTimeout   = 14
	vsColPersistGran      = 15
	vsColDelayLoop        = 16
	vsColHASuspend        = 17
	vsColAlpha            = 18
	vsColOmega            = 19
	vsColRealTotal        = 20
	vsColRealUp           = 21
	vsColQuorum           = 22
	vsColQuorumStatus     = 23
	vsColQuorumUp         = 24
	vsColQuorumDown       = 25
	vsColHysteresis       = 26
	vsColOPS              = 37
	vsColPersistGran6     = 51
	vsColHashed           = 52
	vsColSHFallback       = 53
	vsColSHPort           = 54
	vsColSched3           = 55
	vsColActionWhenDown   = 56
	vsColRetry            = 57
	vsColDelayBeforeRetry = 58
	vsColWarmup           = 59
	vsColWeight           = 60
	vsColSMTPAlert        = 61
	vsColMHFallback       = 62
	vsColMHPort           = 63
	vsColDelayLoopUsec    = 64
	vsColDBRUsec          = 65
	vsColWarmupUsec       = 66
	vsColConnTimeoutUsec  = 67
	vsColTunnelType       = 68
	vsColTunnelPort       = 69
	vsColTunnelCsum       = 70
	vsColName             = 71
)

// realServerEntry columns served (statistics and rates, 14-39, are not).
const (
	rsColType             = 2
	rsColAddrType         = 3
	rsColAddress          = 4
	rsColPort             = 5
	rsColStatus           = 6
	rsColWeight           = 7
	rsColUpperLimit       = 8
	rsColLowerLimit       = 9
	rsColActionWhenDown   = 10
	rsColNotifyUp         = 11
	rsColNotifyDown       = 12
	rsColFailedChecks     = 13
	rsColKind             = 40
	rsColVirtualHost      = 41
	rsColAlpha            = 42
	rsColRetry            = 43
	rsColDelayBeforeRetry = 44
	rsColWarmup           = 45
	rsColDelayLoop        = 46
	rsColSMTPAlert        = 47
	rsColDBRUsec          = 48
	rsColWarmupUsec       = 49
	rsColDelayLoopUsec    = 50
	rsColConnTimeoutUsec  = 51
	rsColTunnelType       = 52
	rsColTunnelPort       = 53
	rsColTunnelCsum       = 54
	rsColName             = 55
)

// CheckerSettings are the configured values the check tree shows, in
// configuration order (keepalived's indexes are positions in its lists).
type CheckerSettings struct {
	Groups   []VSGroupSettings
	Servers  []VSSettings
	Timeouts struct{ TCP, TCPFin, UDP int } // lvs_timeouts, seconds; 0 = not set
	Sync     *SyncSettings                  // lvs_sync_daemon, nil = none
}

// VSGroupSettings is a virtual_server_group: its fwmark members, then its
// address members (keepalived lists them in that order).
type VSGroupSettings struct {
	Name    string
	Members []VSGroupMember
}

// VSGroupMember is one line of a group: a fwmark (FWMark set), or an
// address or range (First..Last, equal for one address) with a port.
type VSGroupMember struct {
	FWMark      uint32
	First, Last netip.Addr
	Port        uint16
}

// SyncSettings is lvs_sync_daemon.
type SyncSettings struct {
	Interface, Instance string
	SyncID, MaxLen      int
	Port, TTL           int
	Group               netip.Addr // invalid = none
}

// Tunnel is a TUN forwarding method's encapsulation: Type "" (ipip),
// "gue" or "gre"; Checksum "" (nocsum), "csum" or "remcsum".
type Tunnel struct {
	Type     string
	Port     uint16
	Checksum string
}

// VSSettings is one virtual_server as the MIB shows it.
type VSSettings struct {
	// Name is the load balancer's name for it (ctl.VirtualServerStatus).
	Name        string
	Group       string     // virtual_server group NAME
	FWMark      uint32     // virtual_server fwmark N
	Addr        netip.Addr // virtual_server IP PORT (invalid otherwise)
	Port        uint16
	IPv6        bool   // its address family (a fwmark's or group's from ip_family or its servers)
	Protocol    string // TCP, UDP, SCTP or ""
	Scheduler   string
	Method      string // NAT, DR or TUN
	Tunnel      Tunnel
	VirtualHost string
	Persistence time.Duration
	// GranularityBits is persistence_granularity as a prefix length (0 =
	// not set: keepalived shows all ones).
	GranularityBits                     int
	DelayLoop, DelayBeforeRetry, Warmup time.Duration
	ConnectTimeout                      time.Duration
	Retry                               int
	HASuspend, Alpha, Omega             bool
	Quorum, Hysteresis                  int
	QuorumUp, QuorumDown                string // command lines ("" = none)
	Flags                               []string
	Inhibit                             bool // inhibit_on_failure
	Weight                              int
	SMTPAlert                           bool
	SNMPName                            string
	// Sorry is the sorry_server (nil = none); Real the real servers.
	Sorry *RSSettings
	Real  []RSSettings
}

// RSSettings is one real_server (or the sorry_server) as the MIB shows
// it.
type RSSettings struct {
	Addr                                netip.Addr
	Port                                uint16
	Method                              string
	Tunnel                              Tunnel
	Weight                              int
	UThreshold, LThreshold              int
	Inhibit                             bool
	NotifyUp, NotifyDown                string
	VirtualHost                         string
	Alpha                               bool
	Retry                               int
	DelayBeforeRetry, Warmup, DelayLoop time.Duration
	ConnectTimeout                      time.Duration
	SMTPAlert                           bool
	SNMPName                            string
}

// algoCode is virtualServerLoadBalancingAlgo.
func algoCode(s string) int32 {
	for i, n := range []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"} {
		if n == s {
			return int32(i + 1)
		}
	}
	return 99
}

// kindCode is the LoadBalancingKind of a method: nat(1), dr(2), tun(3);
// 0 = none (the column is absent).
func kindCode(m string) int32 {
	switch m {
	case "NAT", "":
		return 1
	case "DR":
		return 2
	case "TUN":
		return 3
	}
	return 0
}

// tunnelCodes are TunnelType (ipip 1, gue 2, gre 3) and TunnelChecksum
// (none 1, csum 2, remcsum 3).
func tunnelCodes(t Tunnel) (typ, csum int32) {
	typ, csum = 1, 1
	switch t.Type {
	case "gue":
		typ = 2
	case "gre":
		typ = 3
	}
	switch t.Checksum {
	case "csum":
		csum = 2
	case "remcsum":
		csum = 3
	}
	return typ, csum
}

func addrType(ipv6 bool) int32 {
	if ipv6 {
		return 2
	}
	return 1
}

func octets(name agentx.OID, b []byte) agentx.VarBind {
	return agentx.VarBind{Type: agentx.OctetString, Name: name, Bytes: b}
}

func inetAddr(name agentx.OID, a netip.Addr) agentx.VarBind {
	return octets(name, a.Unmap().AsSlice())
}

func secs(d time.Duration) uint32 { return uint32(d / time.Second) }
func usecs(d time.Duration) uint32 {
	return uint32(d / time.Microsecond)
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

// statusOf finds the load balancer's status of the i-th configured
// virtual server (by position, checked by name; by name otherwise).
func statusOf(snap *ctl.Snapshot, i int, name string) *ctl.VirtualServerStatus {
	if snap == nil {
		return nil
	}
	if i < len(snap.VirtualServers) && snap.VirtualServers[i].Name == name {
		return &snap.VirtualServers[i]
	}
	for j := range snap.VirtualServers {
		if snap.VirtualServers[j].Name == name {
			return &snap.VirtualServers[j]
		}
	}
	return nil
}

// realUp counts the live real servers of a status.
func realUp(st *ctl.VirtualServerStatus) uint32 {
	n := uint32(0)
	if st != nil {
		for _, r := range st.RealServers {
			if r.Up {
				n++
			}
		}
	}
	return n
}

// buildChecker appends the check tree: the groups and their members, the
// virtual servers, the real servers (configuration from set, state from
// snap), the LVS sync daemon and timeouts.
func buildChecker(v view, snap *ctl.Snapshot, cs *CheckerSettings) view {
	if cs == nil {
		cs = &CheckerSettings{}
	}
	for gi, g := range cs.Groups {
		gidx := uint32(gi + 1)
		v = append(v, agentx.String(VSGroupEntryOID.Append(2, gidx), g.Name))
		for mi, m := range g.Members {
			col := func(c uint32) agentx.OID { return VSGroupMemberEntryOID.Append(c, gidx, uint32(mi+1)) }
			switch {
			case m.FWMark != 0:
				v = append(v, agentx.Int32(col(2), 1), agentx.Gauge(col(3), m.FWMark))
			default:
				typ := int32(2)
				if m.First != m.Last {
					typ = 3
				}
				v = append(v, agentx.Int32(col(2), typ), agentx.Int32(col(4), addrType(m.First.Is6() && !m.First.Is4In6())),
					agentx.Gauge(col(8), uint32(m.Port)))
				if typ == 2 {
					v = append(v, inetAddr(col(5), m.First))
				} else {
					v = append(v, inetAddr(col(6), m.First), inetAddr(col(7), m.Last))
				}
			}
		}
	}
	for i, s := range cs.Servers {
		idx := uint32(i + 1)
		st := statusOf(snap, i, s.Name)
		v = appendVirtualServer(v, idx, &s, st)
		n := uint32(0)
		if s.Sorry != nil {
			n++
			v = appendRealServer(v, idx, n, s.Sorry, nil)
		}
		for j := range s.Real {
			n++
			var rst *ctl.RealServerStatus
			if st != nil && j < len(st.RealServers) {
				rst = &st.RealServers[j]
			}
			v = appendRealServer(v, idx, n, &s.Real[j], rst)
		}
	}
	if sd := cs.Sync; sd != nil {
		o := func(c uint32) agentx.OID { return LVSSyncDaemonOID.Append(c, 0) }
		v = append(v, agentx.Int32(o(1), 1), agentx.String(o(2), sd.Interface), agentx.Int32(o(4), int32(sd.SyncID)),
			agentx.Int32(o(5), int32(sd.MaxLen)), agentx.Int32(o(6), int32(sd.Port)), agentx.Int32(o(7), int32(sd.TTL)))
		if sd.Instance != "" {
			v = append(v, agentx.String(o(3), sd.Instance))
		}
		if sd.Group.IsValid() {
			v = append(v, agentx.Int32(o(8), addrType(sd.Group.Is6())), inetAddr(o(9), sd.Group))
		}
	} else {
		v = append(v, agentx.Int32(LVSSyncDaemonOID.Append(1, 0), 2))
	}
	for c, t := range map[uint32]int{1: cs.Timeouts.TCP, 2: cs.Timeouts.TCPFin, 3: cs.Timeouts.UDP} {
		if t != 0 {
			v = append(v, agentx.Int32(LVSTimeoutsOID.Append(c, 0), int32(t)))
		}
	}
	return v
}

func appendVirtualServer(v view, idx uint32, s *VSSettings, st *ctl.VirtualServerStatus) view {
	col := func(c uint32) agentx.OID { return VirtualServerEntryOID.Append(c, idx) }
	typ := int32(2)
	switch {
	case s.Group != "":
		typ = 3
	case s.FWMark != 0:
		typ = 1
	}
	v = append(v, agentx.Int32(col(vsColType), typ), agentx.Int32(col(vsColAddrType), addrType(s.IPv6)))
	if s.Group != "" {
		v = append(v, agentx.String(col(vsColNameOfGroup), s.Group))
	}
	if s.FWMark != 0 {
		v = append(v, agentx.Gauge(col(vsColFwMark), s.FWMark))
	}
	if typ == 2 {
		v = append(v, inetAddr(col(vsColAddress), s.Addr), agentx.Gauge(col(vsColPort), uint32(s.Port)))
	}
	if s.FWMark == 0 {
		p := int32(4)
		switch s.Protocol {
		case "TCP":
			p = 1
		case "UDP":
			p = 2
		case "SCTP":
			p = 3
		}
		v = append(v, agentx.Int32(col(vsColProtocol), p))
	}
	v = append(v, agentx.Int32(col(vsColAlgo), algoCode(s.Scheduler)))
	if k := kindCode(s.Method); k != 0 {
		v = append(v, agentx.Int32(col(vsColKind), k))
	}
	// virtualServerStatus: keepalived's vs->alive, set once the service is
	// in the table; here: programmed without error.
	v = append(v, agentx.Int32(col(vsColStatus), truth(st != nil && st.Error == "")))
	if s.VirtualHost != "" {
		v = append(v, agentx.String(col(vsColVirtualHost), s.VirtualHost))
	}
	v = append(v, agentx.Int32(col(vsColPersist), truth(s.Persistence > 0)))
	if s.Persistence > 0 {
		v = append(v, agentx.Gauge(col(vsColPersistTimeout), secs(s.Persistence)))
	}
	// The granularity: IPv4 as a netmask, IPv6 as a prefix length; a
	// virtual server without an address (fwmark, group) shows both, as
	// keepalived's test on the (empty) address family does.
	gran := uint32(0xffffffff)
	if s.GranularityBits > 0 {
		if s.IPv6 {
			gran = uint32(s.GranularityBits)
		} else {
			gran = ^uint32(0) << (32 - s.GranularityBits)
		}
	}
	if !s.Addr.IsValid() || !s.IPv6 {
		v = append(v, octets(col(vsColPersistGran), []byte{byte(gran >> 24), byte(gran >> 16), byte(gran >> 8), byte(gran)}))
	}
	if !s.Addr.IsValid() || s.IPv6 {
		v = append(v, agentx.Gauge(col(vsColPersistGran6), gran))
	}
	quorumUp := st != nil && st.Quorum
	// The scheduler flags are three kernel bits each keyword sets: sh and
	// mh share them (sh-fallback = mh-fallback = flag-1, sh-port =
	// mh-port = flag-2), so keepalived shows both pairs the same.
	sched1 := hasFlag(s.Flags, "flag-1") || hasFlag(s.Flags, "sh-fallback") || hasFlag(s.Flags, "mh-fallback")
	sched2 := hasFlag(s.Flags, "flag-2") || hasFlag(s.Flags, "sh-port") || hasFlag(s.Flags, "mh-port")
	v = append(v,
		agentx.Gauge(col(vsColDelayLoop), secs(s.DelayLoop)),
		agentx.Int32(col(vsColHASuspend), truth(s.HASuspend)),
		agentx.Int32(col(vsColAlpha), truth(s.Alpha)),
		agentx.Int32(col(vsColOmega), truth(s.Omega)),
		agentx.Gauge(col(vsColRealTotal), uint32(len(s.Real))),
		agentx.Gauge(col(vsColRealUp), realUp(st)),
		agentx.Gauge(col(vsColQuorum), uint32(s.Quorum)),
		agentx.Int32(col(vsColQuorumStatus), truth(quorumUp)),
		agentx.Gauge(col(vsColHysteresis), uint32(s.Hysteresis)),
		agentx.Int32(col(vsColOPS), truth(hasFlag(s.Flags, "ops"))),
		agentx.Int32(col(vsColHashed), truth(hasFlag(s.Flags, "hashed"))),
		agentx.Int32(col(vsColSHFallback), truth(sched1)),
		agentx.Int32(col(vsColSHPort), truth(sched2)),
		agentx.Int32(col(vsColSched3), truth(hasFlag(s.Flags, "flag-3"))),
		agentx.Int32(col(vsColActionWhenDown), truth(!s.Inhibit)),
		agentx.Gauge(col(vsColRetry), uint32(s.Retry)),
		agentx.Gauge(col(vsColDelayBeforeRetry), secs(s.DelayBeforeRetry)),
		agentx.Gauge(col(vsColWarmup), secs(s.Warmup)),
		agentx.Int32(col(vsColWeight), int32(s.Weight)),
		agentx.Int32(col(vsColSMTPAlert), truth(s.SMTPAlert)),
		agentx.Int32(col(vsColMHFallback), truth(sched1)),
		agentx.Int32(col(vsColMHPort), truth(sched2)),
		agentx.Gauge(col(vsColDelayLoopUsec), usecs(s.DelayLoop)),
		agentx.Gauge(col(vsColDBRUsec), usecs(s.DelayBeforeRetry)),
		agentx.Gauge(col(vsColWarmupUsec), usecs(s.Warmup)),
		agentx.Gauge(col(vsColConnTimeoutUsec), usecs(s.ConnectTimeout)),
	)
	if s.QuorumUp != "" {
		v = append(v, agentx.String(col(vsColQuorumUp), s.QuorumUp))
	}
	if s.QuorumDown != "" {
		v = append(v, agentx.String(col(vsColQuorumDown), s.QuorumDown))
	}
	v = appendTunnel(v, s.Method, s.Tunnel, col(vsColTunnelType), col(vsColTunnelPort), col(vsColTunnelCsum))
	if s.SNMPName != "" {
		v = append(v, agentx.String(col(vsColName), s.SNMPName))
	}
	return v
}

// appendTunnel adds the tunnel columns of a TUN server: the type, the
// GUE port, the checksum mode (not for ipip).
func appendTunnel(v view, method string, t Tunnel, typCol, portCol, csumCol agentx.OID) view {
	if method != "TUN" {
		return v
	}
	typ, csum := tunnelCodes(t)
	v = append(v, agentx.Int32(typCol, typ))
	if typ == 2 {
		v = append(v, agentx.Gauge(portCol, uint32(t.Port)))
	}
	if typ != 1 {
		v = append(v, agentx.Int32(csumCol, csum))
	}
	return v
}

// appendRealServer adds one realServerEntry row; st is nil for the sorry
// server (keepalived shows no state, weight, limits or scripts for it).
func appendRealServer(v view, vsIdx, idx uint32, r *RSSettings, st *ctl.RealServerStatus) view {
	col := func(c uint32) agentx.OID { return RealServerEntryOID.Append(c, vsIdx, idx) }
	sorry := st == nil
	v = append(v,
		agentx.Int32(col(rsColType), truth(!sorry)),
		agentx.Int32(col(rsColAddrType), addrType(r.Addr.Is6() && !r.Addr.Is4In6())),
		inetAddr(col(rsColAddress), r.Addr),
		agentx.Gauge(col(rsColPort), uint32(r.Port)),
		agentx.Int32(col(rsColAlpha), truth(r.Alpha)),
		agentx.Gauge(col(rsColRetry), uint32(r.Retry)),
		agentx.Gauge(col(rsColDelayBeforeRetry), secs(r.DelayBeforeRetry)),
		agentx.Gauge(col(rsColWarmup), secs(r.Warmup)),
		agentx.Gauge(col(rsColDelayLoop), secs(r.DelayLoop)),
		agentx.Int32(col(rsColSMTPAlert), truth(r.SMTPAlert)),
		agentx.Gauge(col(rsColDBRUsec), usecs(r.DelayBeforeRetry)),
		agentx.Gauge(col(rsColWarmupUsec), usecs(r.Warmup)),
		agentx.Gauge(col(rsColDelayLoopUsec), usecs(r.DelayLoop)),
		agentx.Gauge(col(rsColConnTimeoutUsec), usecs(r.ConnectTimeout)),
	)
	if k := kindCode(r.Method); k != 0 {
		v = append(v, agentx.Int32(col(rsColKind), k))
	}
	if r.VirtualHost != "" {
		v = append(v, agentx.String(col(rsColVirtualHost), r.VirtualHost))
	}
	if !sorry {
		v = append(v,
			agentx.Int32(col(rsColStatus), truth(st.Up)),
			agentx.Int32(col(rsColWeight), int32(st.Weight)),
			agentx.Int32(col(rsColActionWhenDown), truth(!r.Inhibit)),
			agentx.Gauge(col(rsColFailedChecks), uint32(st.FailedCheckers)),
		)
		if r.UThreshold != 0 {
			v = append(v, agentx.Gauge(col(rsColUpperLimit), uint32(r.UThreshold)))
		}
		if r.LThreshold != 0 {
			v = append(v, agentx.Gauge(col(rsColLowerLimit), uint32(r.LThreshold)))
		}
		if r.NotifyUp != "" {
			v = append(v, agentx.String(col(rsColNotifyUp), r.NotifyUp))
		}
		if r.NotifyDown != "" {
			v = append(v, agentx.String(col(rsColNotifyDown), r.NotifyDown))
		}
	}
	v = appendTunnel(v, r.Method, r.Tunnel, col(rsColTunnelType), col(rsColTunnelPort), col(rsColTunnelCsum))
	if r.SNMPName != "" {
		v = append(v, agentx.String(col(rsColName), r.SNMPName))
	}
	return v
}

// checkerNotification is the varbind list of realServerStateChange (ev.RS
// set) or virtualServerQuorumStateChange, as keepalived's
// check_snmp_rs_trap builds it: column OIDs without an index, the virtual
// server identified by its group, fwmark or address, virtualServerProtocol
// as tcp(1) or not (2), and the router id. ok is false when ev names no
// configured virtual server (a reload raced it).
func checkerNotification(ev ctl.LBEvent, set *Settings) (vbs []agentx.VarBind, ok bool) {
	cs := set.Checker
	if cs == nil || ev.VSIndex < 0 || ev.VSIndex >= len(cs.Servers) || cs.Servers[ev.VSIndex].Name != ev.VS {
		return nil, false
	}
	s := &cs.Servers[ev.VSIndex]
	vs := func(c uint32) agentx.OID { return VirtualServerEntryOID.Append(c) }
	rs := func(c uint32) agentx.OID { return RealServerEntryOID.Append(c) }
	trap := QuorumStateChangeOID
	if ev.RS != "" {
		trap = RealServerStateChangeOID
	}
	vbs = append(vbs, agentx.ObjectIdentifier(snmpTrapOID, trap))
	if ev.RS != "" {
		if ev.RSIndex < 0 || ev.RSIndex >= len(s.Real) {
			return nil, false
		}
		r := s.Real[ev.RSIndex]
		vbs = append(vbs,
			agentx.Int32(rs(rsColAddrType), addrType(r.Addr.Is6() && !r.Addr.Is4In6())),
			inetAddr(rs(rsColAddress), r.Addr),
			agentx.Gauge(rs(rsColPort), uint32(r.Port)),
			agentx.Int32(rs(rsColStatus), truth(ev.Up)))
	}
	switch {
	case s.Group != "":
		vbs = append(vbs, agentx.Int32(vs(vsColType), 3), agentx.String(vs(vsColNameOfGroup), s.Group))
	case s.FWMark != 0:
		vbs = append(vbs, agentx.Int32(vs(vsColType), 1), agentx.Gauge(vs(vsColFwMark), s.FWMark))
	default:
		vbs = append(vbs, agentx.Int32(vs(vsColType), 2), agentx.Int32(vs(vsColAddrType), addrType(s.IPv6)),
			inetAddr(vs(vsColAddress), s.Addr), agentx.Gauge(vs(vsColPort), uint32(s.Port)))
	}
	vbs = append(vbs, agentx.Int32(vs(vsColProtocol), truth(s.Protocol == "TCP")))
	if ev.RS == "" {
		vbs = append(vbs, agentx.Int32(vs(vsColQuorumStatus), truth(ev.Up)), agentx.Gauge(vs(vsColQuorum), uint32(s.Quorum)))
	}
	vbs = append(vbs,
		agentx.Gauge(vs(vsColRealUp), uint32(ev.RealUp)),
		agentx.Gauge(vs(vsColRealTotal), uint32(ev.RealTotal)),
		agentx.String(routerIDOID, set.RouterID))
	return vbs, true
}
