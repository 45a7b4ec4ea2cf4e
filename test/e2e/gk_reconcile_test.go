package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// Issue 10: the kernel matches what the daemon says, under faults made by
// hand in the namespaces (each of these failed on fb7b5b7).

// reconcilePair is a gokeepalived pair, master 100 and backup 90, with the
// VIP in the LAN's /24 (so the kernel removes it with the primary address).
func reconcilePair(t *testing.T, tag string, extra string) (*cluster, *member, *member) {
	t.Helper()
	conf := func(state string, prio int) string {
		return vrrpConf{State: state, Priority: prio, Auth: true, VIPs: []string{vip + "/24"}, Extra: extra}.String()
	}
	c := newCluster(t, tag, vip, clientAddr)
	m := c.add("master", netns.Gokeepalived, conf("MASTER", 100), masterAddr)
	b := c.add("backup", netns.Gokeepalived, conf("BACKUP", 90), backupAddr)
	c.start(m, b)
	netns.Eventually(t, converge, c.only(m))
	netns.Eventually(t, converge, c.hears(b, m))
	return c, m, b
}

func counter(c *cluster, m *member, k ctl.Counter) uint64 {
	st, _ := c.status(m)
	return st.Counter(k)
}

// TestReconcileVIPRemoved (fault 1): a virtual route, then a VIP, deleted by
// hand on the MASTER are put back and counted; the interface's primary address removed (which
// takes the VIP in its subnet with it) puts the master in FAULT and the VIP on the backup, and put
// back leaves the master holding the VIP again, not MASTER with no VIP on either node.
func TestReconcileVIPRemoved(t *testing.T) {
	t.Parallel()
	const route = "198.51.100.0/24"
	c, m, b := reconcilePair(t, "rcv", "    virtual_routes {\n        "+route+" dev "+ifname+" table 100\n    }\n")
	g := m.gk()
	hasRoute := func() bool { return strings.Contains(m.node.MustExec("ip", "route", "show", "table", "100"), route) }
	if !hasRoute() {
		t.Fatalf("the master has no virtual route:\n%s", m.node.MustExec("ip", "route", "show", "table", "100"))
	}
	m.node.MustExec("ip", "route", "del", route, "dev", ifname, "table", "100")
	netns.Eventually(t, converge, func() (bool, string) {
		return hasRoute() && counter(c, m, ctl.RoutesRestored) == 1,
			fmt.Sprintf("the route deleted by hand is not back (routes_restored %d):%s", counter(c, m, ctl.RoutesRestored), c.describe())
	})

	m.node.MustExec("ip", "addr", "del", vip+"/24", "dev", ifname)
	netns.Eventually(t, converge, func() (bool, string) {
		return m.node.HasAddr(vip) && counter(c, m, ctl.VIPsRestored) >= 1,
			fmt.Sprintf("the VIP deleted by hand is not back (vips_restored %d):%s", counter(c, m, ctl.VIPsRestored), c.describe())
	})
	if !strings.Contains(g.Logs(), "virtual address restored") {
		t.Errorf("no \"virtual address restored\" log line:\n%s", lastLines(g.Logs(), 8))
	}
	netns.Eventually(t, converge, c.only(m))

	// The primary address is the master's advert source: without it no
	// advert can be sent, so the instance goes to FAULT (keepalived: "no
	// IPv4 address for interface") and the backup takes the VIP, instead of
	// both holding it (found by the chaos harness). Back: the master preempts.
	m.node.MustExec("ip", "addr", "del", masterAddr, "dev", ifname)
	netns.Eventually(t, converge, c.state(m, "FAULT"))
	netns.Eventually(t, converge, c.only(b))
	m.node.MustExec("ip", "addr", "add", masterAddr, "dev", ifname)
	netns.Eventually(t, converge, c.only(m))
}

// TestReconcileStaleVIPAfterKill (fault 4): the master is killed (kill -9)
// and leaves its VIP behind; the backup takes over; the daemon restarted
// as a lower priority BACKUP removes the stale VIP, so only the new master
// holds it.
func TestReconcileStaleVIPAfterKill(t *testing.T) {
	t.Parallel()
	c, m, b := reconcilePair(t, "rck", "")
	g := m.gk()
	g.Kill()
	if !m.node.HasAddr(vip) {
		t.Fatal("setup: the killed master's VIP is gone already")
	}
	netns.Eventually(t, converge, c.state(b, "MASTER"))
	if err := g.Rewrite(vrrpConf{State: "BACKUP", Priority: 50, Auth: true, VIPs: []string{vip + "/24"}}.String()); err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(t, converge, c.only(b))
	netns.Eventually(t, converge, func() (bool, string) {
		return counter(c, m, ctl.StaleVIPsRemoved) == 1, fmt.Sprintf("stale_vips_removed %d, want 1:%s", counter(c, m, ctl.StaleVIPsRemoved), c.describe())
	})
}

