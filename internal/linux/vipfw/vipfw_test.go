package vipfw

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"gokeepalived/internal/linux/netnstest"
)

// counterRE blanks counter values, which depend on the traffic.
var counterRE = regexp.MustCompile(`counter packets \d+ bytes \d+`)

func ruleset(t *testing.T, ns *netnstest.NS) string {
	t.Helper()
	out := ns.Run(t, "nft", "list", "ruleset")
	return strings.TrimSpace(counterRE.ReplaceAllString(out, "counter"))
}

func newNS(t *testing.T) (*netnstest.NS, *Firewall) {
	ns := netnstest.New(t)
	peer := netnstest.New(t)
	netnstest.Veth(t, ns, "d0", peer, "p0")
	fd := int(ns.Handle())
	return ns, NewInNetNS(fd, func(name string) (int, error) { return ns.Interface(t, name).Index, nil })
}

// keepalived 2.2.7's ruleset for the same addresses (nftables gk_test,
// nftables_priority -5, nftables_counters; an IPv6 instance with
// fe80::5e:51 and 2001:db8::100, an IPv4 one with 192.0.2.100, both
// MASTER), as `nft list ruleset` prints it, counters blanked. The e2e
// test TestStrictFirewallMatchesKeepalived compares with a running
// keepalived.
const keepalivedRuleset = `table ip6 gk_test {
	set vips {
		type ipv6_addr
		elements = { 2001:db8::100 }
	}

	set neighbor-discovery {
		type icmpv6_type
		flags constant
		elements = { nd-neighbor-solicit,
			     nd-neighbor-advert }
	}

	set vips_link_local {
		type ipv6_addr . iface_index
		elements = { fe80::5e:51 . "d0" }
	}

	chain out {
		type filter hook output priority filter - 5; policy accept;
		icmpv6 type @neighbor-discovery counter accept
		ip6 saddr fe80::/10 counter goto out_link_local
		ip6 saddr @vips counter drop
	}

	chain in {
		type filter hook input priority filter - 5; policy accept;
		icmpv6 type @neighbor-discovery counter accept
		ip6 daddr fe80::/10 counter goto in_link_local
		ip6 daddr @vips counter drop
	}

	chain in_link_local {
		ip6 daddr . iif @vips_link_local counter drop
	}

	chain out_link_local {
		ip6 saddr . oif @vips_link_local counter drop
	}
}
table ip gk_test {
	set vips {
		type ipv4_addr
		elements = { 192.0.2.100 }
	}

	chain out {
		type filter hook output priority filter - 5; policy accept;
		ip saddr @vips counter drop
	}

	chain in {
		type filter hook input priority filter - 5; policy accept;
		ip daddr @vips counter drop
	}
}`

func TestRulesetLikeKeepalived(t *testing.T) {
	ns, fw := newNS(t)
	spec := Spec{Table: "gk_test", Priority: -5, Counters: true, Addrs: []Addr{
		{IP: netip.MustParseAddr("fe80::5e:51"), Dev: "d0"},
		{IP: netip.MustParseAddr("2001:db8::100"), Dev: "d0"},
	}}
	if err := fw.Sync(spec); err != nil {
		t.Fatal(err)
	}
	spec.Addrs = append(spec.Addrs, Addr{IP: netip.MustParseAddr("192.0.2.100"), Dev: "d0"})
	if err := fw.Sync(spec); err != nil {
		t.Fatal(err)
	}
	if got := ruleset(t, ns); got != keepalivedRuleset {
		t.Errorf("ruleset:\n%s\nkeepalived's:\n%s", got, keepalivedRuleset)
	}
	// Released: the sets empty, the tables stay (as keepalived's).
	if err := fw.Sync(Spec{Table: "gk_test", Priority: -5, Counters: true}); err != nil {
		t.Fatal(err)
	}
	got := ruleset(t, ns)
	for _, gone := range []string{"192.0.2.100", "2001:db8::100", "fe80::5e:51"} {
		if strings.Contains(got, gone) {
			t.Errorf("%s still in the ruleset after release:\n%s", gone, got)
		}
	}
	if !strings.Contains(got, "table ip gk_test") || !strings.Contains(got, "table ip6 gk_test") {
		t.Errorf("tables removed before stop:\n%s", got)
	}
	if err := fw.Remove(); err != nil {
		t.Fatal(err)
	}
	if got := ruleset(t, ns); got != "" {
		t.Errorf("ruleset after Remove:\n%s", got)
	}
}

func TestDefaultsAndByName(t *testing.T) {
	ns, fw := newNS(t)
	// A table left by an earlier run is replaced, not added to.
	ns.Run(t, "nft", "add", "table", "ip", "keepalived")
	ns.Run(t, "nft", "add", "chain", "ip", "keepalived", "stale")
	spec := Spec{Table: "keepalived", Priority: -1, Addrs: []Addr{
		{IP: netip.MustParseAddr("fe80::5e:52"), Dev: "d0", ByName: true},
		{IP: netip.MustParseAddr("192.0.2.7"), Dev: "d0"},
	}}
	if err := fw.Sync(spec); err != nil {
		t.Fatal(err)
	}
	got := ruleset(t, ns)
	for _, want := range []string{
		"type filter hook input priority filter - 1; policy accept;\n\t\tip daddr @vips drop",
		"type ipv6_addr . ifname",
		`elements = { fe80::5e:52 . "d0" }`,
		"ip6 daddr . iifname @vips_link_local_name drop",
		"ip6 saddr . oifname @vips_link_local_name drop",
		"elements = { 192.0.2.7 }",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "stale") {
		t.Errorf("the earlier run's table was kept:\n%s", got)
	}
	// A reload renaming the table moves it.
	spec.Table = "other"
	if err := fw.Sync(spec); err != nil {
		t.Fatal(err)
	}
	got = ruleset(t, ns)
	if strings.Contains(got, " keepalived ") || !strings.Contains(got, "table ip other") {
		t.Errorf("after renaming:\n%s", got)
	}
	if err := fw.Remove(); err != nil {
		t.Fatal(err)
	}
	if got := ruleset(t, ns); got != "" {
		t.Errorf("ruleset after Remove:\n%s", got)
	}
}
