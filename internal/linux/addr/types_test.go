package addr

import (
	"net/netip"
	"testing"
)

func TestStrings(t *testing.T) {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	tests := []struct {
		name string
		v    interface{ String() string }
		want string
	}{
		{"host vip", Host(a("192.0.2.10"), "eth0"), "192.0.2.10/32 dev eth0 scope global"},
		{"host vip v6", Host(a("2001:db8::10"), "eth0"), "2001:db8::10/128 dev eth0 scope global"},
		{"full address", Address{Prefix: p("192.0.2.10/24"), Broadcast: a("192.0.2.255"), Dev: "eth0", Scope: ScopeLink, Label: "eth0:vip", NoPrefixRoute: true},
			"192.0.2.10/24 brd 192.0.2.255 dev eth0 scope link label eth0:vip noprefixroute"},
		{"device route gets scope link", Route{Dst: p("198.51.100.0/24"), Dev: "eth0"}, "198.51.100.0/24 dev eth0 scope link"},
		{"gateway route", Route{Dst: p("198.51.100.7/24"), Via: a("192.0.2.254"), Src: a("192.0.2.10"), Dev: "eth0", Table: 100, Metric: 5},
			"198.51.100.0/24 via 192.0.2.254 src 192.0.2.10 dev eth0 table 100 metric 5"},
		{"blackhole", Route{Type: Blackhole, Dst: p("203.0.113.0/24")}, "blackhole 203.0.113.0/24"},
		{"explicit host scope", Route{Dst: p("203.0.113.1/32"), Dev: "lo", Scope: ScopeHost}, "203.0.113.1/32 dev lo scope host"},
		{"rule", Rule{From: p("192.0.2.10/32"), To: p("198.51.100.0/24"), Table: 100, Priority: 100}, "100: from 192.0.2.10/32 to 198.51.100.0/24 table 100"},
		{"rule all v6", Rule{Table: 7, IPv6: true}, "inet6 from all table 7"},
		{"rule fwmark", Rule{FWMark: 16, FWMask: 0xf0, Table: 7}, "from all fwmark 0x10/0xf0 table 7"},
		{"rule family from prefix", Rule{To: p("2001:db8::/32"), Table: 7}, "inet6 from all to 2001:db8::/32 table 7"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%s: String() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	bad := []struct {
		name string
		err  error
	}{
		{"address without device", Address{Prefix: p("192.0.2.1/32")}.validate()},
		{"address without prefix", Address{Dev: "eth0"}.validate()},
		{"label not prefixed by device", Address{Prefix: p("192.0.2.1/32"), Dev: "eth0", Label: "vip"}.validate()},
		{"label too long", Address{Prefix: p("192.0.2.1/32"), Dev: "eth0", Label: "eth0:0123456789a"}.validate()},
		{"v6 label", Address{Prefix: p("2001:db8::1/128"), Dev: "eth0", Label: "eth0:1"}.validate()},
		{"v6 broadcast", Address{Prefix: p("2001:db8::1/64"), Dev: "eth0", Broadcast: a("192.0.2.255")}.validate()},
		{"route without destination", Route{Dev: "eth0"}.validate()},
		{"route without dev or via", Route{Dst: p("198.51.100.0/24")}.validate()},
		{"route mixed families", Route{Dst: p("198.51.100.0/24"), Via: a("2001:db8::1")}.validate()},
		{"blackhole with dev", Route{Type: Blackhole, Dst: p("198.51.100.0/24"), Dev: "eth0"}.validate()},
		{"rule without table", Rule{From: p("192.0.2.1/32")}.validate()},
		{"rule mixed families", Rule{From: p("192.0.2.1/32"), To: p("2001:db8::/32"), Table: 1}.validate()},
	}
	for _, b := range bad {
		if b.err == nil {
			t.Errorf("%s: accepted", b.name)
		}
	}
	good := []error{
		Address{Prefix: p("192.0.2.1/24"), Dev: "eth0", Label: "eth0:1", Broadcast: a("192.0.2.255")}.validate(),
		Route{Type: Unreachable, Dst: p("0.0.0.0/0")}.validate(),
		Route{Dst: p("::/0"), Via: a("2001:db8::1")}.validate(),
		Rule{Table: 100}.validate(),
	}
	for i, err := range good {
		if err != nil {
			t.Errorf("good case %d rejected: %v", i, err)
		}
	}
}
