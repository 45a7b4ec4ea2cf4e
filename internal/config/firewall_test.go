package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const fwInstance = `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
%s    virtual_ipaddress {
        192.0.2.100
    }
}
`

// TestFirewallKeywords: the accept-mode firewall's keywords fill
// Global.Firewall with keepalived 2.2.7's defaults, vrrp_iptables maps onto
// the default nftables table (keepalived built without iptables), and the
// table is used only when an instance needs it.
func TestFirewallKeywords(t *testing.T) {
	for _, c := range []struct {
		name, global, inst string
		want               Firewall
		table, warn        string
	}{
		{"default, accept", "", "", Firewall{Priority: -1}, "", ""},
		{"default, no_accept", "", "    no_accept\n", Firewall{Priority: -1}, "keepalived", "no_accept: while MASTER its virtual addresses refuse all traffic"},
		{"nftables", "nftables\n", "", Firewall{Table: "keepalived", Priority: -1}, "keepalived", ""},
		{"nftables NAME and the rest", "nftables gk\nnftables_priority -7\nnftables_ifindex\nnftables_counters\n", "",
			Firewall{Table: "gk", Priority: -7, Ifindex: true, Counters: true}, "gk", ""},
		{"nftables twice", "nftables a\nnftables b\n", "", Firewall{Table: "a", Priority: -1}, "a", "nftables already specified (table 'a') - ignoring"},
		{"vrrp_iptables", "nftables gk\nvrrp_iptables IN OUT\n", "", Firewall{Table: "keepalived", Priority: -1, Iptables: []string{"IN", "OUT"}}, "keepalived",
			"uses nftables instead (table 'keepalived'"},
		{"vrrp_ipsets", "vrrp_ipsets a b\n", "", Firewall{Priority: -1, Ipsets: []string{"a", "b"}, IpsetsSet: true}, "", "the names are ignored"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, ds := LoadBytes("t.conf", []byte("global_defs {\n"+c.global+"}\n"+strings.ReplaceAll(fwInstance, "%s", c.inst)), LoadOptions{})
			if ds.HasErrors() {
				t.Fatalf("refused:\n%s", ds.Error())
			}
			if d := cmp.Diff(c.want, cfg.Global.Firewall); d != "" {
				t.Errorf("model (-want +got):\n%s", d)
			}
			if got := cfg.FirewallTable(); got != c.table {
				t.Errorf("FirewallTable %q, want %q", got, c.table)
			}
			if got := ds.Error(); (c.warn == "") != (got == "") || !strings.Contains(got, c.warn) {
				t.Errorf("diagnostics %q, want one containing %q", got, c.warn)
			}
		})
	}
	if _, ds := LoadBytes("t.conf", []byte("global_defs {\nnftables_priority x\n}\n"), LoadOptions{}); !ds.HasErrors() {
		t.Error("nftables_priority x accepted")
	}
}

// TestStrictWithoutAcceptWarns: vrrp_strict without accept warns that the
// addresses refuse traffic (keepalived users meet it as "the VIP does not
// answer"); the owner and a VRRPv3 instance with accept do not warn.
func TestStrictWithoutAcceptWarns(t *testing.T) {
	strict := "global_defs {\n    vrrp_strict\n}\n"
	for _, c := range []struct{ name, text, warn string }{
		{"strict", strict + strings.ReplaceAll(fwInstance, "%s", ""), "t.conf:4:1: warning: vrrp_instance VI_1: vrrp_strict without 'accept': while MASTER"},
		{"strict v3 accept", strict + strings.ReplaceAll(fwInstance, "%s", "    version 3\n    accept\n"), ""},
		{"strict owner", strict + strings.ReplaceAll(strings.ReplaceAll(fwInstance, "priority 100", "priority 255"), "%s", ""), ""},
		{"no_accept", strings.ReplaceAll(fwInstance, "%s", "    no_accept\n"), "t.conf:5:5: warning: vrrp_instance VI_1: no_accept: while MASTER"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, ds := LoadBytes("t.conf", []byte(c.text), LoadOptions{})
			if ds.HasErrors() {
				t.Fatalf("refused:\n%s", ds.Error())
			}
			got := ds.Error()
			if (c.warn == "") != (got == "") || !strings.Contains(got, c.warn) {
				t.Errorf("diagnostics %q, want one containing %q", got, c.warn)
			}
			if needs := cfg.Instances[0].NeedsFirewall(); needs != (c.warn != "") {
				t.Errorf("NeedsFirewall %v", needs)
			}
		})
	}
}

// TestProcessNames: process_names gives keepalived's child names,
// process_name and vrrp_process_name set theirs, checker_process_name
// warns (no checker thread), and a name over 15 characters is refused.
func TestProcessNames(t *testing.T) {
	cfg, ds := LoadBytes("t.conf", []byte("global_defs {\n    process_names\n    process_name gk\n    checker_process_name gkc\n}\n"), LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	g := cfg.Global
	if g.ProcessName != "gk" || g.VRRPProcessName != "keepalived_vrrp" || g.CheckerProcessName != "gkc" {
		t.Errorf("names %q %q %q", g.ProcessName, g.VRRPProcessName, g.CheckerProcessName)
	}
	if !strings.Contains(ds.Error(), "checker_process_name has no effect") {
		t.Errorf("diagnostics %q: want checker_process_name's warning", ds.Error())
	}
	cfg, _ = LoadBytes("t.conf", []byte("global_defs {\n    vrrp_process_name v\n}\n"), LoadOptions{})
	if cfg.Global.VRRPProcessName != "v" || cfg.Global.ProcessName != "" {
		t.Errorf("vrrp_process_name: %+v", cfg.Global)
	}
	if _, ds := LoadBytes("t.conf", []byte("global_defs {\n    process_name abcdefghijklmnop\n}\n"), LoadOptions{}); !ds.HasErrors() {
		t.Error("a 16-character process name accepted")
	}
}
