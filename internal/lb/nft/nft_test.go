package nft

import (
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/internal/lbnet"
)

func dests(weights ...int) []lb.Dest {
	var ds []lb.Dest
	for i, w := range weights {
		ds = append(ds, lb.Dest{Addr: netip.AddrFrom4([4]byte{198, 18, 0, byte(i + 2)}), Port: 80, Weight: w})
	}
	return ds
}

func TestSlots(t *testing.T) {
	for _, tc := range []struct {
		sched   string
		weights []int
		want    []int
	}{
		{"rr", []int{1, 5, 0, 2}, []int{0, 1, 3}},
		// IPVS wrr order for 1:2:3 (ip_vs_wrr.c): cw 3 → c; 2 → b c; 1 → a b c.
		{"wrr", []int{1, 2, 3}, []int{2, 1, 2, 0, 1, 2}},
		{"wrr", []int{4, 2, 0}, []int{0, 0, 1}},
		{"sh", []int{1, 2}, []int{0, 1, 1}},
		{"dh", []int{3, 0, 3}, []int{0, 2}},
		{"fo", []int{1, 3, 3}, []int{1}},
		{"wrr", []int{0, 0}, nil},
	} {
		if got := slots(tc.sched, dests(tc.weights...)); !cmp.Equal(got, tc.want) {
			t.Errorf("slots(%s, %v) = %v, want %v", tc.sched, tc.weights, got, tc.want)
		}
	}
	// Huge weights are scaled into maxSlots, keeping proportions.
	got := slots("wrr", dests(60000, 30000))
	n := map[int]int{}
	for _, i := range got {
		n[i]++
	}
	if len(got) > maxSlots || n[0] != 2*n[1] {
		t.Errorf("scaled wrr: %d slots, counts %v", len(got), n)
	}
}

func TestCheck(t *testing.T) {
	k := lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet}
	for _, tc := range []struct {
		sched  string
		method lb.Method
		want   string // "" = supported
	}{
		{"rr", lb.NAT, ""}, {"wrr", lb.NAT, ""}, {"sh", lb.NAT, ""}, {"dh", lb.NAT, ""}, {"fo", lb.NAT, ""},
		{"wlc", lb.NAT, ""}, {"lc", lb.NAT, ""}, {"sed", lb.NAT, ""}, {"nq", lb.NAT, ""},
		{"twos", lb.NAT, "nearest that works: lb_algo wlc"},
		{"lblc", lb.NAT, "lb_algo dh"},
		{"mh", lb.NAT, "lb_algo sh"},
		{"rr", lb.DR, "use lb_kind NAT, or the ipvs backend"},
		{"bogus", lb.NAT, "unknown scheduler"},
	} {
		ds := dests(1)
		ds[0].Method = tc.method
		err := Check(lb.Service{Key: k, Scheduler: tc.sched, Dests: ds})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s/%s: %v", tc.sched, tc.method, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s/%s: error %v, want it to mention %q", tc.sched, tc.method, err, tc.want)
		}
	}
}

func TestParamsRoundTrip(t *testing.T) {
	for _, s := range []lb.Service{
		{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet}, Scheduler: "wrr", Persistence: 300 * time.Second, PersistenceBits: 24},
		{Key: lb.Key{Addr: netip.MustParseAddr("2001:db8::1"), Port: 443, Proto: lb.UDP, Family: lb.Inet6}, Scheduler: "sh"},
		{Key: lb.Key{FWMark: 7, Family: lb.Inet6}, Scheduler: "rr"},
	} {
		got, err := parseParams(paramsComment(s))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(s, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
			t.Errorf("round trip (-want +got):\n%s", d)
		}
		if n := len(paramsComment(s)); n > 255 {
			t.Errorf("comment of %d bytes exceeds the kernel's userdata limit", n)
		}
	}
}

func nftList(t *testing.T, ns *lbnet.NS) func() string {
	return func() string {
		out, err := exec.Command("ip", "netns", "exec", ns.Name, "nft", "list", "table", "inet", DefaultTable).CombinedOutput()
		if err != nil {
			t.Logf("nft list: %v", err)
		}
		return string(out)
	}
}

// TestScenario runs the shared load-balancing scenario on real traffic
// through the nftables backend in a director namespace.
func TestScenario(t *testing.T) {
	lbnet.RequireRoot(t)
	tp := lbnet.NewTopo(t, 3)
	b := New(Options{NetNS: tp.Director.Handle()})
	lbnet.RunScenario(t, tp, b, nftList(t, tp.Director))
}

