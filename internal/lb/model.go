// Package lb is the kernel load balancer's desired state and its
// reconciler: a pure function turns a configured virtual_server and the
// current health of its real servers into Services (Desired), Diff compares
// them with what a Backend reads back from the kernel, and a Reconciler
// applies only the differences, which also repairs drift (another tool
// edited the table). Backends live in lb/ipvs and lb/nft; lb/lbtest is a
// fake that prints its table the way `ipvsadm -Ln` does.
//
// The package touches no kernel and reads no clock (STYLE rule 1 spirit:
// keepalived's check/ipwrapper.c decisions, without its I/O).
package lb

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Proto is a virtual service's transport protocol.
type Proto uint8

// Protocols IPVS (and the nftables backend) balance.
const (
	TCP Proto = iota + 1
	UDP
	SCTP
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// Method is the forwarding method (lvs_method / lb_kind).
type Method uint8

// Forwarding methods, named as keepalived names them.
const (
	NAT Method = iota // IPVS "Masq"
	DR                // IPVS "Route"
	TUN               // IPVS "Tunnel"
)

func (m Method) String() string {
	switch m {
	case NAT:
		return "NAT"
	case DR:
		return "DR"
	case TUN:
		return "TUN"
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// Family is the address family of a service (needed for fwmark services,
// which have no address).
type Family uint8

// Address families.
const (
	Inet Family = iota + 1
	Inet6
)

func (f Family) String() string {
	if f == Inet6 {
		return "inet6"
	}
	return "inet"
}

// Key identifies a virtual service: address, port and protocol, or a
// firewall mark with a family.
type Key struct {
	Addr   netip.Addr // invalid for fwmark services
	Port   uint16
	Proto  Proto // 0 for fwmark services
	FWMark uint32
	Family Family
}

// String is the ipvsadm-style name: "TCP 192.0.2.100:80", "FWM 1 inet".
func (k Key) String() string {
	if k.FWMark != 0 {
		return fmt.Sprintf("FWM %d %s", k.FWMark, k.Family)
	}
	return k.Proto.String() + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// Compare orders keys: fwmark services last, then by protocol, address, port.
func (k Key) Compare(o Key) int {
	if c := cmp.Compare(k.FWMark, o.FWMark); c != 0 {
		return c
	}
	if c := cmp.Compare(k.Family, o.Family); c != 0 {
		return c
	}
	if c := cmp.Compare(k.Proto, o.Proto); c != 0 {
		return c
	}
	if c := k.Addr.Compare(o.Addr); c != 0 {
		return c
	}
	return cmp.Compare(k.Port, o.Port)
}

// Tunnel holds the TUN encapsulation (lvs_method TUN type ...).
type Tunnel struct {
	Type     string // "" or "ipip" (default), "gue", "gre"
	Port     uint16 // GUE port
	Checksum string // "", "nocsum", "csum", "remcsum"
}

// Dest is a real server as the kernel sees it.
type Dest struct {
	Addr   netip.Addr
	Port   uint16
	Weight int
	Method Method
	Tunnel Tunnel
	// UThreshold and LThreshold are real_server uthreshold/lthreshold: the
	// kernel stops sending new connections above UThreshold active ones
	// and resumes below LThreshold (0 = no limit).
	UThreshold, LThreshold uint32
}

// AddrPort is the destination's address and port.
func (d Dest) AddrPort() netip.AddrPort { return netip.AddrPortFrom(d.Addr, d.Port) }

// Service is one virtual service with its destinations, sorted by address.
type Service struct {
	Key
	Scheduler string
	// Persistence is persistence_timeout (0 = not persistent), whole seconds.
	Persistence time.Duration
	// PersistenceBits is persistence_granularity as a prefix length
	// (0 = a single client address: 32 or 128).
	PersistenceBits int
	// Flags are the IPVS service flags keepalived sets from ops,
	// flag-1..3, sh-/mh-port and sh-/mh-fallback (not persistence, which
	// Persistence carries, nor hashed, which the kernel sets on every
	// service it has hashed into its table).
	Flags SvcFlags
	// PEName is persistence_engine ("sip"); "" = none.
	PEName string
	Dests  []Dest

	// Drift is set by a backend's read-back when the kernel object exists
	// but does not match what the backend would have written for it (rules
	// edited by hand); the reconciler then rewrites the whole service.
	Drift string
}

// SvcFlags are IPVS service flags (linux/ip_vs.h IP_VS_SVC_F_*).
type SvcFlags uint32

// The flags keepalived sets. SH_FALLBACK and MH_FALLBACK are Sched1,
// SH_PORT and MH_PORT are Sched2.
const (
	FlagOnePacket SvcFlags = 0x0004 // ops
	FlagSched1    SvcFlags = 0x0008 // flag-1, sh-fallback, mh-fallback
	FlagSched2    SvcFlags = 0x0010 // flag-2, sh-port, mh-port
	FlagSched3    SvcFlags = 0x0020 // flag-3

	// SettableFlags are the flags a service is programmed with and read
	// back by.
	SettableFlags = FlagOnePacket | FlagSched1 | FlagSched2 | FlagSched3
)

// Dest returns the destination with the given address and port.
func (s *Service) Dest(ap netip.AddrPort) (Dest, bool) {
	for _, d := range s.Dests {
		if d.AddrPort() == ap {
			return d, true
		}
	}
	return Dest{}, false
}

// persistBits returns the effective persistence prefix length.
func (s *Service) persistBits() int {
	if s.PersistenceBits != 0 {
		return s.PersistenceBits
	}
	if s.Family == Inet6 {
		return 128
	}
	return 32
}

// SortDests orders destinations by address and port.
func SortDests(ds []Dest) {
	slices.SortFunc(ds, func(a, b Dest) int { return a.AddrPort().Compare(b.AddrPort()) })
}

// SortServices orders services by key.
func SortServices(ss []Service) {
	slices.SortFunc(ss, func(a, b Service) int { return a.Key.Compare(b.Key) })
}

// sameParams reports whether two services agree on everything but their
// destinations.
func sameParams(a, b *Service) bool {
	return a.Scheduler == b.Scheduler && a.Persistence == b.Persistence && a.persistBits() == b.persistBits() &&
		a.Flags == b.Flags && a.PEName == b.PEName
}

// SyncState is the role of an IPVS connection-synchronisation daemon
// (linux/ip_vs.h IP_VS_STATE_*).
type SyncState uint32

// Sync daemon roles.
const (
	SyncMaster SyncState = 1 // sends the director's connections
	SyncBackup SyncState = 2 // receives them into the connection table
)

func (s SyncState) String() string {
	switch s {
	case SyncMaster:
		return "master"
	case SyncBackup:
		return "backup"
	}
	return fmt.Sprintf("sync-state(%d)", uint32(s))
}

// SyncDaemon is one IPVS sync daemon (lvs_sync_daemon). Zero MaxLen,
// Port, TTL and an invalid Group leave the kernel's defaults.
type SyncDaemon struct {
	State     SyncState
	Interface string
	SyncID    uint8
	MaxLen    uint16
	Port      uint16
	TTL       uint8
	Group     netip.Addr
}

// Timeouts are the IPVS connection timeouts (lvs_timeouts); zero leaves
// the kernel's value.
type Timeouts struct {
	TCP, TCPFin, UDP time.Duration
}

// SyncDaemons is implemented by a backend that runs IPVS sync daemons.
type SyncDaemons interface {
	StartSyncDaemon(SyncDaemon) error
	StopSyncDaemon(SyncState) error
	SyncDaemons() ([]SyncDaemon, error)
}

// TimeoutSetter is implemented by a backend with settable connection
// timeouts.
type TimeoutSetter interface {
	SetTimeouts(Timeouts) error
	Timeouts() (Timeouts, error)
}

// RcvBuf is a netlink socket's receive buffer (lvs_netlink_cmd_rcv_bufs,
// lvs_netlink_monitor_rcv_bufs): Bytes 0 leaves the backend's default;
// Force sets it with SO_RCVBUFFORCE (beyond net.core.rmem_max; root).
type RcvBuf struct {
	Bytes int
	Force bool
}

// OpenOptions say how a backend is opened.
type OpenOptions struct {
	// NetNS is the network namespace the table is programmed in (a path
	// such as /var/run/netns/NAME or /proc/1/ns/net); "" = the caller's.
	NetNS string
	// Cmd is the receive buffer of the command sockets (IPVS generic
	// netlink, nftables); Monitor that of the socket reading the kernel's
	// connection table (conntrack).
	Cmd, Monitor RcvBuf
}

// MarkRange marks the packets of one virtual_server_group range for
// nftables_ipvs: protocol Proto to an address in First..Last (inclusive)
// and port Port get firewall mark Mark, so that the IPVS fwmark service
// Mark serves them.
type MarkRange struct {
	First, Last netip.Addr
	Port        uint16
	Proto       Proto
	Mark        uint32
}

// MarkTable is nftables_ipvs's table: a filter chain "in" on the input
// hook at Priority in the ip and ip6 tables named Name, which sets the
// mark of each range's packets (maps tcp_map, udp_map, sctp_map keyed by
// address . port).
type MarkTable struct {
	Name     string
	Priority int32
	Ranges   []MarkRange
}

// Marker is implemented by a backend that can program nftables_ipvs's
// marks (IPVS). SetMarks replaces the table's whole content; RemoveMarks
// deletes the table.
type Marker interface {
	SetMarks(MarkTable) error
	RemoveMarks(name string) error
}

// RcvBufSetter is implemented by a backend whose sockets take new receive
// buffers after it was opened (a reload changed them).
type RcvBufSetter interface {
	SetRcvBufs(cmd, monitor RcvBuf) error
}
