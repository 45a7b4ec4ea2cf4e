package addr

import (
	"net"
	"net/netip"
)

// IsLocal reports whether a is configured on an interface of this host.
// When the interfaces cannot be read it says true (cannot tell).
func IsLocal(a netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return true
	}
	a = a.Unmap()
	for _, x := range addrs {
		if n, ok := x.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == a {
				return true
			}
		}
	}
	return false
}
