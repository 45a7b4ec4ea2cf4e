package config

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// withBlocks puts virtual_ipaddress options, virtual_routes and
// virtual_rules lines into base's instance.
func withBlocks(vipOpts string, routes, rules []string) string {
	extra := ""
	if routes != nil {
		extra += "    virtual_routes {\n        " + strings.Join(routes, "\n        ") + "\n    }\n"
	}
	if rules != nil {
		extra += "    virtual_rules {\n        " + strings.Join(rules, "\n        ") + "\n    }\n"
	}
	return strings.Replace(strings.Replace(base, "192.0.2.10/24", "192.0.2.10/24"+vipOpts, 1), "    advert_int 1\n", "    advert_int 1\n"+extra, 1)
}

// onlyOne returns the one element of list.
func onlyOne[T any](t *testing.T, list []T) T {
	t.Helper()
	if len(list) != 1 {
		t.Fatalf("got %d lines, want 1", len(list))
	}
	return list[0]
}

var cmpNet = []cmp.Option{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

func TestRoutes(t *testing.T) {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	tests := []struct {
		line string
		want Route
	}{
		{"198.51.100.0/24 via 192.0.2.1 dev eth0",
			Route{Type: RouteUnicast, Dst: p("198.51.100.0/24"), Via: a("192.0.2.1"), Dev: "eth0"}},
		{"203.0.113.0/24 via 192.0.2.254",
			Route{Type: RouteUnicast, Dst: p("203.0.113.0/24"), Via: a("192.0.2.254"), Dev: "eth0"}},
		{"src 192.0.2.10 to 203.0.113.0/24 via 192.0.2.1 dev eth1 table 100",
			Route{Type: RouteUnicast, Dst: p("203.0.113.0/24"), Via: a("192.0.2.1"), Src: a("192.0.2.10"), Dev: "eth1", Table: 100}},
		{"198.51.100.7 gw 192.0.2.1 metric 5 scope link no_track",
			Route{Type: RouteUnicast, Dst: p("198.51.100.7/32"), Via: a("192.0.2.1"), Dev: "eth0", Metric: 5, Scope: ScopeLink, NoTrack: true}},
		{"blackhole 198.51.100.0/24 table main",
			Route{Type: RouteBlackhole, Dst: p("198.51.100.0/24"), Table: 254}},
		{"default via 192.0.2.1",
			Route{Type: RouteUnicast, Dst: p("0.0.0.0/0"), Via: a("192.0.2.1"), Dev: "eth0"}},
		{"default via 2001:db8::1",
			Route{Type: RouteUnicast, Dst: p("::/0"), Via: a("2001:db8::1"), Dev: "eth0"}},
		{"inet6 unreachable default",
			Route{Type: RouteUnreachable, Dst: p("::/0")}},
		{"2001:db8:1::/48 dev eth1 preference 1024 scope 10",
			Route{Type: RouteUnicast, Dst: p("2001:db8:1::/48"), Dev: "eth1", Metric: 1024, Scope: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			got := onlyOne(t, load(t, withBlocks("", []string{tc.line}, nil)).Instances[0].Routes)
			got.Pos = Pos{}
			if d := cmp.Diff(tc.want, got, cmpNet...); d != "" {
				t.Errorf("route (-want +got):\n%s", d)
			}
		})
	}
}

func TestRules(t *testing.T) {
	p := netip.MustParsePrefix
	tests := []struct {
		line string
		want Rule
	}{
		{"from 192.0.2.10 table 100 priority 100", Rule{From: p("192.0.2.10/32"), Table: 100, Priority: 100}},
		{"to 198.51.100.0/24 lookup 100 preference 200", Rule{To: p("198.51.100.0/24"), Table: 100, Priority: 200}},
		{"from 2001:db8::/64 to 2001:db8:1::/64 table 7 pref 5 no_track", Rule{From: p("2001:db8::/64"), To: p("2001:db8:1::/64"), Table: 7, Priority: 5, IPv6: true, NoTrack: true}},
		{"inet6 from all table local", Rule{Table: 255, IPv6: true}},
		{"fwmark 0x10/0xf0 table 100", Rule{FWMark: 16, FWMask: 0xf0, Table: 100}},
		{"from 192.0.2.10 fwmark 7 lookup 100", Rule{From: p("192.0.2.10/32"), FWMark: 7, Table: 100}},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			got := onlyOne(t, load(t, withBlocks("", nil, []string{tc.line})).Instances[0].Rules)
			got.Pos = Pos{}
			if d := cmp.Diff(tc.want, got, cmpNet...); d != "" {
				t.Errorf("rule (-want +got):\n%s", d)
			}
		})
	}
}

