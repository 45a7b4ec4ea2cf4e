package daemon

import (
	"net/netip"
	"strings"
	"testing"
)

// TestCheckVIPSubnets: a virtual address outside every subnet of its
// interface is a warning at its virtual_ipaddress line; inside one, on
// another dev, held already (the interface then lists it), or on an
// interface without an address of its family, it is not.
func TestCheckVIPSubnets(t *testing.T) {
	cfg := loadRaw(t, `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.100
        203.0.113.7
        198.51.100.9/24 dev eth1
    }
}
`)
	ifs := map[string][]netip.Prefix{
		"eth0": {netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("192.0.2.100/32"), netip.MustParsePrefix("203.0.113.7/32")},
		"eth1": {netip.MustParsePrefix("198.51.100.1/24")},
	}
	ds := CheckVIPSubnets(cfg, func(name string) ([]netip.Prefix, error) { return ifs[name], nil })
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	want := []string{"test.conf:7:9: warning: vrrp_instance VI_1: virtual_ipaddress 203.0.113.7 is outside every subnet of eth0 (192.0.2.0/24): hosts on that link reach it only if a router sends it here; a typo?"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckScriptsAtScriptLine: a missing vrrp_script command is reported
// at its script line, not at the vrrp_script block (issue 13).
func TestCheckScriptsAtScriptLine(t *testing.T) {
	cfg := loadRaw(t, `global_defs {
    enable_script_security
    script_user root
}
vrrp_script chk {
    interval 2
    script "/nonexistent/gk-chk.sh"
}
`)
	ds := CheckScripts(cfg)
	want := "test.conf:7:5: error: vrrp_script chk: script not found: /nonexistent/gk-chk.sh"
	if len(ds) != 1 || !strings.HasPrefix(ds[0].String(), want) {
		t.Errorf("got %v, want one diagnostic starting %q", ds, want)
	}
}
