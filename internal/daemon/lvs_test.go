package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/check"
	"gokeepalived/internal/check/dnscheck"
	"gokeepalived/internal/check/filecheck"
	"gokeepalived/internal/check/httpget"
	"gokeepalived/internal/check/misccheck"
	"gokeepalived/internal/check/smtpcheck"
	"gokeepalived/internal/check/udpcheck"
	"gokeepalived/internal/config"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/lbtest"
	"gokeepalived/internal/lb/nft"
)

func loadConf(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, ds := config.LoadBytes("lvs_test.conf", []byte(text), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatalf("config: %v", ds)
	}
	return cfg
}

const everyKindConf = `
track_file tf1 {
    file /run/gk-test-weight
    weight 2
}
virtual_server 192.0.2.100 80 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.2 80 {
        HTTP_GET {
            url {
              path /testurl/test.jsp
              digest 640205b7b0fc66c1ea91c463fac6334d
              status_code 200-299 404
            }
            connect_timeout 3
            retry 3
            delay_before_retry 2
        }
        SSL_GET {
            url {
              path /
            }
            connect_port 443
        }
        TCP_CHECK {
            connect_ip 198.51.100.9
            connect_port 8080
        }
        SMTP_CHECK {
            helo_name lb.example.test
        }
        MISC_CHECK {
            misc_path "/usr/bin/test -e /run/ok"
            misc_timeout 4
            misc_dynamic
        }
        DNS_CHECK {
            type A
            name example.test
        }
        UDP_CHECK {
            connect_port 53
        }
        PING_CHECK {
        }
        FILE_CHECK {
            track_file tf1
        }
    }
}
`

// TestLVSJobsEveryKind maps one checker of each kind and checks what the
// check package receives: kind config, connection and resolved timing.
func TestLVSJobsEveryKind(t *testing.T) {
	cfg := loadConf(t, everyKindConf)
	jobs, errs := lvsJobs(cfg)
	if len(errs) > 0 {
		t.Fatalf("lvsJobs errors: %v", errs)
	}
	if len(jobs) != 9 {
		t.Fatalf("got %d jobs, want 9", len(jobs))
	}
	byKind := map[string]lvsJob{}
	for _, j := range jobs {
		kind := string(j.job.Spec.ID)
		kind = kind[strings.LastIndex(kind, " ")+1 : strings.LastIndex(kind, "#")]
		byKind[kind] = j
		if j.job.Spec.Server != "192.0.2.100:80/TCP 198.51.100.2:80" {
			t.Errorf("%s: server %q", kind, j.job.Spec.Server)
		}
		if j.job.Checker == nil || j.job.Spec.Timeout <= 0 || j.job.Spec.Params.DelayLoop.Seconds() != 6 {
			t.Errorf("%s: checker %v timeout %v params %+v", kind, j.job.Checker, j.job.Spec.Timeout, j.job.Spec.Params)
		}
	}
	http := byKind["HTTP_GET"]
	if p := http.job.Spec.Params; p.Retry != 3 || p.DelayBeforeRetry.Seconds() != 2 {
		t.Errorf("HTTP_GET params %+v, want retry 3, delay_before_retry 2s", p)
	}
	if want := "640205b7b0fc66c1ea91c463fac6334d"; !strings.Contains(http.fingerprint, want) || !strings.Contains(http.fingerprint, `"Lo":404`) {
		t.Errorf("HTTP_GET fingerprint lacks the url: %s", http.fingerprint)
	}
	if !strings.Contains(byKind["TCP_CHECK"].fingerprint, "198.51.100.9:8080") {
		t.Errorf("TCP_CHECK connect_ip/port not used: %s", byKind["TCP_CHECK"].fingerprint)
	}
	if !strings.Contains(byKind["SSL_GET"].fingerprint, "198.51.100.2:443") {
		t.Errorf("SSL_GET connect_port not used: %s", byKind["SSL_GET"].fingerprint)
	}
	if p := byKind["MISC_CHECK"].job.Spec.Params; p.Retry != 0 {
		t.Errorf("MISC_CHECK retry %d, want keepalived's 0", p.Retry)
	}
	if p := byKind["DNS_CHECK"].job.Spec.Params; p.Retry != 3 || p.DelayBeforeRetry.Seconds() != 6 {
		t.Errorf("DNS_CHECK params %+v, want retry 3 and delay_before_retry = delay_loop", p)
	}
	// The kind configs the registry builds from (checked through a rebuild
	// of the spec each mapping produced).
	for kind, want := range map[string]string{
		"SMTP_CHECK": "lb.example.test", "MISC_CHECK": `"/usr/bin/test","-e","/run/ok"`, "DNS_CHECK": "example.test",
		"FILE_CHECK": "/run/gk-test-weight", "UDP_CHECK": "198.51.100.2:53",
	} {
		if !strings.Contains(byKind[kind].fingerprint, want) {
			t.Errorf("%s fingerprint %s lacks %s", kind, byKind[kind].fingerprint, want)
		}
	}
	for kind, want := range map[string]any{"HTTP_GET": httpget.Config{}, "SSL_GET": httpget.Config{}, "SMTP_CHECK": smtpcheck.Config{},
		"MISC_CHECK": misccheck.Config{}, "DNS_CHECK": dnscheck.Config{}, "UDP_CHECK": udpcheck.Config{}, "FILE_CHECK": filecheck.Config{}} {
		if e, ok := check.Lookup(check.Kind(kind)); !ok || e.Config == nil || fmt.Sprintf("%T", e.Config) != fmt.Sprintf("%T", want) {
			t.Errorf("%s: registry config type %T, mapping builds %T", kind, e.Config, want)
		}
	}
}

