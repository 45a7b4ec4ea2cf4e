// Package igmp switches off the kernel's IGMP reports for link-local
// multicast groups (keepalived's disable_local_igmp): without them, the
// VRRP group 224.0.0.18 the daemon joins is not announced on the wire.
package igmp

import (
	"os"
	"strings"
)

// ReportsPath is the sysctl of the calling process's network namespace.
const ReportsPath = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports"

// DisableLocalReports sets the sysctl to 0 and returns how to put back
// what it was (keepalived restores a 1 at exit; nothing else).
func DisableLocalReports() (restore func() error, err error) {
	return disable(ReportsPath)
}

func disable(path string) (func() error, error) {
	old, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(old)) != "1" {
		return func() error { return nil }, nil
	}
	if err := os.WriteFile(path, []byte("0"), 0); err != nil {
		return nil, err
	}
	return func() error { return os.WriteFile(path, []byte("1"), 0) }, nil
}
