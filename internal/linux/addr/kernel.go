package addr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/linux/nlcmd"
)

func ipnet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func ipOrNil(a netip.Addr) net.IP {
	if !a.IsValid() {
		return nil
	}
	return a.AsSlice()
}

func link(dev string) (netlink.Link, error) {
	l, err := nlcmd.Handle().LinkByName(dev)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", dev, err)
	}
	return l, nil
}

func (a Address) netlink() *netlink.Addr {
	na := &netlink.Addr{IPNet: ipnet(a.Prefix), Scope: int(a.Scope), Label: a.Label}
	if a.Prefix.Addr().Is4() {
		// Zero suppresses the broadcast the library would derive.
		na.Broadcast = net.IPv4zero
		if a.Broadcast.IsValid() {
			na.Broadcast = a.Broadcast.AsSlice()
		}
	} else {
		na.Flags |= unix.IFA_F_NODAD
	}
	if a.NoPrefixRoute {
		na.Flags |= unix.IFA_F_NOPREFIXROUTE
	}
	return na
}

// Add adds the address; an address already present is left as it is.
func Add(a Address) error {
	if err := a.validate(); err != nil {
		return err
	}
	l, err := link(a.Dev)
	if err != nil {
		return fmt.Errorf("add %v: %w", a, err)
	}
	if err := nlcmd.Handle().AddrAdd(l, a.netlink()); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add %v: %w", a, err)
	}
	return nil
}

// Del removes the address (matched by address and prefix length on Dev); an
// absent address is not an error.
func Del(a Address) error {
	if err := a.validate(); err != nil {
		return err
	}
	l, err := link(a.Dev)
	if err != nil {
		return fmt.Errorf("delete %v: %w", a, err)
	}
	if err := nlcmd.Handle().AddrDel(l, a.netlink()); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return fmt.Errorf("delete %v: %w", a, err)
	}
	return nil
}

// List returns the addresses of both families on dev, in kernel order.
func List(dev string) ([]Address, error) {
	l, err := link(dev)
	if err != nil {
		return nil, err
	}
	nas, err := nlcmd.Handle().AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("list addresses of %s: %w", dev, err)
	}
	out := make([]Address, 0, len(nas))
	for _, na := range nas {
		ip, ok := netip.AddrFromSlice(na.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		bits, _ := na.Mask.Size()
		a := Address{
			Prefix:        netip.PrefixFrom(ip, bits),
			Dev:           dev,
			Scope:         Scope(na.Scope),
			NoPrefixRoute: na.Flags&unix.IFA_F_NOPREFIXROUTE != 0,
			NoDAD:         na.Flags&unix.IFA_F_NODAD != 0,
		}
		if ip.Is4() && na.Label != dev {
			a.Label = na.Label
		}
		if b, ok := netip.AddrFromSlice(na.Broadcast); ok && ip.Is4() {
			if b = b.Unmap(); b != netip.IPv4Unspecified() {
				a.Broadcast = b
			}
		}
		out = append(out, a)
	}
	return out, nil
}

func (r Route) netlink() (*netlink.Route, error) {
	nr := &netlink.Route{
		Dst:      ipnet(r.Dst.Masked()),
		Gw:       ipOrNil(r.Via),
		Src:      ipOrNil(r.Src),
		Table:    r.Table,
		Priority: r.Metric,
		Scope:    netlink.Scope(r.effectiveScope()),
		Type:     int(r.typ()),
		Family:   netlink.FAMILY_V4,
	}
	if r.Dst.Addr().Is6() {
		nr.Family = netlink.FAMILY_V6
	}
	if r.Dev != "" {
		l, err := link(r.Dev)
		if err != nil {
			return nil, err
		}
		nr.LinkIndex = l.Attrs().Index
	}
	return nr, nil
}

// AddRoute adds the route; an identical route already present is fine.
func AddRoute(r Route) error {
	if err := r.validate(); err != nil {
		return err
	}
	nr, err := r.netlink()
	if err != nil {
		return fmt.Errorf("add route %v: %w", r, err)
	}
	if err := nlcmd.Handle().RouteAdd(nr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add route %v: %w", r, err)
	}
	return nil
}

