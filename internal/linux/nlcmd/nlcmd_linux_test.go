package nlcmd_test

import (
	"testing"

	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/netnstest"
	"gokeepalived/internal/linux/nlcmd"
)

// vrrp_netlink_cmd_rcv_bufs[_force]: the requests share one socket,
// opened where SetCommandBuffer ran (here, a throwaway namespace), whose
// SO_RCVBUF the kernel reports as twice the size set; forced, above
// net.core.rmem_max. Requests made from a thread in another namespace
// still reach that socket's (they find an interface only it has).
func TestCommandReceiveBuffer(t *testing.T) {
	netnstest.RequireRoot(t)
	ns := netnstest.New(t)
	netnstest.Veth(t, ns, "gkcmd0", ns, "gkcmd1")
	ns.AddAddr(t, "gkcmd0", "192.0.2.1/24")
	t.Cleanup(nlcmd.Reset)
	if n, _ := nlcmd.CommandBuffer(); n != 0 {
		t.Fatalf("a shared socket (%d bytes) before SetCommandBuffer", n)
	}
	const forced = 4 << 20 // above the usual rmem_max (208 kB)
	ns.Do(t, func() {
		if err := nlcmd.SetCommandBuffer(forced, true); err != nil {
			t.Fatal(err)
		}
	})
	if n, err := nlcmd.CommandBuffer(); err != nil || n != 2*forced {
		t.Errorf("SO_RCVBUF %d (%v), want %d", n, err, 2*forced)
	}
	// This goroutine is in the test's own namespace, which has no gkcmd0.
	a, err := addr.Primary("gkcmd0", false)
	if err != nil || a.String() != "192.0.2.1" {
		t.Errorf("Primary(gkcmd0) through the shared socket: %v %v, want 192.0.2.1", a, err)
	}
	if up, err := link.Up("gkcmd0"); err != nil {
		t.Errorf("link.Up(gkcmd0) through the shared socket: %v %v", up, err)
	}
	// Without force the kernel caps it at rmem_max; a small size is kept.
	if err := nlcmd.SetCommandBuffer(100000, false); err != nil {
		t.Fatal(err)
	}
	if n, err := nlcmd.CommandBuffer(); err != nil || n != 200000 {
		t.Errorf("SO_RCVBUF %d (%v) after resizing to 100000, want 200000", n, err)
	}
	nlcmd.Reset()
	if _, err := addr.Primary("gkcmd0", false); err == nil {
		t.Errorf("after Reset, requests still reach the namespace's socket")
	}
}
