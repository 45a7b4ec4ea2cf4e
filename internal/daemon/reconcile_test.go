package daemon

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/linux/addr"
)

// Issue 10, fault 1: a VIP removed under the MASTER (by hand, or by the
// kernel with the interface's primary address) is put back at once,
// counted and reported; status says what the kernel has.
func TestVIPRemovedUnderMasterIsRestored(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")

	a.setAddr(vip1, "eth0", false) // ip addr del 203.0.113.10/32 dev eth0
	if !a.holds(vip1) {
		t.Fatalf("the VIP removed by hand was not restored")
	}
	st := a.status("VI_1")
	if st.Counters[ctl.VIPsRestored.String()] != 1 || !st.Held {
		t.Errorf("status: vips_restored %d held %v, want 1 true", st.Counters[ctl.VIPsRestored.String()], st.Held)
	}
	// Again later: every removal is repaired.
	h.advance(10 * time.Second)
	a.setAddr(vip1, "eth0", false)
	h.advance(time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if n := a.status("VI_1").Counters[ctl.VIPsRestored.String()]; n != 2 {
		t.Errorf("vips_restored %d, want 2", n)
	}
}

// Issue 10, fault 1: when putting the VIP back fails, status no longer
// says it is held.
func TestVIPNotRestorableIsNotReportedHeld(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	a.mu.Lock()
	a.failAdd[vip1] = true
	a.mu.Unlock()
	a.setAddr(vip1, "eth0", false)
	h.advance(time.Second)
	st := a.status("VI_1")
	if st.Held || a.holds(vip1) {
		t.Errorf("held %v (kernel has it: %v), want not held", st.Held, a.holds(vip1))
	}
	if len(st.Warnings) == 0 {
		t.Errorf("no warning says the MASTER lost its VIP")
	}
	// Put back by hand: the MASTER keeps it and reports it held again.
	a.setAddr(vip1, "eth0", true)
	if st := a.status("VI_1"); !st.Held || !a.holds(vip1) {
		t.Errorf("after the VIP came back: held %v, kernel has it %v; want both", st.Held, a.holds(vip1))
	}
}

// Issue 10, fault 1 (the other direction): a VIP of ours added by hand on a
// BACKUP is removed: two nodes must not answer for it.
func TestVIPAddedUnderBackupIsRemoved(t *testing.T) {
	h, _, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(5 * time.Second)
	b.setAddr(vip1, "eth0", true)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if n := b.status("VI_1").Counters[ctl.StaleVIPsRemoved.String()]; n != 1 {
		t.Errorf("stale_vips_removed %d, want 1", n)
	}
}

// Issue 10, fault 4: after a crash (kill -9), the restarted daemon finds
// its old VIP on the interface; it removes it before starting as BACKUP,
// so the VIP is not duplicated with the real master.
func TestStaleVIPRemovedAtStart(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(100, ""))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(150, ""))
	b.start()
	h.advance(5 * time.Second)
	a.setAddr(vip1, "eth0", true) // left by the crashed run
	if !a.holds(vip1) {
		t.Fatal("setup: the stale VIP is not there")
	}
	a.start()
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	st := a.status("VI_1")
	if st.Held || st.Counters[ctl.StaleVIPsRemoved.String()] != 1 {
		t.Errorf("status: held %v stale_vips_removed %d, want false 1", st.Held, st.Counters[ctl.StaleVIPsRemoved.String()])
	}
}

// Issue 10, fault 2: the interface is deleted and re-created (a new
// index). While it is gone the instance is in FAULT, the reason naming
// it; once back, the instance gets a new socket and takes part again:
// its adverts reach the peer (before, the old socket could send nothing
// and both nodes stayed MASTER).
func TestInterfaceRecreatedRebindsSocket(t *testing.T) {
	h, a, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")

	a.deleteLink("eth0")
	if st := a.state("VI_1"); st != "FAULT" {
		t.Fatalf("a is %s after its interface was deleted, want FAULT", st)
	}
	if lt := a.d.find("VI_1").lastTransition; lt == nil || !strings.Contains(lt.reason, "eth0 deleted") {
		t.Errorf("FAULT reason %+v, want it to name the deleted eth0", lt)
	}
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "FAULT", "MASTER")

	a.recreateLink("eth0")
	since := h.now
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if n := h.sentBy("a", 51, 150, since); n < 5 {
		t.Errorf("a sent %d adverts after the interface came back, want one a second", n)
	}
	errs := a.status("VI_1").Counters[ctl.SendErrors.String()]
	h.advance(10 * time.Second)
	if n := a.status("VI_1").Counters[ctl.SendErrors.String()]; n != errs {
		t.Errorf("send_errors %d → %d after the rebuild: adverts still fail", errs, n)
	}
	if got := b.state("VI_1"); got != "BACKUP" {
		t.Errorf("b is %s, want BACKUP (it hears a)", got)
	}
}

