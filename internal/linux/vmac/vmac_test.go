package vmac

import "testing"

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
