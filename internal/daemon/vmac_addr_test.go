package daemon

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// vmacAddrConf is an instance on eth0 with an address on eth1 and an
// IPv6 one (the other family) without dev.
func vmacAddrConf(global, extra string) string {
	return global + `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
` + extra + `
    virtual_ipaddress {
        203.0.113.10/32
        198.51.100.100/24 dev eth1
    }
    virtual_ipaddress_excluded {
        2001:db8::10/64
    }
}
`
}

// TestSegmentUseVMACAddr: use_vmac_addr puts each address on another
// interface, or of the other family, on a VMAC of its own on that
// interface (keepalived's names: the first free of PREFIX.VRID,
// PREFIXn.VRID, IPv6 trying n=6 first), vmac_addr_prefix names them, the
// instance's own VMAC keeps its addresses, and every VMAC goes at stop.
// Without use_vmac_addr they stay where they were.
func TestSegmentUseVMACAddr(t *testing.T) {
	ifs := map[string]string{"eth0": "lan 192.0.2.1", "eth1": "lan2 198.51.100.1"}
	for _, c := range []struct {
		name, global, extra string
		want                map[string]string // address → device
		parents             map[string]string // VMAC → parent
	}{
		{"use_vmac and use_vmac_addr", "", "    use_vmac\n    use_vmac_addr",
			map[string]string{"203.0.113.10/32": "vrrp.51", "198.51.100.100/24": "vrrp1.51", "2001:db8::10/64": "vrrp6.51"},
			map[string]string{"vrrp.51": "eth0", "vrrp1.51": "eth1", "vrrp6.51": "eth0"}},
		{"vmac_addr_prefix", "global_defs {\n    vmac_addr_prefix va\n}\n", "    use_vmac_addr",
			map[string]string{"203.0.113.10/32": "eth0", "198.51.100.100/24": "va.51", "2001:db8::10/64": "va6.51"},
			map[string]string{"va.51": "eth1", "va6.51": "eth0"}},
		{"without use_vmac_addr", "", "",
			map[string]string{"203.0.113.10/32": "eth0", "198.51.100.100/24": "eth1", "2001:db8::10/64": "eth0"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			a := h.node("a", ifs, vmacAddrConf(c.global, c.extra))
			a.start()
			h.advance(5 * time.Second)
			if st := a.state("VI_1"); st != "MASTER" {
				t.Fatalf("state %s, want MASTER", st)
			}
			for p, dev := range c.want {
				a.mu.Lock()
				got := a.addrs[p]
				a.mu.Unlock()
				if got != dev {
					t.Errorf("%s on %q, want %s", p, got, dev)
				}
			}
			a.mu.Lock()
			for name, parent := range c.parents {
				s, ok := a.vmacSpecs[name]
				if !ok || s.Parent != parent || s.IPv6 != (name[len(name)-4] == '6') {
					t.Errorf("VMAC %s: %+v (exists %v), want parent %s", name, s, ok, parent)
				}
			}
			if len(a.vmacs) != len(c.parents) {
				t.Errorf("VMACs %v, want %v", a.vmacs, c.parents)
			}
			a.mu.Unlock()
			a.stop()
			a.mu.Lock()
			if len(a.vmacs) != 0 {
				t.Errorf("VMACs left after stop: %v", a.vmacs)
			}
			a.mu.Unlock()
		})
	}
	// A VIP's use_vmac alone: that address gets a VMAC on its interface.
	h := newHarness(t)
	conf := vmacAddrConf("", "")
	conf = strings.Replace(conf, "198.51.100.100/24 dev eth1", "198.51.100.100/24 dev eth1 use_vmac", 1)
	a := h.node("a", ifs, conf)
	a.start()
	h.advance(5 * time.Second)
	a.mu.Lock()
	if got := a.addrs["198.51.100.100/24"]; got != "vrrp.51" || a.vmacSpecs["vrrp.51"].Parent != "eth1" || len(a.vmacs) != 1 {
		t.Errorf("VIP use_vmac: on %q, VMACs %v %+v", got, a.vmacs, a.vmacSpecs)
	}
	a.mu.Unlock()
}

