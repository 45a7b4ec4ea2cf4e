package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"gokeepalived/internal/ctl"
)

// lvsStatus has three virtual servers: a TCP service with quorum met and its
// real servers up, down and kept at weight 0; a fwmark service below quorum,
// so its sorry_server serves and its live real server is out of the table;
// and an IPv6 service whose checkers ha_suspend holds.
func lvsStatus() *ctl.Snapshot {
	return &ctl.Snapshot{
		VirtualServers: []ctl.VirtualServerStatus{
			{
				Name: "192.0.2.100:80/TCP", Backend: "ipvs", Algo: "wrr", Kind: "NAT", Protocol: "TCP",
				Quorum: true, WeightSum: 5,
				RealServers: []ctl.RealServerStatus{
					{Addr: "198.18.0.2:80", Weight: 3, Up: true, InTable: true, Checkers: 1,
						LastChange: t0.Add(-90 * time.Second)},
					{Addr: "198.18.0.3:80", Weight: 2, Up: true, InTable: true, Checkers: 1},
					// inhibit_on_failure: down, kept in the table at weight 0.
					{Addr: "198.18.0.4:80", Weight: 0, Up: false, InTable: true, Checkers: 1,
						Reason: "connection refused", LastChange: t0.Add(-10 * time.Second)},
				},
			},
			{
				Name: "fwmark 1", Backend: "nft", Algo: "rr", Kind: "DR",
				Quorum: false, WeightSum: 1, Sorry: true, SorryAddr: "198.18.0.9:80",
				Error: "apply: something failed",
				RealServers: []ctl.RealServerStatus{
					{Addr: "198.18.0.5:80", Weight: 1, Up: false, InTable: false, Checkers: 2,
						LastChange: t0.Add(-5 * time.Second)},
					// Live, but taken out while the sorry_server serves.
					{Addr: "198.18.0.6:80", Weight: 1, Up: true, InTable: false, Checkers: 2},
				},
			},
			{
				Name: "[2001:db8::100]:443/TCP", Backend: "ipvs", Algo: "rr", Kind: "DR", Protocol: "TCP",
				Quorum: true, WeightSum: 4, Suspended: true,
				RealServers: []ctl.RealServerStatus{
					{Addr: "[2001:db8::2]:443", Weight: 4, Up: true, InTable: true, Checkers: 1},
				},
			},
		},
	}
}

