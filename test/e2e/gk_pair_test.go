package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gokeepalived/test/e2e/netns"
)

// seedPair builds the seed's nginx pair (testdata/nginx-pair configs, or the given ones)
// with a client probing the VIP, starts both daemons and waits until the master alone holds
// the VIP and answers.
func seedPair(t *testing.T, tag string, mf, bf netns.DaemonFactory, mconf, bconf string) (*cluster, *member, *member, *netns.Probe) {
	t.Helper()
	c := newCluster(t, tag, vip, clientAddr)
	m := c.add("master", mf, mconf, masterAddr)
	b := c.add("backup", bf, bconf, backupAddr)
	// The master first, then the backup once the master holds the VIP: two
	// nodes started together both time out within ~40 ms of each other
	// (their master down intervals differ only by the skew), and on a busy
	// machine the later one can become MASTER too for a moment, which is
	// a startup collision, not the steady state these scenarios check.
	c.start(m)
	netns.Eventually(t, converge, c.only(m))
	c.start(b)
	netns.Eventually(t, converge, c.hears(b, m))
	p := c.client.Probe(vip, 100*time.Millisecond)
	netns.Eventually(t, converge, answersFrom(p, m, time.Now()))
	return c, m, b, p
}

// TestNginxPairNoPreempt: both nodes BACKUP with nopreempt (keepalived's recipe). The
// priority-100 node becomes master, loses its link, the 90 takes over; when the link comes
// back the 100 must stay BACKUP, hearing the 90's adverts, and the VIP must stay on the 90.
func TestNginxPairNoPreempt(t *testing.T) {
	t.Parallel()
	for _, dp := range daemonPairs(t) {
		t.Run(dp.name, func(t *testing.T) {
			t.Parallel()
			conf := func(prio int) string {
				return vrrpConf{State: "BACKUP", Priority: prio, Auth: true, NoPreempt: true, VIPs: []string{vip}}.String()
			}
			c := newCluster(t, "np", vip, clientAddr)
			m := c.add("master", dp.master, conf(100), masterAddr)
			b := c.add("backup", dp.backup, conf(90), backupAddr)
			// Start the 100 first: with both in BACKUP the first to time out becomes master.
			c.start(m)
			netns.Eventually(t, converge, c.only(m))
			c.start(b)
			netns.Eventually(t, converge, c.hears(b, m))
			p := c.client.Probe(vip, 100*time.Millisecond)
			netns.Eventually(t, converge, answersFrom(p, m, time.Now()))

			c.failover(p, m, b)
			c.transitionReason(b, "MASTER", "no advertisement from 192.0.2.1")

			up := time.Now()
			m.node.LinkUp(ifname)
			// The returning node must stay BACKUP for longer than its master down interval
			// (3.6 s): wait for 50 client requests (5 s) after the link came back, and, on
			// gokeepalived, for 5 adverts heard from the new master.
			netns.Eventually(t, converge, func() (bool, string) {
				n := 0
				for _, s := range p.Samples() {
					if s.At.After(up) {
						n++
					}
				}
				return n >= 50, fmt.Sprintf("%d client requests since the link came back", n)
			})
			if g := m.gk(); g != nil {
				netns.Eventually(t, converge, func() (bool, string) {
					st, ok := c.status(m)
					return ok && st.State == "BACKUP" && st.Master == b.addr && !st.LastAdvert.Before(up.Add(4*time.Second)),
						"returning node is not a BACKUP hearing the new master:" + c.describe()
				})
			}
			if ok, why := c.only(b)(); !ok {
				t.Errorf("nopreempt: the VIP moved after the returning node came back: %s", why)
			}
			if last, ok := p.Last(); !ok || last.Answer != "backup" {
				t.Errorf("nopreempt: client's last answer %+v, want from backup:\n%s", last, p)
			}
			logGaps(t, p)
		})
	}
}

// TestNginxPairGracefulStop: SIGTERM to the master. It sends a priority-0 advert and
// removes the VIP; the backup takes over after Skew_Time (0.65 s at priority 90), not after
// the master down interval (3.65 s). The backup's transition reason says so.
func TestNginxPairGracefulStop(t *testing.T) {
	t.Parallel()
	for _, dp := range daemonPairs(t) {
		t.Run(dp.name, func(t *testing.T) {
			t.Parallel()
			c, m, b, p := seedPair(t, "gs", dp.master, dp.backup, readConf(t, "master.conf"), readConf(t, "backup.conf"))
			stop := time.Now()
			if err := m.d.Stop(); err != nil {
				t.Errorf("graceful stop of the master: %v", err)
			}
			stopped := time.Since(stop)
			if m.node.HasAddr(vip) {
				t.Errorf("the stopped master still holds %s: %v", vip, m.node.Addrs())
			}
			took := netns.Eventually(t, converge, c.only(b)) + stopped
			netns.Eventually(t, converge, answersFrom(p, b, stop))
			first, _ := p.FirstAnswerFrom(b.node, stop)
			c.transitionReason(b, "MASTER", "priority 0", "192.0.2.1")
			if m.gk() != nil && !strings.Contains(m.d.Logs(), "shutting down gracefully") {
				t.Errorf("master's log does not mention the graceful shutdown:\n%s", lastLines(m.d.Logs(), 10))
			}
			t.Logf("graceful stop: master exited %.3fs after SIGTERM, VIP on backup %.3fs after, first answer from it %.3fs after",
				stopped.Seconds(), took.Seconds(), first.At.Sub(stop).Seconds())
			logGaps(t, p)
		})
	}
}
