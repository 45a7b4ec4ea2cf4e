package daemon

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// pairConf is one vrrp_instance VI_1 (VRID 51, VIP 203.0.113.10, 1 s
// VRRPv2 adverts) with the given priority and extra lines.
func pairConf(prio int, extra string) string {
	return fmt.Sprintf(`vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority %d
    advert_int 1
%s
    virtual_ipaddress {
        203.0.113.10/32
    }
}
`, prio, extra)
}

const vip1 = "203.0.113.10/32"

// pair starts nodes a and b on one segment (a has the lower address).
func pair(t *testing.T, confA, confB string) (*harness, *node, *node) {
	return pairAt(t, "192.0.2.1", "192.0.2.2", confA, confB)
}

// pair6 is pair over IPv6: a is fe80::1, b fe80::2.
func pair6(t *testing.T, confA, confB string) (*harness, *node, *node) {
	return pairAt(t, "fe80::1", "fe80::2", confA, confB)
}

func pairAt(t *testing.T, addrA, addrB, confA, confB string) (*harness, *node, *node) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan " + addrA}, confA)
	b := h.node("b", map[string]string{"eth0": "lan " + addrB}, confB)
	a.start()
	b.start()
	return h, a, b
}

// bFirst starts b alone, lets it become MASTER, then starts a.
func bFirst(t *testing.T, confA, confB string) (*harness, *node, *node) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, confA)
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, confB)
	b.start()
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "", "MASTER")
	a.start()
	return h, a, b
}

// vi2 is conf with VI_1 renamed VI_2 (VRID 52, VIP 203.0.113.20).
func vi2(conf string) string {
	return strings.NewReplacer("VI_1", "VI_2", "virtual_router_id 51", "virtual_router_id 52", "203.0.113.10", "203.0.113.20").Replace(conf)
}

func TestSegmentElection(t *testing.T) {
	h, _, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.expect("VI_1", vip1, "BACKUP", "BACKUP")
	h.advance(3400 * time.Millisecond) // a's master down interval is 3.414 s
	h.expect("VI_1", vip1, "BACKUP", "BACKUP")
	h.advance(100 * time.Millisecond)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	h.advance(60 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if got := b.rec.get(); !slices.Equal(got, []string{"BACKUP 100"}) {
		t.Errorf("b notified %q, want only BACKUP", got)
	}
	if n := b.status("VI_1").Counters["adverts_received"]; n < 55 || n > 62 {
		t.Errorf("b received %d adverts in ~60 s at 1 s", n)
	}
}

func TestSegmentGracefulStopTakesOverAfterSkew(t *testing.T) {
	h, a, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	stopAt := h.now
	a.stop()
	if h.sentBy("a", 51, 0, stopAt) != 1 {
		t.Fatalf("a sent no priority-0 advert on stop")
	}
	h.advance(550 * time.Millisecond) // b's skew time is 0.609 s
	if b.state("VI_1") != "BACKUP" {
		t.Fatalf("b took over before its skew time")
	}
	h.advance(100 * time.Millisecond)
	h.expect("VI_1", vip1, "STOP", "MASTER")
	if b.status("VI_1").Counters["priority_zero_received"] != 1 {
		t.Errorf("priority_zero_received = %v", b.status("VI_1").Counters)
	}
}

func TestSegmentCrashTakesOverAfterMasterDown(t *testing.T) {
	h, a, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	a.kill()
	h.advance(2500 * time.Millisecond) // last advert ≥ -1 s, down interval 3.609 s
	if b.state("VI_1") != "BACKUP" {
		t.Fatalf("b took over before the master down interval")
	}
	h.advance(1200 * time.Millisecond)
	if b.state("VI_1") != "MASTER" || !b.holds(vip1) {
		t.Fatalf("b did not take over: %s", b.state("VI_1"))
	}
}

func TestSegmentPreemption(t *testing.T) {
	h, a, _ := bFirst(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(3 * time.Second)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	h.advance(1 * time.Second) // a preempts after its master down interval
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if c := a.status("VI_1").Counters[ctl.IgnoredLowerPriority.String()]; c < 3 {
		t.Errorf("a ignored %d lower-priority adverts before preempting", c)
	}
}

func TestSegmentNopreempt(t *testing.T) {
	h, _, _ := bFirst(t, pairConf(150, "    nopreempt"), pairConf(100, ""))
	h.advance(30 * time.Second)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
}

func TestSegmentPreemptDelay(t *testing.T) {
	h, _, _ := bFirst(t, pairConf(150, "    preempt_delay 10"), pairConf(100, ""))
	h.advance(9 * time.Second)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	h.advance(6 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
}

// Two masters of equal priority (after a partition): the higher address
// stays MASTER (RFC 9568 §6.4.3).
func TestSegmentEqualPriorityHigherAddressWins(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(100, ""))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(100, ""))
	h.segment("lan").cut = true
	a.start()
	b.start()
	h.advance(5 * time.Second)
	h.expect("VI_1", "", "MASTER", "MASTER")
	h.segment("lan").cut = false
	h.advance(2 * time.Second)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
}

func TestSegmentOwnerStartsMaster(t *testing.T) {
	h, _, _ := pair(t, pairConf(255, ""), pairConf(100, ""))
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	h.advance(20 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
}

func TestSegmentLinkDownFaultAndRecovery(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	a.setLink("eth0", false)
	h.expect("VI_1", vip1, "FAULT", "BACKUP")
	h.advance(4 * time.Second)
	h.expect("VI_1", vip1, "FAULT", "MASTER")
	a.setLink("eth0", true)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	h.advance(4 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
}

func TestSegmentDontTrackPrimary(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, "    dont_track_primary"), pairConf(100, ""))
	h.advance(10 * time.Second)
	a.ifaces["eth0"].up = false // carrier lost: nothing leaves
	a.links <- linkDown("eth0")
	h.settle()
	if a.state("VI_1") != "MASTER" {
		t.Fatalf("dont_track_primary: a left MASTER on link down: %s", a.state("VI_1"))
	}
}

func TestSegmentTrackInterfaceWeight(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1", "eth1": "up 198.51.100.1"},
		pairConf(150, "    track_interface {\n        eth1 weight -60\n    }"))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(100, ""))
	a.start()
	b.start()
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	a.setLink("eth1", false)
	if p := a.status("VI_1").Prio; p != 90 {
		t.Fatalf("a's effective priority %d, want 90", p)
	}
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	a.setLink("eth1", true)
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
}

