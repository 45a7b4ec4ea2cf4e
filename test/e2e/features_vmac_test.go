package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gokeepalived/test/e2e/netns"
)

// TestFeatureUseVMAC: use_vmac on both nodes. The master creates vrrp.51 with the virtual
// router MAC 00:00:5e:00:01:33 and puts the VIP on it; the client's neighbour entry for
// the VIP is that MAC. After failover (the master's ens33 down) the client still reaches
// the VIP through the same MAC, now on the backup's vrrp.51. A stopped daemon removes its
// vrrp.51. Real keepalived runs the same scenario as the reference.
// Ledger: RFC9568-6.4.3-1, RFC9568-7.3-1, RFC3768-7.3-1, RFC9568-8.1.2-1 and
// RFC3768-8.2-1 with use_vmac (the master answers ARP with the virtual MAC).
func TestFeatureUseVMAC(t *testing.T) {
	t.Parallel()
	for _, kind := range bothDaemons {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := newFeatPair(t, "vm", kind, false)
			p.master.Nginx = p.master.StartNginx("master")
			p.backup.Nginx = p.backup.StartNginx("backup")
			p.startDaemon(t, p.master, featConf("master", "MASTER", 100, "", "", featInst{Extra: "    use_vmac\n"}), "")
			p.startDaemon(t, p.backup, featConf("backup", "BACKUP", 90, "", "", featInst{Extra: "    use_vmac\n"}), "")

			onVMAC := func(n *node) bool {
				for _, a := range n.Addrs() {
					if strings.HasPrefix(a, vmacIface+" "+vip+"/") {
						return true
					}
				}
				return false
			}
			holder := func(on, off *node) func() (bool, string) {
				return func() (bool, string) {
					ok := onVMAC(on) && !off.HasAddr(vip) && linkMAC(on, vmacIface) == vmacMAC
					if on.Sock != "" {
						is, why := instanceOf(on, "VI_1")
						ok = ok && why == "" && is.State == "MASTER"
					}
					return ok, fmt.Sprintf("want VIP on %s's %s (MAC %s; it has %q), not on %s:%s",
						on.Name, vmacIface, vmacMAC, linkMAC(on, vmacIface), off.Name, describeNodes(p, "VI_1"))
				}
			}
			// reaches: the client, with no neighbour entry for the VIP, gets an answer from
			// who on it, and ARP resolved the VIP to the VMAC. Only the VMAC may answer: the
			// parent interface answering with its own MAC (arp_ignore 0) races with it and
			// wins, leaving the client on a MAC that does not move at failover (keepalived sets
			// arp_ignore/arp_filter on both). The flush keeps a later gratuitous ARP burst
			// from hiding that.
			reaches := func(who *node) func() (bool, string) {
				return func() (bool, string) {
					_, _ = p.client.Exec(context.Background(), "ip", "neigh", "flush", "to", vip)
					ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
					defer cancel()
					out, err := p.client.Exec(ctx, "curl", "-fsS", "-m", "1", "http://"+vip+"/")
					neigh, _ := p.client.Exec(context.Background(), "ip", "neigh", "show", vip)
					return err == nil && strings.TrimSpace(out) == who.Name && strings.Contains(neigh, "lladdr "+vmacMAC),
						fmt.Sprintf("client: GET http://%s/: %q (%v), want %q; neighbour entry %q, want lladdr %s",
							vip, strings.TrimSpace(out), err, who.Name, strings.TrimSpace(neigh), vmacMAC)
				}
			}

			netns.Eventually(t, converge, holder(p.master, p.backup))
			netns.Eventually(t, converge, reaches(p.master))
			if hasLink(p.backup, vmacIface) {
				t.Logf("%s: the backup has %s too (MAC %s) without the VIP", kind, vmacIface, linkMAC(p.backup, vmacIface))
			}

			p.master.LinkDown(ifname)
			took := netns.Eventually(t, converge, holder(p.backup, p.master))
			t.Logf("%s: failover to the backup's %s after %.3fs", kind, vmacIface, took.Seconds())
			netns.Eventually(t, converge, reaches(p.backup))
			neigh := p.client.MustExec("ip", "neigh", "show", vip)
			t.Logf("%s: client's neighbour entry after failover: %s", kind, strings.TrimSpace(neigh))

			for _, n := range []*node{p.backup, p.master} {
				if err := n.D.Stop(); err != nil {
					t.Errorf("stopping %s's daemon: %v", n.Name, err)
				}
				netns.Eventually(t, converge, func() (bool, string) {
					return !hasLink(n, vmacIface) && !n.HasAddr(vip), fmt.Sprintf("%s still has %s or the VIP after its daemon stopped: %v",
						n.Name, vmacIface, n.Addrs())
				})
			}
		})
	}
}
