package lb_test

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/lbtest"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -rewrite.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *rewrite {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", p, d)
	}
}

// web is the test's configuration, as internal/director translates:
//
//	virtual_server 192.0.2.100 80 { lb_algo wrr; lb_kind NAT; protocol TCP
//	    persistence_timeout 300; persistence_granularity 255.255.255.0
//	    sorry_server 198.18.0.9 8080
//	    real_server 198.18.0.2 80 { weight 1 }
//	    real_server 198.18.0.3 80 { weight 3; inhibit_on_failure }
//	    real_server 198.18.0.4 80 { weight 2 } }
//	virtual_server fwmark 7 { lb_algo sh; lb_kind DR
//	    real_server 198.18.0.2 { weight 1 }
//	    real_server 198.18.0.3 { weight 1; lvs_method TUN type gue port 6080 } }
//	virtual_server_group web { 192.0.2.110-111 443; fwmark 9 }
//	virtual_server group web { lb_algo rr; protocol TCP; quorum 3; hysteresis 1
//	    real_server 198.51.100.2 443 { weight 2 }
//	    real_server 198.51.100.3 443 { weight 2 } }
func web() []*lb.VirtualServer {
	a := netip.MustParseAddr
	nat := func(addr string, port uint16, w int) lb.Dest { return lb.Dest{Addr: a(addr), Port: port, Weight: w} }
	sorry := nat("198.18.0.9", 8080, 1)
	return []*lb.VirtualServer{
		{Name: "192.0.2.100:80/TCP", Keys: []lb.Key{{Addr: a("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet}},
			Scheduler: "wrr", Persistence: 300 * time.Second, PersistenceBits: 24, Quorum: 1, Sorry: &sorry,
			Reals: []lb.Real{{Dest: nat("198.18.0.2", 80, 1)}, {Dest: nat("198.18.0.3", 80, 3), InhibitOnFailure: true},
				{Dest: nat("198.18.0.4", 80, 2)}}},
		{Name: "fwmark 7", Keys: []lb.Key{{FWMark: 7, Family: lb.Inet}}, Scheduler: "sh", Quorum: 1,
			Reals: []lb.Real{{Dest: lb.Dest{Addr: a("198.18.0.2"), Weight: 1, Method: lb.DR}},
				{Dest: lb.Dest{Addr: a("198.18.0.3"), Weight: 1, Method: lb.TUN, Tunnel: lb.Tunnel{Type: "gue", Port: 6080}}}}},
		{Name: "group web", Keys: []lb.Key{{Addr: a("192.0.2.110"), Port: 443, Proto: lb.TCP, Family: lb.Inet},
			{Addr: a("192.0.2.111"), Port: 443, Proto: lb.TCP, Family: lb.Inet}, {FWMark: 9, Family: lb.Inet}},
			Scheduler: "rr", Quorum: 3, Hysteresis: 1,
			Reals: []lb.Real{{Dest: nat("198.51.100.2", 443, 2)}, {Dest: nat("198.51.100.3", 443, 2)}}},
	}
}

var (
	rs2   = netip.MustParseAddrPort("198.18.0.2:80")
	rs3   = netip.MustParseAddrPort("198.18.0.3:80")
	rs4   = netip.MustParseAddrPort("198.18.0.4:80")
	grp2  = netip.MustParseAddrPort("198.51.100.2:443")
	grp3  = netip.MustParseAddrPort("198.51.100.3:443")
	down  = lb.Health{Up: false}
	up    = lb.Health{Up: true}
	five  = 5
	upDyn = lb.Health{Up: true, Weight: &five}
)

// desiredAll computes every virtual server's services with quorum carried
// in qs between calls.
func desiredAll(t *testing.T, vss []*lb.VirtualServer, h lb.HealthMap, qs map[string]lb.Quorum) ([]lb.Service, []string) {
	t.Helper()
	var all []lb.Service
	var notes []string
	for _, vs := range vss {
		r := lb.Desired(vs, h, qs[vs.Name])
		qs[vs.Name] = r.Quorum
		if r.QuorumChanged {
			notes = append(notes, vs.Name+": "+r.Reason)
		}
		all = append(all, r.Services...)
	}
	return all, notes
}

// TestScenario drives the reconciler through health changes and drift and
// records the table and the operations after each step in one golden file.
func TestScenario(t *testing.T) {
	cfg := web()
	fake := lbtest.New()
	rec := lb.NewReconciler(fake, nil)
	qs := map[string]lb.Quorum{}
	var out strings.Builder
	step := func(name string, h lb.HealthMap) {
		t.Helper()
		desired, notes := desiredAll(t, cfg, h, qs)
		ops, err := rec.Reconcile(desired)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out.WriteString("### " + name + "\n")
		for _, n := range notes {
			out.WriteString("quorum: " + n + "\n")
		}
		for _, op := range ops {
			out.WriteString("op: " + op.String() + "\n")
		}
		out.WriteString(fake.String() + "\n")
		// Idempotence: a second pass over the same state changes nothing.
		desired, _ = desiredAll(t, cfg, h, qs)
		if again, err := rec.Reconcile(desired); err != nil || len(again) != 0 {
			t.Errorf("%s: second reconcile applied %v (err %v), want nothing", name, again, err)
		}
	}
	step("all up", lb.HealthMap{})
	step("rs2 down (removed), rs3 down (inhibit: weight 0)", lb.HealthMap{rs2: down, rs3: down})
	step("rs2 back with dynamic weight 5", lb.HealthMap{rs2: upDyn, rs3: up})
	step("all down: sorry server", lb.HealthMap{rs2: down, rs3: down, rs4: down})
	step("rs4 back: quorum regained", lb.HealthMap{rs2: down, rs3: down, rs4: up})
	// group: quorum 3, hysteresis 1: lost below 2, regained at 4.
	step("group: one of two down (weight 2, stays up by hysteresis)", lb.HealthMap{grp2: down})
	step("group: both down (quorum lost, no sorry: nothing left)", lb.HealthMap{grp2: down, grp3: down})
	step("group: one back (weight 2 < 4: still down)", lb.HealthMap{grp3: up, grp2: down})
	step("group: both back", lb.HealthMap{})

	// Drift: another tool removes a destination, changes a weight, adds a
	// stranger and a service of its own.
	fake.Mutate(func(m map[lb.Key]*lb.Service) {
		for k, s := range m {
			if k.Port == 80 {
				s.Dests = s.Dests[1:]
				s.Dests[0].Weight = 100
				s.Dests = append(s.Dests, lb.Dest{Addr: netip.MustParseAddr("203.0.113.66"), Port: 80, Weight: 1})
				s.Scheduler = "lc"
			}
		}
		k := lb.Key{Addr: netip.MustParseAddr("203.0.113.1"), Port: 53, Proto: lb.UDP, Family: lb.Inet}
		m[k] = &lb.Service{Key: k, Scheduler: "rr"}
	})
	step("drift repaired, foreign service kept", lb.HealthMap{})

	// A virtual server leaves the configuration: its services go, the
	// foreign one stays.
	cfg = cfg[:1]
	step("fwmark and group removed from config", lb.HealthMap{})

	ops, err := rec.Flush(lb.FlushOwned)
	if err != nil {
		t.Fatal(err)
	}
	out.WriteString("### flush owned\n")
	for _, op := range ops {
		out.WriteString("op: " + op.String() + "\n")
	}
	out.WriteString(fake.String())
	golden(t, "scenario.golden", out.String())
}

func TestReconcileRetriesAfterFailure(t *testing.T) {
	cfg := web()
	fake := lbtest.New()
	rec := lb.NewReconciler(fake, nil)
	desired, _ := desiredAll(t, cfg, lb.HealthMap{}, map[string]lb.Quorum{})
	boom := errors.New("netlink: no buffer space available")
	fake.FailNextApply(boom)
	if _, err := rec.Reconcile(desired); !errors.Is(err, boom) {
		t.Fatalf("Reconcile error = %v, want %v", err, boom)
	}
	if _, err := rec.Reconcile(desired); err != nil {
		t.Fatal(err)
	}
	got, _ := fake.Services()
	if d := cmp.Diff(lbtest.Format(desired), lbtest.Format(got)); d != "" {
		t.Errorf("table after retry (-want +got):\n%s", d)
	}
}

func TestFlushModes(t *testing.T) {
	cfg := web()
	for _, tc := range []struct {
		mode lb.FlushMode
		left int // services left, of 5 ours + 1 foreign
	}{{lb.FlushNone, 6}, {lb.FlushOwned, 1}, {lb.FlushAll, 0}} {
		fake := lbtest.New()
		k := lb.Key{Addr: netip.MustParseAddr("203.0.113.1"), Port: 53, Proto: lb.UDP, Family: lb.Inet}
		fake.Mutate(func(m map[lb.Key]*lb.Service) { m[k] = &lb.Service{Key: k, Scheduler: "rr"} })
		rec := lb.NewReconciler(fake, nil)
		desired, _ := desiredAll(t, cfg, lb.HealthMap{}, map[string]lb.Quorum{})
		if _, err := rec.Reconcile(desired); err != nil {
			t.Fatal(err)
		}
		if _, err := rec.Flush(tc.mode); err != nil {
			t.Fatal(err)
		}
		if got, _ := fake.Services(); len(got) != tc.left {
			t.Errorf("flush mode %d left %d services, want %d:\n%s", tc.mode, len(got), tc.left, lbtest.Format(got))
		}
	}
}

// TestReconcileChangedTouchesOnlyItsService: a health change reads back and
// changes only the service whose desired state changed; drift elsewhere is
// left for the full pass, which repairs it.
func TestReconcileChangedTouchesOnlyItsService(t *testing.T) {
	cfg := web()
	fake := lbtest.New()
	rec := lb.NewReconciler(fake, nil)
	qs := map[string]lb.Quorum{}
	desired, _ := desiredAll(t, cfg, lb.HealthMap{}, qs)
	for range 2 {
		if _, err := rec.Reconcile(desired); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.Read(); n != len(desired) {
		t.Fatalf("full pass read %d services, want all %d", n, len(desired))
	}
	fake.Applied()
	vip := lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet}
	fwm7 := lb.Key{FWMark: 7, Family: lb.Inet}
	// step runs an incremental pass and checks which services it read and
	// changed.
	step := func(name string, h lb.HealthMap, wantRead int, wantKeys ...lb.Key) []lb.Op {
		t.Helper()
		desired, _ := desiredAll(t, cfg, h, qs)
		ops, err := rec.ReconcileChanged(desired)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := fake.Read(); n != wantRead {
			t.Errorf("%s: read back %d services, want %d", name, n, wantRead)
		}
		got := map[lb.Key]bool{}
		for _, op := range fake.Applied() {
			got[op.Service.Key] = true
		}
		want := map[lb.Key]bool{}
		for _, k := range wantKeys {
			want[k] = true
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: services changed (-want +got):\n%s\nops: %v", name, d, ops)
		}
		return ops
	}
	step("nothing changed", lb.HealthMap{}, 0)
	ops := step("rs2 down", lb.HealthMap{rs2: down}, 1, vip)
	if len(ops) != 1 || ops[0].Kind != lb.DeleteDest || ops[0].Dest.AddrPort() != rs2 {
		t.Errorf("rs2 down: ops %v, want one delete-dest of %s", ops, rs2)
	}
	step("same state again", lb.HealthMap{rs2: down}, 0)
	// The group's quorum is lost: its three services change at once.
	step("group down", lb.HealthMap{rs2: down, grp2: down, grp3: down}, 3,
		lb.Key{Addr: netip.MustParseAddr("192.0.2.110"), Port: 443, Proto: lb.TCP, Family: lb.Inet},
		lb.Key{Addr: netip.MustParseAddr("192.0.2.111"), Port: 443, Proto: lb.TCP, Family: lb.Inet},
		lb.Key{FWMark: 9, Family: lb.Inet})
	step("group back", lb.HealthMap{rs2: down}, 3,
		lb.Key{Addr: netip.MustParseAddr("192.0.2.110"), Port: 443, Proto: lb.TCP, Family: lb.Inet},
		lb.Key{Addr: netip.MustParseAddr("192.0.2.111"), Port: 443, Proto: lb.TCP, Family: lb.Inet},
		lb.Key{FWMark: 9, Family: lb.Inet})

	// Another tool changes the fwmark service: the incremental pass for
	// the VIP does not see it, the full pass repairs it.
	fake.Mutate(func(m map[lb.Key]*lb.Service) { m[fwm7].Dests[0].Weight = 100 })
	step("rs2 back, fwmark 7 drifted", lb.HealthMap{}, 1, vip)
	if got, _ := fake.Services(); got[len(got)-2].Key != fwm7 || got[len(got)-2].Dests[0].Weight != 100 {
		t.Fatalf("incremental pass touched the drifted fwmark service:\n%s", fake)
	}
	fake.Read()
	step("drift is not seen incrementally", lb.HealthMap{}, 0)
	desired, _ = desiredAll(t, cfg, lb.HealthMap{}, qs)
	ops, err := rec.Reconcile(desired)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || ops[0].Kind != lb.UpdateDest || ops[0].Service.Key != fwm7 {
		t.Errorf("full pass ops %v, want one update-dest of %s", ops, fwm7)
	}
	fake.Read()
	fake.Applied()

	// A failed apply is retried by the next incremental pass.
	fake.FailNextApply(errors.New("netlink: no buffer space available"))
	desired, _ = desiredAll(t, cfg, lb.HealthMap{rs4: down}, qs)
	if _, err := rec.ReconcileChanged(desired); err == nil {
		t.Fatal("ReconcileChanged did not report the failed apply")
	}
	fake.Read()
	step("retry after failure", lb.HealthMap{rs4: down}, 1, vip)

	// A virtual server leaves the desired state: its service goes.
	desired, _ = desiredAll(t, cfg, lb.HealthMap{rs4: down}, qs)
	desired = slices.DeleteFunc(desired, func(s lb.Service) bool { return s.Key == fwm7 })
	if ops, err := rec.ReconcileChanged(desired); err != nil || len(ops) != 1 || ops[0].Kind != lb.DeleteService || ops[0].Service.Key != fwm7 {
		t.Errorf("removing fwmark 7: ops %v, err %v; want one delete-service", ops, err)
	}
	got, _ := fake.Services()
	if d := cmp.Diff(lbtest.Format(desired), lbtest.Format(got)); d != "" {
		t.Errorf("table (-want +got):\n%s", d)
	}
}
