package daemon

import (
	"fmt"
	"os"
	"path/filepath"
)

// sysctl is one /proc/sys setting.
type sysctl struct{ path, value string }

// vmacSysctls are the IPv4 settings keepalived applies with use_vmac
// (set_interface_parameters in vrrp_if_config.c): the macvlan answers ARP
// only for its own addresses (the VIPs), accepts packets from local
// addresses and does no reverse-path filtering; the parent answers ARP only
// for addresses configured on it (arp_ignore 1) and only when the reply
// leaves through it (arp_filter 1). Without them the parent also answers ARP
// for the VIP with its own MAC, first, and clients keep a MAC that does not
// move at failover.
func vmacSysctls(name, parent string) []sysctl {
	conf := func(ifname, key, v string) sysctl {
		return sysctl{filepath.Join("/proc/sys/net/ipv4/conf", ifname, key), v}
	}
	return []sysctl{
		conf(name, "arp_ignore", "1"),
		conf(name, "accept_local", "1"),
		conf(name, "rp_filter", "0"),
		conf(parent, "arp_ignore", "1"),
		conf(parent, "arp_filter", "1"),
	}
}

// setVMACSysctls writes vmacSysctls (in the calling process's network namespace).
func setVMACSysctls(name, parent string) error {
	for _, s := range vmacSysctls(name, parent) {
		if err := os.WriteFile(s.path, []byte(s.value), 0o644); err != nil {
			return fmt.Errorf("use_vmac %s: %w", name, err)
		}
	}
	return nil
}