const wantLVS = `
# HELP gokeepalived_lvs_real_server_in_table 1 while the real server is in the kernel table (at weight 0 under inhibit_on_failure), else 0.
# TYPE gokeepalived_lvs_real_server_in_table gauge
gokeepalived_lvs_real_server_in_table{rs="198.18.0.2:80",vs="192.0.2.100:80/TCP"} 1
gokeepalived_lvs_real_server_in_table{rs="198.18.0.3:80",vs="192.0.2.100:80/TCP"} 1
gokeepalived_lvs_real_server_in_table{rs="198.18.0.4:80",vs="192.0.2.100:80/TCP"} 1
gokeepalived_lvs_real_server_in_table{rs="198.18.0.5:80",vs="fwmark 1"} 0
gokeepalived_lvs_real_server_in_table{rs="198.18.0.6:80",vs="fwmark 1"} 0
gokeepalived_lvs_real_server_in_table{rs="[2001:db8::2]:443",vs="[2001:db8::100]:443/TCP"} 1
# HELP gokeepalived_lvs_real_server_last_change_timestamp_seconds Unix time the real server's health state last changed; absent if it has not changed yet.
# TYPE gokeepalived_lvs_real_server_last_change_timestamp_seconds gauge
gokeepalived_lvs_real_server_last_change_timestamp_seconds{rs="198.18.0.2:80",vs="192.0.2.100:80/TCP"} 1.77236631e+09
gokeepalived_lvs_real_server_last_change_timestamp_seconds{rs="198.18.0.4:80",vs="192.0.2.100:80/TCP"} 1.77236639e+09
gokeepalived_lvs_real_server_last_change_timestamp_seconds{rs="198.18.0.5:80",vs="fwmark 1"} 1.772366395e+09
# HELP gokeepalived_lvs_real_server_up 1 while the real server's health checks pass, else 0.
# TYPE gokeepalived_lvs_real_server_up gauge
gokeepalived_lvs_real_server_up{rs="198.18.0.2:80",vs="192.0.2.100:80/TCP"} 1
gokeepalived_lvs_real_server_up{rs="198.18.0.3:80",vs="192.0.2.100:80/TCP"} 1
gokeepalived_lvs_real_server_up{rs="198.18.0.4:80",vs="192.0.2.100:80/TCP"} 0
gokeepalived_lvs_real_server_up{rs="198.18.0.5:80",vs="fwmark 1"} 0
gokeepalived_lvs_real_server_up{rs="198.18.0.6:80",vs="fwmark 1"} 1
gokeepalived_lvs_real_server_up{rs="[2001:db8::2]:443",vs="[2001:db8::100]:443/TCP"} 1
# HELP gokeepalived_lvs_real_server_weight The real server's weight: the configured one, or the one a MISC_CHECK or FILE_CHECK set.
# TYPE gokeepalived_lvs_real_server_weight gauge
gokeepalived_lvs_real_server_weight{rs="198.18.0.2:80",vs="192.0.2.100:80/TCP"} 3
gokeepalived_lvs_real_server_weight{rs="198.18.0.3:80",vs="192.0.2.100:80/TCP"} 2
gokeepalived_lvs_real_server_weight{rs="198.18.0.4:80",vs="192.0.2.100:80/TCP"} 0
gokeepalived_lvs_real_server_weight{rs="198.18.0.5:80",vs="fwmark 1"} 1
gokeepalived_lvs_real_server_weight{rs="198.18.0.6:80",vs="fwmark 1"} 1
gokeepalived_lvs_real_server_weight{rs="[2001:db8::2]:443",vs="[2001:db8::100]:443/TCP"} 4
# HELP gokeepalived_lvs_virtual_server_live_weight Sum of the weights of the live real servers, as compared with quorum.
# TYPE gokeepalived_lvs_virtual_server_live_weight gauge
gokeepalived_lvs_virtual_server_live_weight{backend="ipvs",vs="192.0.2.100:80/TCP"} 5
gokeepalived_lvs_virtual_server_live_weight{backend="ipvs",vs="[2001:db8::100]:443/TCP"} 4
gokeepalived_lvs_virtual_server_live_weight{backend="nft",vs="fwmark 1"} 1
# HELP gokeepalived_lvs_virtual_server_real_servers Real servers of the virtual server, by health state (up or down).
# TYPE gokeepalived_lvs_virtual_server_real_servers gauge
gokeepalived_lvs_virtual_server_real_servers{backend="ipvs",state="down",vs="192.0.2.100:80/TCP"} 1
gokeepalived_lvs_virtual_server_real_servers{backend="ipvs",state="up",vs="192.0.2.100:80/TCP"} 2
gokeepalived_lvs_virtual_server_real_servers{backend="ipvs",state="down",vs="[2001:db8::100]:443/TCP"} 0
gokeepalived_lvs_virtual_server_real_servers{backend="ipvs",state="up",vs="[2001:db8::100]:443/TCP"} 1
gokeepalived_lvs_virtual_server_real_servers{backend="nft",state="down",vs="fwmark 1"} 1
gokeepalived_lvs_virtual_server_real_servers{backend="nft",state="up",vs="fwmark 1"} 1
# HELP gokeepalived_lvs_virtual_server_sorry_active 1 while the sorry_server is in the table in place of the real servers, else 0.
# TYPE gokeepalived_lvs_virtual_server_sorry_active gauge
gokeepalived_lvs_virtual_server_sorry_active{backend="ipvs",vs="192.0.2.100:80/TCP"} 0
gokeepalived_lvs_virtual_server_sorry_active{backend="ipvs",vs="[2001:db8::100]:443/TCP"} 0
gokeepalived_lvs_virtual_server_sorry_active{backend="nft",vs="fwmark 1"} 1
# HELP gokeepalived_lvs_virtual_server_suspended 1 while ha_suspend holds the virtual server's checkers (its address is not local), else 0.
# TYPE gokeepalived_lvs_virtual_server_suspended gauge
gokeepalived_lvs_virtual_server_suspended{backend="ipvs",vs="192.0.2.100:80/TCP"} 0
gokeepalived_lvs_virtual_server_suspended{backend="ipvs",vs="[2001:db8::100]:443/TCP"} 1
gokeepalived_lvs_virtual_server_suspended{backend="nft",vs="fwmark 1"} 0
# HELP gokeepalived_lvs_virtual_server_up 1 while the virtual server's quorum is met (the live real servers' weight reaches quorum), else 0.
# TYPE gokeepalived_lvs_virtual_server_up gauge
gokeepalived_lvs_virtual_server_up{backend="ipvs",vs="192.0.2.100:80/TCP"} 1
gokeepalived_lvs_virtual_server_up{backend="ipvs",vs="[2001:db8::100]:443/TCP"} 1
gokeepalived_lvs_virtual_server_up{backend="nft",vs="fwmark 1"} 0
`

