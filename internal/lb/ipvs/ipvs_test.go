package ipvs

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/internal/lbnet"
	"gokeepalived/internal/lb/lbtest"
)

// inVM is set by test/vm/run-ipvs-tests.sh inside the VM.
var inVM = os.Getenv("GOKEEPALIVED_IN_VM") == "1"

func TestConvertRoundTrip(t *testing.T) {
	for _, s := range []lb.Service{
		{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet}, Scheduler: "wrr",
			Persistence: 300 * time.Second, PersistenceBits: 24},
		{Key: lb.Key{Addr: netip.MustParseAddr("2001:db8::1"), Port: 53, Proto: lb.UDP, Family: lb.Inet6}, Scheduler: "sh"},
		{Key: lb.Key{FWMark: 7, Family: lb.Inet}, Scheduler: "rr", Persistence: time.Second},
	} {
		svc, err := toService(s)
		if err != nil {
			t.Fatal(err)
		}
		got := fromService(svc)
		if d := cmp.Diff(s, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
			t.Errorf("service round trip (-want +got):\n%s", d)
		}
	}
	for _, d := range []lb.Dest{
		{Addr: netip.MustParseAddr("198.18.0.2"), Port: 80, Weight: 3, Method: lb.NAT},
		{Addr: netip.MustParseAddr("198.18.0.3"), Weight: 1, Method: lb.DR},
		{Addr: netip.MustParseAddr("198.18.0.4"), Weight: 2, Method: lb.TUN, Tunnel: lb.Tunnel{Type: "gue", Port: 6080, Checksum: "remcsum"}},
	} {
		got := fromDest(toDest(lb.Service{}, d))
		if got != d {
			t.Errorf("dest round trip: got %+v, want %+v", got, d)
		}
	}
}

// TestVM runs this package's kernel tests inside the IPVS VM (one boot):
// this machine's kernel has no IPVS.
func TestVM(t *testing.T) {
	if inVM {
		t.Skip("already inside the VM")
	}
	if testing.Short() {
		t.Skip("the IPVS VM boots a kernel under qemu (about 10 s); skipped with -short")
	}
	if os.Getenv("GOKEEPALIVED_SKIP_VM") == "1" {
		t.Skip("GOKEEPALIVED_SKIP_VM=1")
	}
	lbnet.RequireRoot(t)
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "..", "test", "vm", "run-ipvs-tests.sh")
	cmd := exec.Command("bash", script, "-test.run", "^TestIPVS")
	cmd.Env = append(os.Environ(), "IPVS_VM_TIMEOUT=240")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("VM output (%v):\n%s", time.Since(start).Round(100*time.Millisecond), out)
	if err != nil {
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code == 2 {
			t.Fatalf("IPVS VM could not be set up (qemu, busybox-static or the Debian kernel package missing and not installable?); see the output above: %v", err)
		}
		t.Fatalf("IPVS tests in the VM failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestIPVSScenario") {
		t.Fatalf("the VM run passed but TestIPVSScenario did not report PASS")
	}
}

func requireVM(t *testing.T) {
	t.Helper()
	if !inVM {
		t.Skip("needs a kernel with IPVS: runs inside the VM (TestVM)")
	}
}

func ipvsadm(t *testing.T, ns *lbnet.NS) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns.Name, "ipvsadm", "-Ln").CombinedOutput()
	if err != nil {
		t.Fatalf("ipvsadm -Ln: %v\n%s", err, out)
	}
	return string(out)
}

// normalize collapses blanks and sorts each service's destination lines and
// the services, since the kernel lists them in hash order.
func normalize(s string) string {
	var blocks [][]string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if strings.HasPrefix(l, "-> ") && len(blocks) > 0 && !strings.HasPrefix(l, "-> RemoteAddress") {
			blocks[len(blocks)-1] = append(blocks[len(blocks)-1], l)
			continue
		}
		blocks = append(blocks, []string{l})
	}
	var out []string
	for _, b := range blocks {
		slices.Sort(b[1:])
		out = append(out, strings.Join(b, "\n"))
	}
	slices.Sort(out[3:])
	return strings.Join(out, "\n")
}

