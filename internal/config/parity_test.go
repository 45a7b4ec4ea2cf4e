package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Parity fixes of issue 11: valid keepalived 2.2.7 configurations that were
// refused, and keepalived's own refusals.

func TestGARPRefreshUpToUintMax(t *testing.T) {
	cfg := load(t, `global_defs {
    vrrp_garp_master_refresh 86401
}
vrrp_instance V {
    interface eth0
    virtual_router_id 1
    garp_master_refresh 4294967295
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_instance W {
    interface eth0
    virtual_router_id 2
    virtual_ipaddress {
        192.0.2.2
    }
}
`)
	if got := cfg.Instances[0].GARP.MasterRefresh; got != 4294967295*time.Second {
		t.Errorf("garp_master_refresh = %v, want 4294967295s", got)
	}
	if got := cfg.Instances[1].GARP.MasterRefresh; got != 86401*time.Second {
		t.Errorf("inherited vrrp_garp_master_refresh = %v, want 86401s", got)
	}
	_, ds := LoadBytes("t.conf", []byte(`vrrp_instance V {
    interface eth0
    virtual_router_id 1
    garp_master_refresh 4294967296
    virtual_ipaddress {
        192.0.2.1
    }
}
`), LoadOptions{})
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "garp_master_refresh") {
		t.Errorf("garp_master_refresh above UINT_MAX accepted:\n%s", ds.Error())
	}
}

func TestUnicastAddressLengthIgnored(t *testing.T) {
	cfg, ds := LoadBytes("t.conf", []byte(`vrrp_instance V {
    interface eth0
    virtual_router_id 1
    mcast_src_ip 192.0.2.90/24
    unicast_src_ip 192.0.2.91/24
    unicast_peer {
        192.0.2.92/24
        192.0.2.93 min_ttl 1
    }
    virtual_ipaddress {
        192.0.2.1
    }
}
`), LoadOptions{})
	if ds.HasErrors() {
		t.Fatalf("refused:\n%s", ds.Error())
	}
	v := cfg.Instances[0]
	if v.UnicastSrc != netip.MustParseAddr("192.0.2.91") || v.McastSrc != netip.MustParseAddr("192.0.2.90") {
		t.Errorf("sources: unicast %v mcast %v", v.UnicastSrc, v.McastSrc)
	}
	if len(v.UnicastPeers) != 2 || v.UnicastPeers[0].Addr != netip.MustParseAddr("192.0.2.92") || v.UnicastPeers[1].MinTTL != 1 {
		t.Errorf("peers: %+v", v.UnicastPeers)
	}
	for _, want := range []string{"unicast_src_ip '192.0.2.91/24': '/24' is ignored", "mcast_src_ip '192.0.2.90/24'",
		"unicast_peer '192.0.2.92/24': '/24' is ignored"} {
		if !strings.Contains(ds.Error(), want) {
			t.Errorf("no warning %q in:\n%s", want, ds.Error())
		}
	}
	if n := strings.Count(ds.Error(), "is ignored"); n != 3 {
		t.Errorf("%d 'is ignored' warnings, want 3 (none for the peer without a length):\n%s", n, ds.Error())
	}
	for _, bad := range []string{"unicast_src_ip 192.0.2.300/24", "unicast_peer {\n        192.0.2.300/24\n    }"} {
		_, ds := LoadBytes("t.conf", []byte("vrrp_instance V {\n    interface eth0\n    virtual_router_id 1\n    "+bad+
			"\n    virtual_ipaddress {\n        192.0.2.1\n    }\n}\n"), LoadOptions{})
		if !ds.HasErrors() || !strings.Contains(ds.Error(), "not an IP address") {
			t.Errorf("%q accepted:\n%s", bad, ds.Error())
		}
	}
}

func TestScriptSecurityWithoutUser(t *testing.T) {
	text := func(global, scriptUser string) string {
		return "global_defs {\n" + global + "\n}\nvrrp_script chk {\n    script /bin/true\n" + scriptUser + "\n}\n" +
			"vrrp_instance V {\n    interface eth0\n    virtual_router_id 1\n    track_script {\n        chk\n    }\n" +
			"    virtual_ipaddress {\n        192.0.2.1\n    }\n}\n"
	}
	for _, c := range []struct {
		name, global, scriptUser string
		userExists, refused      bool
	}{
		{"no user anywhere", "enable_script_security", "", false, true},
		{"keepalived_script exists", "enable_script_security", "", true, false},
		{"script_user root", "enable_script_security\nscript_user root", "", false, false},
		{"the script's own user", "enable_script_security", "user root", false, false},
		{"no script security", "router_id x", "", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := load(t, text(c.global, c.scriptUser))
			var ds Diagnostics
			checkDefaultScriptUser(cfg, &ds, func(name string) bool { return name == "keepalived_script" && c.userExists })
			if ds.HasErrors() != c.refused {
				t.Fatalf("refused = %v, want %v:\n%s", ds.HasErrors(), c.refused, ds.Error())
			}
			if c.refused && !strings.Contains(ds.Error(), "Add 'script_user root' to global_defs") {
				t.Errorf("the refusal does not name the fix:\n%s", ds.Error())
			}
		})
	}
}

func TestTrackDefinedAfterInstance(t *testing.T) {
	cfg, ds := LoadBytes("t.conf", []byte(`vrrp_script early {
    script /bin/true
}
vrrp_instance V {
    interface eth0
    virtual_router_id 1
    track_script {
        late weight 10
        early
    }
    track_file {
        tf
    }
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_script late {
    script /bin/true
}
track_file tf {
    file /tmp/x
}
`), LoadOptions{})
	if ds.HasErrors() {
		t.Fatalf("refused:\n%s", ds.Error())
	}
	v := cfg.Instances[0]
	if len(v.TrackScript) != 2 || v.TrackScript[0].Name != "late" || v.TrackScript[0].Weight != 10 {
		t.Errorf("track_script not attached: %+v", v.TrackScript)
	}
	for _, want := range []string{"vrrp_instance V: track_script late is defined after it", "vrrp_instance V: track_file tf is defined after it"} {
		if !strings.Contains(ds.Error(), want) {
			t.Errorf("no warning %q in:\n%s", want, ds.Error())
		}
	}
	if strings.Contains(ds.Error(), "track_script early") {
		t.Errorf("warned about a script defined before the instance:\n%s", ds.Error())
	}
}