func syncConf(prio int) string {
	return fmt.Sprintf(`vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority %[1]d
    advert_int 1
    virtual_ipaddress {
        203.0.113.10/32
    }
}
vrrp_instance VI_2 {
    interface eth1
    virtual_router_id 52
    priority %[1]d
    advert_int 1
    virtual_ipaddress {
        198.51.100.10/32
    }
}
`, prio)
}

func TestSegmentSyncGroupFailsOverTogether(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1", "eth1": "dmz 198.51.100.1"}, syncConf(150))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2", "eth1": "dmz 198.51.100.2"}, syncConf(100))
	a.start()
	b.start()
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	h.expect("VI_2", "198.51.100.10/32", "MASTER", "BACKUP")
	a.setLink("eth1", false) // only VI_2's link: the group moves both
	h.expect("VI_1", vip1, "FAULT", "BACKUP")
	h.advance(4 * time.Second)
	h.expect("VI_1", vip1, "FAULT", "MASTER")
	h.expect("VI_2", "198.51.100.10/32", "FAULT", "MASTER")
	if g := b.rec.groups; !slices.Contains(g, "G MASTER") {
		t.Errorf("b's group notifications %q, want G MASTER", g)
	}
	// The snapshot shows the group, its state and members (SNMP's
	// vrrpSyncGroupTable), and each member's group.
	snap := b.d.Snapshot()
	if len(snap.SyncGroups) != 1 || snap.SyncGroups[0].Name != "G" || snap.SyncGroups[0].State != vrrp.StateMaster ||
		strings.Join(snap.SyncGroups[0].Members, ",") != "VI_1,VI_2" {
		t.Errorf("snapshot sync groups %+v, want G MASTER with VI_1,VI_2", snap.SyncGroups)
	}
	for _, in := range snap.Instances {
		if in.SyncGroup != "G" {
			t.Errorf("%s: sync group %q, want G", in.Name, in.SyncGroup)
		}
	}
}