// TestDriftByHand edits the table with the nft tool, as an operator
// might, and expects the read-back to notice and the reconciler to repair.
func TestDriftByHand(t *testing.T) {
	lbnet.RequireRoot(t)
	tp := lbnet.NewTopo(t, 2)
	b := New(Options{NetNS: tp.Director.Handle()})
	d := lbnet.StartDirector(t, tp, lbnet.Conf(tp, "wrr", []int{1, 1}), b)
	lbnet.WaitTable(t, b, 5*time.Second, map[string]int{"198.18.0.2:80": 1, "198.18.0.3:80": 1})
	ok := func() {
		t.Helper()
		if _, err := tp.Get(80); err != nil {
			t.Fatalf("request through the VIP: %v\n%s", err, nftList(t, tp.Director)())
		}
	}
	ok()
	for _, edit := range [][]string{
		{"flush", "chain", "inet", DefaultTable, "vs-tcp-192.0.2.100-80"},
		{"flush", "chain", "inet", DefaultTable, "prerouting"},
		{"delete", "element", "inet", DefaultTable, "vs-tcp-192.0.2.100-80-d", "{ 198.18.0.3 . 80 }"},
		{"delete", "chain", "inet", DefaultTable, "output"},
	} {
		t.Run(strings.Join(edit[:2], " ")+" "+edit[4], func(t *testing.T) {
			cmd := append([]string{"netns", "exec", tp.Director.Name, "nft"}, edit...)
			if out, err := exec.Command("ip", cmd...).CombinedOutput(); err != nil {
				// Deleting a base chain that still has rules fails: flush first.
				if edit[0] == "delete" && edit[1] == "chain" {
					exec.Command("ip", "netns", "exec", tp.Director.Name, "nft", "flush", "chain", "inet", DefaultTable, edit[4]).Run()
					out, err = exec.Command("ip", cmd...).CombinedOutput()
				}
				if err != nil {
					t.Fatalf("nft %v: %v\n%s", edit, err, out)
				}
			}
			ss, err := b.Services()
			if err != nil {
				t.Fatal(err)
			}
			if len(ss) != 1 || ss[0].Drift == "" {
				t.Fatalf("after nft %v read-back shows no drift: %+v", edit, ss)
			}
			t.Logf("drift seen: %s", ss[0].Drift)
			ops, err := d.ReconcileOps()
			if err != nil {
				t.Fatal(err)
			}
			if len(ops) != 1 || ops[0].Kind != lb.ReplaceService {
				t.Errorf("repair ops = %v, want one replace-service", ops)
			}
			ss, _ = b.Services()
			if len(ss) != 1 || ss[0].Drift != "" {
				t.Fatalf("still drifted after repair: %+v", ss)
			}
			ok()
		})
	}
}

// TestErrorsBeforeChanges: an unsupported scheduler fails Apply and leaves
// the table untouched.
func TestErrorsBeforeChanges(t *testing.T) {
	lbnet.RequireRoot(t)
	ns := lbnet.NewNS(t, "err")
	b := New(Options{NetNS: ns.Handle()})
	s := lb.Service{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet}, Scheduler: "lblc", Dests: dests(1)}
	_, err := lb.NewReconciler(b, nil).Reconcile([]lb.Service{s})
	if err == nil || !strings.Contains(err.Error(), "nearest that works: lb_algo dh") {
		t.Fatalf("Reconcile error = %v", err)
	}
	if ss, err := b.Services(); err != nil || len(ss) != 0 {
		t.Fatalf("table after refused change: %v %v", ss, err)
	}
}