// Issue 10, fault 3: a reload that changes only the VIP list is applied in
// place: the MASTER adds the new address and removes the dropped one
// without a restart, so the addresses kept never leave it (before, the
// instance restarted and the VIP was on neither node for seconds).
func TestReloadChangesVIPsInPlace(t *testing.T) {
	const vip2 = "203.0.113.11/32"
	h, a, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	trans := a.status("VI_1").Counters[ctl.Transitions.String()]
	a.mu.Lock()
	ops0 := len(a.ops)
	a.mu.Unlock()
	vips := func(conf string, lines ...string) string {
		return strings.Replace(conf, "        203.0.113.10/32\n", "        "+strings.Join(lines, "\n        ")+"\n", 1)
	}
	if err := a.reload(vips(pairConf(150, ""), vip1, vip2)); err != nil {
		t.Fatal(err)
	}
	if err := b.reload(vips(pairConf(100, ""), vip1, vip2)); err != nil {
		t.Fatal(err)
	}
	h.expect("VI_1", vip2, "MASTER", "BACKUP")
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	h.advance(10 * time.Second)
	h.expect("VI_1", vip2, "MASTER", "BACKUP")

	if err := a.reload(vips(pairConf(150, ""), vip2)); err != nil {
		t.Fatal(err)
	}
	if err := b.reload(vips(pairConf(100, ""), vip2)); err != nil {
		t.Fatal(err)
	}
	h.advance(10 * time.Second)
	h.expect("VI_1", vip2, "MASTER", "BACKUP")
	if a.holds(vip1) {
		t.Errorf("the VIP dropped from the configuration is still held")
	}
	if n := a.status("VI_1").Counters[ctl.Transitions.String()]; n != trans {
		t.Errorf("transitions %d → %d: the reload restarted the instance", trans, n)
	}
	a.mu.Lock()
	ops := slices.Clone(a.ops[ops0:])
	a.mu.Unlock()
	if want := []string{"add " + vip1, "add " + vip2, "del " + vip1, "add " + vip2}; !slices.Equal(ops, want) {
		t.Errorf("kernel operations %q, want %q (no removal of a kept VIP, no socket reopened)", ops, want)
	}
	// b accepts a's adverts with the new list (only those sent between
	// the two nodes' reloads were dropped, as a different list).
	rx := b.status("VI_1").Counters[ctl.AdvertsReceived.String()]
	h.advance(5 * time.Second)
	if n := b.status("VI_1").Counters[ctl.AdvertsReceived.String()]; n < rx+4 {
		t.Errorf("b received %d adverts in 5 s after the reloads, want about 5", n-rx)
	}
}

// Which reload changes apply in place and which restart the instance.
func TestInPlaceChanges(t *testing.T) {
	base := pairConf(100, "")
	for _, c := range []struct {
		name, conf string
		fields     string
		ok         bool
	}{
		{"unchanged", base, "", true},
		{"priority", pairConf(120, ""), "priority", true},
		{"VIPs and priority", strings.Replace(pairConf(120, ""), "203.0.113.10/32", "203.0.113.11/32", 1), "priority,virtual_ipaddress", true},
		{"track_interface", pairConf(100, "    track_interface {\n        eth1\n    }"), "track_interface", true},
		{"notify", pairConf(100, "    notify_master /bin/true"), "notify", true},
		{"interface", strings.Replace(base, "interface eth0", "interface eth1", 1), "", false},
		{"VRID", strings.Replace(base, "virtual_router_id 51", "virtual_router_id 52", 1), "", false},
		{"family", strings.Replace(base, "203.0.113.10/32", "2001:db8::10/128", 1), "", false},
		{"advert_int", strings.Replace(base, "advert_int 1", "advert_int 2", 1), "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			old, new := loadRaw(t, base).Instances[0], loadRaw(t, c.conf).Instances[0]
			fields, ok := inPlaceChanges(old, new)
			if ok != c.ok || (ok && strings.Join(fields, ",") != c.fields) {
				t.Errorf("inPlaceChanges = %q %v, want %q %v", fields, ok, c.fields, c.ok)
			}
		})
	}
}