func TestLVSJobsUnknownTrackFile(t *testing.T) {
	cfg := loadConf(t, everyKindConf)
	cfg.VirtualServers[0].RealServers[0].Checkers[8].File.TrackFile = "nope"
	_, errs := lvsJobs(cfg)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `track_file "nope" is not defined`) {
		t.Fatalf("errs = %v", errs)
	}
}

const seedLikeConf = `
virtual_server 192.0.2.100 80 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    persistence_timeout 50
    protocol TCP
    sorry_server 198.18.0.9 80
    ha_suspend
    real_server 198.18.0.2 80 {
        weight 1
        TCP_CHECK {
        }
    }
    real_server 198.18.0.3 80 {
        weight 1
        TCP_CHECK {
        }
    }
}
`

// newTestLVS builds the subsystem over a fake table without starting the
// checkers; tests feed check.Change values as the runner would.
func newTestLVS(t *testing.T, cfg *config.Config, local bool) (*lvs, *lbtest.Fake) {
	t.Helper()
	fake := lbtest.New()
	l := newLVS(LVSOptions{localAddr: func(netip.Addr) bool { return local }}, slog.New(slog.DiscardHandler), nil)
	l.backend = &lbBackend{Backend: fake, name: "fake", close: func() error { return nil }}
	l.rec = lb.NewReconciler(fake, nil)
	l.ctx = context.Background()
	l.setConfig(cfg)
	l.reconcile("start")
	return l, fake
}

func table(t *testing.T, f *lbtest.Fake) string {
	t.Helper()
	ss, err := f.Services()
	if err != nil {
		t.Fatal(err)
	}
	return lbtest.Format(ss)
}

func down(server, reason string) check.Change {
	return check.Change{Server: check.ServerID(server), ServerChanged: true, ServerUp: false, Reason: reason}
}

func up(server string) check.Change {
	return check.Change{Server: check.ServerID(server), CheckUp: true, ServerChanged: true, ServerUp: true, Reason: "ok"}
}

