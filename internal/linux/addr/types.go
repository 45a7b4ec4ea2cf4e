// Package addr changes the kernel's addresses, routes and policy rules the
// way keepalived's virtual_ipaddress, virtual_routes and virtual_rules do,
// through rtnetlink (vishvananda/netlink) in the calling thread's network
// namespace.
//
// Every change is idempotent: adding what is already there and deleting what
// is absent both succeed, so the daemon can re-apply desired state at will.
// An existing address is left as it is (its label or broadcast is not
// rewritten), as keepalived does.
//
// Keepalived compatibility:
//   - IPv6 addresses are always added with IFA_F_NODAD, so a VIP is usable
//     (and can source a Neighbor Advertisement) at once.
//   - No broadcast address is set unless Broadcast is given (like `ip addr
//     add` without `brd`; netlink libraries would otherwise derive one).
//   - A route without a gateway on a device gets scope link, like `ip route`.
//
// The values print in `ip` syntax (String), for logs and for fakes that show
// state as text.
package addr

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Scope is an address or route scope (RT_SCOPE_*).
type Scope uint8

// Scopes, as named by iproute2 and keepalived.
const (
	ScopeGlobal  Scope = 0
	ScopeSite    Scope = 200
	ScopeLink    Scope = 253
	ScopeHost    Scope = 254
	ScopeNowhere Scope = 255
)

var scopeNames = map[Scope]string{
	ScopeGlobal: "global", ScopeSite: "site", ScopeLink: "link", ScopeHost: "host", ScopeNowhere: "nowhere",
}

func (s Scope) String() string {
	if n, ok := scopeNames[s]; ok {
		return n
	}
	return strconv.Itoa(int(s))
}

// Address is one address on a device, as in keepalived's
// "192.0.2.10/24 brd 192.0.2.255 dev eth0 scope global label eth0:1".
type Address struct {
	Prefix    netip.Prefix // address and prefix length; host bits are kept
	Dev       string
	Broadcast netip.Addr // IPv4 only; zero for none
	Scope     Scope
	Label     string // IPv4 only; must start with Dev
	// NoPrefixRoute stops the kernel from adding the prefix route.
	NoPrefixRoute bool
	// NoDAD is reported by List. Add sets it for every IPv6 address.
	NoDAD bool
}

// Host returns the VIP address a/32 (or a/128) on dev, keepalived's default
// when no prefix length is given.
func Host(a netip.Addr, dev string) Address {
	return Address{Prefix: netip.PrefixFrom(a, a.BitLen()), Dev: dev}
}

func (a Address) validate() error {
	if !a.Prefix.IsValid() {
		return fmt.Errorf("address %v: invalid prefix", a.Prefix)
	}
	if a.Dev == "" {
		return fmt.Errorf("address %v: no device", a.Prefix)
	}
	v4 := a.Prefix.Addr().Is4()
	if a.Broadcast.IsValid() && (!v4 || !a.Broadcast.Is4()) {
		return fmt.Errorf("address %v: broadcast %v needs IPv4 on both sides", a.Prefix, a.Broadcast)
	}
	if a.Label != "" {
		if !v4 {
			return fmt.Errorf("address %v: labels exist only for IPv4", a.Prefix)
		}
		if !strings.HasPrefix(a.Label, a.Dev) {
			return fmt.Errorf("address %v: label %q must start with the device name %q", a.Prefix, a.Label, a.Dev)
		}
		if len(a.Label) > 15 {
			return fmt.Errorf("address %v: label %q longer than 15 bytes", a.Prefix, a.Label)
		}
	}
	return nil
}

// String prints the address in `ip addr` syntax.
func (a Address) String() string {
	var b strings.Builder
	b.WriteString(a.Prefix.String())
	if a.Broadcast.IsValid() {
		b.WriteString(" brd " + a.Broadcast.String())
	}
	b.WriteString(" dev " + a.Dev + " scope " + a.Scope.String())
	if a.Label != "" {
		b.WriteString(" label " + a.Label)
	}
	if a.NoPrefixRoute {
		b.WriteString(" noprefixroute")
	}
	if a.NoDAD {
		b.WriteString(" nodad")
	}
	return b.String()
}

// RouteType is the kind of a route (RTN_*).
type RouteType uint8

// Route types keepalived's virtual_routes accept.
const (
	Unicast     RouteType = 1 // RTN_UNICAST
	Blackhole   RouteType = 6 // RTN_BLACKHOLE
	Unreachable RouteType = 7 // RTN_UNREACHABLE
	Prohibit    RouteType = 8 // RTN_PROHIBIT
)

func (t RouteType) String() string {
	switch t {
	case 0, Unicast:
		return "unicast"
	case Blackhole:
		return "blackhole"
	case Unreachable:
		return "unreachable"
	case Prohibit:
		return "prohibit"
	}
	return "type" + strconv.Itoa(int(t))
}