func TestSegmentReloadKeepsUnchanged(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	before := a.status("VI_1").Counters["transitions"]
	if err := a.reload(pairConf(150, "") + vi2(pairConf(150, ""))); err != nil {
		t.Fatal(err)
	}
	h.advance(5 * time.Second)
	if a.status("VI_1").Counters["transitions"] != before || a.state("VI_1") != "MASTER" {
		t.Errorf("VI_1 changed across a reload that kept it")
	}
	if a.state("VI_2") != "MASTER" || !a.holds("203.0.113.20/32") {
		t.Errorf("added VI_2: %s", a.state("VI_2"))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if slices.Contains(a.ops, "del "+vip1) {
		t.Errorf("the reload removed VI_1's VIP: %q", a.ops)
	}
}

func TestSegmentReloadRemoveReleases(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	at := h.now
	if err := a.reload(vi2(pairConf(150, ""))); err != nil {
		t.Fatal(err)
	}
	if h.sentBy("a", 51, 0, at) != 1 || a.holds(vip1) {
		t.Fatalf("removed VI_1 did not say goodbye and release")
	}
	h.advance(700 * time.Millisecond)
	if h.nodes[1].state("VI_1") != "MASTER" {
		t.Fatalf("b did not take over after skew time")
	}
}

func TestSegmentReloadPriorityInPlace(t *testing.T) {
	h, _, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	if err := b.reload(pairConf(200, "")); err != nil {
		t.Fatal(err)
	}
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	if got := b.rec.get(); slices.Contains(got, "STOP 100") {
		t.Errorf("a priority-only reload restarted the instance: %q", got)
	}
}

// Defect: the core kept its first owner flag, so 100→255 was clamped to 254.
func TestSegmentReloadTo255TakesOverAtOnce(t *testing.T) {
	h, _, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	if err := b.reload(pairConf(255, "")); err != nil {
		t.Fatal(err)
	}
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	if p := b.status("VI_1").Prio; p != 255 {
		t.Errorf("b's priority %d, want 255", p)
	}
}

// Defect: 255→100 stayed owner, so a priority-150 peer never took over.
func TestSegmentReloadFrom255Yields(t *testing.T) {
	h, a, _ := pair(t, pairConf(255, ""), pairConf(150, ""))
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if err := a.reload(pairConf(100, "")); err != nil {
		t.Fatal(err)
	}
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	if p := a.status("VI_1").Prio; p != 100 {
		t.Errorf("a's priority %d, want 100", p)
	}
}

func TestSegmentReloadRestartChangedInstance(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	if err := a.reload(strings.Replace(pairConf(150, ""), "advert_int 1", "advert_int 2", 1)); err != nil {
		t.Fatal(err)
	}
	if got := a.rec.get(); !slices.Contains(got, "STOP 150") {
		t.Errorf("changed instance not restarted: %q", got)
	}
	h.advance(30 * time.Second)
	// v2 intervals now differ: each drops the other's adverts, both master.
	h.expect("VI_1", vip1, "MASTER", "MASTER")
	if a.status("VI_1").Drops[packet.DropIntervalMismatch.String()] == 0 {
		t.Errorf("interval mismatch not counted: drops %v counters %v", a.status("VI_1").Drops, a.status("VI_1").Counters)
	}
}

// A reload builds its new instances off the loop: while the new VMAC's
// socket is still being opened, the loop goes on advertising for the
// running instance; then the new one starts. (Before, the whole reload ran
// as one loop step, sockets, VMACs and user lookups included.)
func TestSegmentReloadBuildsOffTheLoop(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	a.openGate, a.opening = make(chan struct{}), make(chan struct{}, 1)
	cfg := h.load(pairConf(150, "") + vi2(pairConf(150, "    use_vmac")))
	done := make(chan error, 1)
	go func() { done <- a.d.Reload(context.Background(), cfg) }()
	for waiting := false; !waiting; {
		select {
		case <-a.opening:
			waiting = true
		case err := <-done:
			t.Fatalf("reload returned before opening its socket: %v", err)
		default:
			a.d.step()
			runtime.Gosched()
		}
	}
	since := h.now
	h.advance(3 * time.Second)
	if n := h.sentBy("a", 51, 150, since); n < 2 {
		t.Errorf("a sent %d adverts for VI_1 while the reload prepared VI_2, want one a second", n)
	}
	if a.state("VI_2") != "" {
		t.Errorf("VI_2 is %s before its reload committed", a.state("VI_2"))
	}
	close(a.openGate)
	if err := a.stepUntil(done, nil); err != nil {
		t.Fatal(err)
	}
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if a.state("VI_2") != "MASTER" || !a.hasVMAC("vrrp.52") {
		t.Errorf("VI_2 after the reload: %s, VMAC %v", a.state("VI_2"), a.hasVMAC("vrrp.52"))
	}
}

// Defect: a reload or start that failed after creating a VMAC left it behind.
func TestSegmentFailedReloadLeavesNoVMAC(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	bad := pairConf(150, "") + `vrrp_instance VI_2 {
    interface eth0
    use_vmac
    virtual_router_id 52
    priority 100
    virtual_ipaddress {
        203.0.113.20/32
    }
}
vrrp_instance VI_3 {
    interface eth9
    virtual_router_id 53
    priority 100
    virtual_ipaddress {
        203.0.113.30/32
    }
}
`
	if err := a.reload(bad); err == nil {
		t.Fatal("reload with an interface that does not exist succeeded")
	}
	if a.hasVMAC("vrrp.52") {
		t.Errorf("failed reload left vrrp.52 behind: %q", a.ops)
	}
	a.mu.Lock()
	for _, c := range a.conns {
		select {
		case <-c.closed:
		default:
			if c.iface == "vrrp.52" {
				t.Errorf("failed reload left its socket on vrrp.52 open")
			}
		}
	}
	a.mu.Unlock()
	h.expect("VI_1", vip1, "MASTER", "BACKUP")

	c := h.node("c", map[string]string{"eth0": "lan 192.0.2.3"}, bad)
	_, err := c.d.start(t.Context())
	if err == nil {
		t.Fatal("start with a broken instance succeeded")
	}
	if c.hasVMAC("vrrp.52") {
		t.Errorf("failed start left vrrp.52 behind: %q", c.ops)
	}
}

// Defect: notify_master_rx_lower_pri was accepted and never ran.
func TestSegmentMasterRxLowerPri(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(10 * time.Second)
	h.segs["lan"].cut = true
	h.advance(5 * time.Second)
	h.expect("VI_1", "", "MASTER", "MASTER")
	h.segs["lan"].cut = false
	h.advance(2 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if len(a.rec.events) == 0 || !strings.Contains(a.rec.events[0], "VI_1 MASTER_RX_LOWER_PRI 150 from 192.0.2.2 100") {
		t.Errorf("a's events %q, want MASTER_RX_LOWER_PRI", a.rec.events)
	}
}

// Defect: vips_held was reported true when every address add failed.
func TestSegmentVIPsHeldOnlyWhenAdded(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(150, ""))
	a.failAdd[vip1] = true
	a.start()
	h.advance(5 * time.Second)
	st := a.status("VI_1")
	if st.State != "MASTER" || st.Held {
		t.Errorf("state %s held %v, want MASTER and not held", st.State, st.Held)
	}
	if !strings.Contains(strings.Join(st.Warnings, "\n"), "without 1 of its 1 virtual addresses") {
		t.Errorf("warnings %q", st.Warnings)
	}
}

func TestSegmentAuthMismatchDropped(t *testing.T) {
	auth := func(p string) string {
		return "    authentication {\n        auth_type PASS\n        auth_pass " + p + "\n    }"
	}
	h, _, b := pair(t, pairConf(150, auth("secret1")), pairConf(100, auth("secret2")))
	h.advance(10 * time.Second)
	h.expect("VI_1", "", "MASTER", "MASTER")
	if b.status("VI_1").Drops[packet.DropAuthMismatch.String()] == 0 {
		t.Errorf("b's drops %v, want the authentication mismatch counted as auth_mismatch", b.status("VI_1").Drops)
	}
}

func TestSegmentUnicastPeers(t *testing.T) {
	uc := func(src, peer string) string {
		return "    unicast_src_ip " + src + "\n    unicast_peer {\n        " + peer + "\n    }"
	}
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(150, uc("192.0.2.1", "192.0.2.2")))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(100, uc("192.0.2.2", "192.0.2.1")))
	// c believes b is its peer: b must drop its adverts as from a stranger.
	c := h.node("c", map[string]string{"eth0": "lan 192.0.2.3"}, pairConf(50, uc("192.0.2.3", "192.0.2.2")))
	a.start()
	b.start()
	c.start()
	h.advance(10 * time.Second)
	if a.state("VI_1") != "MASTER" || b.state("VI_1") != "BACKUP" {
		t.Fatalf("a %s b %s", a.state("VI_1"), b.state("VI_1"))
	}
	if b.status("VI_1").Drops[packet.DropUnicastSrc.String()] == 0 {
		t.Errorf("b's drops %v, want c's adverts counted as unicast_src", b.status("VI_1").Drops)
	}
}

