package daemon

import (
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/linux/addr"
)

// staticConf is one instance plus static entries; extra goes at the top
// level (track groups, more static blocks).
func staticConf(statics string) string {
	return statics + `
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        203.0.113.10/32
    }
}
`
}

const staticBlocks = `
static_ipaddress {
    192.0.2.50/24 dev eth0
    192.0.2.51/24 dev eth0 no_track
}
static_routes {
    198.51.100.0/24 via 192.0.2.254 dev eth0
}
static_rules {
    from 198.18.0.0/16 table 100 priority 100
}
`

// keepalived 2.2.7 puts the static entries in place when the VRRP process
// starts, whatever the instances' states, and removes them when it stops
// (vrrp_daemon.c start_vrrp, vrrp_terminate_phase2).
func TestStaticEntriesSetAtStartRemovedAtStop(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, staticConf(staticBlocks))
	a.start()
	if a.state("VI_1") == "MASTER" {
		t.Fatal("setup: the instance must not be MASTER yet")
	}
	for _, p := range []string{"192.0.2.50/24", "192.0.2.51/24"} {
		if !a.holds(p) {
			t.Errorf("static address %s missing after start (instance %s)", p, a.state("VI_1"))
		}
	}
	if !a.hasRoute("198.51.100.0/24 via 192.0.2.254 dev eth0") {
		t.Errorf("static route missing after start; routes %v", a.routes)
	}
	if !a.hasRule("100: from 198.18.0.0/16 table 100") {
		t.Errorf("static rule missing after start; rules %v", a.rules)
	}
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER")
	a.stop()
	for _, p := range []string{"192.0.2.50/24", "192.0.2.51/24"} {
		if a.holds(p) {
			t.Errorf("static address %s still there after stop", p)
		}
	}
	if a.hasRoute("198.51.100.0/24 via 192.0.2.254 dev eth0") || a.hasRule("100: from 198.18.0.0/16 table 100") {
		t.Errorf("static route or rule still there after stop: routes %v rules %v", a.routes, a.rules)
	}
}

// A static address or route deleted by hand is put back at once, unless
// no_track (keepalived: "Restoring deleted static address").
func TestStaticEntriesRestoredUnlessNoTrack(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, staticConf(staticBlocks))
	a.start()
	a.setAddr("192.0.2.50/24", "eth0", false)
	if !a.holds("192.0.2.50/24") {
		t.Error("the static address deleted by hand was not put back")
	}
	a.setAddr("192.0.2.51/24", "eth0", false)
	if a.holds("192.0.2.51/24") {
		t.Error("the no_track static address was put back")
	}
	if err := a.delRoute(staticRoute(t, a)); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if !a.hasRoute("198.51.100.0/24 via 192.0.2.254 dev eth0") {
		t.Error("the static route deleted by hand was not put back")
	}
}

func staticRoute(t *testing.T, n *node) (r addr.Route) {
	t.Helper()
	if len(n.d.static.routes) != 1 {
		t.Fatalf("static routes %v, want 1", n.d.static.routes)
	}
	return n.d.static.routes[0]
}

// A reload removes the static entries it dropped and adds the new ones;
// those kept are not touched.
func TestStaticEntriesFollowReload(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, staticConf(staticBlocks))
	a.start()
	next := strings.NewReplacer("192.0.2.51/24 dev eth0 no_track", "192.0.2.52/24 dev eth0",
		"198.51.100.0/24", "203.0.113.0/25", "table 100", "table 101").Replace(staticBlocks)
	a.mu.Lock()
	a.ops = nil
	a.mu.Unlock()
	if err := a.reload(staticConf(next)); err != nil {
		t.Fatal(err)
	}
	if !a.holds("192.0.2.50/24") || a.holds("192.0.2.51/24") || !a.holds("192.0.2.52/24") {
		t.Errorf("after reload: .50 %v .51 %v .52 %v, want true false true",
			a.holds("192.0.2.50/24"), a.holds("192.0.2.51/24"), a.holds("192.0.2.52/24"))
	}
	a.mu.Lock()
	ops := slices.Clone(a.ops)
	a.mu.Unlock()
	if slices.Contains(ops, "del 192.0.2.50/24") {
		t.Errorf("the kept static address was removed by the reload (ops %v)", ops)
	}
	if a.hasRoute("198.51.100.0/24 via 192.0.2.254 dev eth0") || !a.hasRoute("203.0.113.0/25 via 192.0.2.254 dev eth0") {
		t.Errorf("after reload: routes %v", a.routes)
	}
	if a.hasRule("100: from 198.18.0.0/16 table 100") || !a.hasRule("100: from 198.18.0.0/16 table 101") {
		t.Errorf("after reload: rules %v", a.rules)
	}
}

