package backend

import (
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/nft"
	"gokeepalived/internal/linux/netnstest"
	"gokeepalived/internal/linux/nsexec"
)

func requireNFT(t *testing.T) {
	t.Helper()
	netnstest.RequireRootFor(t, "nftables in network namespaces needs root")
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed")
	}
}

var oneService = []lb.Service{{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet},
	Scheduler: "rr", Dests: []lb.Dest{{Addr: netip.MustParseAddr("198.18.0.2"), Port: 80, Weight: 1}}}}

// TestNetNamespaceIPVS: net_namespace_ipvs. Opened from namespace A (the
// daemon's) with NetNS naming namespace B, the backend programs its table
// in B; A has none. (IPVS itself: TestIPVSNetNamespace in the VM.)
func TestNetNamespaceIPVS(t *testing.T) {
	requireNFT(t)
	a, b := netnstest.New(t), netnstest.New(t)
	var tab *Table
	a.Do(t, func() {
		var err error
		if tab, err = Open(NFT, lb.OpenOptions{NetNS: nsexec.Path(b.Name)}); err != nil {
			t.Fatal(err)
		}
	})
	defer tab.Close()
	if !strings.Contains(tab.Why(), "in network namespace /var/run/netns/"+b.Name) {
		t.Errorf("why %q does not name the namespace", tab.Why())
	}
	if _, err := lb.NewReconciler(tab.Table(), nil).Reconcile(oneService); err != nil {
		t.Fatal(err)
	}
	if out := b.Run(t, "nft", "list", "table", "inet", nft.DefaultTable); !strings.Contains(out, "192.0.2.100") {
		t.Errorf("namespace B's table lacks the service:\n%s", out)
	}
	if out := a.Run(t, "nft", "list", "tables"); strings.Contains(out, nft.DefaultTable) {
		t.Errorf("the daemon's namespace got a table:\n%s", out)
	}
	if _, err := Open(NFT, lb.OpenOptions{NetNS: nsexec.Path("gk-no-such-ns")}); err == nil || !strings.Contains(err.Error(), "net_namespace_ipvs") {
		t.Errorf("a missing namespace: err %v", err)
	}
}

// TestLVSNetlinkRcvBufs: lvs_netlink_cmd_rcv_bufs and
// lvs_netlink_monitor_rcv_bufs as the kernel reports them (SO_RCVBUF is
// twice what was set): the nftables command socket and the conntrack
// socket; _force goes beyond net.core.rmem_max; a reload's new sizes reach
// the sockets opened after it. (IPVS's socket: TestIPVSNetlinkRcvBufs in
// the VM.)
func TestLVSNetlinkRcvBufs(t *testing.T) {
	requireNFT(t)
	ns := netnstest.New(t)
	raw, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		t.Fatal(err)
	}
	rmemMax, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	force := 4 << 20
	if force <= rmemMax {
		force = 2 * rmemMax
	}
	small := 16384
	tab, err := Open(NFT, lb.OpenOptions{NetNS: nsexec.Path(ns.Name), Cmd: lb.RcvBuf{Bytes: force, Force: true},
		Monitor: lb.RcvBuf{Bytes: small}})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	nb := tab.Table().(*nft.Backend)
	cmd, mon, err := nb.RcvBufs()
	if err != nil {
		t.Fatal(err)
	}
	if cmd != 2*force || mon != 2*small {
		t.Errorf("SO_RCVBUF cmd %d monitor %d, want %d (forced past rmem_max %d) and %d", cmd, mon, 2*force, rmemMax, 2*small)
	}
	// Not forced: the kernel caps at rmem_max.
	if err := nb.SetRcvBufs(lb.RcvBuf{Bytes: force}, lb.RcvBuf{Bytes: 2 * small, Force: true}); err != nil {
		t.Fatal(err)
	}
	if cmd, mon, err = nb.RcvBufs(); err != nil || cmd != 2*rmemMax || mon != 4*small {
		t.Errorf("after SetRcvBufs: cmd %d monitor %d (%v), want %d (capped) and %d", cmd, mon, err, 2*rmemMax, 4*small)
	}
	// Unset: the backend's own sizes (64 MiB forced for big batches' acks).
	def, err := Open(NFT, lb.OpenOptions{NetNS: nsexec.Path(ns.Name)})
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	if cmd, _, err := def.Table().(*nft.Backend).RcvBufs(); err != nil || cmd != 2*(64<<20) {
		t.Errorf("default command socket %d (%v), want %d", cmd, err, 2*(64<<20))
	}
}
