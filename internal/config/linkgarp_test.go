package config

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

const linkGARPConf = `global_defs {
    vrrp_garp_interval 0.01
    vrrp_garp_extra_if all 30
}
garp_group {
    garp_interval 0.5
    gna_interval 0.25
    interfaces {
        eth0 eth1
    }
}
garp_group {
    garp_interval 1
    interface eth2
}
linkbeat_use_polling
linkbeat_interfaces {
    eth0
    eth1 ETHTOOL
}
interface_up_down_delays {
    eth0 0.5 2
    eth1 1
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    garp_extra_if 10
    linkbeat_use_polling
    virtual_ipaddress {
        192.0.2.10/24
        192.0.2.11/24 dev eth1
    }
}
vrrp_instance VI_2 {
    interface eth3
    virtual_router_id 52
    virtual_ipaddress {
        192.0.2.20/24
    }
}
`

// TestLinkGARPKeywords: garp_group, linkbeat_*, interface_up_down_delays
// and (vrrp_)garp_extra_if parse into the model and show in the dump.
func TestLinkGARPKeywords(t *testing.T) {
	c := load(t, linkGARPConf)
	if len(c.GARPGroups) != 2 {
		t.Fatalf("garp groups: %d", len(c.GARPGroups))
	}
	g := c.GARPGroups[0]
	if !g.Aggregate || g.Number != 1 || !g.HasGARP || g.GARPInterval != 500*time.Millisecond || !g.HasGNA || g.GNAInterval != 250*time.Millisecond ||
		strings.Join(g.Interfaces, ",") != "eth0,eth1" {
		t.Errorf("group 1: %+v", g)
	}
	if g := c.GARPGroupOf("eth2"); g == nil || g.Aggregate || g.HasGNA || g.GARPInterval != time.Second {
		t.Errorf("group of eth2: %+v", g)
	}
	if c.GARPGroupOf("eth3") != nil {
		t.Error("eth3 is in no group")
	}
	if lb := c.Linkbeat(); len(lb) != 3 || lb["eth0"] != "" || lb["eth1"] != "ETHTOOL" || lb["eth3"] != "" {
		t.Errorf("linkbeat: %v", lb)
	}
	if d, u := c.UpDownDelays("eth0"); d != 500*time.Millisecond || u != 2*time.Second {
		t.Errorf("eth0 delays %v %v", d, u)
	}
	if d, u := c.UpDownDelays("eth1"); d != time.Second || u != 0 {
		t.Errorf("eth1 delays %v %v (keepalived 2.2.7: no up delay given is 0)", d, u)
	}
	if e := c.Instances[0].GARPExtraIf; e.Interval != 10*time.Second || e.All {
		t.Errorf("VI_1 garp_extra_if %+v", e)
	}
	if e := c.Instances[1].GARPExtraIf; e.Interval != 30*time.Second || !e.All {
		t.Errorf("VI_2 inherits vrrp_garp_extra_if: %+v", e)
	}
	var buf bytes.Buffer
	if err := Dump(&buf, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"vrrp_garp_extra_if all 30", "garp_interval 0.5s", "gna_interval 0.25s", "interfaces eth0 eth1",
		"interface eth2", "linkbeat_use_polling true", "linkbeat_interfaces eth1 ETHTOOL", "interface_up_down_delays eth0 down 0.5s up 2s",
		"garp_extra_if 10", "garp_extra_if all 30"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("dump lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestLinkGARPMistakes: keepalived's refusals, with positions.
func TestLinkGARPMistakes(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"garp_group {\n interface eth0\n}\n", "t.conf:1:1: error: garp_group has no garp_interval or gna_interval"},
		{"garp_group {\n garp_interval 1\n}\n", "t.conf:1:1: error: garp_group names no interface"},
		{"garp_group {\n garp_interval 1\n interface eth0\n}\ngarp_group {\n garp_interval 2\n interface eth0\n}\n",
			"t.conf:5:1: error: garp_group: interface eth0 is already in a garp_group"},
		{"garp_group {\n garp_interval 2148\n interface eth0\n}\n", "garp_interval '2148' is out of range"},
		{"linkbeat_interfaces {\n eth0 FOO\n}\n", "t.conf:2:7: error: linkbeat_interfaces eth0: unknown polling type 'FOO'"},
		{"interface_up_down_delays {\n eth0\n}\n", "t.conf:2:2: error: interface_up_down_delays eth0: no delay given"},
		{"interface_up_down_delays {\n eth0 256\n}\n", "t.conf:2:7: error: interface_up_down_delays eth0: down delay '256'"},
		{"global_defs {\n vrrp_garp_extra_if all\n}\n", "t.conf:2:2: error: vrrp_garp_extra_if specified without time"},
		{"global_defs {\n vrrp_garp_extra_if 0\n}\n", "vrrp_garp_extra_if '0' invalid"},
		{"vrrp_instance V {\n interface eth0\n virtual_router_id 1\n garp_extra_if 86401\n}\n", "garp_extra_if '86401' invalid"},
	} {
		_, ds := LoadBytes("t.conf", []byte(c.text), LoadOptions{})
		if !strings.Contains(ds.Error(), c.want) {
			t.Errorf("%q:\n got %q\nwant %q", c.text, ds.Error(), c.want)
		}
	}
	c, _ := LoadBytes("t.conf", []byte("vrrp_instance V {\n interface eth0\n virtual_router_id 1\n garp_extra_if all 0\n}\n"), LoadOptions{})
	if c.Instances[0].GARPExtraIf.Interval != 0 {
		t.Error("garp_extra_if 0 turns it off")
	}
	ds := CheckHost(load(t, linkGARPConf), []string{"eth0", "lo"})
	for _, want := range []string{"garp_group: interface eth1 does not exist", "linkbeat_interfaces: interface eth1 does not exist",
		"interface_up_down_delays: interface eth1 does not exist"} {
		if !strings.Contains(ds.Error(), want) {
			t.Errorf("host check lacks %q: %s", want, ds.Error())
		}
	}
}
