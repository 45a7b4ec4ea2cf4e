package cli

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/bgp"
	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
)

// bgpConfig translates the bgp block: neighbors, the instance's VIPs,
// the backup policy and the attributes; bgpServers reads the load
// balancer's status.
func TestBGPConfigTranslation(t *testing.T) {
	cfg, ds := config.LoadBytes("t.conf", []byte(`
vrrp_instance VI_1 {
    interface lo
    virtual_router_id 1
    priority 100
    virtual_ipaddress {
        203.0.113.10/32
        203.0.113.11/32
    }
}
bfd_instance tor {
    neighbor_ip 192.0.2.254
}
bgp {
    router_id 192.0.2.1
    local_as 65001
    graceful_shutdown_delay 3
    neighbor 192.0.2.254 {
        remote_as 65000
        hold_time 9
        track_bfd tor
    }
    announce_vrrp VI_1 {
        backup med 300
        community 65001:1
    }
}
`), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	got, ok := bgpConfig(cfg)
	if !ok {
		t.Fatal("no bgp config")
	}
	want := bgp.Config{RouterID: netip.MustParseAddr("192.0.2.1"), LocalAS: 65001, DrainDelay: 3 * time.Second,
		Neighbors: []bgp.Neighbor{{Address: netip.MustParseAddr("192.0.2.254"), RemoteAS: 65000, Port: 179, HoldTime: 9 * time.Second,
			KeepaliveTime: 3 * time.Second, BFD: "tor"}},
		VRRP: []bgp.VRRPAnnounce{{Instance: "VI_1", VIPs: []netip.Addr{netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("203.0.113.11")},
			Backup: bgp.BackupMED, BackupValue: 300, Attrs: bgp.Attrs{LocalPref: -1, MED: -1, Communities: []uint32{65001<<16 | 1}}}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, ok := bgpConfig(&config.Config{}); ok {
		t.Error("a configuration without a bgp block gave a bgp config")
	}
	servers := bgpServers(func() []ctl.VirtualServerStatus {
		return []ctl.VirtualServerStatus{{Name: "198.51.100.10:80/TCP", Quorum: true}, {Name: "[2001:db8::1]:443/TCP"}, {Name: "fwmark 1", Quorum: true}}
	})
	wantS := []bgp.Server{{Addr: netip.MustParseAddr("198.51.100.10"), Port: 80, Quorum: true}, {Addr: netip.MustParseAddr("2001:db8::1"), Port: 443}}
	if diff := cmp.Diff(wantS, servers, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
}
