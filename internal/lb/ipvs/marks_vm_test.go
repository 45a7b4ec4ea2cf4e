package ipvs

import (
	"net/netip"
	"strings"
	"testing"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/internal/lbnet"
	"gokeepalived/internal/linux/nsexec"
)

// TestIPVSNFTablesMarks: nftables_ipvs on real traffic. A group range
// 192.0.2.101-102:80 is one IPVS fwmark service (FWM 1000) with two real
// servers; the marks table (written in the director's namespace) marks
// the client's connections to either address, and IPVS serves them; an
// address outside the range gets no service. The daemon builds the same
// (internal/director TestTranslateNFTablesIPVS); the ruleset's text is
// checked by TestMarksInKernel.
func TestIPVSNFTablesMarks(t *testing.T) {
	requireVM(t)
	tp := lbnet.NewTopo(t, 2)
	for _, a := range []string{"192.0.2.101", "192.0.2.102", "192.0.2.103"} {
		tp.Director.AddAddr(t, "front", a+"/32")
	}
	b := NewWith(Options{NetNSFd: tp.Director.Handle()})
	tp.Director.Must(t, "open IPVS", b.Open)
	t.Cleanup(func() { b.Close() })
	a := netip.MustParseAddr
	mt := lb.MarkTable{Name: "keepalived_ipvs", Priority: -1, Ranges: []lb.MarkRange{
		{First: a("192.0.2.101"), Last: a("192.0.2.102"), Port: 80, Proto: lb.TCP, Mark: 1000}}}
	if err := b.SetMarks(mt); err != nil {
		t.Fatal(err)
	}
	svc := lb.Service{Key: lb.Key{FWMark: 1000, Family: lb.Inet}, Scheduler: "rr",
		Dests: []lb.Dest{{Addr: a("198.18.0.2"), Port: 80, Weight: 1}, {Addr: a("198.18.0.3"), Port: 80, Weight: 1}}}
	if _, err := lb.NewReconciler(b, nil).Reconcile([]lb.Service{svc}); err != nil {
		t.Fatal(err)
	}
	t.Logf("ipvsadm -Ln:\n%s", ipvsadm(t, tp.Director))
	seen := map[string]int{}
	for _, addr := range []string{"192.0.2.101", "192.0.2.102", "192.0.2.101", "192.0.2.102"} {
		name, err := tp.GetAt(addr, 80)
		if err != nil {
			t.Fatalf("GET %s: %v", addr, err)
		}
		seen[name]++
	}
	if seen["rs1"] != 2 || seen["rs2"] != 2 {
		t.Errorf("answers %v, want rr over rs1 and rs2 through FWM 1000", seen)
	}
	if name, err := tp.GetAt("192.0.2.103", 80); err == nil {
		t.Errorf("192.0.2.103 (outside the range) answered %q: nothing listens there without a mark", name)
	}
	if got := squash(ipvsadm(t, tp.Director)); !strings.Contains(got, "FWM 1000 rr") {
		t.Errorf("ipvsadm -Ln lacks FWM 1000:\n%s", got)
	}
	if err := b.RemoveMarks("keepalived_ipvs"); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.GetAt("192.0.2.101", 80); err == nil {
		t.Error("192.0.2.101 still served after the marks table was removed")
	}
}

// TestIPVSNetlinkRcvBufs: lvs_netlink_cmd_rcv_bufs on the backend's own
// IPVS generic-netlink socket (forced past rmem_max, then a reload's
// smaller size), as SO_RCVBUF reports it (twice what was set).
func TestIPVSNetlinkRcvBufs(t *testing.T) {
	requireVM(t)
	ns := lbnet.NewNS(t, "rcv")
	b := NewWith(Options{Cmd: lb.RcvBuf{Bytes: 8 << 20, Force: true}})
	ns.Must(t, "open IPVS", b.Open)
	t.Cleanup(func() { b.Close() })
	if got, err := b.RcvBuf(); err != nil || got != 16<<20 {
		t.Errorf("SO_RCVBUF %d (%v), want %d", got, err, 16<<20)
	}
	if err := b.SetRcvBufs(lb.RcvBuf{Bytes: 100000}, lb.RcvBuf{}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.RcvBuf(); err != nil || got != 200000 {
		t.Errorf("after SetRcvBufs: SO_RCVBUF %d (%v), want 200000", got, err)
	}
}

// TestIPVSNetNamespace: net_namespace_ipvs. The backend opened from
// namespace A on a thread switched into B (internal/lb/backend does this
// through nsexec.Do) programs B's IPVS table; A's stays empty.
func TestIPVSNetNamespace(t *testing.T) {
	requireVM(t)
	nsA, nsB := lbnet.NewNS(t, "nsa"), lbnet.NewNS(t, "nsb")
	b := New()
	// (internal/lb/backend opens /var/run/netns/NAME, TestNetNamespaceIPVS;
	// the VM's root has no /var/run, so B's handle is used here.)
	nsA.Must(t, "open IPVS in B", func() error { return nsexec.Do(nsB.Handle(), b.Open) })
	t.Cleanup(func() { b.Close() })
	svc := lb.Service{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet},
		Scheduler: "rr", Dests: []lb.Dest{{Addr: netip.MustParseAddr("198.18.0.2"), Port: 80, Weight: 1}}}
	if _, err := lb.NewReconciler(b, nil).Reconcile([]lb.Service{svc}); err != nil {
		t.Fatal(err)
	}
	if got := ipvsadm(t, nsB); !strings.Contains(got, "192.0.2.100:80") {
		t.Errorf("B's table lacks the service:\n%s", got)
	}
	if got := ipvsadm(t, nsA); strings.Contains(got, "192.0.2.100") {
		t.Errorf("A (the daemon's namespace) got the service:\n%s", got)
	}
}
