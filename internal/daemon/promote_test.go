package daemon

import "testing"

func promoteOf(n *node, ifname string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.promote[ifname]
}

// promote_secondaries: the interface's sysctl is 1 while an instance with
// it runs, and set back when a reload drops it and at stop.
func TestPromoteSecondariesFollowsInstances(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(100, "    promote_secondaries"))
	a.start()
	if !promoteOf(a, "eth0") {
		t.Fatal("promote_secondaries not set on eth0 while the instance runs")
	}
	if err := a.reload(pairConf(100, "")); err != nil {
		t.Fatal(err)
	}
	if promoteOf(a, "eth0") {
		t.Error("promote_secondaries still set after a reload removed it")
	}
	if err := a.reload(pairConf(100, "    promote_secondaries")); err != nil {
		t.Fatal(err)
	}
	if !promoteOf(a, "eth0") {
		t.Error("promote_secondaries not set after a reload added it")
	}
	a.stop()
	if promoteOf(a, "eth0") {
		t.Error("promote_secondaries still set after stop")
	}
}

// An interface that had promote_secondaries before is left with it.
func TestPromoteSecondariesKeepsWhatWasThere(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(100, "    promote_secondaries"))
	a.promote = map[string]bool{"eth0": true}
	a.start()
	a.stop()
	if !promoteOf(a, "eth0") {
		t.Error("promote_secondaries set by someone else was cleared at stop")
	}
}
