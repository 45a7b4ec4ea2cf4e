package daemon

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/config"
	"gokeepalived/internal/linux/addr"
)

// TestKernelMapping: the typed virtual_ipaddress, virtual_routes and
// virtual_rules of the model become the kernel adapter's values unchanged
// (parsing is config's; see internal/config/routes_test.go).
func TestKernelMapping(t *testing.T) {
	cfg, ds := config.LoadBytes("t.conf", []byte(`vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.0.2.10/24 brd + scope host label eth0:1
        192.0.2.11/24 dev eth1 noprefixroute
    }
    virtual_ipaddress_excluded {
        2001:db8::1/64
    }
    virtual_routes {
        src 192.0.2.10 to 203.0.113.0/24 via 192.0.2.1 table 100 metric 5
        blackhole 198.51.100.0/24
    }
    virtual_rules {
        from 192.0.2.10 table 100 priority 100
        fwmark 0x10/0xf0 table 101
    }
}
`), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	in := cfg.Instances[0]
	addrs, err := kernelAddrs(in, "vrrp.51", nil)
	if err != nil {
		t.Fatal(err)
	}
	routes, rules, err := kernelRoutes(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range []any{addrs, routes, rules} {
		got = append(got, fmt.Sprint(v))
	}
	want := []string{
		// The IPv6 eVIP of this IPv4 instance goes on the interface, not
		// on the VMAC (which has the IPv4 virtual MAC), as keepalived
		// 2.2.7 places it (checked by running it).
		"[192.0.2.10/24 brd 192.0.2.255 dev vrrp.51 scope host label eth0:1 192.0.2.11/24 dev eth1 scope global noprefixroute 2001:db8::1/64 dev eth0 scope global]",
		"[203.0.113.0/24 via 192.0.2.1 src 192.0.2.10 dev eth0 table 100 metric 5 blackhole 198.51.100.0/24]",
		"[100: from 192.0.2.10/32 table 100 from all fwmark 0x10/0xf0 table 101]",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("kernel values (-want +got):\n%s", d)
	}
}

// TestKernelNumbers: config's scopes and route types are the kernel's
// numbers, which kernelAddrs and kernelRoutes convert without a table.
func TestKernelNumbers(t *testing.T) {
	scopes := map[config.Scope]addr.Scope{config.ScopeGlobal: addr.ScopeGlobal, config.ScopeSite: addr.ScopeSite,
		config.ScopeLink: addr.ScopeLink, config.ScopeHost: addr.ScopeHost, config.ScopeNowhere: addr.ScopeNowhere}
	for c, a := range scopes {
		if addr.Scope(c) != a || c.String() != a.String() {
			t.Errorf("scope %v (%d) is %v (%d) in addr", c, c, a, a)
		}
	}
	types := map[config.RouteType]addr.RouteType{config.RouteUnicast: addr.Unicast, config.RouteBlackhole: addr.Blackhole,
		config.RouteUnreachable: addr.Unreachable, config.RouteProhibit: addr.Prohibit}
	for c, a := range types {
		if addr.RouteType(c) != a || c.String() != a.String() {
			t.Errorf("route type %v (%d) is %v (%d) in addr", c, c, a, a)
		}
	}
}
