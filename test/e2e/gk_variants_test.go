package e2e

import (
	"fmt"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp/packet"
	"gokeepalived/test/e2e/netns"
)

// TestVRRPv3FastAdvert: VRRPv3 with advert_int 0.1 (centiseconds on the wire). The master
// down interval of the priority-90 backup is 3×0.1 + 0.065 = 0.365 s; the takeover time
// is logged, not asserted (bench/ measures it).
func TestVRRPv3FastAdvert(t *testing.T) {
	t.Parallel()
	for _, dp := range daemonPairs(t) {
		t.Run(dp.name, func(t *testing.T) {
			t.Parallel()
			conf := func(state string, prio int) string {
				return vrrpConf{State: state, Priority: prio, Version: 3, AdvertInt: "0.1", VIPs: []string{vip}}.String()
			}
			c, m, b, p := seedPair(t, "v3", dp.master, dp.backup, conf("MASTER", 100), conf("BACKUP", 90))
			if st, ok := c.status(b); ok && (st.Version != 3 || st.AdvertInterval != "100ms") {
				t.Errorf("backup status: version %d, advert interval %s; want 3 and 100ms", st.Version, st.AdvertInterval)
			}
			c.failover(p, m, b)
			c.transitionReason(b, "MASTER", "no advertisement from 192.0.2.1", "0.3")
			c.preemptBack(p, m)
			logGaps(t, p)
		})
	}
}

// TestIPv6Pair: a VRRPv3 IPv6 pair. The advert's first address is the virtual router's
// link-local address (RFC 5798 §5.2.9), then the global VIP 2001:db8::100 that the client
// requests. The daemon adds IPv6 VIPs with nodad, so they are usable at once.
func TestIPv6Pair(t *testing.T) {
	t.Parallel()
	for _, dp := range daemonPairs(t) {
		t.Run(dp.name, func(t *testing.T) {
			t.Parallel()
			const vip6 = "2001:db8::100"
			conf := func(state string, prio int) string {
				return vrrpConf{State: state, Priority: prio, Version: 3, AdvertInt: "1",
					VIPs: []string{"fe80::5e:51/64", vip6 + "/64"}}.String()
			}
			c := newCluster(t, "v6", vip6, "2001:db8::10/64")
			m := c.add("master", dp.master, conf("MASTER", 100), "2001:db8::1/64")
			b := c.add("backup", dp.backup, conf("BACKUP", 90), "2001:db8::2/64")
			c.start(m, b)
			netns.Eventually(t, converge, c.only(m))
			p := c.client.Probe(vip6, 100*time.Millisecond)
			netns.Eventually(t, converge, answersFrom(p, m, time.Now()))
			if st, ok := c.status(b); ok && (st.Family != "ipv6" || st.Version != 3) {
				t.Errorf("backup status: family %s version %d, want ipv6 and 3", st.Family, st.Version)
			}
			c.failover(p, m, b)
			c.transitionReason(b, "MASTER", "no advertisement from fe80::")
			c.preemptBack(p, m)
			logGaps(t, p)
		})
	}
}

