package daemon

import (
	"net/netip"
	"strings"

	"gokeepalived/internal/config"
	"gokeepalived/internal/config/syntax"
)

// CheckVIPSubnets warns about a virtual address outside every subnet of
// the interface it is added to (a typo such as 192.0.2.100 on an interface
// in 198.51.100.0/24): the kernel takes it, but hosts on the link do not
// reach it unless something routes it to this interface. It runs with the
// host checks (-t, start and reload); prefixes is injected (addr.Prefixes)
// so that it stays testable. An interface without an address of the
// address's family is left to the advert-source check; addresses that are
// themselves configured virtual addresses (held now as MASTER) do not
// count as the interface's subnets.
func CheckVIPSubnets(cfg *config.Config, prefixes func(ifname string) ([]netip.Prefix, error)) syntax.Diagnostics {
	var ds syntax.Diagnostics
	if prefixes == nil {
		return ds
	}
	ours := map[netip.Addr]bool{}
	for _, in := range cfg.Instances {
		for _, v := range append(append([]config.VIP(nil), in.VIPs...), in.ExcludedVIPs...) {
			ours[v.Prefix.Addr()] = true
		}
	}
	cache := map[string][]netip.Prefix{}
	for _, in := range cfg.Instances {
		for _, v := range in.VIPs {
			a := v.Prefix.Addr()
			if a.IsLinkLocalUnicast() || a.IsLoopback() || v.Peer.IsValid() {
				continue
			}
			dev := v.Dev
			if dev == "" {
				dev = in.Interface
			}
			if dev == "" || dev == "lo" {
				continue
			}
			ps, ok := cache[dev]
			if !ok {
				ps, _ = prefixes(dev)
				cache[dev] = ps
			}
			var subnets []string
			inside := false
			for _, p := range ps {
				if p.Addr().Is4() != a.Is4() || p.Addr().IsLinkLocalUnicast() || ours[p.Addr()] {
					continue
				}
				subnets = append(subnets, p.Masked().String())
				inside = inside || p.Contains(a)
			}
			if inside || len(subnets) == 0 {
				continue
			}
			ds.Warnf(v.Pos, "vrrp_instance %s: virtual_ipaddress %s is outside every subnet of %s (%s): hosts on that link reach it only if a router sends it here; a typo?",
				in.Name, a, dev, strings.Join(subnets, ", "))
		}
	}
	return ds
}
