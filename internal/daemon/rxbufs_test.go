package daemon

import (
	"net/netip"
	"testing"

	"gokeepalived/internal/config"
)

// vrrp_rx_bufs_policy and vrrp_rx_bufs_multiplier size a VRRP socket's
// receive buffer as keepalived 2.2.7 does (vrrp_scheduler.c): the sum over
// the socket's instances of kernel_rx_buf_size when set, else the policy's
// bytes, multiplier x advert length, or multiplier x MTU. Without a
// policy, gokeepalived's default share.
func TestRxBufsPolicy(t *testing.T) {
	v4 := func(version, vips, mtu, kernel int) *instance {
		in := &instance{cfg: &config.Instance{Family: 4, Version: version, KernelRxBufSize: kernel}, mtu: mtu}
		for range vips {
			in.vips = append(in.vips, netip.MustParseAddr("192.0.2.100"))
		}
		return in
	}
	v6 := &instance{cfg: &config.Instance{Family: 6, Version: 3}, vips: []netip.Addr{netip.MustParseAddr("2001:db8::1")}, mtu: 9000}
	socket := func(ins ...*instance) map[uint8]*instance {
		m := map[uint8]*instance{}
		for i, in := range ins {
			m[uint8(i+1)] = in
		}
		return m
	}
	g := func(policy string, bytes, mult int) *config.Global {
		return &config.Global{RxBufsPolicy: policy, RxBufsBytes: bytes, RxBufsMultiplier: mult}
	}
	for _, c := range []struct {
		name  string
		g     *config.Global
		insts map[uint8]*instance
		want  int
	}{
		{"no policy: the default", g("", 0, 3), socket(v4(2, 1, 1500, 0)), bufferMin},
		{"MTU x 3", g(config.RxBufsMTU, 0, 3), socket(v4(2, 1, 1500, 0), v4(3, 2, 1500, 0)), 2 * 3 * 1500},
		{"MTU x 5, jumbo", g(config.RxBufsMTU, 0, 5), socket(v4(2, 1, 9000, 0)), 5 * 9000},
		// VRRPv2 IPv4 with 1 VIP: 20 + 8 + 4 + 8 = 40; v3 with 2: 20 + 8 + 8 = 36; IPv6 with 1: 8 + 16.
		{"ADVERT x 3", g(config.RxBufsAdvert, 0, 3), socket(v4(2, 1, 1500, 0), v4(3, 2, 1500, 0), v6), 3*40 + 3*36 + 3*24},
		{"bytes per instance", g(config.RxBufsSize, 65536, 3), socket(v4(2, 1, 1500, 0), v4(2, 1, 1500, 0)), 2 * 65536},
		{"kernel_rx_buf_size wins", g(config.RxBufsMTU, 0, 3), socket(v4(2, 1, 1500, 100000), v4(2, 1, 1500, 0)), 100000 + 4500},
	} {
		if got := bufferSize(c.g, c.insts); got != c.want {
			t.Errorf("%s: buffer %d, want %d", c.name, got, c.want)
		}
	}
}