// Route is one route, as in keepalived's
// "198.51.100.0/24 via 192.0.2.254 src 192.0.2.10 dev eth0 table 100 metric 5".
type Route struct {
	Type   RouteType    // zero means Unicast
	Dst    netip.Prefix // required; 0.0.0.0/0 or ::/0 for default
	Via    netip.Addr   // gateway; zero for a device route
	Src    netip.Addr   // preferred source
	Dev    string
	Table  int // zero means main (254)
	Metric int
	// Scope; for a unicast route with a device and no gateway, ScopeGlobal
	// is taken to mean "unset" and becomes ScopeLink, as in `ip route`.
	Scope Scope
}

func (r Route) typ() RouteType {
	if r.Type == 0 {
		return Unicast
	}
	return r.Type
}

// effectiveScope applies the iproute2 default.
func (r Route) effectiveScope() Scope {
	if r.Scope == ScopeGlobal && r.typ() == Unicast && !r.Via.IsValid() && r.Dev != "" {
		return ScopeLink
	}
	return r.Scope
}

func (r Route) validate() error {
	if !r.Dst.IsValid() {
		return errors.New("route: no destination")
	}
	is4 := r.Dst.Addr().Is4()
	for _, a := range []netip.Addr{r.Via, r.Src} {
		if a.IsValid() && a.Is4() != is4 {
			return fmt.Errorf("route %v: %v is the other address family", r.Dst, a)
		}
	}
	if r.typ() == Unicast && r.Dev == "" && !r.Via.IsValid() {
		return fmt.Errorf("route %v: needs a device or a gateway", r.Dst)
	}
	if r.typ() != Unicast && (r.Via.IsValid() || r.Dev != "") {
		return fmt.Errorf("route %v: a %v route has no gateway or device", r.Dst, r.typ())
	}
	return nil
}

// String prints the route in `ip route` syntax.
func (r Route) String() string {
	var b strings.Builder
	if r.typ() != Unicast {
		b.WriteString(r.typ().String() + " ")
	}
	b.WriteString(r.Dst.Masked().String())
	if r.Via.IsValid() {
		b.WriteString(" via " + r.Via.String())
	}
	if r.Src.IsValid() {
		b.WriteString(" src " + r.Src.String())
	}
	if r.Dev != "" {
		b.WriteString(" dev " + r.Dev)
	}
	if r.Table != 0 {
		b.WriteString(" table " + strconv.Itoa(r.Table))
	}
	if r.Metric != 0 {
		b.WriteString(" metric " + strconv.Itoa(r.Metric))
	}
	if s := r.effectiveScope(); s != ScopeGlobal {
		b.WriteString(" scope " + s.String())
	}
	return b.String()
}

// Rule is one policy routing rule, as in keepalived's
// "from 192.0.2.10/32 to 198.51.100.0/24 table 100 priority 100".
type Rule struct {
	From, To netip.Prefix // zero for "all"
	Table    int          // required
	Priority int          // zero lets the kernel choose
	// FWMark selects packets by firewall mark (zero: any), under FWMask
	// (zero: all bits, as `ip rule ... fwmark N` without a mask).
	FWMark, FWMask uint32
	// IPv6 picks the family when neither From nor To is given.
	IPv6 bool
}

func (r Rule) is6() bool {
	switch {
	case r.From.IsValid():
		return r.From.Addr().Is6()
	case r.To.IsValid():
		return r.To.Addr().Is6()
	}
	return r.IPv6
}

func (r Rule) validate() error {
	if r.Table <= 0 {
		return errors.New("rule: no table")
	}
	if r.From.IsValid() && r.To.IsValid() && r.From.Addr().Is4() != r.To.Addr().Is4() {
		return fmt.Errorf("rule from %v to %v: mixed address families", r.From, r.To)
	}
	return nil
}

// String prints the rule in `ip rule` syntax.
func (r Rule) String() string {
	var b strings.Builder
	if r.Priority != 0 {
		b.WriteString(strconv.Itoa(r.Priority) + ": ")
	}
	if r.is6() {
		b.WriteString("inet6 ")
	}
	b.WriteString("from ")
	if r.From.IsValid() {
		b.WriteString(r.From.Masked().String())
	} else {
		b.WriteString("all")
	}
	if r.To.IsValid() {
		b.WriteString(" to " + r.To.Masked().String())
	}
	if r.FWMark != 0 || r.FWMask != 0 {
		b.WriteString(" fwmark 0x" + strconv.FormatUint(uint64(r.FWMark), 16))
		if r.FWMask != 0 {
			b.WriteString("/0x" + strconv.FormatUint(uint64(r.FWMask), 16))
		}
	}
	b.WriteString(" table " + strconv.Itoa(r.Table))
	return b.String()
}