// TestRouteRuleVIPErrors: what the run time cannot program is refused when
// the configuration is read (so by -t), at the offending word.
func TestRouteRuleVIPErrors(t *testing.T) {
	// base's advert_int is line 9: the block opens on line 10, its first line is 11.
	tests := []struct {
		name, conf, want string
	}{
		{"route bad gateway", withBlocks("", []string{"198.51.100.0/24 via 192.0.2.300"}, nil),
			"t.conf:11:29: error: virtual_routes: via '192.0.2.300' is not an IP address"},
		{"route mixed families", withBlocks("", []string{"198.51.100.0/24 via 2001:db8::1"}, nil),
			"t.conf:11:29: error: virtual_routes: '2001:db8::1' mixes IPv4 and IPv6"},
		{"route unsupported option", withBlocks("", []string{"198.51.100.0/24 dev eth0 mtu 1400"}, nil),
			"t.conf:11:34: error: virtual_routes: route option 'mtu' is not supported yet (via, src, dev, table, metric, scope are)"},
		{"route named table", withBlocks("", []string{"198.51.100.0/24 dev eth0 table web"}, nil),
			"t.conf:11:40: error: virtual_routes: table 'web' is not a number in [1, 4294967295] or main, local, default (named tables are not supported)"},
		{"route without destination", withBlocks("", []string{"via 192.0.2.1"}, nil),
			"t.conf:11:9: error: virtual_routes: no destination in 'via 192.0.2.1'"},
		{"route bad destination", withBlocks("", []string{"198.51.100.0/33 dev eth0"}, nil),
			"t.conf:11:9: error: virtual_routes: '198.51.100.0/33' is not an address, ADDR/LEN or default"},
		{"route two destinations", withBlocks("", []string{"198.51.100.0/24 203.0.113.0/24"}, nil),
			"t.conf:11:25: error: virtual_routes: unexpected '203.0.113.0/24' after the destination"},
		{"blackhole with gateway", withBlocks("", []string{"blackhole 198.51.100.0/24 via 192.0.2.1"}, nil),
			"t.conf:11:9: error: virtual_routes: a blackhole route has no gateway or device"},
		{"route scope", withBlocks("", []string{"198.51.100.0/24 dev eth0 scope planet"}, nil),
			"t.conf:11:40: error: virtual_routes: scope 'planet' is not one of global|site|link|host|nowhere or a number 0-255"},
		{"route option without value", withBlocks("", []string{"198.51.100.0/24 metric"}, nil),
			"t.conf:11:25: error: virtual_routes: 'metric' needs a value"},
		{"rule without table", withBlocks("", nil, []string{"from 192.0.2.10"}),
			"t.conf:11:9: error: virtual_rules: 'from 192.0.2.10' has no table (only table/lookup rules are supported)"},
		{"rule iif", withBlocks("", nil, []string{"iif eth0 table 100"}),
			"t.conf:11:9: error: virtual_rules: rule selector 'iif' is not supported yet (from, to, fwmark, table, priority are)"},
		{"rule bad fwmark", withBlocks("", nil, []string{"fwmark 7/x table 100"}),
			"t.conf:11:16: error: virtual_rules: fwmark '7/x' is not N or N/MASK (32-bit numbers)"},
		{"rule bad priority", withBlocks("", nil, []string{"from 192.0.2.10 table 100 priority -1"}),
			"t.conf:11:44: error: virtual_rules: priority '-1' is not a number in [0, 4294967295]"},
		{"rule mixed families", withBlocks("", nil, []string{"from 192.0.2.10 to 2001:db8::/64 table 100"}),
			"t.conf:11:28: error: virtual_rules: '2001:db8::/64' mixes IPv4 and IPv6"},
		{"VIP brd IPv6 address", withBlocks(" brd 2001:db8::ff", nil, nil),
			"t.conf:11:27: error: virtual_ipaddress 192.0.2.10/24: brd '2001:db8::ff' is not an IPv4 address, '+' or '-'"},
		{"VIP scope", withBlocks(" scope galaxy", nil, nil),
			"t.conf:11:29: error: virtual_ipaddress 192.0.2.10/24: scope 'galaxy' is not one of global|site|link|host|nowhere or a number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := LoadBytes("t.conf", []byte(tc.conf), LoadOptions{})
			var lines []string
			for _, d := range ds {
				lines = append(lines, d.String())
				if d.String() == tc.want {
					return
				}
			}
			t.Errorf("want %q, got:\n%s", tc.want, strings.Join(lines, "\n"))
		})
	}
}

func TestVIPBroadcastAndScope(t *testing.T) {
	cfg := load(t, strings.Replace(base, "192.0.2.10/24", "192.0.2.10/24 brd + scope host\n        192.0.2.11/24 brd 192.0.2.127\n        192.0.2.12/31 brd +\n        192.0.2.13/24 brd -", 1))
	a := netip.MustParseAddr
	type vip struct {
		brd   netip.Addr
		scope Scope
	}
	var got []vip
	for _, v := range cfg.Instances[0].VIPs {
		got = append(got, vip{v.Broadcast, v.Scope})
	}
	want := []vip{{a("192.0.2.255"), ScopeHost}, {a("192.0.2.127"), ScopeGlobal}, {}, {}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(vip{}), cmpNet[0]); d != "" {
		t.Errorf("VIPs (-want +got):\n%s", d)
	}
	cfg = load(t, `vrrp_instance V6 {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        fe80::1/64
        2001:db8::1/64 scope site
    }
}
`)
	if v := cfg.Instances[0].VIPs; v[0].Scope != ScopeLink || v[1].Scope != ScopeSite {
		t.Errorf("IPv6 scopes: %v, %v; want link (default for link-local), site", v[0].Scope, v[1].Scope)
	}
	_, ds := LoadBytes("t.conf", []byte(strings.Replace(cfgText6, "2001:db8::1/64", "2001:db8::1/64 brd +", 1)), LoadOptions{})
	if !strings.Contains(ds.Error(), "brd applies only to IPv4 addresses") {
		t.Errorf("brd on IPv6: got %s", ds.Error())
	}
}

const cfgText6 = `vrrp_instance V6 {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        2001:db8::1/64
    }
}
`

func TestParseScope(t *testing.T) {
	for in, want := range map[string]Scope{"global": 0, "universe": 0, "site": 200, "link": 253, "host": 254, "nowhere": 255, "17": 17} {
		if got, ok := parseScope(in); !ok || got != want {
			t.Errorf("parseScope(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "lan", "256", "-1"} {
		if _, ok := parseScope(in); ok {
			t.Errorf("parseScope(%q) accepted", in)
		}
	}
}