func TestSegmentV3LearnsMasterInterval(t *testing.T) {
	v3 := func(prio int, adv string) string {
		return strings.Replace(pairConf(prio, "    version 3"), "advert_int 1", "advert_int "+adv, 1)
	}
	h, a, b := pair(t, v3(150, "0.5"), v3(100, "2"))
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	a.kill()
	h.advance(2200 * time.Millisecond) // 3 × 0.5 s + skew: b takes over well before 3 × 2 s
	if b.state("VI_1") != "MASTER" {
		t.Fatalf("b (2 s interval) did not use the master's 0.5 s: %s", b.state("VI_1"))
	}
}

func TestSegmentIPv6Pair(t *testing.T) {
	conf := func(prio int) string {
		return fmt.Sprintf(`vrrp_instance V6 {
    interface eth0
    virtual_router_id 61
    priority %d
    advert_int 1
    version 3
    virtual_ipaddress {
        2001:db8::10/128
    }
}
`, prio)
	}
	h, a, _ := pair6(t, conf(150), conf(100))
	h.advance(10 * time.Second)
	h.expect("V6", "2001:db8::10/128", "MASTER", "BACKUP")
	a.stop()
	h.advance(time.Second)
	h.expect("V6", "2001:db8::10/128", "STOP", "MASTER")
}
