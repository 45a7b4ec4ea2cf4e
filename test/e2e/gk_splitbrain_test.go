package e2e

import (
	"fmt"
	"strings"
	"testing"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// assertSplitBrainDetected waits until the gokeepalived master reports a split brain with
// peer: a split_brain_suspected count, a status warning naming the peer and the likely
// firewall, and the same warning in its log.
func assertSplitBrainDetected(t *testing.T, g *netns.GokeepalivedRunner, peer string) {
	t.Helper()
	netns.Eventually(t, converge, func() (bool, string) {
		in, ok := g.Instance("VI_1")
		if !ok {
			return false, "master's status unavailable"
		}
		warned := false
		for _, w := range in.Warnings {
			warned = warned || (strings.Contains(w, peer) && strings.Contains(w, "firewall"))
		}
		return in.State == "MASTER" && in.Counter(ctl.SplitBrainSuspected) > 0 && warned,
			fmt.Sprintf("master does not report a split brain with %s: state %s, counters %v, warnings %q",
				peer, in.State, in.Counters, in.Warnings)
	})
	netns.Eventually(t, converge, func() (bool, string) {
		logs := g.Logs()
		return strings.Contains(logs, "split brain suspected: "+peer) && strings.Contains(logs, "firewall"),
			"master's log has no split-brain warning naming " + peer + ":\n" + lastLines(logs, 10)
	})
	in, _ := g.Instance("VI_1")
	t.Logf("master reports: split_brain_suspected=%d; %q", in.Counter(ctl.SplitBrainSuspected), in.Warnings)
}

// TestSplitBrainFirewallAtStart: the backup's host firewall drops VRRP before its daemon
// starts, so it never hears the master and becomes MASTER too. Both nodes explain it: the
// backup warns that it never heard another router and that VRRP may be filtered by a
// firewall (no_master_heard), the master that a lower-priority MASTER advertises
// (split_brain_suspected, naming the backup). Status and log say the same. When the
// firewall is fixed a single master remains.
func TestSplitBrainFirewallAtStart(t *testing.T) {
	t.Parallel()
	c, m, b := func() (*cluster, *member, *member) {
		c := newCluster(t, "sbfw", vip, clientAddr)
		m := c.add("master", netns.Gokeepalived, readConf(t, "master.conf"), masterAddr)
		b := c.add("backup", netns.Gokeepalived, readConf(t, "backup.conf"), backupAddr)
		return c, m, b
	}()
	c.start(m)
	netns.Eventually(t, converge, c.only(m))
	b.node.DropVRRP()
	c.start(b)
	netns.Eventually(t, converge, c.only(m, b))
	netns.Eventually(t, converge, c.state(b, "MASTER"))

	netns.Eventually(t, converge, func() (bool, string) {
		st, ok := c.status(b)
		warned := false
		for _, w := range st.Warnings {
			warned = warned || (strings.Contains(w, "without ever hearing another router") && strings.Contains(w, "firewall"))
		}
		return ok && st.Counter(ctl.NoMasterHeard) > 0 && warned,
			fmt.Sprintf("backup does not warn that it hears no master: counters %v, warnings %q", st.Counters, st.Warnings)
	})
	if logs := b.d.Logs(); !strings.Contains(logs, "without ever hearing another router") || !strings.Contains(logs, "firewall") {
		t.Errorf("backup's log does not explain the missing master:\n%s", lastLines(logs, 10))
	}
	st, _ := c.status(b)
	t.Logf("backup reports: no_master_heard=%d; %q", st.Counter(ctl.NoMasterHeard), st.Warnings)
	assertSplitBrainDetected(t, m.gk(), b.addr)
	// The master is configured MASTER: starting alone was a cold start, not a fault, so it
	// must not also claim it cannot hear anybody.
	if st, _ := c.status(m); strings.Contains(strings.Join(st.Warnings, "\n"), "without ever hearing") {
		t.Errorf("configured master warns that it never heard another router: %q", st.Warnings)
	}
	if n := b.node.DroppedVRRP(); n == 0 {
		t.Errorf("split brain without any VRRP packet dropped by the backup's firewall")
	}

	b.node.AllowVRRP()
	netns.Eventually(t, converge, c.only(m))
	netns.Eventually(t, converge, c.hears(b, m))
	c.transitionReason(b, "BACKUP", "higher priority 100 from 192.0.2.1")
}
