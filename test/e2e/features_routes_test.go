package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gokeepalived/test/e2e/netns"
)

// TestFeatureVirtualRoutes: virtual_routes (203.0.113.0/24 via 192.0.2.254 in the main
// table and in table 100) and virtual_rules (from 192.0.2.100/32 table 100) exist on the
// master only, move to the backup at failover and back at preemption, and a stopped
// daemon removes them. Real keepalived runs the same scenario as the reference.
func TestFeatureVirtualRoutes(t *testing.T) {
	t.Parallel()
	for _, kind := range bothDaemons {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := newFeatPair(t, "vr", kind, false)
			extra := `    virtual_routes {
        203.0.113.0/24 via 192.0.2.254 dev ens33
        203.0.113.0/24 via 192.0.2.254 dev ens33 table 100
    }
    virtual_rules {
        from 192.0.2.100/32 table 100
    }
`
			p.startDaemon(t, p.master, featConf("master", "MASTER", 100, "", "", featInst{Extra: extra}), "")
			p.startDaemon(t, p.backup, featConf("backup", "BACKUP", 90, "", "", featInst{Extra: extra}), "")

			// routing reports what n has of the three objects.
			routing := func(n *node) (main, table100, rule bool, seen string) {
				show := func(argv ...string) string {
					out, err := n.Exec(context.Background(), argv...)
					if err != nil {
						return err.Error()
					}
					return out
				}
				m := show("ip", "route", "show", "203.0.113.0/24")
				t100 := show("ip", "route", "show", "table", "100")
				r := show("ip", "rule", "show")
				main = strings.Contains(m, "via 192.0.2.254")
				table100 = strings.Contains(t100, "203.0.113.0/24 via 192.0.2.254")
				rule = strings.Contains(r, "from 192.0.2.100 lookup 100")
				return main, table100, rule, fmt.Sprintf("%s: route %q, table 100 %q, rules %q", n.Name,
					strings.TrimSpace(m), strings.TrimSpace(t100), strings.TrimSpace(r))
			}
			// on: n has all three objects (want true) or none (want false).
			has := func(n *node, want bool) func() (bool, string) {
				return func() (bool, string) {
					a, b, c, seen := routing(n)
					return a == want && b == want && c == want, fmt.Sprintf("want routes and rule present=%v; %s", want, seen)
				}
			}
			both := func(on, off *node) func() (bool, string) {
				return func() (bool, string) {
					ok1, s1 := has(on, true)()
					ok2, s2 := has(off, false)()
					ok3, s3 := holdsAll(p, on, off, []string{vip}, []string{"VI_1"})()
					return ok1 && ok2 && ok3, s1 + "\n" + s2 + "\n" + s3
				}
			}

			netns.Eventually(t, converge, both(p.master, p.backup))
			p.master.LinkDown(ifname)
			took := netns.Eventually(t, converge, both(p.backup, p.master))
			t.Logf("%s: routes and rule on the backup %.3fs after the master's link went down", kind, took.Seconds())
			p.master.LinkUp(ifname)
			took = netns.Eventually(t, converge, both(p.master, p.backup))
			t.Logf("%s: routes and rule back on the master %.3fs after its link came up", kind, took.Seconds())

			if err := p.master.D.Stop(); err != nil {
				t.Errorf("stopping the master's daemon: %v", err)
			}
			netns.Eventually(t, converge, has(p.master, false))
			netns.Eventually(t, converge, has(p.backup, true))
			if err := p.backup.D.Stop(); err != nil {
				t.Errorf("stopping the backup's daemon: %v", err)
			}
			netns.Eventually(t, converge, has(p.backup, false))
		})
	}
}
