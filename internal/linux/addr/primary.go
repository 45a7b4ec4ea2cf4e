package addr

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/linux/nlcmd"
)

// Primary returns the first global IPv4 address of ifname (keepalived's
// "primary" address), or for IPv6 its link-local address: the source of
// VRRP adverts and the tie-breaker between equal priorities.
func Primary(ifname string, ipv6 bool) (netip.Addr, error) {
	l, err := nlcmd.Handle().LinkByName(ifname)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("interface %s: %w", ifname, err)
	}
	fam := netlink.FAMILY_V4
	if ipv6 {
		fam = netlink.FAMILY_V6
	}
	as, err := nlcmd.Handle().AddrList(l, fam)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("interface %s: %w", ifname, err)
	}
	for _, a := range as {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if ipv6 && ip.IsLinkLocalUnicast() {
			return ip, nil
		}
		// The kernel lists the primary address first; skip secondaries
		// (our own VIPs are added as secondaries when in the same subnet).
		if !ipv6 && a.Flags&unix.IFA_F_SECONDARY == 0 {
			return ip, nil
		}
	}
	if ipv6 {
		return netip.Addr{}, fmt.Errorf("interface %s has no IPv6 link-local address", ifname)
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no IPv4 address", ifname)
}

// Prefixes lists the addresses of ifname with their prefix lengths, both
// families (the subnets the interface is on).
func Prefixes(ifname string) ([]netip.Prefix, error) {
	l, err := nlcmd.Handle().LinkByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", ifname, err)
	}
	as, err := nlcmd.Handle().AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", ifname, err)
	}
	var out []netip.Prefix
	for _, a := range as {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || a.IPNet == nil {
			continue
		}
		ones, _ := a.IPNet.Mask.Size()
		out = append(out, netip.PrefixFrom(ip.Unmap(), ones))
	}
	return out, nil
}
