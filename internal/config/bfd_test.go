package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestBFDInstance(t *testing.T) {
	cfg := load(t, `
bfd_instance frr {
    neighbor_ip 192.0.2.2
    source_ip 192.0.2.1
    min_rx 50
    min_tx 20.5
    idle_tx 2000
    multiplier 3
    passive
    ttl 250
    max_hops 5
    weight -10 reverse
}
bfd_instance v6 {
    neighbour_ip 2001:db8::2
}
bfd_instance v6b {
    neighbor_ip 2001:db8::3
    hoplimit 255
}
`)
	want := []*BFDInstance{
		{Name: "frr", Neighbor: netip.MustParseAddr("192.0.2.2"), Source: netip.MustParseAddr("192.0.2.1"),
			MinRx: 50 * time.Millisecond, MinTx: 20500 * time.Microsecond, IdleTx: 2 * time.Second, Multiplier: 3,
			Passive: true, TTL: 250, MaxHops: 5, Weight: -10, Reverse: true},
		// keepalived's defaults: 10 ms, 10 ms, 1 s, multiplier 5; hop limit 64 for IPv6.
		{Name: "v6", Neighbor: netip.MustParseAddr("2001:db8::2"), MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond,
			IdleTx: time.Second, Multiplier: 5, TTL: 64},
		{Name: "v6b", Neighbor: netip.MustParseAddr("2001:db8::3"), MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond,
			IdleTx: time.Second, Multiplier: 5, TTL: 255},
	}
	if diff := cmp.Diff(want, cfg.BFDInstances, cmpopts.IgnoreFields(BFDInstance{}, "Pos"), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	var sb strings.Builder
	if err := Dump(&sb, cfg); err != nil {
		t.Fatal(err)
	}
	d := sb.String()
	for _, s := range []string{"bfd_instance frr", "min_tx 0.0205s", "neighbor_ip 2001:db8::2", "ttl 64", "passive true"} {
		if !strings.Contains(d, s) {
			t.Errorf("dump lacks %q:\n%s", s, d)
		}
	}
}

func TestBFDInstanceErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"no_neighbor", "bfd_instance a {\n min_rx 10\n}\n", "has no 'neighbor_ip'"},
		{"families", "bfd_instance a {\n neighbor_ip 192.0.2.2\n source_ip 2001:db8::1\n}\n", "different families"},
		{"twice", "bfd_instance a {\n neighbor_ip 192.0.2.2\n}\nbfd_instance a {\n neighbor_ip 192.0.2.3\n}\n", "defined twice"},
		{"same_peer", "bfd_instance a {\n neighbor_ip 192.0.2.2\n}\nbfd_instance b {\n neighbor_ip 192.0.2.2\n}\n", "same neighbor_ip and source_ip"},
		{"idle_tx_below_1s", "bfd_instance a {\n neighbor_ip 192.0.2.2\n idle_tx 999\n}\n", "idle_tx"},
		{"min_rx_0", "bfd_instance a {\n neighbor_ip 192.0.2.2\n min_rx 0\n}\n", "min_rx"},
		{"multiplier_0", "bfd_instance a {\n neighbor_ip 192.0.2.2\n multiplier 0\n}\n", "multiplier"},
		{"weight_range", "bfd_instance a {\n neighbor_ip 192.0.2.2\n weight 254\n}\n", "weight"},
		{"vrrp_takes_no_argument", "bfd_instance a {\n neighbor_ip 192.0.2.2\n vrrp yes\n}\n", "vrrp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := LoadBytes("t.conf", []byte(tc.text), LoadOptions{})
			if !ds.HasErrors() || !strings.Contains(ds.Error(), tc.want) {
				t.Errorf("diagnostics %q, want an error with %q", ds.Error(), tc.want)
			}
		})
	}
}

// trackBFDConf is a bfd_instance nbr and a vrrp_instance V whose
// track_bfd block holds line.
func trackBFDConf(line string) string {
	return `bfd_instance nbr {
    neighbor_ip 192.0.2.2
}
vrrp_instance V {
    interface eth0
    virtual_router_id 1
    priority 100
    virtual_ipaddress {
        192.0.2.100
    }
    track_bfd {
        ` + line + `
    }
}
`
}

func TestTrackBFD(t *testing.T) {
	cfg := load(t, trackBFDConf("nbr weight -20 reverse")+`vrrp_sync_group G {
    group {
        V
    }
    sync_group_tracking_weight
    track_bfd {
        nbr
    }
}
`)
	if got := cfg.Instances[0].TrackBFD; len(got) != 1 || got[0].Name != "nbr" || got[0].Weight != -20 || !got[0].Reverse {
		t.Errorf("vrrp_instance track_bfd %+v", got)
	}
	if got := cfg.SyncGroups[0].TrackBFD; len(got) != 1 || got[0].Name != "nbr" || got[0].HasWeight {
		t.Errorf("vrrp_sync_group track_bfd %+v", got)
	}
	_, ds := LoadBytes("t.conf", []byte(trackBFDConf("nbrr")), LoadOptions{})
	if !strings.Contains(ds.Error(), "track_bfd 'nbrr' is not defined (no bfd_instance nbrr); did you mean 'nbr'?") {
		t.Errorf("diagnostics %q", ds.Error())
	}
}

// bfdCheckConf is bfd_instance blocks, then a virtual server whose real
// server has the given checker blocks.
func bfdCheckConf(bfds, checkers string) string {
	return bfds + `
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.2 80 {
` + checkers + `
    }
}
`
}

