package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"gokeepalived/test/e2e/netns"
)

// nftCounters blanks counter values, which depend on the traffic.
var nftCounters = regexp.MustCompile(`counter packets \d+ bytes \d+`)

func nftRuleset(n *netns.Node) string {
	out, err := n.Exec(context.Background(), "nft", "list", "ruleset")
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimSpace(nftCounters.ReplaceAllString(out, "counter"))
}

type firewallRun struct {
	whileMaster, afterStop string // nft list ruleset, counters blanked
}

// TestStrictFirewall: vrrp_strict with its accept-mode firewall, run by real
// keepalived (the reference) and gokeepalived on the same topology. Without
// accept (VRRPv2) the MASTER holds the VIP but the client gets no answer
// from it (keepalived's nftables table drops packets to and from the VIP);
// with accept (VRRPv3) the client is served. Both daemons must leave the
// same `nft list ruleset` while MASTER (nftables_counters on, so the rules'
// shape is compared too) and an empty one after stop.
func TestStrictFirewall(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		conf   vrrpConf
		answer bool
	}{
		{"no-accept", vrrpConf{State: "BACKUP", Priority: 100, VIPs: []string{vip + "/24"}}, false},
		{"accept", vrrpConf{State: "BACKUP", Priority: 100, Version: 3, Extra: "    accept\n", VIPs: []string{vip + "/24"}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conf := strings.Replace(c.conf.String(), "global_defs {\n", "global_defs {\n    vrrp_strict\n    nftables_counters\n", 1)
			got := runBoth(t, func(t *testing.T, kind string) firewallRun {
				f := netns.Gokeepalived
				if kind == "keepalived" {
					f = netns.Keepalived
				}
				cl := newCluster(t, "fw"+c.name[:2], vip, clientAddr)
				m := cl.add("master", f, conf, masterAddr)
				cl.start(m)
				netns.Eventually(t, converge, func() (bool, string) {
					return m.node.HasAddr(vip), "want the VIP on the only node:" + cl.describe()
				})
				if !c.answer {
					netns.Eventually(t, converge, func() (bool, string) {
						rs := nftRuleset(m.node)
						return strings.Contains(rs, "elements = { "+vip+" }"), "want the VIP in the drop set:\n" + rs
					})
				}
				held := time.Now()
				p := cl.client.Probe(vip, 200*time.Millisecond)
				if c.answer {
					netns.Eventually(t, converge, answersFrom(p, m, held))
				} else {
					// Five requests in a row time out, and none was answered.
					netns.Eventually(t, converge, func() (bool, string) {
						n := 0
						for _, s := range p.Samples() {
							if s.At.After(held) && s.Err != nil {
								n++
							}
						}
						return n >= 5, fmt.Sprintf("want 5 refused requests to the VIP:\n%s", p)
					})
					for _, s := range p.Samples() {
						if s.Err == nil {
							t.Errorf("the client was answered by %q through the VIP of a vrrp_strict master without accept:\n%s", s.Answer, p)
							break
						}
					}
				}
				p.Stop()
				var r firewallRun
				r.whileMaster = nftRuleset(m.node)
				if err := m.d.Stop(); err != nil {
					t.Fatal(err)
				}
				netns.Eventually(t, converge, func() (bool, string) {
					r.afterStop = nftRuleset(m.node)
					return r.afterStop == "", "want no nftables table after stop:\n" + r.afterStop
				})
				return r
			})
			k, g := got["keepalived"], got["gokeepalived"]
			if len(got) == 2 && k.whileMaster != g.whileMaster {
				t.Errorf("ruleset while MASTER differs:\n--- keepalived:\n%s\n--- gokeepalived:\n%s", k.whileMaster, g.whileMaster)
			}
			t.Logf("ruleset while MASTER (both):\n%s", g.whileMaster)
		})
	}
}
