package vmac_test

import (
	"net"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"gokeepalived/internal/linux/netnstest"
	"gokeepalived/internal/linux/vmac"
)

// TestCreateCustomMAC: a MAC given to use_vmac is the macvlan's (and an
// existing VMAC with the RFC's MAC is a conflict, not changed). With the
// kernel's ipvlan driver (absent from some kernels), CreateIPVLAN makes an
// l2 ipvlan with the parent's MAC, its flag and address, and Delete
// removes it.
func TestCreateCustomMAC(t *testing.T) {
	p := netnstest.NewPair(t)
	mac := net.HardwareAddr{0x02, 0x11, 0x22, 0x33, 0x44, 0x33}
	p.A.Do(t, func() {
		cfg := vmac.Config{Name: "vk", Parent: p.AIf, VRID: 51, MAC: mac}
		for range 2 { // idempotent
			if err := vmac.Create(cfg); err != nil {
				t.Fatal(err)
			}
		}
		l, err := netlink.LinkByName("vk")
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Attrs().HardwareAddr.String(); got != mac.String() {
			t.Errorf("vk has MAC %s, want %s", got, mac)
		}
		if err := vmac.Create(vmac.Config{Name: "vk", Parent: p.AIf, VRID: 51}); err == nil || !strings.Contains(err.Error(), "MAC") {
			t.Errorf("Create with the RFC MAC over vk: %v, want a MAC mismatch", err)
		}
		if err := vmac.Delete("vk"); err != nil {
			t.Fatal(err)
		}

		err = vmac.CreateIPVLAN(vmac.IPVLANConfig{Name: "gkipv", Parent: p.AIf, Mode: "private"})
		if err != nil && strings.Contains(err.Error(), "not supported") {
			t.Logf("no ipvlan driver in this kernel (%v): test/vm covers it", err)
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		l, err = netlink.LinkByName("gkipv")
		if err != nil {
			t.Fatal(err)
		}
		iv, ok := l.(*netlink.IPVlan)
		if !ok || iv.Mode != netlink.IPVLAN_MODE_L2 || iv.Flag != netlink.IPVLAN_FLAG_PRIVATE || iv.ParentIndex != p.AIndex {
			t.Errorf("gkipv: %T %+v", l, l)
		}
		if err := vmac.Delete("gkipv"); err != nil {
			t.Fatal(err)
		}
	})
}
