package config

import (
	"strings"
	"testing"
)

// The SNMP keywords set the global model the subagent is started from;
// the deprecated enable_snmp_keepalived sets enable_snmp_vrrp with a
// warning; the dump shows them.
func TestSNMPKeywords(t *testing.T) {
	cfg := load(t, strings.Replace(base, "router_id test", "router_id test\n    enable_snmp_vrrp\n    enable_snmp_rfcv2\n    enable_traps\n    snmp_socket tcp:127.0.0.1:705", 1))
	if g := cfg.Global; !g.EnableSNMPVRRP || !g.EnableSNMPRFCv2 || !g.EnableTraps || g.SNMPSocket != "tcp:127.0.0.1:705" {
		t.Errorf("global: vrrp %v rfcv2 %v traps %v socket %q", g.EnableSNMPVRRP, g.EnableSNMPRFCv2, g.EnableTraps, g.SNMPSocket)
	}
	var b strings.Builder
	if err := Dump(&b, cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"snmp_socket tcp:127.0.0.1:705", "enable_traps true", "enable_snmp_vrrp true", "enable_snmp_rfcv2 true"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("dump lacks %q:\n%s", want, b.String())
		}
	}
	if g := load(t, base).Global; g.EnableSNMPVRRP || g.EnableSNMPRFCv2 || g.EnableTraps || g.SNMPSocket != "" {
		t.Errorf("defaults: %+v", g)
	}
	if g := load(t, strings.Replace(base, "router_id test", "enable_snmp_rfc", 1)).Global; !g.EnableSNMPRFCv2 || !g.EnableSNMPRFCv3 || g.EnableSNMPVRRP {
		t.Errorf("enable_snmp_rfc: rfcv2 %v rfcv3 %v vrrp %v", g.EnableSNMPRFCv2, g.EnableSNMPRFCv3, g.EnableSNMPVRRP)
	}
	if g := load(t, strings.Replace(base, "router_id test", "enable_snmp_rfcv3", 1)).Global; g.EnableSNMPRFCv2 || !g.EnableSNMPRFCv3 {
		t.Errorf("enable_snmp_rfcv3: rfcv2 %v rfcv3 %v", g.EnableSNMPRFCv2, g.EnableSNMPRFCv3)
	}
	old, ds := LoadBytes("t.conf", []byte(strings.Replace(base, "router_id test", "enable_snmp_keepalived", 1)), LoadOptions{})
	if ds.HasErrors() || !old.Global.EnableSNMPVRRP || !strings.Contains(ds.Error(), "'enable_snmp_keepalived' is deprecated; use 'enable_snmp_vrrp'") {
		t.Errorf("enable_snmp_keepalived: vrrp %v, diagnostics %q", old.Global.EnableSNMPVRRP, ds.Error())
	}
}

// enable_snmp_checker and the snmp_name of a virtual and a real server
// reach the model and the dump (-d); snmp_name takes exactly one word.
func TestSNMPCheckerKeywords(t *testing.T) {
	conf := `global_defs {
    router_id test
    enable_snmp_checker
}
virtual_server 192.0.2.100 80 {
    protocol TCP
    snmp_name web-vip
    real_server 198.18.0.2 80 {
        snmp_name web-1
    }
}
`
	cfg := load(t, conf)
	if !cfg.Global.EnableSNMPChecker {
		t.Error("enable_snmp_checker not set")
	}
	vs := cfg.VirtualServers[0]
	if vs.SNMPName != "web-vip" || vs.RealServers[0].SNMPName != "web-1" {
		t.Errorf("snmp_name: vs %q rs %q", vs.SNMPName, vs.RealServers[0].SNMPName)
	}
	var b strings.Builder
	if err := Dump(&b, cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"enable_snmp_checker true", "snmp_name web-vip", "snmp_name web-1"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("dump lacks %q:\n%s", want, b.String())
		}
	}
	if g := load(t, base).Global; g.EnableSNMPChecker {
		t.Error("enable_snmp_checker set by default")
	}
	_, ds := LoadBytes("t.conf", []byte(strings.Replace(conf, "snmp_name web-1", "snmp_name web 1", 1)), LoadOptions{})
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "t.conf:9:") {
		t.Errorf("snmp_name with two words: %q", ds.Error())
	}
}
