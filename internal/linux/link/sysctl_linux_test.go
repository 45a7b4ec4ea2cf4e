package link_test

import (
	"strings"
	"testing"

	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/netnstest"
)

// promote_secondaries set on an interface: the kernel keeps the secondary
// addresses of a subnet when its primary is deleted (without it, it
// deletes them all); the previous value is returned, and set back.
func TestSetPromoteSecondaries(t *testing.T) {
	p := netnstest.NewPair(t)
	p.A.AddAddr(t, "veth0", "192.0.2.2/24") // 192.0.2.1/24 is the primary
	var was bool
	var err error
	p.A.Do(t, func() { was, err = link.SetPromoteSecondaries("veth0", true) })
	if err != nil || was {
		t.Fatalf("SetPromoteSecondaries(on) = %v, %v; want false (the default), nil", was, err)
	}
	if v := strings.TrimSpace(p.A.Run(t, "cat", "/proc/sys/net/ipv4/conf/veth0/promote_secondaries")); v != "1" {
		t.Fatalf("promote_secondaries is %q in the namespace, want 1", v)
	}
	p.A.Run(t, "ip", "addr", "del", "192.0.2.1/24", "dev", "veth0")
	if out := p.A.Run(t, "ip", "-4", "addr", "show", "dev", "veth0"); !strings.Contains(out, "192.0.2.2/24") {
		t.Errorf("the secondary address went with the primary despite promote_secondaries:\n%s", out)
	}
	p.A.Do(t, func() { was, err = link.SetPromoteSecondaries("veth0", false) })
	if err != nil || !was {
		t.Fatalf("SetPromoteSecondaries(off) = %v, %v; want true, nil", was, err)
	}
	// Without it, the kernel deletes the secondaries with their primary.
	p.A.AddAddr(t, "veth0", "192.0.2.3/24")
	p.A.Run(t, "ip", "addr", "del", "192.0.2.2/24", "dev", "veth0")
	if out := p.A.Run(t, "ip", "-4", "addr", "show", "dev", "veth0"); strings.Contains(out, "192.0.2.3/24") {
		t.Errorf("the secondary survived its primary without promote_secondaries (the test cannot tell the difference):\n%s", out)
	}
	p.A.Do(t, func() { _, err = link.SetPromoteSecondaries("../x", true) })
	if err == nil {
		t.Error("a bad interface name was accepted")
	}
}