// TestSegmentVMACCustomMAC: the MAC given to use_vmac (5 octets: the VRID
// last) is the VMAC's, and its use_vmac_addr VMACs' too (keepalived copies
// it to them).
func TestSegmentVMACCustomMAC(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1", "eth1": "lan2 198.51.100.1"},
		`vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 150
    use_vmac vk 02:11:22:33:44
    use_vmac_addr
    virtual_ipaddress {
        203.0.113.10/32
        198.51.100.100/24 dev eth1
    }
}
`)
	a.start()
	h.advance(5 * time.Second)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range []string{"vk", "vrrp.51"} {
		if s := a.vmacSpecs[n]; s.MAC.String() != "02:11:22:33:44:33" {
			t.Errorf("VMAC %s: MAC %s, want 02:11:22:33:44:33 (%+v)", n, s.MAC, a.vmacSpecs)
		}
	}
	if a.addrs["203.0.113.10/32"] != "vk" || a.addrs["198.51.100.100/24"] != "vrrp.51" {
		t.Errorf("addresses %v", a.addrs)
	}
}

// TestSegmentUseIPVLAN: use_ipvlan makes an L2 ipvlan with its address
// and mode, the adverts leave from it (from its address), and the VIPs go
// on the instance's interface, as keepalived 2.2.7 places them.
func TestSegmentUseIPVLAN(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(150, "    use_ipvlan gk51 192.0.2.50/24 private"))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(100, ""))
	a.start()
	b.start()
	h.advance(5 * time.Second)
	if a.state("VI_1") != "MASTER" || b.state("VI_1") != "BACKUP" {
		t.Fatalf("a %s, b %s", a.state("VI_1"), b.state("VI_1"))
	}
	a.mu.Lock()
	s, ok := a.vmacSpecs["gk51"]
	a.mu.Unlock()
	if !ok || !s.IPVLAN || s.IPVLANMode != "private" || s.Addr != netip.MustParsePrefix("192.0.2.50/24") || s.Parent != "eth0" {
		t.Errorf("ipvlan %+v (exists %v)", s, ok)
	}
	in := a.d.instances[0]
	if in.src != netip.MustParseAddr("192.0.2.50") || in.conn.key.iface != "gk51" {
		t.Errorf("adverts from %s on %s, want 192.0.2.50 on gk51", in.src, in.conn.key.iface)
	}
	if got := b.d.instances[0].lastAdvertFrom; got != netip.MustParseAddr("192.0.2.50") {
		t.Errorf("b heard the master from %s, want 192.0.2.50", got)
	}
	a.mu.Lock()
	if dev := a.addrs[vip1]; dev != "eth0" {
		t.Errorf("VIP on %q, want eth0", dev)
	}
	a.mu.Unlock()
	a.stop()
	if a.hasVMAC("gk51") {
		t.Error("ipvlan left after stop")
	}
}

// TestVMACLayout: names are keepalived's create_vmac_name, cut to 15
// bytes, and deterministic (a reload finds the same).
func TestVMACLayout(t *testing.T) {
	used := map[string]bool{"vrrp.5": true}
	for _, c := range []struct {
		prefix string
		ipv6   bool
		want   string
	}{
		{"vrrp", false, "vrrp1.5"}, {"vrrp", true, "vrrp6.5"}, {"vrrp", true, "vrrp2.5"},
		{"vrrp", false, "vrrp3.5"}, {"averyverylongprefix", false, "averyverylong.5"},
	} {
		if got := freeVMACName(c.prefix, 5, c.ipv6, used); got != c.want {
			t.Errorf("%s ipv6=%v: %s, want %s", c.prefix, c.ipv6, got, c.want)
		}
	}
	// vrrp6.5 → vrrp1.5 is taken, so 2; then 3 for IPv4 after 2.
	cfg := loadRaw(t, vmacAddrConf("", "    use_vmac\n    use_vmac_addr"))
	l1, l2 := vmacLayout(cfg), vmacLayout(cfg)
	if l1["VI_1"].main != "vrrp.51" || len(l1["VI_1"].extras) != 2 || l2["VI_1"].extra[l1["VI_1"].extras[1]] != l1["VI_1"].extra[l1["VI_1"].extras[1]] {
		t.Errorf("layout %+v / %+v", l1["VI_1"], l2["VI_1"])
	}
}