// After missed address events (a netlink overflow: one Resync event), the
// MASTER puts back what it lost and a BACKUP removes what it should not
// have.
func TestAddressResync(t *testing.T) {
	h, a, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	a.mu.Lock()
	delete(a.addrs, vip1) // silently: the event was lost
	a.mu.Unlock()
	b.mu.Lock()
	b.addrs[vip1] = "eth0"
	b.mu.Unlock()
	a.addrEvents <- addr.Event{Resync: true}
	b.addrEvents <- addr.Event{Resync: true}
	h.settle()
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
}

// A virtual route deleted by hand while MASTER is put back and counted.
func TestVirtualRouteDeletedUnderMasterIsRestored(t *testing.T) {
	routes := "    virtual_routes {\n        198.51.100.0/24 dev eth0 table 100\n    }"
	h, a, _ := pair(t, pairConf(150, routes), pairConf(100, routes))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	rt := a.d.find("VI_1").routes[0]
	if !a.hasRoute(rt.String()) {
		t.Fatalf("the MASTER has no route %s", rt)
	}
	if err := a.delRoute(rt); err != nil { // ip route del ... table 100
		t.Fatal(err)
	}
	h.settle()
	if !a.hasRoute(rt.String()) {
		t.Errorf("the route deleted by hand was not restored")
	}
	if n := a.status("VI_1").Counters[ctl.RoutesRestored.String()]; n != 1 {
		t.Errorf("routes_restored %d, want 1", n)
	}
	// A reload dropping the route removes it in place: our own deletion is
	// no loss.
	if err := a.reload(pairConf(150, "")); err != nil {
		t.Fatal(err)
	}
	h.advance(time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if a.hasRoute(rt.String()) {
		t.Errorf("the route dropped by the reload is still there")
	}
	if n := a.status("VI_1").Counters[ctl.RoutesRestored.String()]; n != 1 {
		t.Errorf("routes_restored %d after the reload, want still 1", n)
	}
}

// Found by the chaos harness (issue 10): the kernel flushes the routes over
// a device with its last IPv4 address and says nothing; the VIP came back
// (vips_restored) but the MASTER's virtual route did not. An address
// removal now makes the daemon look at its routes and put back the lost
// ones.
func TestRouteFlushedWithAddressIsRestored(t *testing.T) {
	routes := "    virtual_routes {\n        198.51.100.0/24 dev eth0 table 100\n    }"
	h, a, _ := pair(t, pairConf(150, routes), pairConf(100, routes))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	rt := a.d.find("VI_1").routes[0]
	a.flushRoutes()
	a.setAddr(vip1, "eth0", false) // the address goes; its routes went silently
	h.settle()
	if !a.hasRoute(rt.String()) {
		t.Fatalf("the route flushed with the address was not restored")
	}
	st := a.status("VI_1")
	if st.Counters[ctl.RoutesRestored.String()] != 1 || st.Counters[ctl.VIPsRestored.String()] != 1 {
		t.Errorf("routes_restored %d vips_restored %d, want 1 1", st.Counters[ctl.RoutesRestored.String()], st.Counters[ctl.VIPsRestored.String()])
	}
	// An address removal that took no route restores none.
	a.setAddr(vip1, "eth0", false)
	h.settle()
	if n := a.status("VI_1").Counters[ctl.RoutesRestored.String()]; n != 1 {
		t.Errorf("routes_restored %d after a removal that flushed nothing, want still 1", n)
	}
}

// Found by the chaos harness (issue 10; fault 4 for routes and rules): a
// daemon killed while MASTER leaves its virtual rules and routes; the
// restarted daemon (BACKUP) removed the stale VIPs but kept the rule, so
// two nodes routed for the VIP. They are removed at start now, as
// keepalived does.
func TestStaleRoutesAndRulesRemovedAtStart(t *testing.T) {
	extra := "    virtual_routes {\n        198.51.100.0/24 dev eth0 table 100\n    }\n" +
		"    virtual_rules {\n        from 203.0.113.10/32 table 100\n    }"
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(100, extra))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(150, extra))
	b.start()
	h.advance(5 * time.Second)
	// Left by a's crashed run.
	var route, rule string
	a.setAddr(vip1, "eth0", true)
	for _, r := range b.d.find("VI_1").routes {
		route = r.String()
		_ = nodeRoutes{a}.Add(r)
	}
	for _, r := range b.d.find("VI_1").rules {
		rule = r.String()
		_ = nodeRules{a}.Add(r)
	}
	a.start()
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	if a.hasRoute(route) || a.hasRule(rule) {
		t.Errorf("the restarted BACKUP keeps the stale route %v (%s) or rule %v (%s)", a.hasRoute(route), route, a.hasRule(rule), rule)
	}
	if !b.hasRoute(route) || !b.hasRule(rule) {
		t.Errorf("the MASTER lacks its route %v or rule %v", b.hasRoute(route), b.hasRule(rule))
	}
}

