package e2e

import (
	"fmt"
	"testing"

	"gokeepalived/test/e2e/netns"
)

// TestInteropMcastDstIP: mcast_dst_ip 224.0.0.19 on both sides, gokeepalived and real
// keepalived in one VRRP group, each direction: the backup hears the master's adverts sent
// to 224.0.0.19 (gokeepalived's status names the master and counts no drops), takes over
// when the master's link goes down, and the master preempts back. Then a gokeepalived
// backup left on the default group (224.0.0.18) does not hear keepalived's adverts to
// 224.0.0.19 (its host never joined that group) and becomes MASTER too: the setting is
// what makes them one group.
func TestInteropMcastDstIP(t *testing.T) {
	t.Parallel()
	const group = "    mcast_dst_ip 224.0.0.19\n"
	conf := func(state string, prio int, extra string) string {
		return vrrpConf{State: state, Priority: prio, Auth: true, VIPs: []string{vip}, Extra: extra}.String()
	}
	for _, mix := range []struct {
		name           string
		master, backup netns.DaemonFactory
	}{
		{"gokeepalived-keepalived", netns.Gokeepalived, netns.Keepalived},
		{"keepalived-gokeepalived", netns.Keepalived, netns.Gokeepalived},
	} {
		t.Run(mix.name, func(t *testing.T) {
			t.Parallel()
			c, m, b, p := seedPair(t, "md", mix.master, mix.backup, conf("MASTER", 100, group), conf("BACKUP", 90, group))
			for _, x := range []*member{m, b} {
				if st, ok := c.status(x); ok && len(st.Drops) > 0 {
					t.Errorf("%s (gokeepalived) dropped adverts from keepalived: %v", x, st.Drops)
				}
			}
			c.failover(p, m, b)
			c.preemptBack(p, m)
			logGaps(t, p)
		})
	}
	t.Run("mismatch", func(t *testing.T) {
		t.Parallel()
		c := newCluster(t, "mm", vip, clientAddr)
		m := c.add("master", netns.Keepalived, conf("MASTER", 100, group), masterAddr)
		b := c.add("backup", netns.Gokeepalived, conf("BACKUP", 90, ""), backupAddr)
		c.start(m)
		netns.Eventually(t, converge, c.only(m))
		c.start(b)
		netns.Eventually(t, converge, func() (bool, string) {
			st, ok := c.status(b)
			if !ok {
				return false, "no status from the gokeepalived backup"
			}
			both := m.node.HasAddr(vip) && b.node.HasAddr(vip)
			return st.State == "MASTER" && both, fmt.Sprintf(
				"want the backup on 224.0.0.18 MASTER beside keepalived's master on 224.0.0.19 (both holding the VIP); state %s, both hold it %v",
				st.State, both)
		})
	})
}

// TestInteropOldUnicastChecksum: old_unicast_checksum on both sides of a unicast VRRPv3
// pair, gokeepalived and real keepalived, each direction. keepalived with the keyword
// verifies received adverts with the old checksum only (the IPv4 pseudo-header names
// 224.0.0.18, not the peer), so a keepalived backup that stays BACKUP, and a gokeepalived
// backup that follows keepalived's master with no drops, show both send and expect
// keepalived 1.3.5's bytes; failover and preemption work both ways.
func TestInteropOldUnicastChecksum(t *testing.T) {
	t.Parallel()
	conf := func(state string, prio int, self, peer string) string {
		return vrrpConf{State: state, Priority: prio, Version: 3, VIPs: []string{vip}, UnicastSrc: self,
			Peers: []string{peer}, Extra: "    old_unicast_checksum\n"}.String()
	}
	const mAddr, bAddr = "192.0.2.1", "192.0.2.2"
	for _, mix := range []struct {
		name           string
		master, backup netns.DaemonFactory
	}{
		{"gokeepalived-keepalived", netns.Gokeepalived, netns.Keepalived},
		{"keepalived-gokeepalived", netns.Keepalived, netns.Gokeepalived},
	} {
		t.Run(mix.name, func(t *testing.T) {
			t.Parallel()
			c, m, b, p := seedPair(t, "oc", mix.master, mix.backup, conf("MASTER", 100, mAddr, bAddr), conf("BACKUP", 90, bAddr, mAddr))
			for _, x := range []*member{m, b} {
				if st, ok := c.status(x); ok && len(st.Drops) > 0 {
					t.Errorf("%s (gokeepalived) dropped adverts from keepalived: %v", x, st.Drops)
				}
			}
			c.failover(p, m, b)
			c.preemptBack(p, m)
			logGaps(t, p)
		})
	}
}