// vrfConf is a unicast instance without interface in VRF blue.
func vrfConf(prio int, src, peer string) string {
	return `vrrp_instance VI_1 {
    vrf blue
    virtual_router_id 51
    priority ` + fmt.Sprint(prio) + `
    advert_int 1
    unicast_src_ip ` + src + `
    unicast_peer {
        ` + peer + `
    }
    virtual_ipaddress {
        203.0.113.10/32 dev eth0
    }
}
`
}

// TestSegmentVRF: vrf puts a unicast instance without interface on a
// socket bound to the VRF device (keepalived's SO_BINDTODEVICE to the VRF);
// the pair elects over it and fails over.
func TestSegmentVRF(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1", "blue": "lan 192.0.2.1"}, vrfConf(150, "192.0.2.1", "192.0.2.2"))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2", "blue": "lan 192.0.2.2"}, vrfConf(100, "192.0.2.2", "192.0.2.1"))
	a.start()
	b.start()
	h.advance(5 * time.Second)
	if a.state("VI_1") != "MASTER" || b.state("VI_1") != "BACKUP" || !a.holds(vip1) {
		t.Fatalf("a %s, b %s, a holds the VIP: %v", a.state("VI_1"), b.state("VI_1"), a.holds(vip1))
	}
	for _, n := range []*node{a, b} {
		if in := n.d.instances[0]; in.conn.key.iface != "blue" {
			t.Errorf("%s: socket on %q, want the VRF device blue", n.name, in.conn.key.iface)
		}
	}
	a.stop()
	h.advance(5 * time.Second)
	if b.state("VI_1") != "MASTER" || !b.holds(vip1) {
		t.Errorf("after a stopped: b %s, holds the VIP %v", b.state("VI_1"), b.holds(vip1))
	}
}

// TestSegmentUseVMACAddrReload: a reload that adds an address needing a
// VMAC restarts the instance with it; one that drops it removes the VMAC;
// one that changes only the priority keeps the VMACs.
func TestSegmentUseVMACAddrReload(t *testing.T) {
	ifs := map[string]string{"eth0": "lan 192.0.2.1", "eth1": "lan2 198.51.100.1"}
	without := pairConf(150, "    use_vmac_addr")
	with := strings.Replace(without, "203.0.113.10/32", "203.0.113.10/32\n        198.51.100.100/24 dev eth1", 1)
	h := newHarness(t)
	a := h.node("a", ifs, without)
	a.start()
	h.advance(5 * time.Second)
	if a.hasVMAC("vrrp.51") {
		t.Fatal("a VMAC without an address needing it")
	}
	if err := a.reload(with); err != nil {
		t.Fatal(err)
	}
	h.advance(5 * time.Second)
	a.mu.Lock()
	dev := a.addrs["198.51.100.100/24"]
	a.mu.Unlock()
	if !a.hasVMAC("vrrp.51") || dev != "vrrp.51" || a.state("VI_1") != "MASTER" {
		t.Errorf("after adding the address: VMAC %v, address on %q, %s", a.hasVMAC("vrrp.51"), dev, a.state("VI_1"))
	}
	if err := a.reload(strings.Replace(with, "priority 150", "priority 140", 1)); err != nil {
		t.Fatal(err)
	}
	h.advance(5 * time.Second)
	a.mu.Lock()
	ops := strings.Join(a.ops, ",")
	a.mu.Unlock()
	if strings.Count(ops, "vmac- vrrp.51") != 0 || !a.hasVMAC("vrrp.51") {
		t.Errorf("a priority change touched the VMAC: %s", ops)
	}
	if err := a.reload(without); err != nil {
		t.Fatal(err)
	}
	h.advance(5 * time.Second)
	if a.hasVMAC("vrrp.51") || a.holds("198.51.100.100/24") {
		t.Errorf("after dropping the address: VMAC %v, address held %v", a.hasVMAC("vrrp.51"), a.holds("198.51.100.100/24"))
	}
}
