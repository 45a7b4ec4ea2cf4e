package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const bgpBase = `
vrrp_instance VI_1 {
    interface lo
    virtual_router_id 1
    priority 100
    virtual_ipaddress {
        203.0.113.10/32
    }
}
virtual_server 198.51.100.10 80 {
    protocol TCP
    lvs_sched rr
    real_server 192.0.2.20 80 {
    }
}
bfd_instance tor {
    neighbor_ip 192.0.2.254
}
`

func TestBGPBlock(t *testing.T) {
	cfg := load(t, bgpBase+`
bgp {
    router_id 192.0.2.1
    local_as 65001
    listen_port 1790
    graceful_shutdown_delay 2.5
    neighbor 192.0.2.254 {
        remote_as 65000
        hold_time 9
        password s3cret
        track_bfd tor
        multihop 2
        local_address 192.0.2.1
        passive
    }
    neighbor 2001:db8::fe {
        remote_as 4200000000
        ttl_security 1
        keepalive_time 5
    }
    announce_vrrp VI_1 {
        backup prepend 3
        community 65001:100 no-export
        large_community 65001:1:2
        local_pref 200
    }
    announce_virtual_server 198.51.100.10 80 {
        med 10
    }
}
`)
	want := &BGP{RouterID: netip.MustParseAddr("192.0.2.1"), LocalAS: 65001, ListenPort: 1790, GracefulShutdownDelay: 2500 * time.Millisecond,
		Neighbors: []*BGPNeighbor{
			{Address: netip.MustParseAddr("192.0.2.254"), RemoteAS: 65000, Port: 179, HoldTime: 9 * time.Second, KeepaliveTime: 3 * time.Second,
				Password: "s3cret", TrackBFD: "tor", Multihop: 2, LocalAddress: netip.MustParseAddr("192.0.2.1"), Passive: true},
			// defaults: hold 90 s, keepalive given.
			{Address: netip.MustParseAddr("2001:db8::fe"), RemoteAS: 4200000000, Port: 179, HoldTime: 90 * time.Second, KeepaliveTime: 5 * time.Second, TTLSecurity: 1},
		},
		VRRP: []*BGPAnnounce{{Instance: "VI_1", Backup: "prepend", BackupValue: 3, Communities: []uint32{65001<<16 | 100, 0xFFFFFF01},
			LargeCommunities: [][3]uint32{{65001, 1, 2}}, LocalPref: 200, MED: -1}},
		VirtualServers: []*BGPAnnounce{{Addr: netip.MustParseAddr("198.51.100.10"), Port: 80, LocalPref: -1, MED: 10}},
	}
	if diff := cmp.Diff(want, cfg.BGP, cmpopts.IgnoreFields(BGP{}, "Pos"), cmpopts.IgnoreFields(BGPNeighbor{}, "Pos"),
		cmpopts.IgnoreFields(BGPAnnounce{}, "Pos"), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("bgp (-want +got):\n%s", diff)
	}
	var b strings.Builder
	if err := Dump(&b, cfg); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"bgp  # t.conf:", "(gokeepalived only)", "    password (set)", "    backup prepend 3",
		"    community 65001:100 65535:65281", "    large_community 65001:1:2", "  announce_virtual_server 198.51.100.10:80  # t.conf:",
		"    med 10", "  graceful_shutdown_delay 2.5s"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("dump lacks %q:\n%s", line, b.String())
		}
	}
	if strings.Contains(b.String(), "s3cret") {
		t.Error("the dump shows the TCP MD5 password")
	}
}

