package config

import (
	"strings"
	"testing"
)

// lvsConf is a virtual server with the given extra lines.
func lvsConf(vsLines, rsLines string) string {
	return "virtual_server 192.0.2.1 80 {\n    protocol TCP\n    lvs_sched rr\n" + vsLines +
		"    real_server 192.0.2.10 80 {\n" + rsLines + "    }\n}\n"
}

// TestTunnelAndGranularity: lvs_method TUN options and
// persistence_granularity are parsed once, here, into typed values.
func TestTunnelAndGranularity(t *testing.T) {
	cfg := load(t, lvsConf("    lvs_method TUN type gue port 6080 csum\n    persistence_timeout\n    persistence_granularity 255.255.255.0\n",
		"        lvs_method TUN type ipip nocsum\n"))
	vs := cfg.VirtualServers[0]
	if want := (Tunnel{Type: "gue", Port: 6080, Checksum: "csum"}); vs.Tunnel != want || vs.PersistenceBits != 24 {
		t.Errorf("virtual server tunnel %+v bits %d; want %+v, 24", vs.Tunnel, vs.PersistenceBits, want)
	}
	if rs := vs.RealServers[0]; rs.Tunnel != (Tunnel{}) || rs.Method != "TUN" {
		t.Errorf("real server %s tunnel %+v; want TUN with the defaults (ipip, nocsum)", rs.Method, rs.Tunnel)
	}
	cfg = load(t, lvsConf("    lvs_method TUN type gre\n    persistence_timeout 60\n    persistence_granularity 64\n", ""))
	if vs := cfg.VirtualServers[0]; vs.RealServers[0].Tunnel != (Tunnel{Type: "gre"}) || vs.PersistenceBits != 64 {
		t.Errorf("inherited tunnel %+v bits %d; want gre, 64", vs.RealServers[0].Tunnel, vs.PersistenceBits)
	}

	for _, tc := range []struct{ vs, want string }{
		{"    lvs_method TUN type gue port\n", "t.conf:4:25: error: lvs_method TUN type gue needs 'port N'"},
		{"    lvs_method TUN type gue port 0\n", "t.conf:4:34: error: lvs_method TUN: gue port '0' is not a port number [1, 65535]"},
		{"    persistence_timeout\n    persistence_granularity 255.0.255.0\n",
			"t.conf:5:29: error: persistence_granularity '255.0.255.0' is not a netmask (255.255.255.0) or a prefix length [1, 128]"},
		{"    persistence_timeout\n    persistence_granularity 129\n",
			"t.conf:5:29: error: persistence_granularity '129' is not a netmask (255.255.255.0) or a prefix length [1, 128]"},
	} {
		_, ds := LoadBytes("t.conf", []byte(lvsConf(tc.vs, "")), LoadOptions{})
		if !strings.Contains(ds.Error(), tc.want) {
			t.Errorf("%q: want %q, got:\n%s", tc.vs, tc.want, ds.Error())
		}
	}
}