// Found by the chaos harness (issue 10): after a crash that left the VIP
// as the interface's primary address (the kernel promotes it when the own
// address is removed, and the own address added back comes second), the
// restarted daemon took the VIP as its advert source. The node holding the
// VIP drops adverts from its own address, so both stayed MASTER for good.
// The source is now the interface's own address.
func TestAdvertSourceIsNotAVIP(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(150, ""))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(100, ""))
	b.start()
	h.advance(5 * time.Second)
	if st := b.state("VI_1"); st != "MASTER" {
		t.Fatalf("setup: b is %s, want MASTER", st)
	}
	a.setAddr(vip1, "eth0", true) // left by the crashed run, listed first
	a.setAddr("192.0.2.1/24", "eth0", true)
	a.mu.Lock()
	a.primaryFirst = netip.MustParsePrefix(vip1).Addr()
	a.mu.Unlock()
	a.start()
	if src := a.d.find("VI_1").src; src != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("advert source %v, want the interface's own 192.0.2.1", src)
	}
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
}

// Issue 10, item 4: a virtual rule deleted by hand while MASTER is put back
// (netlink gives no rule events: the loop looks every second) and counted;
// a BACKUP does not add it.
func TestVirtualRuleDeletedUnderMasterIsRestored(t *testing.T) {
	rules := "    virtual_rules {\n        from 203.0.113.10/32 table 100\n    }"
	h, a, b := pair(t, pairConf(150, rules), pairConf(100, rules))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	ru := a.d.find("VI_1").rules[0]
	if !a.hasRule(ru.String()) || b.hasRule(ru.String()) {
		t.Fatalf("setup: master has the rule %v, backup %v; want true, false", a.hasRule(ru.String()), b.hasRule(ru.String()))
	}
	_ = nodeRules{a}.Del(ru) // ip rule del ... (no event)
	h.advance(3 * time.Second)
	if !a.hasRule(ru.String()) {
		t.Fatalf("the rule deleted by hand was not restored")
	}
	if n := a.status("VI_1").Counters[ctl.RulesRestored.String()]; n != 1 {
		t.Errorf("rules_restored %d, want 1", n)
	}
	if b.hasRule(ru.String()) {
		t.Errorf("the BACKUP added the rule")
	}
}

// Found by the chaos harness (issue 10): the MASTER's own address (its
// advert source) removed: it kept the VIP, could send no advert ("network
// is unreachable"), the peer took over and both held the VIP until the
// address came back. The instance is in FAULT while its source is gone.
func TestSourceAddressRemovedFaults(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, ""), pairConf(100, ""))
	a.setAddr("192.0.2.1/24", "eth0", true) // the fake kernel lists it too
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	a.setAddr("192.0.2.1/24", "eth0", false)
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "FAULT", "MASTER")
	if a.holds(vip1) {
		t.Errorf("the FAULT node still holds the VIP")
	}
	a.setAddr("192.0.2.1/24", "eth0", true)
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
}
