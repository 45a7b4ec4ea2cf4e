package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gokeepalived/test/e2e/netns"
)

// TestFeatureStaticEntries: top-level static_ipaddress, static_routes and static_rules
// are in place from the start whatever the instance's state, a static address deleted by
// hand is put back, and the daemon removes them when it stops (keepalived 2.2.7 does, in
// vrrp_terminate_phase2). track_group: the instance in the group that a static address on
// ens34 names goes to FAULT while ens34 is down (its VIP leaves) and comes back with it.
// Real keepalived runs the same scenario as the reference.
func TestFeatureStaticEntries(t *testing.T) {
	t.Parallel()
	const (
		staticAddr  = "198.51.100.50"
		staticRoute = "198.18.0.0/15 via 192.0.2.254"
		staticRule  = "from 198.18.0.0/16 lookup 100"
	)
	top := `track_group TG {
    group {
        VI_1
    }
}
static_ipaddress {
    ` + staticAddr + `/24 dev ` + ifname2 + ` track_group TG
}
static_routes {
    198.18.0.0/15 via 192.0.2.254 dev ` + ifname + `
}
static_rules {
    from 198.18.0.0/16 table 100 priority 100
}
`
	for _, kind := range bothDaemons {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := newFeatPair(t, "st", kind, true)
			n := p.master
			show := func(argv ...string) string {
				out, err := n.Exec(context.Background(), argv...)
				if err != nil {
					return err.Error()
				}
				return out
			}
			// statics: the node has all three static entries (want true) or none (false).
			statics := func(want bool) func() (bool, string) {
				return func() (bool, string) {
					a := n.HasAddr(staticAddr)
					r := show("ip", "route", "show", "198.18.0.0/15")
					rl := show("ip", "rule", "show")
					hasR, hasRl := strings.Contains(r, staticRoute), strings.Contains(rl, staticRule)
					return a == want && hasR == want && hasRl == want, fmt.Sprintf(
						"want static entries present=%v: address %v, route %v (%q), rule %v (%q)\n--- daemon:\n%s",
						want, a, hasR, strings.TrimSpace(r), hasRl, strings.TrimSpace(rl), lastLines(n.D.Logs(), 12))
				}
			}
			vipOn := func(want bool) func() (bool, string) {
				return func() (bool, string) {
					has := n.HasAddr(vip)
					return has == want, fmt.Sprintf("want VIP on %s: %v, has %v\n--- daemon:\n%s", n.Name, want, has,
						lastLines(n.D.Logs(), 12))
				}
			}
			// Started as BACKUP with nobody else: the statics come first, the VIP after the
			// master down interval.
			p.startDaemon(t, n, featConf("master", "BACKUP", 100, "", top, featInst{}), "")
			netns.Eventually(t, converge, statics(true))
			netns.Eventually(t, converge, vipOn(true))

			n.MustExec("ip", "addr", "del", staticAddr+"/24", "dev", ifname2)
			took := netns.Eventually(t, converge, statics(true))
			t.Logf("%s: static address put back %.3fs after it was deleted", kind, took.Seconds())

			n.LinkDown(ifname2)
			took = netns.Eventually(t, converge, vipOn(false))
			t.Logf("%s: track_group: VIP released %.3fs after %s went down", kind, took.Seconds(), ifname2)
			n.LinkUp(ifname2)
			took = netns.Eventually(t, converge, vipOn(true))
			t.Logf("%s: track_group: VIP back %.3fs after %s came up", kind, took.Seconds(), ifname2)
			netns.Eventually(t, converge, statics(true))

			if err := n.D.Stop(); err != nil {
				t.Errorf("stopping the daemon: %v", err)
			}
			netns.Eventually(t, converge, statics(false))
		})
	}
}

// TestFeaturePromoteSecondaries: with promote_secondaries the instance's interface has
// net.ipv4.conf.ens33.promote_secondaries = 1 while the daemon runs, so a secondary
// address of the primary's subnet survives the deletion of the primary (without it the
// kernel deletes the secondaries with it: the VIPs of that subnet and, here, 192.0.2.50);
// the daemon sets it back to 0 when it stops. Real keepalived runs the same scenario as the
// reference.
func TestFeaturePromoteSecondaries(t *testing.T) {
	t.Parallel()
	const secondary = "192.0.2.50/24"
	for _, kind := range bothDaemons {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := newFeatPair(t, "ps", kind, false)
			n := p.master
			sysctl := func() string {
				out, err := n.Exec(context.Background(), "cat", "/proc/sys/net/ipv4/conf/"+ifname+"/promote_secondaries")
				if err != nil {
					return err.Error()
				}
				return strings.TrimSpace(out)
			}
			if v := sysctl(); v != "0" {
				t.Fatalf("setup: promote_secondaries is %q before the daemon starts, want 0", v)
			}
			n.MustExec("ip", "addr", "add", secondary, "dev", ifname)
			p.startDaemon(t, n, featConf("master", "MASTER", 100, "", "",
				featInst{VIP: vip + "/24", Extra: "    promote_secondaries\n"}), "")
			netns.Eventually(t, converge, func() (bool, string) {
				v, has := sysctl(), n.HasAddr(vip+"/24")
				return v == "1" && has, fmt.Sprintf("promote_secondaries %q (want 1), VIP held %v\n--- daemon:\n%s", v, has,
					lastLines(n.D.Logs(), 12))
			})
			n.MustExec("ip", "addr", "del", masterAddr, "dev", ifname)
			// The kernel promoted a secondary at once instead of deleting them all.
			if !n.HasAddr(secondary) {
				t.Fatalf("the secondary address went with the primary despite promote_secondaries:\n%s",
					n.MustExec("ip", "-4", "addr", "show", "dev", ifname))
			}
			if err := n.D.Stop(); err != nil {
				t.Errorf("stopping the daemon: %v", err)
			}
			netns.Eventually(t, converge, func() (bool, string) {
				v := sysctl()
				return v == "0", fmt.Sprintf("promote_secondaries %q after stop, want 0", v)
			})
		})
	}
}
