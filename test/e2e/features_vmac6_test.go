package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/test/e2e/netns"
)

// TestFeatureUseVMACIPv6: use_vmac over IPv6 (issue 9, defect 6), gokeepalived and real
// keepalived as peers, in each direction, and two gokeepalived. Both daemons create vrrp.51 with the IPv6 virtual
// router MAC 00:00:5e:00:02:33 and send their adverts through it from their ens33 link-local
// address, which the VMAC carries too. Adverts must flow: while the master sends more adverts
// than a master down interval's worth, the backup stays BACKUP, gokeepalived counts no send
// error, and the VIP 2001:db8::100 is on exactly one node, on its vrrp.51. The master's link
// goes down and the VIP moves (the new master's adverts leave too); the link returns and the
// master preempts. Before the fix gokeepalived's sends failed with EINVAL (the source was not
// an address of vrrp.51), so a keepalived backup took over and both held the VIP.
func TestFeatureUseVMACIPv6(t *testing.T) {
	t.Parallel()
	const vip6 = "2001:db8::100"
	conf := func(state string, prio int) string {
		return vrrpConf{State: state, Priority: prio, Version: 3, Extra: "    use_vmac\n",
			VIPs: []string{"fe80::5e:51/64", vip6 + "/64"}}.String()
	}
	for _, mix := range []struct {
		name           string
		master, backup netns.DaemonFactory
	}{
		{"gokeepalived-keepalived", netns.Gokeepalived, netns.Keepalived},
		{"keepalived-gokeepalived", netns.Keepalived, netns.Gokeepalived},
		{"gokeepalived-gokeepalived", netns.Gokeepalived, netns.Gokeepalived},
	} {
		t.Run(mix.name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, "vm6", vip6, "2001:db8::10/64")
			m := c.add("master", mix.master, conf("MASTER", 100), "2001:db8::1/64")
			b := c.add("backup", mix.backup, conf("BACKUP", 90), "2001:db8::2/64")
			c.start(m, b)
			netns.Eventually(t, converge, c.only(m))
			c.advertsFlow(m, b)
			p := c.client.Probe(vip6, 100*time.Millisecond)
			netns.Eventually(t, converge, answersFrom(p, m, time.Now()))

			c.failover(p, m, b)
			c.advertsFlow(b, nil)
			c.preemptBack(p, m)
			c.advertsFlow(m, b)
			for _, x := range []*member{m, b} {
				if st, ok := c.status(x); ok && (len(st.Drops) > 0 || st.Counters["split_brain_suspected"] > 0) {
					t.Errorf("%s (gokeepalived): drops %v, split brains suspected %d (warnings %q)", x, st.Drops,
						st.Counters["split_brain_suspected"], st.Warnings)
				}
			}
			logGaps(t, p)
		})
	}
}

// advertsFlow checks that master's adverts leave and, if backup is set, reach it: the VIP is
// on master's vrrp.51 only, and over the next five adverts (more than the backup's master down
// interval) a gokeepalived master counts them sent without a send error, a gokeepalived backup
// counts them received and stays BACKUP, and the VIP does not move.
func (c *cluster) advertsFlow(master, backup *member) {
	c.t.Helper()
	onVMAC := func() (bool, string) {
		for _, a := range master.node.Addrs() {
			if strings.HasPrefix(a, vmacIface+" "+c.vip+"/") {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%s has not %s on %s: %v", master, c.vip, vmacIface, master.node.Addrs())
	}
	netns.Eventually(c.t, converge, onVMAC)
	counter := func(m *member, name string) uint64 {
		st, _ := c.status(m)
		return st.Counters[name]
	}
	var sent0, errs0, rcvd0, trans0 uint64
	if master.gk() != nil {
		sent0, errs0 = counter(master, "adverts_sent"), counter(master, "send_errors")
	}
	if backup != nil && backup.gk() != nil {
		rcvd0, trans0 = counter(backup, "adverts_received"), counter(backup, "transitions")
	}
	netns.Eventually(c.t, converge, func() (bool, string) {
		ok, why := true, ""
		if master.gk() != nil {
			st, _ := c.status(master)
			sent, errs := st.Counters["adverts_sent"], st.Counters["send_errors"]
			failing := slices.ContainsFunc(st.Warnings, func(w string) bool { return strings.HasPrefix(w, "our adverts cannot be sent") })
			ok = ok && st.State == "MASTER" && sent >= sent0+5 && errs == errs0 && !failing
			why += fmt.Sprintf("; %s: %s, adverts sent %d (want %d or more), send errors %d (want still %d), warnings %q",
				master, st.State, sent, sent0+5, errs, errs0, st.Warnings)
		}
		if backup != nil && backup.gk() != nil {
			st, _ := c.status(backup)
			rcvd := st.Counters["adverts_received"]
			ok = ok && st.State == "BACKUP" && rcvd >= rcvd0+5 && strings.HasPrefix(st.Master, "fe80::")
			why += fmt.Sprintf("; %s: %s following %q, adverts received %d (want %d or more)", backup, st.State, st.Master, rcvd, rcvd0+5)
		} else if backup != nil && master.gk() != nil {
			// keepalived backup: five adverts sent means more than its master down interval
			// passed; had it not heard them it would hold the VIP by now.
			ok = ok && !backup.node.HasAddr(c.vip)
		}
		return ok, "adverts do not flow" + why + c.describe()
	})
	if ok, why := c.only(master)(); !ok {
		c.t.Errorf("after five adverts of %s: %s", master, why)
	}
	if ok, why := onVMAC(); !ok {
		c.t.Error(why)
	}
	if backup != nil && backup.gk() != nil {
		if n := counter(backup, "transitions"); n != trans0 {
			c.t.Errorf("%s changed state %d times while %s advertised:%s", backup, n-trans0, master, c.describe())
		}
	}
}