// RouteExists reports whether the kernel has a route to r's destination in
// r's table (on r's device, when it names one). The kernel flushes routes
// with the last address of a device or with the link and does not report
// it, so the daemon asks.
func RouteExists(r Route) (bool, error) {
	if err := r.validate(); err != nil {
		return false, err
	}
	nr, err := r.netlink()
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	table := nr.Table
	if table == 0 {
		table = unix.RT_TABLE_MAIN
	}
	filter := &netlink.Route{Table: table, Dst: nr.Dst, LinkIndex: nr.LinkIndex}
	mask := uint64(netlink.RT_FILTER_TABLE | netlink.RT_FILTER_DST)
	if nr.LinkIndex != 0 {
		mask |= netlink.RT_FILTER_OIF
	}
	got, err := nlcmd.Handle().RouteListFiltered(nr.Family, filter, mask)
	if err != nil {
		return false, err
	}
	return len(got) > 0, nil
}

// DelRoute removes the route; an absent route (or device) is not an error.
func DelRoute(r Route) error {
	if err := r.validate(); err != nil {
		return err
	}
	nr, err := r.netlink()
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil // the device and its routes are gone
	}
	if err != nil {
		return fmt.Errorf("delete route %v: %w", r, err)
	}
	if err := nlcmd.Handle().RouteDel(nr); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("delete route %v: %w", r, err)
	}
	return nil
}

func (r Rule) netlink() *netlink.Rule {
	nr := netlink.NewRule()
	nr.Table = r.Table
	if r.Priority != 0 {
		nr.Priority = r.Priority
	}
	nr.Family = netlink.FAMILY_V4
	if r.is6() {
		nr.Family = netlink.FAMILY_V6
	}
	if r.From.IsValid() {
		nr.Src = ipnet(r.From.Masked())
	}
	if r.To.IsValid() {
		nr.Dst = ipnet(r.To.Masked())
	}
	nr.Mark = r.FWMark
	if r.FWMask != 0 {
		m := r.FWMask
		nr.Mask = &m
	}
	return nr
}

// fwmask is the mask the kernel applies to a rule's mark: all bits for a
// mark without a mask, none without a mark.
func fwmask(mark uint32, mask *uint32) uint32 {
	switch {
	case mask != nil:
		return *mask
	case mark != 0:
		return 0xffffffff
	}
	return 0
}

// AddRule adds the rule; an identical rule already present is fine.
func AddRule(r Rule) error {
	if err := r.validate(); err != nil {
		return err
	}
	if r.Priority == 0 {
		// The kernel gives a rule without a priority a fresh one, so it
		// never reports EEXIST for it: look for an equal rule first.
		found, err := ruleExists(r)
		if err != nil {
			return fmt.Errorf("add rule %v: %w", r, err)
		}
		if found {
			return nil
		}
	}
	if err := nlcmd.Handle().RuleAdd(r.netlink()); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add rule %v: %w", r, err)
	}
	return nil
}

// RuleExists reports whether the kernel has a rule with r's selector and
// table (at any priority). Netlink gives the daemon no rule events, so it
// asks.
func RuleExists(r Rule) (bool, error) {
	if err := r.validate(); err != nil {
		return false, err
	}
	return ruleExists(r)
}

// DelRule removes the rule; an absent rule is not an error.
func DelRule(r Rule) error {
	if err := r.validate(); err != nil {
		return err
	}
	if err := nlcmd.Handle().RuleDel(r.netlink()); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete rule %v: %w", r, err)
	}
	return nil
}

// ruleExists reports whether a rule with r's selector and table exists, at
// any priority.
func ruleExists(r Rule) (bool, error) {
	want := r.netlink()
	rules, err := nlcmd.Handle().RuleList(want.Family)
	if err != nil {
		return false, err
	}
	same := func(a, b *net.IPNet) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return a.String() == b.String()
	}
	for _, got := range rules {
		if got.Table == want.Table && same(got.Src, want.Src) && same(got.Dst, want.Dst) &&
			got.Mark == want.Mark && fwmask(got.Mark, got.Mask) == fwmask(want.Mark, want.Mask) &&
			got.IifName == "" && got.OifName == "" && !got.Invert {
			return true, nil
		}
	}
	return false, nil
}
