// Package bgp is the pure core of gokeepalived's BGP announcements: from
// the configuration and the state of what it announces (VRRP instances,
// virtual servers' quorum, maintenance, a graceful shutdown, BFD sessions)
// it computes the paths to announce, each with its attributes and the
// reason it is announced, prepended or withdrawn, and which neighbors
// should be up. It holds no sockets, goroutines or clock: the runtime
// (internal/bgprun) owns the BGP speaker (GoBGP) and applies the
// differences. Time is not an input: the drain delay is the runtime's.
package bgp

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"gokeepalived/internal/vrrp"
)

// GracefulShutdown is the well-known GRACEFUL_SHUTDOWN community 65535:0
// (RFC 8326).
const GracefulShutdown uint32 = 0xFFFF0000

// Config is the speaker's configuration in the core's own types (the
// command line translates the bgp block into it).
type Config struct {
	RouterID   netip.Addr
	LocalAS    uint32
	ListenPort int // 0: do not listen
	// DrainDelay is how long paths carry GRACEFUL_SHUTDOWN before they
	// are withdrawn (graceful_shutdown_delay).
	DrainDelay time.Duration
	Neighbors  []Neighbor
	VRRP       []VRRPAnnounce
	Servers    []ServerAnnounce
}

// Neighbor is one BGP peer.
type Neighbor struct {
	Address       netip.Addr
	RemoteAS      uint32
	Port          int
	LocalAddress  netip.Addr
	Password      string
	HoldTime      time.Duration
	KeepaliveTime time.Duration
	Multihop      int
	TTLSecurity   int
	Passive       bool
	// BFD names the BFD session guarding this peer ("" = none: a dead
	// peer is noticed after the hold time only).
	BFD string
}

// Backup is what a BACKUP VRRP instance announces.
type Backup uint8

const (
	BackupWithdraw  Backup = iota // nothing
	BackupPrepend                 // its VIPs with the AS path prepended Value times
	BackupLocalPref               // its VIPs with LOCAL_PREF Value
	BackupMED                     // its VIPs with MED Value
)

// Attrs are the attributes a path is announced with; -1 leaves
// LOCAL_PREF or MED out.
type Attrs struct {
	LocalPref        int
	MED              int
	Prepend          int
	Communities      []uint32
	LargeCommunities [][3]uint32
}

// VRRPAnnounce announces a vrrp_instance's VIPs while it is MASTER.
type VRRPAnnounce struct {
	Instance    string
	VIPs        []netip.Addr
	Backup      Backup
	BackupValue int
	Attrs       Attrs
}

// ServerAnnounce announces a virtual server's address while the quorum of
// one of the virtual servers on it (on Port, or any port if 0) is up.
type ServerAnnounce struct {
	Addr  netip.Addr
	Port  uint16
	Attrs Attrs
}

// Name is how logs and status name the announcement.
func (s ServerAnnounce) Name() string {
	if s.Port == 0 {
		return "virtual_server " + s.Addr.String()
	}
	return "virtual_server " + netip.AddrPortFrom(s.Addr, s.Port).String()
}

// Drain is the speaker's drain phase.
type Drain uint8

const (
	Running  Drain = iota // paths as the state says
	Draining              // every announced path carries GRACEFUL_SHUTDOWN and LOCAL_PREF 0
	Drained               // every path withdrawn
)

// Server is one virtual server's state: its address, port and quorum.
type Server struct {
	Addr   netip.Addr
	Port   uint16
	Quorum bool
}

// Inputs is everything the desired paths depend on.
type Inputs struct {
	// Instances are the VRRP instances' states by name (absent: INIT).
	Instances map[string]vrrp.State
	Servers   []Server
	Drain     Drain
	// DrainWhy says why the speaker drains ("maintenance", "stopping").
	DrainWhy string
}

// PathState says what happens to a prefix.
type PathState uint8

const (
	Withdrawn PathState = iota
	Announced
	Prepended   // announced less preferred (a BACKUP instance: prepend, local_pref or med)
	DrainingNow // announced with GRACEFUL_SHUTDOWN before its withdrawal
)

func (s PathState) String() string {
	return [...]string{"withdrawn", "announced", "less-preferred", "draining"}[s]
}

// Path is one prefix with what happens to it and why.
type Path struct {
	Prefix netip.Prefix
	Source string // "vrrp VI_1", "virtual_server 198.51.100.10:80"
	State  PathState
	Reason string
	Attrs  Attrs
}

// Announced reports whether the path is sent to the peers.
func (p Path) Announced() bool { return p.State != Withdrawn }

// Key is what makes two paths the same announcement for the speaker.
func (p Path) Key() string {
	if !p.Announced() {
		return p.Prefix.String() + " withdrawn"
	}
	return fmt.Sprintf("%s lp=%d med=%d prepend=%d c=%v lc=%v", p.Prefix, p.Attrs.LocalPref, p.Attrs.MED, p.Attrs.Prepend,
		p.Attrs.Communities, p.Attrs.LargeCommunities)
}

func host(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }

// Desired computes every configured prefix's path, sorted by prefix. A
// prefix announced by several sources keeps the most preferred one.
func Desired(c Config, in Inputs) []Path {
	var out []Path
	for _, a := range c.VRRP {
		src := "vrrp " + a.Instance
		st, ok := in.Instances[a.Instance]
		if !ok {
			st = vrrp.StateInit
		}
		for _, vip := range a.VIPs {
			p := Path{Prefix: host(vip), Source: src, Attrs: cloneAttrs(a.Attrs)}
			switch {
			case st == vrrp.StateMaster:
				p.State, p.Reason = Announced, a.Instance+" is MASTER"
			case st == vrrp.StateBackup && a.Backup != BackupWithdraw:
				p.State = Prepended
				switch a.Backup {
				case BackupPrepend:
					p.Attrs.Prepend = a.BackupValue
					p.Reason = fmt.Sprintf("%s is BACKUP: AS path prepended %d times", a.Instance, a.BackupValue)
				case BackupLocalPref:
					p.Attrs.LocalPref = a.BackupValue
					p.Reason = fmt.Sprintf("%s is BACKUP: local-pref %d", a.Instance, a.BackupValue)
				case BackupMED:
					p.Attrs.MED = a.BackupValue
					p.Reason = fmt.Sprintf("%s is BACKUP: MED %d", a.Instance, a.BackupValue)
				}
			default:
				p.Reason = a.Instance + " is " + st.String()
			}
			out = append(out, p)
		}
	}
	for _, s := range c.Servers {
		p := Path{Prefix: host(s.Addr), Source: s.Name(), Attrs: cloneAttrs(s.Attrs)}
		var names []string
		for _, v := range in.Servers {
			if v.Addr == s.Addr && (s.Port == 0 || v.Port == s.Port) {
				if v.Quorum {
					p.State = Announced
				}
				names = append(names, netip.AddrPortFrom(v.Addr, v.Port).String())
			}
		}
		switch {
		case len(names) == 0:
			p.Reason = "no virtual server running on " + s.Addr.String()
		case p.State == Announced:
			p.Reason = "quorum up"
		default:
			p.Reason = "quorum lost (" + strings.Join(names, ", ") + ")"
		}
		out = append(out, p)
	}
	for i := range out {
		p := &out[i]
		if !p.Announced() {
			continue
		}
		switch in.Drain {
		case Draining:
			p.State = DrainingNow
			p.Reason = "graceful shutdown (" + in.DrainWhy + "): GRACEFUL_SHUTDOWN community, local-pref 0, then withdrawn"
			p.Attrs.LocalPref = 0
			if !slices.Contains(p.Attrs.Communities, GracefulShutdown) {
				p.Attrs.Communities = append(p.Attrs.Communities, GracefulShutdown)
			}
		case Drained:
			p.State, p.Reason = Withdrawn, "withdrawn: "+in.DrainWhy
		}
	}
	return merge(out)
}

func cloneAttrs(a Attrs) Attrs {
	a.Communities = slices.Clone(a.Communities)
	a.LargeCommunities = slices.Clone(a.LargeCommunities)
	return a
}

// rank orders the states of one prefix: the most preferred wins.
var rank = [...]int{Withdrawn: 0, DrainingNow: 1, Prepended: 2, Announced: 3}

func merge(in []Path) []Path {
	sort.SliceStable(in, func(i, j int) bool {
		if in[i].Prefix != in[j].Prefix {
			return prefixLess(in[i].Prefix, in[j].Prefix)
		}
		return rank[in[i].State] > rank[in[j].State]
	})
	out := in[:0]
	for i, p := range in {
		if i > 0 && p.Prefix == in[i-1].Prefix {
			continue
		}
		out = append(out, p)
	}
	return out
}

func prefixLess(a, b netip.Prefix) bool {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c < 0
	}
	return a.Bits() < b.Bits()
}

// Diff returns the paths to send (new or with other attributes) and the
// prefixes to withdraw, going from the announced set old to want.
func Diff(old, want []Path) (add []Path, del []netip.Prefix) {
	prev := map[netip.Prefix]Path{}
	for _, p := range old {
		if p.Announced() {
			prev[p.Prefix] = p
		}
	}
	for _, p := range want {
		o, had := prev[p.Prefix]
		delete(prev, p.Prefix)
		switch {
		case p.Announced() && (!had || o.Key() != p.Key()):
			add = append(add, p)
		case !p.Announced() && had:
			del = append(del, p.Prefix)
		}
	}
	for pfx := range prev {
		del = append(del, pfx)
	}
	sort.Slice(del, func(i, j int) bool { return prefixLess(del[i], del[j]) })
	return add, del
}

// PeerWanted says whether a neighbor's session should be up: not while
// its BFD session has failed (alive has no entry for a session never
// seen: the BGP session may start, and a failure later takes it down).
func PeerWanted(n Neighbor, alive map[string]bool) (bool, string) {
	if n.BFD == "" {
		return true, ""
	}
	if up, seen := alive[n.BFD]; seen && !up {
		return false, "BFD session " + n.BFD + " is down"
	}
	return true, ""
}

// PeerChange is what a reload does to one neighbor.
type PeerChange uint8

const (
	PeerKeep    PeerChange = iota // unchanged: the session stays up
	PeerAdd                       // new
	PeerDelete                    // gone from the configuration
	PeerReplace                   // its session parameters changed: deleted and added again
)

// DiffPeers compares the neighbors of two configurations by address.
func DiffPeers(old, new []Neighbor) map[netip.Addr]PeerChange {
	out := map[netip.Addr]PeerChange{}
	prev := map[netip.Addr]Neighbor{}
	for _, n := range old {
		prev[n.Address] = n
	}
	for _, n := range new {
		o, had := prev[n.Address]
		delete(prev, n.Address)
		switch {
		case !had:
			out[n.Address] = PeerAdd
		case o != n:
			out[n.Address] = PeerReplace
		default:
			out[n.Address] = PeerKeep
		}
	}
	for a := range prev {
		out[a] = PeerDelete
	}
	return out
}