func TestBFDCheck(t *testing.T) {
	cfg := load(t, bfdCheckConf(`bfd_instance nbr {
    neighbor_ip 198.51.100.2
}
bfd_instance chk {
    neighbor_ip 198.51.100.3
    checker
}
`, `        BFD_CHECK {
            name nbr
        }
        BFD_CHECK {
            name chk
            alpha
        }`))
	cks := cfg.VirtualServers[0].RealServers[0].Checkers
	if len(cks) != 2 || cks[0].Type != "BFD_CHECK" || cks[0].BFD == nil || cks[0].BFD.Name != "nbr" || cks[0].Alpha ||
		cks[1].BFD.Name != "chk" || !cks[1].Alpha {
		t.Fatalf("checkers %+v", cks)
	}
	if b := cfg.BFDInstances; !b[0].TellsVRRP() || !b[0].TellsCheckers() || b[1].TellsVRRP() || !b[1].TellsCheckers() {
		t.Errorf("vrrp/checker: %+v %+v", b[0], b[1])
	}
	var sb strings.Builder
	if err := Dump(&sb, cfg); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"BFD_CHECK  #", "name nbr", "name chk", "checker true"} {
		if !strings.Contains(sb.String(), s) {
			t.Errorf("dump lacks %q:\n%s", s, sb.String())
		}
	}
}

func TestBFDCheckErrors(t *testing.T) {
	nbr := "bfd_instance nbr {\n neighbor_ip 198.51.100.2\n}\n"
	vrrpOnly := "bfd_instance nbr {\n neighbor_ip 198.51.100.2\n vrrp\n}\n"
	chkOnly := "bfd_instance nbr {\n neighbor_ip 198.51.100.2\n checker\n}\n"
	for _, tc := range []struct{ name, text, want string }{
		{"no_name", bfdCheckConf(nbr, "BFD_CHECK {\n alpha\n}"), "BFD_CHECK has no name"},
		{"undefined", bfdCheckConf(nbr, "BFD_CHECK {\n name nbrr\n}"), "BFD_CHECK name 'nbrr' is not defined (no bfd_instance nbrr); did you mean 'nbr'?"},
		{"twice", bfdCheckConf(nbr, "BFD_CHECK {\n name nbr\n}\nBFD_CHECK {\n name nbr\n}"), "already follows bfd_instance nbr"},
		{"two_names", bfdCheckConf(nbr, "BFD_CHECK {\n name nbr other\n}"), "name"},
		{"vrrp_only", bfdCheckConf(vrrpOnly, "BFD_CHECK {\n name nbr\n}"), "has 'vrrp' and not 'checker': only track_bfd hears it"},
		{"checker_only_tracked", strings.Replace(trackBFDConf("nbr"), "neighbor_ip 192.0.2.2\n", "neighbor_ip 192.0.2.2\n    checker\n", 1),
			"has 'checker' and not 'vrrp': only BFD_CHECK hears it"},
		{"checker_only_ok_for_bfd_check", bfdCheckConf(chkOnly, "BFD_CHECK {\n name nbr\n}"), ""},
		{"both_keywords", bfdCheckConf("bfd_instance nbr {\n neighbor_ip 198.51.100.2\n vrrp\n checker\n}\n", "BFD_CHECK {\n name nbr\n}"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := LoadBytes("t.conf", []byte(tc.text), LoadOptions{})
			if tc.want == "" {
				if ds.HasErrors() {
					t.Errorf("refused: %s", ds.Error())
				}
				return
			}
			if !ds.HasErrors() || !strings.Contains(ds.Error(), tc.want) {
				t.Errorf("diagnostics %q, want an error with %q", ds.Error(), tc.want)
			}
		})
	}
}

func TestBFDProcessKnobs(t *testing.T) {
	cfg, ds := LoadBytes("t.conf", []byte(`global_defs {
    bfd_priority -7
    bfd_rt_priority 30
    bfd_no_swap
    bfd_cpu_affinity 0
    bfd_rlimit_rtime 20000
    bfd_process_name my_bfd
}
`), LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	if !strings.Contains(ds.Error(), "'bfd_rlimit_rtime' is deprecated; use 'bfd_rlimit_rttime'") {
		t.Errorf("no deprecation warning: %q", ds.Error())
	}
	want := ProcessKnobs{Nice: -7, RTPriority: 30, NoSwap: true, CPUs: []int{0}, RLimitRTTime: 20000}
	if diff := cmp.Diff(want, cfg.Global.BFDProc); diff != "" || cfg.Global.BFDProcessName != "my_bfd" {
		t.Errorf("(-want +got)\n%s name %q", diff, cfg.Global.BFDProcessName)
	}
	var sb strings.Builder
	if err := Dump(&sb, cfg); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"bfd_priority -7", "bfd_rt_priority 30", "bfd_no_swap true", "bfd_cpu_affinity 0", "bfd_rlimit_rttime 20000", "bfd_process_name my_bfd"} {
		if !strings.Contains(sb.String(), s) {
			t.Errorf("dump lacks %q", s)
		}
	}
	if c, _ := LoadBytes("t.conf", []byte("global_defs {\n}\n"), LoadOptions{}); c.Global.BFDProc.RLimitRTTime != 10000 {
		t.Errorf("default bfd_rlimit_rttime %d, want keepalived's 10000", c.Global.BFDProc.RLimitRTTime)
	}
	for _, bad := range []string{"bfd_rt_priority 100", "bfd_priority 20", "bfd_cpu_affinity 4096", "bfd_cpu_affinity x"} {
		if _, ds := LoadBytes("t.conf", []byte("global_defs {\n "+bad+"\n}\n"), LoadOptions{}); !ds.HasErrors() {
			t.Errorf("%q accepted", bad)
		}
	}
}