// TestListPersistent: `nft list ruleset` (the operator's view of the whole
// host) must print a persistent service's rules; nftables 1.0.6 aborts on
// some register-to-register forms (netlink_parse_concat_expr), so the
// backend emits only forms it can decompile. The table is listed after
// every change a persistent service goes through.
func TestListPersistent(t *testing.T) {
	lbnet.RequireRoot(t)
	ns := lbnet.NewNS(t, "list")
	b := New(Options{NetNS: ns.Handle()})
	r := lb.NewReconciler(b, nil)
	v4 := lb.Service{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet},
		Scheduler: "wrr", Persistence: 300 * time.Second, PersistenceBits: 24, Dests: dests(1, 2, 3)}
	v6 := lb.Service{Key: lb.Key{Addr: netip.MustParseAddr("2001:db8::100"), Port: 443, Proto: lb.TCP, Family: lb.Inet6},
		Scheduler: "sh", Persistence: 60 * time.Second, PersistenceBits: 64,
		Dests: []lb.Dest{{Addr: netip.MustParseAddr("2001:db8::2"), Port: 443, Weight: 1}, {Addr: netip.MustParseAddr("2001:db8::3"), Port: 443, Weight: 1}}}
	fwm := lb.Service{Key: lb.Key{FWMark: 7, Family: lb.Inet}, Scheduler: "rr", Persistence: 30 * time.Second, Dests: dests(1, 1)}
	plain := lb.Service{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.101"), Port: 80, Proto: lb.TCP, Family: lb.Inet}, Scheduler: "rr", Dests: dests(1, 1)}
	quiesced := v4
	quiesced.Dests = dests(1, 0, 3)
	notPersistent := v4
	notPersistent.Persistence, notPersistent.PersistenceBits = 0, 0
	for _, step := range []struct {
		name string
		want []lb.Service
		// strings the listing must contain
		mentions []string
	}{
		{"persistent v4, v6, fwmark and a plain one", []lb.Service{v4, v6, fwm, plain},
			[]string{"chain vs-tcp-192.0.2.100-80 ", "chain vs-tcp-2001_db8__100-443 ", "chain vs-fwm7-inet ", "chain vs-tcp-192.0.2.101-80 ",
				"vs-tcp-192.0.2.100-80-c-198.18.0.4-80", "timeout 5m"}},
		{"one server quiesced", []lb.Service{quiesced, v6, fwm, plain}, []string{"chain vs-tcp-192.0.2.100-80 "}},
		{"persistence off", []lb.Service{notPersistent}, []string{"chain vs-tcp-192.0.2.100-80 "}},
		{"persistence on again", []lb.Service{v4}, []string{"vs-tcp-192.0.2.100-80-r-198.18.0.3-80"}},
	} {
		if _, err := r.Reconcile(step.want); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		out, err := exec.Command("ip", "netns", "exec", ns.Name, "nft", "list", "ruleset").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: nft list ruleset: %v\n%s", step.name, err, out)
		}
		for _, m := range step.mentions {
			if !strings.Contains(string(out), m) {
				t.Errorf("%s: nft list ruleset does not mention %q:\n%s", step.name, m, out)
			}
		}
		got, err := b.Services()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(step.want) {
			t.Fatalf("%s: read back %d services, want %d", step.name, len(got), len(step.want))
		}
		for _, s := range got {
			if s.Drift != "" {
				t.Errorf("%s: %s drifted right after programming: %s", step.name, s.Key, s.Drift)
			}
		}
		if step.name == "persistence off" && strings.Contains(string(out), "-c-") {
			t.Errorf("persistence off left client sets behind:\n%s", out)
		}
	}
}

// TestIncrementalLeavesOtherDrift: an incremental pass (a health change in
// one service) reads back and rewrites only that service; a hand edit of
// another service is not repaired by it, but by the full pass.
func TestIncrementalLeavesOtherDrift(t *testing.T) {
	lbnet.RequireRoot(t)
	ns := lbnet.NewNS(t, "incr")
	b := New(Options{NetNS: ns.Handle()})
	r := lb.NewReconciler(b, nil)
	a := lb.Service{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet},
		Scheduler: "wrr", Dests: dests(1, 2, 3)}
	other := lb.Service{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.101"), Port: 80, Proto: lb.TCP, Family: lb.Inet},
		Scheduler: "rr", Dests: dests(1, 1)}
	if _, err := r.Reconcile([]lb.Service{a, other}); err != nil {
		t.Fatal(err)
	}
	nftCmd := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"netns", "exec", ns.Name, "nft"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("nft %v: %v\n%s", args, err, out)
		}
	}
	nftCmd("flush", "chain", "inet", DefaultTable, "vs-tcp-192.0.2.101-80")
	drifted := func() string {
		t.Helper()
		ss, err := b.ServicesByKey([]lb.Key{other.Key})
		if err != nil || len(ss) != 1 {
			t.Fatalf("ServicesByKey(%s) = %v, %v", other.Key, ss, err)
		}
		return ss[0].Drift
	}
	if drifted() == "" {
		t.Fatal("hand edit not seen by ServicesByKey")
	}

	// One server of a leaves.
	a.Dests = dests(1, 0, 3)
	ops, err := r.ReconcileChanged([]lb.Service{a, other})
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || ops[0].Kind != lb.UpdateDest || ops[0].Service.Key != a.Key {
		t.Errorf("incremental ops = %v, want one update-dest of %s", ops, a.Key)
	}
	if d := drifted(); d == "" {
		t.Error("incremental pass repaired another service")
	}
	ss, err := b.ServicesByKey([]lb.Key{a.Key})
	if err != nil || len(ss) != 1 || ss[0].Drift != "" || !slices.Equal(ss[0].Dests, a.Dests) {
		t.Fatalf("service after incremental pass: %+v, %v; want %v", ss, err, a.Dests)
	}

	ops, err = r.Reconcile([]lb.Service{a, other})
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || ops[0].Kind != lb.ReplaceService || ops[0].Service.Key != other.Key {
		t.Errorf("full pass ops = %v, want one replace-service of %s", ops, other.Key)
	}
	if d := drifted(); d != "" {
		t.Errorf("still drifted after the full pass: %s", d)
	}
	if ops, err := r.ReconcileChanged([]lb.Service{a, other}); err != nil || len(ops) != 0 {
		t.Errorf("incremental pass with nothing changed: %v, %v", ops, err)
	}
}
