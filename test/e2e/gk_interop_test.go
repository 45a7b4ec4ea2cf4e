package e2e

import (
	"fmt"
	"testing"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// TestInteropKeepalived: gokeepalived and real keepalived (-P, no IPVS here) in one VRRP
// group, VRRPv2 (the seed's configs, PASS auth) and VRRPv3, each direction: gokeepalived
// MASTER with keepalived BACKUP and the reverse. The master's link goes down and the other
// daemon takes over; the link returns and the master preempts. This runs whatever
// GOKEEPALIVED_E2E_DAEMONS says, since it is about the mix.
func TestInteropKeepalived(t *testing.T) {
	t.Parallel()
	v3 := func(state string, prio int) string {
		return vrrpConf{State: state, Priority: prio, Version: 3, VIPs: []string{vip}}.String()
	}
	for _, version := range []int{2, 3} {
		for _, mix := range []struct {
			name           string
			master, backup netns.DaemonFactory
		}{
			{"gokeepalived-keepalived", netns.Gokeepalived, netns.Keepalived},
			{"keepalived-gokeepalived", netns.Keepalived, netns.Gokeepalived},
		} {
			t.Run(fmt.Sprintf("v%d/%s", version, mix.name), func(t *testing.T) {
				t.Parallel()
				mconf, bconf := readConf(t, "master.conf"), readConf(t, "backup.conf")
				if version == 3 {
					mconf, bconf = v3("MASTER", 100), v3("BACKUP", 90)
				}
				c, m, b, p := seedPair(t, fmt.Sprintf("io%d", version), mix.master, mix.backup, mconf, bconf)
				// The gokeepalived side accepted the other's adverts: no drops, peer known.
				for _, x := range []*member{m, b} {
					if st, ok := c.status(x); ok {
						if len(st.Drops) > 0 {
							t.Errorf("%s (gokeepalived) dropped adverts from keepalived: %v", x, st.Drops)
						}
						if x == b && (st.Master != m.addr || st.MasterPriority != 100) {
							t.Errorf("gokeepalived backup follows %s priority %d, want %s priority 100", st.Master, st.MasterPriority, m.addr)
						}
						if x == m && st.Counter(ctl.SplitBrainSuspected) > 0 {
							t.Errorf("gokeepalived master suspects a split brain with keepalived: %q", st.Warnings)
						}
					}
				}
				c.failover(p, m, b)
				c.transitionReason(b, "MASTER", "no advertisement from 192.0.2.1")
				c.preemptBack(p, m)
				c.transitionReason(m, "MASTER", "preempting lower priority 90 master 192.0.2.2")
				c.transitionReason(b, "BACKUP", "higher priority 100 from 192.0.2.1")
				logGaps(t, p)
			})
		}
	}
}
