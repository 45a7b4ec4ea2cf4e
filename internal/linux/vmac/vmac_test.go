package vmac

import (
	"net"
	"net/netip"
	"testing"
)

func TestMAC(t *testing.T) {
	for _, tt := range []struct {
		vrid uint8
		v6   bool
		want string
	}{
		{51, false, "00:00:5e:00:01:33"},
		{255, false, "00:00:5e:00:01:ff"},
		{1, true, "00:00:5e:00:02:01"},
	} {
		if got := MAC(tt.vrid, tt.v6).String(); got != tt.want {
			t.Errorf("MAC(%d, %v) = %s, want %s", tt.vrid, tt.v6, got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for name, c := range map[string]Config{
		"no name":   {Parent: "eth0", VRID: 1},
		"long name": {Name: "vrrp.0123456789a", Parent: "eth0", VRID: 1},
		"no parent": {Name: "vrrp.1", VRID: 1},
		"vrid 0":    {Name: "vrrp.0", Parent: "eth0"},
	} {
		if err := c.validate(); err == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
	if err := (Config{Name: "vrrp.1", Parent: "eth0", VRID: 1}).validate(); err != nil {
		t.Error(err)
	}
}

func TestEUI64LinkLocal(t *testing.T) {
	mac := net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	if got, want := EUI64LinkLocal(mac), netip.MustParseAddr("fe80::5054:ff:fe12:3456"); got != want {
		t.Errorf("EUI64LinkLocal(%s) = %s, want %s", mac, got, want)
	}
	if got := EUI64LinkLocal(net.HardwareAddr{1, 2, 3}); got.IsValid() {
		t.Errorf("EUI64LinkLocal of a 3-byte MAC = %s, want invalid", got)
	}
}