// TestUnicastPair: the pair with unicast_src_ip / unicast_peer. A stray third node (not a
// configured peer, priority 120, same VRID, VIP and auth) advertises to both: gokeepalived
// accepts adverts only from configured peers, so both drop its packets and count them
// (drops["unicast_src"]); were they accepted, the 120 would win. Failover and preemption
// then work over unicast.
func TestUnicastPair(t *testing.T) {
	t.Parallel()
	for _, dp := range daemonPairs(t) {
		if dp.name != "gokeepalived-gokeepalived" {
			continue // the unicast source check is gokeepalived's default (keepalived's is opt-in)
		}
		t.Run(dp.name, func(t *testing.T) {
			t.Parallel()
			const strayAddr = "192.0.2.3"
			conf := func(state string, prio int, src string, peers ...string) string {
				return vrrpConf{State: state, Priority: prio, Auth: true, VIPs: []string{vip},
					UnicastSrc: src, Peers: peers}.String()
			}
			c := newCluster(t, "uc", vip, clientAddr)
			m := c.add("master", dp.master, conf("MASTER", 100, "192.0.2.1", "192.0.2.2"), masterAddr)
			b := c.add("backup", dp.backup, conf("BACKUP", 90, "192.0.2.2", "192.0.2.1"), backupAddr)
			c.start(m, b)
			netns.Eventually(t, converge, c.only(m))
			netns.Eventually(t, converge, c.hears(b, m))
			p := c.client.Probe(vip, 100*time.Millisecond)
			netns.Eventually(t, converge, answersFrom(p, m, time.Now()))

			// The stray holds the VIP on an unconnected veth (this kernel has no dummy
			// driver) with arp_ignore=1, so it never answers for it on the LAN: only its
			// adverts reach the pair.
			topo := c.topo
			stray := topo.Node("stray")
			topo.Link(stray, c.lan, ifname, strayAddr+"/24")
			stray.MustExec("ip", "link", "add", "stray0", "type", "veth", "peer", "name", "stray1")
			stray.MustExec("ip", "link", "set", "stray0", "up")
			stray.MustExec("ip", "link", "set", "stray1", "up")
			stray.MustExec("sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=1")
			strayConf := vrrpConf{State: "MASTER", Priority: 120, Auth: true, VIPs: []string{vip + "/32 dev stray0"},
				UnicastSrc: strayAddr, Peers: []string{"192.0.2.1", "192.0.2.2"}}.String()
			sd := netns.Gokeepalived(stray, strayConf)
			if err := sd.Start(); err != nil {
				t.Fatal(err)
			}
			mst, _ := c.status(m)
			for _, who := range []*member{m, b} {
				netns.Eventually(t, converge, func() (bool, string) {
					st, ok := c.status(who)
					return ok && st.Dropped(packet.DropUnicastSrc) >= 3, fmt.Sprintf("%s has not dropped 3 adverts from the stray %s: drops %v\n--- stray:\n%s",
						who, strayAddr, st.Drops, lastLines(sd.Logs(), 6))
				})
			}
			if ok, why := c.only(m)(); !ok {
				t.Errorf("the stray's adverts moved the VIP: %s", why)
			}
			if st, _ := c.status(m); st.Counter(ctl.Transitions) != mst.Counter(ctl.Transitions) {
				t.Errorf("master changed state while the stray advertised: transitions %d → %d (%+v)",
					mst.Counter(ctl.Transitions), st.Counter(ctl.Transitions), st.LastTransition)
			}
			if st, _ := c.status(b); st.Master != m.addr {
				t.Errorf("backup follows %q, want the master %s", st.Master, m.addr)
			}
			sd.Stop()

			c.failover(p, m, b)
			c.transitionReason(b, "MASTER", "no advertisement from 192.0.2.1")
			c.preemptBack(p, m)
			logGaps(t, p)
		})
	}
}

// TestThreeNodes: priorities 100, 90 and 80 on one LAN. When the 100 loses its link, the 90
// takes over (its master down interval is shorter) and the 80 stays BACKUP following it;
// when the link returns the 100 preempts.
func TestThreeNodes(t *testing.T) {
	t.Parallel()
	names, err := netns.DaemonsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		f := netns.Factories[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conf := func(state string, prio int) string {
				return vrrpConf{State: state, Priority: prio, Auth: true, VIPs: []string{vip}}.String()
			}
			c := newCluster(t, "n3", vip, clientAddr)
			n100 := c.add("n100", f, conf("MASTER", 100), masterAddr)
			n90 := c.add("n90", f, conf("BACKUP", 90), backupAddr)
			n80 := c.add("n80", f, conf("BACKUP", 80), "192.0.2.3/24")
			c.start(n100, n90, n80)
			netns.Eventually(t, converge, c.only(n100))
			netns.Eventually(t, converge, c.hears(n90, n100))
			netns.Eventually(t, converge, c.hears(n80, n100))
			p := c.client.Probe(vip, 100*time.Millisecond)
			netns.Eventually(t, converge, answersFrom(p, n100, time.Now()))
			st80, _ := c.status(n80)

			c.failover(p, n100, n90)
			c.transitionReason(n90, "MASTER", "no advertisement from 192.0.2.1")
			netns.Eventually(t, converge, c.hears(n80, n90))
			if st, ok := c.status(n80); ok && st.Counter(ctl.Transitions) != st80.Counter(ctl.Transitions) {
				t.Errorf("n80 changed state during the failover: %+v", st.LastTransition)
			}

			c.preemptBack(p, n100)
			c.transitionReason(n90, "BACKUP", "higher priority 100 from 192.0.2.1")
			netns.Eventually(t, converge, c.hears(n80, n100))
			if st, ok := c.status(n80); ok && st.Counter(ctl.Transitions) != st80.Counter(ctl.Transitions) {
				t.Errorf("n80 changed state during the preemption: %+v", st.LastTransition)
			}
			logGaps(t, p)
		})
	}
}
