package daemon

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// nodeFirewall is the node's fake accept-mode firewall: it keeps the last
// spec (n.fw) and records each call in n.ops ("fw drop A,B" / "fw remove").
type nodeFirewall struct{ n *node }

func (f nodeFirewall) Sync(s FirewallSpec) error {
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	f.n.fw = &s
	f.n.ops = append(f.n.ops, "fw drop "+fwAddrs(&s))
	return nil
}

func (f nodeFirewall) Remove() error {
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	f.n.fw = nil
	f.n.ops = append(f.n.ops, "fw remove")
	return nil
}

func fwAddrs(s *FirewallSpec) string {
	var out []string
	for _, a := range s.Addrs {
		v := a.IP.String()
		if a.IP.IsLinkLocalUnicast() {
			v += "%" + a.Dev
			if a.ByName {
				v += "(name)"
			}
		}
		out = append(out, v)
	}
	return strings.Join(out, ",")
}

// firewall returns the node's firewall as "TABLE prio P [counters]: ADDRS",
// or "none".
func (n *node) firewall() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fw == nil {
		return "none"
	}
	s := fmt.Sprintf("%s prio %d", n.fw.Table, n.fw.Priority)
	if n.fw.Counters {
		s += " counters"
	}
	return s + ": " + fwAddrs(n.fw)
}

func (n *node) getOps() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.ops)
}

// TestSegmentFirewallNoAccept: with no_accept, the MASTER's virtual
// addresses enter keepalived's drop set before they are added (the op
// order), the BACKUP programs nothing, a failover moves the drop to the new
// MASTER and empties the old one's set; a stop removes the tables. With
// accept mode (the default) nothing is ever programmed.
func TestSegmentFirewallNoAccept(t *testing.T) {
	h, a, b := pair(t, pairConf(150, "    no_accept\n"), pairConf(100, "    no_accept\n"))
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if got, want := a.firewall(), "keepalived prio -1: 203.0.113.10"; got != want {
		t.Errorf("master's firewall %q, want %q", got, want)
	}
	if got := b.firewall(); got != "none" {
		t.Errorf("backup's firewall %q, want none", got)
	}
	ops := a.getOps()
	fw, add := slices.Index(ops, "fw drop 203.0.113.10"), slices.Index(ops, "add "+vip1)
	if fw < 0 || add < 0 || fw > add {
		t.Errorf("master's ops %q: want the drop rule before the address", ops)
	}

	a.stop()
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "STOP", "MASTER")
	if got, want := b.firewall(), "keepalived prio -1: 203.0.113.10"; got != want {
		t.Errorf("new master's firewall %q, want %q", got, want)
	}
	if got := a.firewall(); got != "none" {
		t.Errorf("stopped node's firewall %q, want none (tables removed)", got)
	}
	ops = a.getOps()
	if n := len(ops); n < 2 || ops[n-2] != "fw drop " || ops[n-1] != "fw remove" {
		t.Errorf("stopped node's last ops %q: want the set emptied with the address, then the tables removed", ops)
	}

	h2, c, d := pair(t, pairConf(150, ""), pairConf(100, ""))
	h2.advance(10 * time.Second)
	h2.expect("VI_1", vip1, "MASTER", "BACKUP")
	if c.firewall() != "none" || d.firewall() != "none" {
		t.Errorf("accept mode: firewalls %q, %q, want none", c.firewall(), d.firewall())
	}
	for _, op := range c.getOps() {
		if strings.HasPrefix(op, "fw") {
			t.Errorf("accept mode programmed the firewall: %q", op)
		}
	}
}

// TestSegmentFirewallKeywords: nftables NAME, nftables_priority,
// nftables_counters reach the firewall; an owner (priority 255) under
// no_accept is exempt; dont_track_primary keys link-local addresses by
// name unless nftables_ifindex; a reload turning accept on while MASTER
// removes the drop.
func TestSegmentFirewallKeywords(t *testing.T) {
	glob := "global_defs {\n    nftables gk_fw\n    nftables_priority -7\n    nftables_counters\n}\n"
	h, a, _ := pair(t, glob+pairConf(150, "    no_accept\n"), pairConf(100, ""))
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if got, want := a.firewall(), "gk_fw prio -7 counters: 203.0.113.10"; got != want {
		t.Errorf("firewall %q, want %q", got, want)
	}
	if err := a.reload(glob + pairConf(150, "    accept\n")); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got, want := a.firewall(), "gk_fw prio -7 counters: "; got != want {
		t.Errorf("after reload to accept: firewall %q, want %q", got, want)
	}

	h, o, _ := pair(t, pairConf(255, "    no_accept\n"), pairConf(100, ""))
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if got := o.firewall(); got != "none" {
		t.Errorf("owner's firewall %q, want none", got)
	}

	v6 := func(extra string) string {
		return "vrrp_instance VI_6 {\n    interface eth0\n    virtual_router_id 52\n    priority 150\n    no_accept\n" + extra +
			"    virtual_ipaddress {\n        fe80::5e:51\n        2001:db8::100/64\n    }\n}\n"
	}
	for _, c := range []struct{ glob, extra, want string }{
		{"", "", "keepalived prio -1: fe80::5e:51%eth0,2001:db8::100"},
		{"", "    dont_track_primary\n", "keepalived prio -1: fe80::5e:51%eth0(name),2001:db8::100"},
		{"global_defs {\n    nftables_ifindex\n}\n", "    dont_track_primary\n", "keepalived prio -1: fe80::5e:51%eth0,2001:db8::100"},
	} {
		h := newHarness(t)
		n := h.node("a", map[string]string{"eth0": "lan fe80::1"}, c.glob+v6(c.extra))
		n.start()
		h.advance(10 * time.Second)
		if got := n.firewall(); got != c.want {
			t.Errorf("%q%q: firewall %q, want %q", c.glob, c.extra, got, c.want)
		}
	}
}