func TestLVSHealthDrivesTable(t *testing.T) {
	l, fake := newTestLVS(t, loadConf(t, seedLikeConf), true)
	const rs2, rs3 = "192.0.2.100:80/TCP 198.18.0.2:80", "192.0.2.100:80/TCP 198.18.0.3:80"
	steps := []struct {
		name    string
		changes []check.Change
		want    []string // destinations in the table
		quorum  bool
	}{
		{"start: all up", nil, []string{"198.18.0.2:80", "198.18.0.3:80"}, true},
		{"rs2 digest mismatch", []check.Change{down(rs2, "digest mismatch on /testurl")}, []string{"198.18.0.3:80"}, true},
		{"rs3 down too: sorry server", []check.Change{down(rs3, "connection refused")}, []string{"198.18.0.9:80"}, false},
		{"rs2 back", []check.Change{up(rs2)}, []string{"198.18.0.2:80"}, true},
		{"unknown server ignored", []check.Change{down("other 192.0.2.1:1", "x")}, []string{"198.18.0.2:80"}, true},
	}
	for _, st := range steps {
		if l.applyChanges(st.changes) {
			l.reconcile("health change")
		}
		tab := table(t, fake)
		var got []string
		for _, line := range strings.Split(tab, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "->" && f[1] != "RemoteAddress:Port" {
				got = append(got, f[1])
			}
		}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("%s: table (-want +got):\n%s\n%s", st.name, diff, tab)
		}
		vs := l.snapshot()[0]
		if vs.Quorum != st.quorum || vs.Sorry == st.quorum {
			t.Errorf("%s: status quorum %v sorry %v, want quorum %v", st.name, vs.Quorum, vs.Sorry, st.quorum)
		}
	}
	vs := l.snapshot()[0]
	if vs.RealServers[1].Up || vs.RealServers[1].Reason != "connection refused" || vs.RealServers[1].InTable {
		t.Errorf("rs3 status %+v, want down with its reason, out of the table", vs.RealServers[1])
	}
	if !strings.Contains(table(t, fake), "persistent 50") {
		t.Errorf("persistence lost:\n%s", table(t, fake))
	}
}

func TestLVSReloadKeepsHealthAndDiffsJobs(t *testing.T) {
	l, fake := newTestLVS(t, loadConf(t, seedLikeConf), true)
	l.applyChanges([]check.Change{down("192.0.2.100:80/TCP 198.18.0.2:80", "timeout")})
	before := map[check.CheckID]string{}
	for _, j := range l.built {
		before[j.job.Spec.ID] = j.fingerprint
	}
	// Reload: rs3 removed, rs4 added, rs2 unchanged.
	l.setConfig(loadConf(t, strings.Replace(seedLikeConf, "198.18.0.3 80", "198.18.0.4 80", 1)))
	l.reconcile("reload")
	if h := l.health["192.0.2.100:80/TCP 198.18.0.2:80"]; h == nil || h.up {
		t.Errorf("rs2 health after reload = %+v, want kept (down)", h)
	}
	if _, ok := l.health["192.0.2.100:80/TCP 198.18.0.3:80"]; ok {
		t.Error("removed rs3 still has health")
	}
	tab := table(t, fake)
	if strings.Contains(tab, "198.18.0.3") || !strings.Contains(tab, "198.18.0.4:80") || strings.Contains(tab, "198.18.0.2") {
		t.Errorf("table after reload:\n%s", tab)
	}
	for _, j := range l.built {
		if fp, ok := before[j.job.Spec.ID]; ok && fp != j.fingerprint {
			t.Errorf("unchanged checker %s has a new fingerprint", j.job.Spec.ID)
		}
	}
}

func TestLVSHASuspend(t *testing.T) {
	local := false
	l, _ := newTestLVS(t, loadConf(t, seedLikeConf), false)
	l.opts.localAddr = func(netip.Addr) bool { return local }
	if !l.suspended["192.0.2.100:80/TCP"] {
		t.Fatal("VS with a non-local VIP and ha_suspend is not suspended")
	}
	// Changes arriving for a suspended VS (its checkers being removed) are ignored.
	if l.applyChanges([]check.Change{down("192.0.2.100:80/TCP 198.18.0.2:80", "checker removed")}) {
		t.Error("change of a suspended VS applied")
	}
	local = true
	if !l.updateSuspended() || l.suspended["192.0.2.100:80/TCP"] {
		t.Error("VS not resumed when its VIP became local")
	}
}

