package daemon

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/vrrpconn"
	"gokeepalived/internal/notify"
	"gokeepalived/internal/vrrp"
)

// The daemon's ports: small interfaces it declares and the wiring fills
// (internal/daemon/linuxport.Linux for the running kernel, fakes in tests).
// No OS code lives in this package.

// Ports is the set the daemon runs with; every field is required.
type Ports struct {
	Clock     Clock
	Thread    Thread
	Sockets   Sockets
	Links     Links
	Addresses Addresses
	Routes    Routes
	Rules     Rules
	Announcer Announcer
	VMACs     VMACs
	Firewall  Firewall
}

// missing names the first port not set ("" if none is missing).
func (p Ports) missing() string {
	for _, c := range []struct {
		name string
		set  bool
	}{{"Clock", p.Clock != nil}, {"Thread", p.Thread != nil}, {"Sockets", p.Sockets != nil}, {"Links", p.Links != nil},
		{"Addresses", p.Addresses != nil}, {"Routes", p.Routes != nil}, {"Rules", p.Rules != nil},
		{"Announcer", p.Announcer != nil}, {"VMACs", p.VMACs != nil}, {"Firewall", p.Firewall != nil}} {
		if !c.set {
			return c.name
		}
	}
	return ""
}

// Clock is the loop's time source.
type Clock interface{ Now() time.Time }

// Thread is what the loop asks of its OS thread (and the socket readers of
// theirs): real-time scheduling, and a sleep the kernel ends.
type Thread interface {
	// Setup gives the calling, locked OS thread the scheduling s.
	Setup(s ThreadSettings) error
	// NewWaker returns the loop's sleep: Wait until Kick or a deadline.
	NewWaker() (Waker, error)
}

// ThreadSettings are the scheduling of the VRRP loop and socket reader
// threads (global_defs vrrp_rt_priority, vrrp_priority,
// vrrp_cpu_affinity; sched.go).
type ThreadSettings struct {
	RTPriority int   // SCHED_RR priority; 0: SCHED_OTHER at Nice
	Nice       int   // -20..19, without RTPriority
	CPUs       []int // CPUs the thread may run on; empty: any
	// Name is the thread's name (vrrp_process_name); "": unchanged.
	Name string
}

// Waker lets the loop sleep until another goroutine kicks it or the next
// deadline passes (zero: none).
type Waker interface {
	Kick()
	Wait(deadline, now time.Time)
}

// Sockets opens VRRP sockets.
type Sockets interface {
	Open(cfg vrrpconn.Config) (Conn, error)
}

// Conn is one VRRP socket (one per interface and address family, shared by
// every instance on it).
type Conn interface {
	// SendFrom sends one advert; an error the interface's state explains
	// wraps ErrLinkDown or ErrSendRefused.
	SendFrom(payload []byte, src, dst netip.Addr) error
	// Recv blocks until a packet arrives; after Close it returns an error
	// wrapping net.ErrClosed (soon, but possibly not at once).
	Recv(buf []byte) (int, vrrpconn.Meta, error)
	// JoinGroup joins one more multicast group (the kernel refuses a group
	// the socket already joined).
	JoinGroup(group netip.Addr) error
	// Close closes the socket. It may wait (for the reader, for the
	// kernel), so the loop calls it only when it stops; a reload closes
	// sockets off the loop.
	Close() error
}

// Send errors a Conn classifies (the adapter maps the kernel's errors).
var (
	// ErrLinkDown: the interface is down or lost the source address.
	ErrLinkDown = errors.New("interface down or without the source address")
	// ErrSendRefused: the kernel refused the send as invalid (IPv6 does so
	// when the link-local source went away with the link).
	ErrSendRefused = errors.New("send refused")
	// ErrNoInterface is what Links.Up wraps when the interface does not
	// exist (dynamic_interfaces: its instances wait for it in FAULT).
	ErrNoInterface = errors.New("no such interface")
)

// linkMTU is a Links port that also tells an interface's MTU (the
// vrrp_rx_bufs_policy MTU policy); without it, defaultMTU.
type linkMTU interface {
	MTU(ifname string) (int, error)
}

// defaultMTU is Ethernet's, for a Links port that cannot tell.
const defaultMTU = 1500

// Links reports on interfaces.
type Links interface {
	// Primary returns the interface's primary IPv4 address, or its IPv6
	// link-local address: the source of our adverts and the tie-breaker.
	Primary(ifname string, ipv6 bool) (netip.Addr, error)
	// Up reports whether the interface is administratively up with carrier.
	Up(ifname string) (bool, error)
	// Watch delivers link changes until ctx ends, calling wake after each
	// one is queued (the loop sleeps in the kernel, not on the channel).
	Watch(ctx context.Context, wake func()) (<-chan link.Event, error)
	// SetPromoteSecondaries sets the interface's IPv4 promote_secondaries
	// and returns the value it had (promote_secondaries, promote.go).
	SetPromoteSecondaries(ifname string, on bool) (was bool, err error)
}

