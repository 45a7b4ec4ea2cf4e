package config

import (
	"net/netip"
	"strings"
	"testing"
)

func vmacInst(lines string) string {
	return "vrrp_instance V {\n    interface eth0\n    virtual_router_id 51\n" + lines + "\n    virtual_ipaddress {\n        192.0.2.100/24\n    }\n}\n"
}

// TestVMACKeywords: use_vmac's MAC (6 octets, or 5 and the VRID),
// use_vmac_addr, vmac_addr_prefix and use_ipvlan in the model and the dump,
// with keepalived 2.2.7's checks.
func TestVMACKeywords(t *testing.T) {
	cfg := load(t, "global_defs {\n    vmac_addr_prefix va\n}\n"+vmacInst("    use_vmac vr51 02:11:22:33:44\n    use_vmac_addr"))
	v := cfg.Instances[0]
	if v.VMACName != "vr51" || v.VMACMAC.String() != "02:11:22:33:44:33" || !v.UseVMACAddr || cfg.Global.VMACAddrPrefix != "va" {
		t.Errorf("use_vmac: name %q MAC %s use_vmac_addr %v prefix %q", v.VMACName, v.VMACMAC, v.UseVMACAddr, cfg.Global.VMACAddrPrefix)
	}
	d := dumpString(cfg)
	for _, want := range []string{"use_vmac vr51 02:11:22:33:44\n", "use_vmac_addr true\n", "vmac_addr_prefix va\n"} {
		if !strings.Contains(d, want) {
			t.Errorf("dump lacks %q:\n%s", want, d)
		}
	}
	if v := load(t, vmacInst("    use_vmac 02:aa:bb:cc:dd:ee")).Instances[0]; v.VMACName != "" || v.VMACMAC.String() != "02:aa:bb:cc:dd:ee" {
		t.Errorf("6 octets: name %q MAC %s", v.VMACName, v.VMACMAC)
	}

	iv := load(t, vmacInst("    use_ipvlan gk51 192.0.2.50/24 private")).Instances[0].IPVLAN
	if iv == nil || iv.Name != "gk51" || iv.Addr != netip.MustParsePrefix("192.0.2.50/24") || iv.Mode != "private" {
		t.Fatalf("use_ipvlan: %+v", iv)
	}
	if iv := load(t, vmacInst("    use_ipvlan 192.0.2.50")).Instances[0].IPVLAN; iv.Name != "" || iv.Addr.Bits() != 32 || iv.Mode != "bridge" {
		t.Errorf("use_ipvlan ADDRESS: %+v (want no name, /32, bridge)", iv)
	}
	if d := dumpString(load(t, vmacInst("    use_ipvlan vepa 192.0.2.50/24 gk51"))); !strings.Contains(d, "use_ipvlan gk51 192.0.2.50/24 vepa\n") {
		t.Errorf("use_ipvlan dump:\n%s", d)
	}

	for _, c := range []struct{ lines, want string }{
		{"    use_vmac 01:00:5e:11:22:33", "is multicast"},
		{"    use_vmac 00:00:5e:00:01:33", "RFC 5798 virtual router address"},
		{"    use_vmac 00:00:5e:00:02", "RFC 5798 virtual router address"},
		{"    use_vmac 02:11:22", "expected 6 octets"},
		{"    use_vmac 02:11:22:33:44:55:66", "expected 6 octets"},
		{"    use_vmac 02:11:22:33:44:5x5", "only hex digits"},
		{"    use_vmac 02:11:22:33:44:555", "1 or 2 hex digits"},
		{"    use_vmac a b", "name is already given"},
		{"    use_vmac averyverylongname0", "longer than 15"},
		{"    use_ipvlan", "needs an address"},
		{"    use_ipvlan 2001:db8::5", "not of the instance's family"},
		{"    use_ipvlan 192.0.2.50 bridge private", "mode is already given"},
		{"    use_ipvlan a b 192.0.2.50", "interface name is already given"},
		{"    use_ipvlan 192.0.2.50\n    use_vmac", "cannot both be given"},
		{"    use_ipvlan 192.0.2.50\n    vmac_xmit_base", "applies only to use_vmac"},
	} {
		_, ds := LoadBytes("t.conf", []byte(vmacInst(c.lines)), LoadOptions{})
		if !ds.HasErrors() || !strings.Contains(ds.Error(), c.want) {
			t.Errorf("%q: want an error with %q, got %v", c.lines, c.want, ds.Error())
		}
	}
	// vrf: a unicast instance without interface, with unicast_src_ip; its
	// addresses without dev go on default_interface.
	vrfInst := func(lines string) string {
		return "vrrp_instance V {\n    virtual_router_id 51\n" + lines + "\n    virtual_ipaddress {\n        192.0.2.100/24\n    }\n}\n"
	}
	uni := "    unicast_src_ip 192.0.2.1\n    unicast_peer {\n        192.0.2.2\n    }\n"
	if v := load(t, vrfInst(uni+"    vrf blue")).Instances[0]; v.VRF != "blue" || v.VIPs[0].Dev != "eth0" {
		t.Errorf("vrf: %q, VIP dev %q (want blue, eth0)", v.VRF, v.VIPs[0].Dev)
	} else if d := dumpString(&Config{Instances: []*Instance{v}}); !strings.Contains(d, "vrf blue\n") {
		t.Errorf("vrf dump:\n%s", d)
	}
	for _, c := range []struct{ text, want string }{
		{vmacInst(uni + "    vrf blue"), "only for an instance without interface"},
		{vrfInst("    vrf blue"), "needs unicast peers"},
		{vrfInst("    unicast_peer {\n        192.0.2.2\n    }\n    vrf blue"), "needs unicast_src_ip"},
		{vrfInst(uni + "    vrf blue\n    vrf red"), "vrf is already given"},
	} {
		_, ds := LoadBytes("t.conf", []byte(c.text), LoadOptions{})
		if !ds.HasErrors() || !strings.Contains(ds.Error(), c.want) {
			t.Errorf("%q: want an error with %q, got %v", c.text, c.want, ds.Error())
		}
	}
	// A VIP's use_vmac where it changes nothing is warned, as keepalived
	// reports it.
	_, ds := LoadBytes("t.conf", []byte("vrrp_instance V {\n    interface eth0\n    virtual_router_id 51\n    use_vmac\n    virtual_ipaddress {\n        192.0.2.100/24 use_vmac\n    }\n}\n"), LoadOptions{})
	if ds.HasErrors() || !strings.Contains(ds.Error(), "use_vmac is redundant") {
		t.Errorf("redundant VIP use_vmac: %v", ds.Error())
	}
}

func dumpString(cfg *Config) string {
	var b strings.Builder
	_ = Dump(&b, cfg)
	return b.String()
}