// TestReconcileInterfaceRecreated (fault 2): the master's interface is
// deleted (FAULT, the reason naming it; the backup takes over) and created
// again with a new index: the master rebinds its socket, its adverts reach
// the backup again and it takes the VIP back (before: both stayed MASTER).
func TestReconcileInterfaceRecreated(t *testing.T) {
	t.Parallel()
	c, m, b := reconcilePair(t, "rci", "")
	m.node.MustExec("ip", "link", "del", ifname)
	netns.Eventually(t, converge, c.state(m, "FAULT"))
	netns.Eventually(t, converge, c.only(b))
	if st, _ := c.status(m); !strings.Contains(strings.Join(st.Warnings, "\n"), ifname+" deleted") {
		t.Errorf("the master's status does not name the deleted interface: warnings %q, last transition %+v", st.Warnings, st.LastTransition)
	}
	c.topo.Link(m.node, c.lan, ifname, masterAddr)
	netns.Eventually(t, converge, c.only(m))
	netns.Eventually(t, converge, c.hears(b, m))
	if !strings.Contains(m.gk().Logs(), "instances rebuilt") {
		t.Errorf("no \"instances rebuilt\" log line:\n%s", lastLines(m.gk().Logs(), 8))
	}
}

// TestReconcileReloadVIPsInPlace (fault 3): a reload (SIGHUP on both nodes)
// that adds a VIP, then removes it again, is applied in place: the master
// never restarts the instance, the kept VIP never leaves it, and the client
// is answered by the master throughout (before: the instance restarted and
// the VIP was on neither node for seconds).
func TestReconcileReloadVIPsInPlace(t *testing.T) {
	t.Parallel()
	const vip2 = "192.0.2.101"
	c, m, b := reconcilePair(t, "rcr", "")
	p := c.client.Probe(vip, 100*time.Millisecond)
	netns.Eventually(t, converge, answersFrom(p, m, time.Now()))
	g := m.gk()
	in0, _ := c.status(m)
	reload := func(mb *member, state string, prio int, vips ...string) {
		t.Helper()
		if err := mb.gk().Rewrite(vrrpConf{State: state, Priority: prio, Auth: true, VIPs: vips}.String()); err != nil {
			t.Fatal(err)
		}
		if err := mb.gk().Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	reload(m, "MASTER", 100, vip+"/24", vip2+"/24")
	reload(b, "BACKUP", 90, vip+"/24", vip2+"/24")
	netns.Eventually(t, converge, func() (bool, string) {
		return m.node.HasAddr(vip2) && m.node.HasAddr(vip) && !b.node.HasAddr(vip2), "the master does not hold both VIPs:" + c.describe()
	})
	reload(m, "MASTER", 100, vip+"/24")
	reload(b, "BACKUP", 90, vip+"/24")
	netns.Eventually(t, converge, func() (bool, string) {
		return !m.node.HasAddr(vip2) && m.node.HasAddr(vip), "the master still holds the VIP dropped by the reload:" + c.describe()
	})
	netns.Eventually(t, converge, c.only(m))
	netns.Eventually(t, converge, c.hears(b, m))
	in, _ := c.status(m)
	if in.Counter(ctl.Transitions) != in0.Counter(ctl.Transitions) {
		t.Errorf("the master's instance changed state across the reloads: transitions %d → %d, last %+v",
			in0.Counter(ctl.Transitions), in.Counter(ctl.Transitions), in.LastTransition)
	}
	if strings.Contains(g.Logs(), "stopping VRRP instance") || strings.Count(g.Logs(), "changed in place") < 2 {
		t.Errorf("the reloads did not apply in place:\n%s", lastLines(g.Logs(), 12))
	}
	for _, s := range p.Samples() {
		if s.Err != nil || s.Answer != "master" {
			t.Errorf("client not answered by the master at %s: %q %v", s.At.Format("15:04:05.000"), s.Answer, s.Err)
			break
		}
	}
}
