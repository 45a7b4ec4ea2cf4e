package daemon

import (
	"testing"
	"time"
)

// TestSegmentVMACPrefix: vmac_prefix names use_vmac's interface
// PREFIX.VRID; without it, vrrp.VRID.
func TestSegmentVMACPrefix(t *testing.T) {
	for _, c := range []struct{ global, want string }{
		{"", "vrrp.51"},
		{"global_defs {\n    vmac_prefix vk\n}\n", "vk.51"},
	} {
		h := newHarness(t)
		a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, c.global+pairConf(150, "    use_vmac"))
		a.start()
		h.advance(5 * time.Second)
		if !a.hasVMAC(c.want) {
			t.Errorf("%q: no VMAC %s (vmacs %v)", c.global, c.want, a.vmacs)
		}
	}
	if got := freeVMACName("averyverylongprefix", 255, false, map[string]bool{}); got != "averyverylo.255" || len(got) != 15 {
		t.Errorf("long prefix: %q, want it cut to 15 characters", got)
	}
}
