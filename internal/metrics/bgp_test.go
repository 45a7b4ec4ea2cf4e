package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"gokeepalived/internal/ctl"
)

// The BGP series follow the speaker's status: a session down, a prefix
// less preferred, a drain.
func TestBGPMetrics(t *testing.T) {
	snap := freshSnapshot()
	snap.BGP.Peers[0].Up, snap.BGP.Peers[0].Flaps = false, 2
	snap.BGP.Prefixes = append(snap.BGP.Prefixes, ctl.BGPPrefixStatus{Prefix: "203.0.113.10/32", Source: "vrrp VI_1", State: "less-preferred"},
		ctl.BGPPrefixStatus{Prefix: "203.0.113.11/32", Source: "vrrp VI_2", State: "withdrawn"})
	snap.BGP.Drain = "draining"
	reg := NewRegistry(func() *ctl.Snapshot { return snap }, WithClock(fixedNow))
	want := `
# HELP gokeepalived_bgp_draining 1 while the speaker drains (graceful shutdown: GRACEFUL_SHUTDOWN announced, or everything withdrawn), else 0.
# TYPE gokeepalived_bgp_draining gauge
gokeepalived_bgp_draining 1
# HELP gokeepalived_bgp_peer_flaps_total Times the BGP session to the neighbor left the established state.
# TYPE gokeepalived_bgp_peer_flaps_total counter
gokeepalived_bgp_peer_flaps_total{neighbor="192.0.2.254"} 2
# HELP gokeepalived_bgp_peer_up 1 while the BGP session to the neighbor is established, else 0.
# TYPE gokeepalived_bgp_peer_up gauge
gokeepalived_bgp_peer_up{neighbor="192.0.2.254"} 0
# HELP gokeepalived_bgp_prefix_announced 1 while the prefix is announced (plainly, less preferred or draining), 0 while withdrawn.
# TYPE gokeepalived_bgp_prefix_announced gauge
gokeepalived_bgp_prefix_announced{prefix="198.51.100.10/32",source="virtual_server 198.51.100.10:80"} 1
gokeepalived_bgp_prefix_announced{prefix="203.0.113.10/32",source="vrrp VI_1"} 1
gokeepalived_bgp_prefix_announced{prefix="203.0.113.11/32",source="vrrp VI_2"} 0
# HELP gokeepalived_bgp_prefix_less_preferred 1 while the prefix is announced less preferred (a BACKUP instance's prepend, local_pref or med), else 0.
# TYPE gokeepalived_bgp_prefix_less_preferred gauge
gokeepalived_bgp_prefix_less_preferred{prefix="198.51.100.10/32",source="virtual_server 198.51.100.10:80"} 0
gokeepalived_bgp_prefix_less_preferred{prefix="203.0.113.10/32",source="vrrp VI_1"} 1
gokeepalived_bgp_prefix_less_preferred{prefix="203.0.113.11/32",source="vrrp VI_2"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gokeepalived_bgp_draining", "gokeepalived_bgp_peer_flaps_total",
		"gokeepalived_bgp_peer_up", "gokeepalived_bgp_prefix_announced", "gokeepalived_bgp_prefix_less_preferred"); err != nil {
		t.Error(err)
	}
}
