package lb_test

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/config"
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

func load(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, ds := config.LoadBytes("test.conf", []byte(text), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatalf("config: %v", ds)
	}
	return cfg
}

const webConf = `
virtual_server 192.0.2.100 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    sorry_server 198.18.0.9 8080
    real_server 198.18.0.2 80 {
        weight 1
        TCP_CHECK { connect_timeout 1 }
    }
    real_server 198.18.0.3 80 {
        weight 3
        inhibit_on_failure
        TCP_CHECK { connect_timeout 1 }
    }
    real_server 198.18.0.4 80 {
        weight 2
        TCP_CHECK { connect_timeout 1 }
    }
}
virtual_server fwmark 7 {
    lb_algo sh
    lb_kind DR
    real_server 198.18.0.2 {
        weight 1
    }
    real_server 198.18.0.3 {
        weight 1
        lvs_method TUN type gue port 6080
    }
}
virtual_server_group web {
    192.0.2.110-111 443
    fwmark 9
}
virtual_server group web {
    lb_algo rr
    protocol TCP
    quorum 3
    hysteresis 1
    real_server 198.51.100.2 443 {
        weight 2
    }
    real_server 198.51.100.3 443 {
        weight 2
    }
}
`

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
func desiredAll(t *testing.T, cfg *config.Config, h lb.HealthMap, qs map[string]lb.Quorum) ([]lb.Service, []string) {
	t.Helper()
	var all []lb.Service
	var notes []string
	for _, vs := range cfg.VirtualServers {
		r, err := lb.Desired(vs, cfg.VirtualServerGroups, h, qs[vs.Name()])
		if err != nil {
			t.Fatalf("Desired(%s): %v", vs.Name(), err)
		}
		qs[vs.Name()] = r.Quorum
		if r.QuorumChanged {
			notes = append(notes, vs.Name()+": "+r.Reason)
		}
		all = append(all, r.Services...)
	}
	return all, notes
}

// TestScenario drives the reconciler through health changes and drift and
// records the table and the operations after each step in one golden file.
func TestScenario(t *testing.T) {
	cfg := load(t, webConf)
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
	cfg.VirtualServers = cfg.VirtualServers[:1]
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
	cfg := load(t, webConf)
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
	cfg := load(t, webConf)
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

func TestDesiredErrors(t *testing.T) {
	for _, tc := range []struct{ name, conf, want string }{
		{"bad granularity", `virtual_server 192.0.2.1 80 {
    protocol TCP
    persistence_timeout 10
    persistence_granularity 255.0.255.0
    real_server 198.18.0.2 80 { weight 1 }
}`, "not a contiguous netmask"},
		{"unknown group", `virtual_server group nosuch {
    real_server 198.18.0.2 80 { weight 1 }
}`, "no such virtual_server_group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, ds := config.LoadBytes("t.conf", []byte(tc.conf), config.LoadOptions{})
			if ds.HasErrors() {
				// The config layer may already refuse it; that is fine too.
				if strings.Contains(ds.Error(), "group") || strings.Contains(ds.Error(), "granularity") {
					return
				}
				t.Fatalf("config: %v", ds)
			}
			_, err := lb.Desired(cfg.VirtualServers[0], cfg.VirtualServerGroups, nil, lb.Quorum{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Desired error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
