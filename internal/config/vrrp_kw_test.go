package config

import (
	"strings"
	"testing"
)

// The model of issue 11's VRRP instance and top-level keywords.
func TestIssue11InstanceKeywords(t *testing.T) {
	inst := func(lines string) string {
		return "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n" + lines + "}\n"
	}
	// native_ipv6: IPv6 (and so VRRPv3) without any address saying so.
	v := load(t, inst(" native_ipv6\n")).Instances[0]
	if v.Family != 6 || v.Version != 3 {
		t.Errorf("native_ipv6: family %d version %d, want 6 3", v.Family, v.Version)
	}
	if v := load(t, inst(" virtual_ipaddress {\n  192.0.2.1/24\n }\n")).Instances[0]; v.Family != 4 {
		t.Errorf("without native_ipv6: family %d, want 4", v.Family)
	}
	_, ds := LoadBytes("t.conf", []byte(inst(" native_ipv6\n virtual_ipaddress {\n  192.0.2.1/24\n }\n")), LoadOptions{})
	if !strings.Contains(ds.Error(), "native_ipv6 with IPv4 virtual addresses") {
		t.Errorf("native_ipv6 with IPv4 VIPs: %q", ds.Error())
	}
	v = load(t, inst(" mcast_dst_ip 224.0.0.19\n track_src_ip\n mcast_src_ip 192.0.2.1\n kernel_rx_buf_size 65536\n promote_secondaries\n"+
		" virtual_ipaddress {\n  192.0.2.10/24\n }\n")).Instances[0]
	if v.McastDst.String() != "224.0.0.19" || !v.TrackSrcIP || v.KernelRxBufSize != 65536 || !v.PromoteSecondaries {
		t.Errorf("instance keywords: mcast_dst_ip %v track_src_ip %v kernel_rx_buf_size %d promote_secondaries %v",
			v.McastDst, v.TrackSrcIP, v.KernelRxBufSize, v.PromoteSecondaries)
	}
}