// TestBGPErrors: each broken bgp block is refused with exactly this
// message at this position.
func TestBGPErrors(t *testing.T) {
	nb := "    neighbor 192.0.2.254 {\n        remote_as 65000\n    }\n"
	head := "bgp {\n    router_id 192.0.2.1\n    local_as 65001\n"
	// bgpBase has 18 lines after its leading newline: bgp starts on line 19.
	for _, tc := range []struct{ name, body, want string }{
		{"no router_id", "bgp {\n    local_as 65001\n" + nb + "}\n", "t.conf:19:1: error: bgp: 'router_id' is required"},
		{"no local_as", "bgp {\n    router_id 192.0.2.1\n" + nb + "}\n", "t.conf:19:1: error: bgp: 'local_as' is required"},
		{"no neighbor", head + "}\n", "t.conf:19:1: error: bgp: no 'neighbor' to announce to"},
		{"v6 router id", "bgp {\n    router_id 2001:db8::1\n    local_as 65001\n" + nb + "}\n", "t.conf:20:15: error: bgp: router_id '2001:db8::1' must be an IPv4 address (a 32-bit BGP identifier)"},
		{"as 0", "bgp {\n    router_id 192.0.2.1\n    local_as 0\n" + nb + "}\n", "t.conf:21:14: error: local_as '0' is out of range [1, 4294967295]"},
		{"no remote_as", head + "    neighbor 192.0.2.254 {\n    }\n}\n", "t.conf:22:5: error: bgp neighbor 192.0.2.254: 'remote_as' is required"},
		{"bad neighbor", head + "    neighbor router1 {\n        remote_as 65000\n    }\n}\n", "t.conf:22:14: error: bgp neighbor: 'router1' is not an IP address"},
		{"hold 2", head + "    neighbor 192.0.2.254 {\n        remote_as 65000\n        hold_time 2\n    }\n}\n",
			"t.conf:24:19: error: bgp neighbor: hold_time 2: must be 0 or at least 3 seconds (RFC 4271)"},
		{"keepalive >= hold", head + "    neighbor 192.0.2.254 {\n        remote_as 65000\n        hold_time 3\n        keepalive_time 3\n    }\n}\n",
			"t.conf:25:9: error: bgp neighbor 192.0.2.254: keepalive_time 3s must be less than hold_time 3s"},
		{"multihop and gtsm", head + "    neighbor 192.0.2.254 {\n        remote_as 65000\n        multihop 2\n        ttl_security 1\n    }\n}\n",
			"t.conf:25:9: error: bgp neighbor 192.0.2.254: 'multihop' and 'ttl_security' exclude each other"},
		{"duplicate neighbor", head + nb + nb + "}\n", "t.conf:25:5: error: bgp: neighbor 192.0.2.254 is already defined at t.conf:22:5"},
		{"unknown bfd", head + "    neighbor 192.0.2.254 {\n        remote_as 65000\n        track_bfd nope\n    }\n}\n",
			"t.conf:22:5: error: bgp neighbor 192.0.2.254: track_bfd nope names no bfd_instance"},
		{"unknown instance", head + nb + "    announce_vrrp VI_9 {\n    }\n}\n", "t.conf:25:5: error: bgp: announce_vrrp VI_9 names no vrrp_instance"},
		{"unknown vs", head + nb + "    announce_virtual_server 198.51.100.10 443 {\n    }\n}\n",
			"t.conf:25:5: error: bgp: announce_virtual_server 198.51.100.10:443 names no virtual_server"},
		{"bad community", head + nb + "    announce_vrrp VI_1 {\n        community 65001:70000\n    }\n}\n",
			"t.conf:26:19: error: bgp: community '65001:70000' is not ASN:VALUE (each 0-65535), no-export or no-advertise"},
		{"bad large community", head + nb + "    announce_vrrp VI_1 {\n        large_community 1:2\n    }\n}\n",
			"t.conf:26:25: error: bgp: large_community '1:2' is not GLOBAL:DATA1:DATA2 (each 0-4294967295)"},
		{"prepend without count", head + nb + "    announce_vrrp VI_1 {\n        backup prepend\n    }\n}\n", "t.conf:26:16: error: bgp: 'backup prepend' needs a value"},
		{"prepend 11", head + nb + "    announce_vrrp VI_1 {\n        backup prepend 11\n    }\n}\n", "t.conf:26:24: error: bgp: 'backup prepend 11': the count must be in [1, 10]"},
		{"backup on vs", head + nb + "    announce_virtual_server 198.51.100.10 {\n        backup withdraw\n    }\n}\n",
			"t.conf:26:9: error: bgp virtual_server 198.51.100.10: 'backup' is for announce_vrrp; a virtual server is announced while its quorum is up"},
		{"unknown keyword", head + nb + "    neighbour 192.0.2.9 {\n    }\n}\n", "t.conf:25:5: error: unknown keyword 'neighbour' in bgp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := LoadBytes("t.conf", []byte(bgpBase+tc.body), LoadOptions{})
			var errs []string
			for _, d := range ds {
				if !strings.Contains(d.String(), ": warning: ") {
					errs = append(errs, d.String())
				}
			}
			got := strings.Join(errs, "\n")
			if !strings.Contains(got, tc.want) {
				t.Errorf("got:\n%s\nwant first:\n%s", got, tc.want)
			}
		})
	}
}

// TestLoadBGPFile: --bgp-config's file holds one bgp block, checked
// against the main configuration; anything else in it is refused.
func TestLoadBGPFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.conf", "bgp {\n  router_id 192.0.2.1\n  local_as 65001\n  neighbor 192.0.2.254 {\n    remote_as 65000\n  }\n  announce_vrrp VI_1 {\n  }\n}\n")
	cfg := load(t, bgpBase)
	if ds := LoadBGP(good, LoadOptions{}, cfg); ds.HasErrors() {
		t.Fatalf("good file refused: %s", ds.Error())
	}
	if cfg.BGP == nil || cfg.BGP.VRRP[0].Instance != "VI_1" {
		t.Fatalf("bgp not loaded: %+v", cfg.BGP)
	}
	for _, tc := range []struct{ name, text, want string }{
		{"other block", "global_defs {\n}\n", ":1:1: error: 'global_defs' does not belong in a --bgp-config file, which holds one 'bgp' block"},
		{"empty", "\n", ":1:1: error: no 'bgp' block in the --bgp-config file"},
		{"dangling ref", "bgp {\n  router_id 192.0.2.1\n  local_as 65001\n  neighbor 192.0.2.254 {\n    remote_as 65000\n  }\n  announce_vrrp VI_2 {\n  }\n}\n",
			":7:3: error: bgp: announce_vrrp VI_2 names no vrrp_instance"},
	} {
		p := write(tc.name+".conf", tc.text)
		ds := LoadBGP(p, LoadOptions{}, load(t, bgpBase))
		if !ds.HasErrors() || !strings.Contains(ds.Error(), p+tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, ds.Error(), p+tc.want)
		}
	}
	// Twice: the main file's block wins and the second is refused.
	cfg2 := load(t, bgpBase)
	LoadBGP(good, LoadOptions{}, cfg2)
	if ds := LoadBGP(good, LoadOptions{}, cfg2); !strings.Contains(ds.Error(), "a 'bgp' block is already in the main configuration") {
		t.Errorf("second bgp block: %s", ds.Error())
	}
}