// track_group: the instances of the group track the interface of each
// static entry naming it, as a weight-0 track_interface: FAULT while it
// is down (vrrp_static_track.c). An instance outside the group does not.
func TestTrackGroupFaultsOnStaticInterfaceDown(t *testing.T) {
	conf := `
track_group TG {
    group {
        VI_1
    }
}
static_ipaddress {
    198.51.100.1/24 dev eth1 track_group TG
}
static_routes {
    198.18.0.0/15 via 198.51.100.254 dev eth1 track_group TG
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        203.0.113.10/32
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        203.0.113.11/32
    }
}
`
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1", "eth1": "wan 198.51.100.2"}, conf)
	a.start()
	h.advance(5 * time.Second)
	if a.state("VI_1") != "MASTER" || a.state("VI_2") != "MASTER" {
		t.Fatalf("setup: VI_1 %s VI_2 %s, want MASTER", a.state("VI_1"), a.state("VI_2"))
	}
	a.setLink("eth1", false)
	if st := a.state("VI_1"); st != "FAULT" {
		t.Errorf("VI_1 (track_group TG) is %s with eth1 down, want FAULT", st)
	}
	if st := a.state("VI_2"); st != "MASTER" {
		t.Errorf("VI_2 (not in the track group) is %s with eth1 down, want MASTER", st)
	}
	a.setLink("eth1", true)
	h.advance(5 * time.Second)
	if st := a.state("VI_1"); st != "MASTER" {
		t.Errorf("VI_1 is %s after eth1 came back, want MASTER", st)
	}
}

// A member's weighted track_interface in a sync group: without
// sync_group_tracking_weight keepalived counts it as weight 0, so the
// interface going down puts the member (and the group) in FAULT; with it,
// the weight lowers the member's priority (150-60 = 90) and it stays up.
func TestSegmentSyncGroupTrackingWeight(t *testing.T) {
	for _, c := range []struct {
		name, flag, wantState string
		wantPrio              int
	}{
		{"without", "", "FAULT", 150},
		{"with", "    sync_group_tracking_weight\n", "BACKUP", 90},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			group := "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n" + c.flag + "}\n"
			a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1", "eth1": "up 198.51.100.1"},
				group+pairConf(150, "    track_interface {\n        eth1 weight -60\n    }"))
			b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(100, ""))
			a.start()
			b.start()
			h.advance(10 * time.Second)
			h.expect("VI_1", vip1, "MASTER", "BACKUP")
			a.setLink("eth1", false)
			h.advance(5 * time.Second)
			if st, p := a.state("VI_1"), a.status("VI_1").Prio; st != c.wantState || (c.wantState != "FAULT" && p != c.wantPrio) {
				t.Errorf("with eth1 down: VI_1 %s priority %d, want %s priority %d", st, p, c.wantState, c.wantPrio)
			}
			a.setLink("eth1", true)
			h.advance(5 * time.Second)
			h.expect("VI_1", vip1, "MASTER", "BACKUP")
		})
	}
}

// track_src_ip: the instance is in FAULT while its configured source
// address (mcast_src_ip here) is not on its interface. Without the keyword
// keepalived reverts to the interface's own address; gokeepalived goes to
// FAULT too while the address it sends adverts from is gone (a MASTER that
// cannot advertise makes a dual master: sourceAddrChanged), a documented
// deviation.
func TestTrackSrcIP(t *testing.T) {
	for _, c := range []struct {
		name, extra, wantDown string
	}{
		{"with", "    mcast_src_ip 192.0.2.9\n    track_src_ip\n", "FAULT"},
		{"without", "    mcast_src_ip 192.0.2.9\n", "FAULT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(100, c.extra))
			a.setAddr("192.0.2.9/24", "eth0", true)
			a.start()
			h.advance(5 * time.Second)
			if st := a.state("VI_1"); st != "MASTER" {
				t.Fatalf("setup: VI_1 %s, want MASTER", st)
			}
			a.setAddr("192.0.2.9/24", "eth0", false)
			h.advance(time.Second)
			if st := a.state("VI_1"); st != c.wantDown {
				t.Errorf("with the source address gone: VI_1 %s, want %s", st, c.wantDown)
			}
			a.setAddr("192.0.2.9/24", "eth0", true)
			h.advance(5 * time.Second)
			if st := a.state("VI_1"); st != "MASTER" {
				t.Errorf("with the source address back: VI_1 %s, want MASTER", st)
			}
		})
	}
	// Missing at start: FAULT from the start.
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(100, "    mcast_src_ip 192.0.2.9\n    track_src_ip\n"))
	a.start()
	h.advance(5 * time.Second)
	if st := a.state("VI_1"); st != "FAULT" {
		t.Errorf("started without its source address: VI_1 %s, want FAULT", st)
	}
}

// kernel_rx_buf_size: an instance counts for that many bytes of its
// socket's receive buffer (the sum over the socket's instances, as
// keepalived); without it, the default share, bounded.
func TestKernelRxBufSize(t *testing.T) {
	mk := func(sizes ...int) map[uint8]*instance {
		m := map[uint8]*instance{}
		for i, n := range sizes {
			m[uint8(i+1)] = &instance{cfg: &config.Instance{KernelRxBufSize: n}}
		}
		return m
	}
	for _, c := range []struct {
		sizes []int
		want  int
	}{
		{[]int{0}, bufferMin},
		{[]int{1 << 20}, 1 << 20},
		{[]int{100000, 0}, 100000 + bufferPerInstance},
		{[]int{4096, 4096}, 8192},
	} {
		if got := bufferSize(&config.Global{}, mk(c.sizes...)); got != c.want {
			t.Errorf("sizes %v: buffer %d, want %d", c.sizes, got, c.want)
		}
	}
}