func open(t *testing.T, ns *lbnet.NS) *Backend {
	t.Helper()
	b := New()
	ns.Must(t, "open IPVS", b.Open)
	t.Cleanup(func() { b.Close() })
	return b
}

// TestIPVSScenario: the shared scenario on real traffic through IPVS.
func TestIPVSScenario(t *testing.T) {
	requireVM(t)
	tp := lbnet.NewTopo(t, 3)
	b := open(t, tp.Director)
	lbnet.RunScenario(t, tp, b, func() string { return ipvsadm(t, tp.Director) })
}

// TestIPVSTableMatchesFake applies the same desired state to the kernel and
// to the fake, and compares `ipvsadm -Ln` with the fake's rendering; then
// flushes per keepalived's modes.
func TestIPVSTableMatchesFake(t *testing.T) {
	requireVM(t)
	ns := lbnet.NewNS(t, "ipvs")
	b := open(t, ns)
	a := netip.MustParseAddr
	desired := []lb.Service{
		{Key: lb.Key{Addr: a("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet}, Scheduler: "wrr",
			Persistence: 300 * time.Second, PersistenceBits: 24, Dests: []lb.Dest{
				{Addr: a("198.18.0.2"), Port: 80, Weight: 1}, {Addr: a("198.18.0.3"), Port: 80, Weight: 0}}},
		{Key: lb.Key{Addr: a("192.0.2.101"), Port: 53, Proto: lb.UDP, Family: lb.Inet}, Scheduler: "wlc", Dests: []lb.Dest{
			{Addr: a("198.18.0.2"), Port: 53, Weight: 5, Method: lb.DR}}},
		{Key: lb.Key{Addr: a("192.0.2.102"), Port: 443, Proto: lb.SCTP, Family: lb.Inet}, Scheduler: "lc", Dests: []lb.Dest{
			{Addr: a("198.18.0.4"), Port: 443, Weight: 2, Method: lb.TUN}}},
		{Key: lb.Key{FWMark: 7, Family: lb.Inet}, Scheduler: "sh", Dests: []lb.Dest{
			{Addr: a("198.18.0.2"), Weight: 1, Method: lb.DR}, {Addr: a("198.18.0.3"), Weight: 1, Method: lb.DR}}},
		{Key: lb.Key{Addr: a("2001:db8::100"), Port: 80, Proto: lb.TCP, Family: lb.Inet6}, Scheduler: "mh", Dests: []lb.Dest{
			{Addr: a("2001:db8:1::2"), Port: 8080, Weight: 1}}},
	}
	rec := lb.NewReconciler(b, nil)
	if _, err := rec.Reconcile(desired); err != nil {
		t.Fatal(err)
	}
	fake := lbtest.New()
	if _, err := lb.NewReconciler(fake, nil).Reconcile(desired); err != nil {
		t.Fatal(err)
	}
	got := ipvsadm(t, ns)
	t.Logf("ipvsadm -Ln:\n%s", got)
	if d := cmp.Diff(normalize(fake.String()), normalize(got)); d != "" {
		t.Errorf("ipvsadm -Ln vs the fake (-fake +kernel):\n%s", d)
	}
	if ops, err := rec.Reconcile(desired); err != nil || len(ops) != 0 {
		t.Errorf("second reconcile: %v %v, want nothing to do (read-back equals desired)", ops, err)
	}
	// A service another tool owns survives FlushOwned, not FlushAll.
	if out, err := exec.Command("ip", "netns", "exec", ns.Name, "ipvsadm", "-A", "-t", "203.0.113.1:25", "-s", "rr").CombinedOutput(); err != nil {
		t.Fatalf("ipvsadm -A: %v\n%s", err, out)
	}
	if _, err := rec.Flush(lb.FlushOwned); err != nil {
		t.Fatal(err)
	}
	if ss, _ := b.Services(); len(ss) != 1 || ss[0].Addr != a("203.0.113.1") {
		t.Errorf("after FlushOwned: %v, want only the foreign service", ss)
	}
	if _, err := rec.Flush(lb.FlushAll); err != nil {
		t.Fatal(err)
	}
	if ss, _ := b.Services(); len(ss) != 0 {
		t.Errorf("after FlushAll: %v", ss)
	}
}
