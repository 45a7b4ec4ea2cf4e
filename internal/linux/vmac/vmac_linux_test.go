package vmac_test

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"gokeepalived/internal/linux/garp"
	"gokeepalived/internal/linux/netnstest"
	"gokeepalived/internal/linux/vmac"
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