func TestLVSStopFlush(t *testing.T) {
	for _, tt := range []struct {
		name        string
		global      string
		dontRelease bool
		foreign     bool // a service another tool made survives
		ours        bool
	}{
		{"default removes ours only", "", false, true, false},
		{"-I keeps all", "", true, true, true},
		{"lvs_flush_on_stop clears all", "global_defs {\n lvs_flush_on_stop\n}\n", false, false, false},
		{"lvs_flush_on_stop VS removes ours", "global_defs {\n lvs_flush_on_stop VS\n}\n", false, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, fake := newTestLVS(t, loadConf(t, tt.global+seedLikeConf), true)
			l.opts.DontRelease = tt.dontRelease
			foreign := lb.Key{Addr: netip.MustParseAddr("203.0.113.1"), Port: 443, Proto: lb.TCP, Family: lb.Inet}
			if err := fake.Apply([]lb.Op{{Kind: lb.AddService, Service: lb.Service{Key: foreign, Scheduler: "rr"}}}); err != nil {
				t.Fatal(err)
			}
			l.stop()
			tab := table(t, fake)
			if got := strings.Contains(tab, "203.0.113.1:443"); got != tt.foreign {
				t.Errorf("foreign service kept = %v, want %v\n%s", got, tt.foreign, tab)
			}
			if got := strings.Contains(tab, "192.0.2.100:80"); got != tt.ours {
				t.Errorf("our service kept = %v, want %v\n%s", got, tt.ours, tab)
			}
		})
	}
}

func TestOpenBackendChoice(t *testing.T) {
	noIPVS := func() (bool, string) { return false, "test: none" }
	b, err := openBackend("auto", noIPVS)
	if err != nil || b.name != BackendNFT || !strings.Contains(b.why, "no IPVS") {
		t.Fatalf("auto without IPVS = %+v, %v; want nft", b, err)
	}
	if b, err := openBackend("nft", nil); err != nil || b.name != BackendNFT {
		t.Fatalf("nft = %+v, %v", b, err)
	}
	if _, err := openBackend("lvs", nil); err == nil || !strings.Contains(err.Error(), "want auto, ipvs or nft") {
		t.Fatalf("bad choice error = %v", err)
	}
}

// TestLVSBackendRefusesOneVS: a scheduler the backend cannot do (wlc on
// nftables) keeps that virtual server out with its error in the status,
// and the others are still programmed.
func TestLVSBackendRefusesOneVS(t *testing.T) {
	conf := seedLikeConf + strings.NewReplacer("192.0.2.100 80", "192.0.2.101 80", "lb_algo rr", "lb_algo wlc").Replace(seedLikeConf)
	fake := lbtest.New()
	l := newLVS(LVSOptions{localAddr: func(netip.Addr) bool { return true }}, slog.New(slog.DiscardHandler), nil)
	l.backend = &lbBackend{Backend: fake, name: "nft", close: func() error { return nil }, check: nft.Check}
	l.rec = lb.NewReconciler(fake, nil)
	l.ctx = context.Background()
	l.setConfig(loadConf(t, conf))
	l.reconcile("start")
	tab := table(t, fake)
	if !strings.Contains(tab, "192.0.2.100:80") || strings.Contains(tab, "192.0.2.101:80") {
		t.Errorf("table:\n%s", tab)
	}
	st := l.snapshot()
	if st[0].Error != "" || !strings.Contains(st[1].Error, "wlc") {
		t.Errorf("status errors %q, %q; want none and one naming wlc", st[0].Error, st[1].Error)
	}
}
