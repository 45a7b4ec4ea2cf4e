package link

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// procSysNet is where the interface sysctls live (per network namespace of
// the calling thread).
var procSysNet = "/proc/sys/net"

// SetPromoteSecondaries sets net.ipv4.conf.IFNAME.promote_secondaries
// (when the primary IPv4 address of a subnet is removed, the kernel makes
// a secondary one primary instead of deleting them all) and returns the
// value it had.
func SetPromoteSecondaries(ifname string, on bool) (was bool, err error) {
	if ifname == "" || strings.ContainsAny(ifname, "/") || ifname == "." || ifname == ".." {
		return false, fmt.Errorf("promote_secondaries: bad interface name %q", ifname)
	}
	p := filepath.Join(procSysNet, "ipv4", "conf", ifname, "promote_secondaries")
	old, err := os.ReadFile(p)
	if err != nil {
		return false, fmt.Errorf("promote_secondaries of %s: %w", ifname, err)
	}
	was = strings.TrimSpace(string(old)) == "1"
	v := "0"
	if on {
		v = "1"
	}
	if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
		return was, fmt.Errorf("promote_secondaries of %s: %w", ifname, err)
	}
	return was, nil
}