// The snapshot holds only virtual servers, so this is the whole exposition:
// nothing else is exported and nothing is missing.
func TestCollectorLVSExposition(t *testing.T) {
	c := New(lvsStatus, WithClock(fixedNow))
	if err := testutil.CollectAndCompare(c, strings.NewReader(wantLVS)); err != nil {
		t.Fatal(err)
	}
}

func TestCollectorLVSLint(t *testing.T) {
	both := func() *ctl.Snapshot {
		st := fakeSnapshot()
		st.VirtualServers = lvsStatus().VirtualServers
		return st
	}
	problems, err := testutil.CollectAndLint(New(both, WithClock(fixedNow)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// lvsFamilies gathers c and returns the names of its gokeepalived_lvs_
// families.
func lvsFamilies(t *testing.T, c prometheus.Collector) []string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "gokeepalived_lvs_") {
			names = append(names, mf.GetName())
		}
	}
	return names
}

// A daemon without virtual_server blocks (the VRRP-only case) exports no
// load-balancer series at all, not zeros; with them, every family is there.
func TestCollectorNoVirtualServers(t *testing.T) {
	for _, tc := range []struct {
		name string
		snap func() *ctl.Snapshot
		want []string
	}{
		{"vrrp only", fakeSnapshot, nil},
		{"empty slice", func() *ctl.Snapshot {
			st := fakeSnapshot()
			st.VirtualServers = []ctl.VirtualServerStatus{}
			return st
		}, nil},
		{"with virtual servers", lvsStatus, []string{
			"gokeepalived_lvs_real_server_in_table",
			"gokeepalived_lvs_real_server_last_change_timestamp_seconds",
			"gokeepalived_lvs_real_server_up",
			"gokeepalived_lvs_real_server_weight",
			"gokeepalived_lvs_virtual_server_live_weight",
			"gokeepalived_lvs_virtual_server_real_servers",
			"gokeepalived_lvs_virtual_server_sorry_active",
			"gokeepalived_lvs_virtual_server_suspended",
			"gokeepalived_lvs_virtual_server_up",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lvsFamilies(t, New(tc.snap, WithClock(fixedNow)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("gokeepalived_lvs_ families (-want +got):\n%s", diff)
			}
		})
	}
}

// A virtual server without real servers still reports its own series, with
// zero counts; a real server that never changed state has no timestamp.
func TestCollectorLVSEmptyVirtualServer(t *testing.T) {
	c := New(func() *ctl.Snapshot {
		return &ctl.Snapshot{VirtualServers: []ctl.VirtualServerStatus{{Name: "group web", Backend: "ipvs"}}}
	})
	want := `
# HELP gokeepalived_lvs_virtual_server_real_servers Real servers of the virtual server, by health state (up or down).
# TYPE gokeepalived_lvs_virtual_server_real_servers gauge
gokeepalived_lvs_virtual_server_real_servers{backend="ipvs",state="down",vs="group web"} 0
gokeepalived_lvs_virtual_server_real_servers{backend="ipvs",state="up",vs="group web"} 0
# HELP gokeepalived_lvs_virtual_server_up 1 while the virtual server's quorum is met (the live real servers' weight reaches quorum), else 0.
# TYPE gokeepalived_lvs_virtual_server_up gauge
gokeepalived_lvs_virtual_server_up{backend="ipvs",vs="group web"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"gokeepalived_lvs_virtual_server_real_servers", "gokeepalived_lvs_virtual_server_up"); err != nil {
		t.Fatal(err)
	}
	// up, sorry_active, suspended, real_servers x2, live_weight.
	if got := testutil.CollectAndCount(c); got != 6 {
		t.Errorf("CollectAndCount = %d, want 6", got)
	}
}

// The configuration rejects a virtual or real server defined twice; if one
// reached the snapshot anyway, the scrape must still succeed (a duplicate
// series fails Gather), keeping the first.
func TestCollectorLVSDuplicates(t *testing.T) {
	c := New(func() *ctl.Snapshot {
		st := lvsStatus()
		vs := &st.VirtualServers[0]
		vs.RealServers = append(vs.RealServers, ctl.RealServerStatus{Addr: "198.18.0.2:80", Weight: 9})
		st.VirtualServers = append(st.VirtualServers, ctl.VirtualServerStatus{Name: "fwmark 1", Backend: "nft", Quorum: true})
		return st
	})
	if err := testutil.CollectAndCompare(c, strings.NewReader(wantLVS)); err != nil {
		t.Fatal(err)
	}
}
