package vmac_test

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/linux/garp"
	"gokeepalived/internal/linux/netnstest"
	"gokeepalived/internal/linux/vmac"
	"gokeepalived/internal/linux/vrrpconn"
)

func TestCreateDelete(t *testing.T) {
	p := netnstest.NewPair(t)
	cfg := vmac.Config{Name: "vrrp.51", Parent: p.AIf, VRID: 51}
	capB := p.B.Listen(t, p.BIf, netnstest.EtherTypeARP)
	p.A.Do(t, func() {
		for range 2 { // idempotent
			if err := vmac.Create(cfg); err != nil {
				t.Fatal(err)
			}
		}
		l, err := netlink.LinkByName("vrrp.51")
		if err != nil {
			t.Fatal(err)
		}
		mv, ok := l.(*netlink.Macvlan)
		if !ok {
			t.Fatalf("vrrp.51 is a %s, want macvlan", l.Type())
		}
		if mv.Mode != netlink.MACVLAN_MODE_PRIVATE || mv.ParentIndex != p.AIndex ||
			mv.HardwareAddr.String() != "00:00:5e:00:01:33" || mv.Flags&net.FlagUp == 0 {
			t.Errorf("vrrp.51: mode %d parent %d mac %s flags %v; want private, %d, 00:00:5e:00:01:33, up",
				mv.Mode, mv.ParentIndex, mv.HardwareAddr, mv.Flags, p.AIndex)
		}
		// No IPv6 address from the virtual MAC (each router's would be the same).
		if as := addrs6(t, "vrrp.51"); len(as) != 0 {
			t.Errorf("vrrp.51 has IPv6 addresses %v, want none", as)
		}

		// A VMAC of another VRID under the same name is a conflict, not a change.
		err = vmac.Create(vmac.Config{Name: "vrrp.51", Parent: p.AIf, VRID: 52})
		if err == nil || !strings.Contains(err.Error(), "MAC") {
			t.Errorf("Create over a different VMAC: %v, want a MAC mismatch error", err)
		}
		if err := vmac.Delete(p.AIf); err == nil {
			t.Error("Delete removed a veth")
		}

		// Frames sent on the VMAC leave with the virtual MAC.
		if err := garp.Send("vrrp.51", []netip.Addr{netip.MustParseAddr("192.0.2.51")}); err != nil {
			t.Fatal(err)
		}
	})
	f := capB.Next(t, 3*time.Second, func(f []byte) bool { return len(f) >= 42 && f[31] == 51 })
	if want := vmac.MAC(51, false); !bytes.Equal(f[6:12], want) {
		t.Errorf("GARP through the VMAC from %x, want %s", f[6:12], want)
	}

	p.A.Do(t, func() {
		for range 2 {
			if err := vmac.Delete("vrrp.51"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := netlink.LinkByName("vrrp.51"); err == nil {
			t.Error("vrrp.51 still exists after Delete")
		}
		if err := vmac.Create(vmac.Config{Name: "vrrp.6", Parent: "nosuch0", VRID: 6, IPv6: true}); err == nil {
			t.Error("Create on a missing parent succeeded")
		}
	})
}

// TestCreateIPv6: an IPv6 VMAC has no EUI-64 address of its own but a copy of
// the parent's link-local address (nodad, so usable at once), and an advert
// sent through it from that address leaves with the virtual MAC. Before, the
// kernel gave the VMAC an address from the virtual MAC and refused the
// parent's link-local as the source (EINVAL).
// TestCreateIPv6: RFC9568-7.4-1, no address is derived from the virtual MAC
// (IPv6 address generation is off on the VMAC; checkOnlyLinkLocal).
func TestCreateIPv6(t *testing.T) {
	p := netnstest.NewPair(t)
	cfg := vmac.Config{Name: "vrrp.6", Parent: p.AIf, VRID: 6, IPv6: true}
	mac := vmac.MAC(6, true)
	capB := p.B.Listen(t, p.BIf, netnstest.EtherTypeIPv6)
	p.A.Do(t, func() {
		for range 2 { // idempotent
			if err := vmac.Create(cfg); err != nil {
				t.Fatal(err)
			}
			checkOnlyLinkLocal(t, "vrrp.6", p.ALL)
		}
		c, err := vrrpconn.Open(vrrpconn.Config{Interface: "vrrp.6", Family: vrrpconn.IPv6})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SendFrom([]byte{0x31, 6, 100, 0, 0, 100, 0, 0}, p.ALL, netip.MustParseAddr("ff02::12")); err != nil {
			t.Fatalf("advert through vrrp.6 from %s: %v", p.ALL, err)
		}
	})
	f := capB.Next(t, 3*time.Second, func(f []byte) bool { return len(f) >= 54 && f[20] == 112 })
	if !bytes.Equal(f[6:12], mac) {
		t.Errorf("advert through the VMAC from MAC %x, want %s", f[6:12], mac)
	}
	if src := netip.AddrFrom16([16]byte(f[22:38])); src != p.ALL {
		t.Errorf("advert from %s, want the parent's link-local %s", src, p.ALL)
	}

	p.A.Do(t, func() {
		// A VMAC left behind with a kernel-generated address (created up
		// before address generation was turned off) loses that address.
		if err := vmac.Delete("vrrp.6"); err != nil {
			t.Fatal(err)
		}
		mv := &netlink.Macvlan{
			LinkAttrs: netlink.LinkAttrs{Name: "vrrp.6", ParentIndex: p.AIndex, HardwareAddr: mac},
			Mode:      netlink.MACVLAN_MODE_PRIVATE,
		}
		if err := netlink.LinkAdd(mv); err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(mv); err != nil {
			t.Fatal(err)
		}
		if !hasAddr(t, "vrrp.6", vmac.EUI64LinkLocal(mac)) {
			t.Fatalf("the kernel gave vrrp.6 no %s: the test cannot show its removal", vmac.EUI64LinkLocal(mac))
		}
		if err := vmac.Create(cfg); err != nil {
			t.Fatal(err)
		}
		checkOnlyLinkLocal(t, "vrrp.6", p.ALL)
		if err := vmac.Delete("vrrp.6"); err != nil {
			t.Fatal(err)
		}
		if _, err := netlink.LinkByName("vrrp.6"); err == nil {
			t.Error("vrrp.6 still exists after Delete")
		}

		// A parent without a link-local address: the VMAC gets the EUI-64
		// address of the parent's MAC, as keepalived does.
		v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "noll0"}, PeerName: "noll1"}
		if err := netlink.LinkAdd(v); err != nil {
			t.Fatal(err)
		}
		l, err := netlink.LinkByName("noll0")
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetIP6AddrGenMode(l, 1); err != nil { // none
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
		if err := vmac.Create(vmac.Config{Name: "vrrp.7", Parent: "noll0", VRID: 7, IPv6: true}); err != nil {
			t.Fatal(err)
		}
		checkOnlyLinkLocal(t, "vrrp.7", vmac.EUI64LinkLocal(l.Attrs().HardwareAddr))
	})
}

// checkOnlyLinkLocal: want is ifname's only IPv6 address, a /64 added with
// nodad and not tentative.
func checkOnlyLinkLocal(t *testing.T, ifname string, want netip.Addr) {
	t.Helper()
	as := addrs6(t, ifname)
	var got []string
	for _, a := range as {
		got = append(got, a.IPNet.String())
	}
	if len(as) != 1 {
		t.Fatalf("%s has IPv6 addresses %v, want only %s/64", ifname, got, want)
	}
	a := as[0]
	ip, _ := netip.AddrFromSlice(a.IP)
	ones, _ := a.Mask.Size()
	if ip != want || ones != 64 || a.Flags&unix.IFA_F_NODAD == 0 || a.Flags&unix.IFA_F_TENTATIVE != 0 {
		t.Errorf("%s has %s flags %#x, want %s/64 nodad, not tentative", ifname, a.IPNet, a.Flags, want)
	}
}

func hasAddr(t *testing.T, ifname string, want netip.Addr) bool {
	t.Helper()
	for _, a := range addrs6(t, ifname) {
		if ip, _ := netip.AddrFromSlice(a.IP); ip == want {
			return true
		}
	}
	return false
}

func addrs6(t *testing.T, ifname string) []netlink.Addr {
	t.Helper()
	l, err := netlink.LinkByName(ifname)
	if err != nil {
		t.Fatal(err)
	}
	as, err := netlink.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		t.Fatal(err)
	}
	return as
}
