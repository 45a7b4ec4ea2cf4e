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
