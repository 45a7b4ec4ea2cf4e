package config

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func load(t *testing.T, text string) *Config {
	t.Helper()
	cfg, ds := LoadBytes("t.conf", []byte(text), LoadOptions{})
	if ds.HasErrors() {
		t.Fatalf("diagnostics:\n%s", ds.Error())
	}
	return cfg
}

func TestDefaults(t *testing.T) {
	cfg := load(t, `vrrp_instance V {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        192.0.2.1
    }
}
virtual_server 192.0.2.1 80 {
    protocol TCP
    real_server 192.0.2.10 80 {
        TCP_CHECK {
        }
        HTTP_GET {
            url {
                path /
            }
        }
        MISC_CHECK {
            misc_path "/bin/check arg"
        }
    }
}
`)
	v := cfg.Instances[0]
	got := []any{v.State, v.Priority, v.AdvertInt, v.Version, v.Preempt, v.Accept, v.GARP, v.DownTimerAdverts,
		cfg.Global.MulticastGroup4, cfg.Global.MulticastGroup6, v.VIPs[0].Prefix}
	want := []any{"BACKUP", 100, time.Second, 2, true, true,
		GARP{MasterDelay: 5 * time.Second, MasterRepeat: 5, MasterRefreshRepeat: 1, LowerPrioDelay: 5 * time.Second, LowerPrioRepeat: 5}, 3,
		netip.MustParseAddr("224.0.0.18"), netip.MustParseAddr("ff02::12"), netip.MustParsePrefix("192.0.2.1/32")}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("instance defaults (-want +got):\n%s", d)
	}
	vs := cfg.VirtualServers[0]
	if vs.Scheduler != "wlc" || vs.Method != "NAT" || vs.Timing.DelayLoop != 60*time.Second || vs.Timing.ConnectTimeout != 5*time.Second || vs.Quorum != 1 {
		t.Errorf("virtual server defaults: %+v", vs)
	}
	cks := vs.RealServers[0].Checkers
	type tm struct {
		retry int
		dbr   time.Duration
	}
	gotT := []tm{{cks[0].Timing.Retry, cks[0].Timing.DelayBeforeRetry}, {cks[1].Timing.Retry, cks[1].Timing.DelayBeforeRetry}, {cks[2].Timing.Retry, cks[2].Timing.DelayBeforeRetry}}
	wantT := []tm{{1, time.Second}, {1, 3 * time.Second}, {0, time.Second}}
	if d := cmp.Diff(wantT, gotT, cmp.AllowUnexported(tm{})); d != "" {
		t.Errorf("checker timing (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"/bin/check", "arg"}, cks[2].Misc.Command.Args); d != "" {
		t.Errorf("misc argv: %s", d)
	}
	if cks[1].HTTP.URLs[0].StatusCodes[0] != (StatusRange{200, 299}) || cks[0].ConnectPort != 80 {
		t.Errorf("http defaults: %+v", cks[1].HTTP)
	}
}

func TestStrictSetsAcceptAndLowerPrio(t *testing.T) {
	cfg := load(t, `global_defs {
    vrrp_strict
}
vrrp_instance V {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        192.0.2.1
    }
}
`)
	v := cfg.Instances[0]
	if v.Accept || !v.LowerPrioNoAdvert || !v.Strict {
		t.Errorf("strict: accept=%v lowerPrioNoAdvert=%v strict=%v", v.Accept, v.LowerPrioNoAdvert, v.Strict)
	}
}

func TestIPv6InstanceRunsV3(t *testing.T) {
	cfg := load(t, `vrrp_instance V6 {
    interface eth0
    virtual_router_id 1
    advert_int 0.5
    virtual_ipaddress {
        fe80::1/64 dev eth0 scope link
        2001:db8::1/64
    }
}
`)
	if v := cfg.Instances[0]; v.Version != 3 || v.Family != 6 || v.VIPs[0].Scope != ScopeLink {
		t.Errorf("got version %d family %d vip %+v", v.Version, v.Family, v.VIPs[0])
	}
}