// Addresses adds and removes virtual addresses (idempotent), lists what
// the kernel has, and watches what anyone changes.
type Addresses interface {
	Add(a addr.Address) error
	Del(a addr.Address) error
	// List returns the addresses on dev as the kernel has them.
	List(dev string) ([]addr.Address, error)
	// Watch delivers every address added or removed (by us or anyone
	// else) until ctx ends, calling wake after each one is queued.
	Watch(ctx context.Context, wake func()) (<-chan addr.Event, error)
}

// Routes adds and removes virtual_routes, and watches what anyone changes.
type Routes interface {
	Add(r addr.Route) error
	Del(r addr.Route) error
	// Watch delivers every route added or removed until ctx ends, calling
	// wake after each one is queued.
	Watch(ctx context.Context, wake func()) (<-chan addr.RouteEvent, error)
}

// Rules adds and removes virtual_rules.
type Rules interface {
	Add(r addr.Rule) error
	Del(r addr.Rule) error
}

// Announcer sends one gratuitous ARP (IPv4) or unsolicited NA (IPv6) per
// address on ifname.
type Announcer interface {
	Gratuitous(ifname string, vips []netip.Addr) error
}

// VMACs creates and deletes the use_vmac macvlans and use_ipvlan ipvlans
// (Create is idempotent).
type VMACs interface {
	Create(spec VMACSpec) error
	Delete(name string) error
}

// VMACSpec is one interface of VMACs.
type VMACSpec struct {
	Name, Parent string
	VRID         uint8
	// IPv6: the RFC's IPv6 virtual MAC 00:00:5e:00:02:VRID, and the
	// parent's link-local address copied onto it.
	IPv6 bool
	// MAC replaces the RFC's virtual MAC when set (use_vmac NAME MAC).
	MAC net.HardwareAddr
	// IPVLAN makes an L2-mode ipvlan (sharing the parent's MAC) with
	// IPVLANMode ("bridge", "private", "vepa") and Addr on it (if valid),
	// instead of a macvlan.
	IPVLAN     bool
	IPVLANMode string
	Addr       netip.Prefix
}

// Firewall installs the accept-mode firewall (firewall.go): packets to and
// from the addresses of FirewallSpec are dropped.
type Firewall interface {
	// Sync makes the firewall drop exactly spec.Addrs, in spec.Table
	// (replacing a table of that name left by an earlier run the first
	// time). An address it cannot place is reported; the others apply.
	Sync(spec FirewallSpec) error
	// Remove deletes what Sync made (at stop).
	Remove() error
}

// FirewallSpec is the accept-mode firewall wanted.
type FirewallSpec struct {
	Table    string
	Priority int
	Counters bool
	Addrs    []FirewallAddr
}

// FirewallAddr is one address whose traffic is dropped; a link-local
// IPv6 one is matched with its interface, by index or (ByName) by name.
type FirewallAddr struct {
	IP     netip.Addr
	Dev    string
	ByName bool
}

// Notifier is the port to notify scripts, FIFOs and mail. The scripts
// arrive resolved (users looked up when the instance was built), so a call
// does no slow work on the loop.
type Notifier interface {
	StateChanged(inst *config.Instance, scripts *notify.Scripts, from, to vrrp.State, prio int, reason string)
	GroupChanged(g *config.SyncGroup, scripts *notify.Scripts, from, to vrrp.State, reason string)
	// MasterRxLowerPri: we are MASTER and heard a lower-priority master
	// (keepalived's MASTER_RX_LOWER_PRI event: notify_master_rx_lower_pri
	// and the FIFO line; no generic notify script, no mail).
	MasterRxLowerPri(inst *config.Instance, scripts *notify.Scripts, prio int, peer netip.Addr, peerPrio int)
}

// The notifier's optional capabilities, used when it has them.
type (
	// notifierRunner delivers notifications on its own goroutines until ctx ends.
	notifierRunner interface {
		Run(ctx context.Context) error
	}
	// notifierDrainer waits for queued notifications at shutdown.
	notifierDrainer interface {
		Drain(ctx context.Context) bool
	}
	// notifierConfigurable takes the configuration a reload installed.
	notifierConfigurable interface{ SetConfig(cfg *config.Config) }
	// notifierDeleted hears an instance a reload removed: DELETED with
	// notify_deleted, else FAULT, as keepalived (vrrp.c clear_diff_vrrp).
	notifierDeleted interface {
		InstanceDeleted(inst *config.Instance, scripts *notify.Scripts, from vrrp.State, prio int)
	}
	// notifierFIFOState writes a state to the notify FIFOs only
	// (fifo_write_vrrp_states_on_reload); g is nil for an instance.
	notifierFIFOState interface {
		FIFOState(inst *config.Instance, g *config.SyncGroup, st vrrp.State, prio int)
	}
	// notifierPriority hears effective priority changes of the instances
	// with notify_priority_changes (keepalived's MASTER_PRIORITY /
	// BACKUP_PRIORITY FIFO lines), master: the instance was MASTER.
	notifierPriority interface {
		PriorityChanged(inst *config.Instance, master bool, prio int)
	}
)