func TestUnsupportedKeywords(t *testing.T) {
	list := UnsupportedKeywords()
	found := map[string]bool{}
	for _, r := range list {
		if r.Keyword.Status != Unimplemented {
			t.Errorf("%s %s listed but implemented", r.Block, r.Keyword.Name)
		}
		found[r.Block+" "+r.Keyword.Name] = true
	}
	// Every keepalived 2.2.7 keyword is implemented (issues 11, 12, 14, 16):
	// a keyword marked unimplemented again shows up here.
	if len(list) != 0 {
		t.Errorf("%d keywords listed as unsupported, want none", len(list))
	}
	for _, impl := range []string{"vrrp_instance priority", "global_defs router_id", "top level vrrp_script", "top level bfd_instance", "bfd_instance min_rx", "vrrp_instance track_bfd", "vrrp_sync_group track_bfd", "global_defs enable_snmp_vrrp", "global_defs enable_dbus", "global_defs dbus_service_name", "global_defs nftables", "global_defs vrrp_iptables", "bfd_instance vrrp", "bfd_instance checker", "real_server BFD_CHECK", "BFD_CHECK name", "BFD_CHECK alpha"} {
		if found[impl] {
			t.Errorf("%q listed as unsupported", impl)
		}
	}
}

func TestCheckHost(t *testing.T) {
	cfg, _ := Load(filepath.Join("testdata", "seed_nginx_master.conf"), LoadOptions{})
	ds := CheckHost(cfg, []string{"lo"})
	want := "testdata/seed_nginx_master.conf:11:15: error: vrrp_instance VI_1: interface ens33 does not exist; this host has lo"
	if len(ds) != 1 || ds[0].String() != want {
		t.Errorf("got %v, want %s", ds, want)
	}
	if ds := CheckHost(cfg, []string{"ens33", "lo"}); len(ds) != 0 {
		t.Errorf("unexpected: %v", ds)
	}
}

func TestDump(t *testing.T) {
	cfg, _ := Load(filepath.Join("testdata", "seed_nginx_backup.conf"), LoadOptions{})
	var b bytes.Buffer
	if err := Dump(&b, cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"vrrp_instance VI_1  # testdata/seed_nginx_backup.conf:9:1",
		"  priority 90",
		"  virtual_ipaddress 10.240.30.103/32",
		"  authentication PASS 1111",
		"  garp_master_delay 5s",
	} {
		if !strings.Contains(b.String(), want+"\n") {
			t.Errorf("dump lacks %q:\n%s", want, b.String())
		}
	}
}

func TestDiff(t *testing.T) {
	old := load(t, base+"virtual_server 192.0.2.10 80 {\n    protocol TCP\n    real_server 192.0.2.20 80 {\n    }\n}\n")
	// Moving lines (positions) is not a change; priority is.
	same := load(t, "\n\n"+base+"virtual_server 192.0.2.10 80 {\n    protocol TCP\n    real_server 192.0.2.20 80 {\n    }\n}\n")
	if d := Diff(old, same); !d.Instances.Empty() || !d.VirtualServers.Empty() || !d.RealServers.Empty() || d.GlobalChanged {
		t.Errorf("diff of identical configs: %+v", d)
	}
	nw := load(t, strings.Replace(base, "priority 100", "priority 110", 1)+
		strings.Replace(strings.Replace(base[strings.Index(base, "vrrp_instance"):], "VI_1", "VI_2", 1), "51", "52", 1)+
		"virtual_server 192.0.2.10 80 {\n    protocol TCP\n    real_server 192.0.2.21 80 {\n    }\n}\n")
	got := Diff(old, nw)
	want := ConfigDiff{
		Instances:   Change{Added: []string{"VI_2"}, Changed: []string{"VI_1"}},
		RealServers: Change{Added: []string{"192.0.2.10:80/TCP -> 192.0.2.21:80"}, Removed: []string{"192.0.2.10:80/TCP -> 192.0.2.20:80"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Diff (-want +got):\n%s", d)
	}
}
