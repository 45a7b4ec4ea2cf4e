package config

import (
	"strings"

	"gokeepalived/internal/config/syntax"
)

// firewallRows are the global_defs keywords of the accept-mode firewall
// (Global.Firewall): nftables, nftables_priority, nftables_ifindex,
// nftables_counters, and keepalived's iptables keywords, which a
// keepalived built without iptables (Debian's 2.2.7) maps onto nftables.
func firewallRows() []*Keyword {
	fw := func(g *Global) *Firewall { return &g.Firewall }
	return []*Keyword{
		show(set(kw("nftables", 0, 1, tStr), func(b *builder, g *Global, n *syntax.Node) {
			if fw(g).Table != "" {
				b.ds.Warnf(n.Pos, "nftables already specified (table '%s') - ignoring", fw(g).Table)
				return
			}
			name := DefaultFirewallTable
			if len(n.Args) > 0 {
				name = n.Args[0].Text
			}
			if len(name) >= 256 { // NFT_TABLE_MAXNAMELEN
				b.ds.Errorf(n.Args[0].Pos, "nftables table name is too long (%d characters, at most 255)", len(name))
				return
			}
			fw(g).Table, fw(g).Priority = name, -1
		}), func(d *dumper, i int, g *Global) {
			d.kv(i, "nftables", orDefault(fw(g).Table, "(not set: '"+DefaultFirewallTable+"' when an instance needs it)"))
		}),
		intKw("nftables_priority", -2147483648, 2147483647, func(g *Global) *int { return &fw(g).Priority }),
		flagKw("nftables_ifindex", func(g *Global) *bool { return &fw(g).Ifindex }, true),
		flagKw("nftables_counters", func(g *Global) *bool { return &fw(g).Counters }, true),
		show(set(kw("vrrp_iptables", 0, 2), func(b *builder, g *Global, n *syntax.Node) {
			// keepalived 2.2.7 without iptables support: "iptables not
			// supported, using nftables instead" and the default table,
			// whatever nftables said before.
			b.ds.Warnf(n.Pos, "vrrp_iptables: gokeepalived has no iptables support and uses nftables instead (table '%s', as keepalived "+
				"built without iptables does); replace 'vrrp_iptables' and 'vrrp_ipsets' with 'nftables'", DefaultFirewallTable)
			fw(g).Iptables = []string{}
			for _, a := range n.Args {
				fw(g).Iptables = append(fw(g).Iptables, a.Text)
			}
			fw(g).Table, fw(g).Priority = DefaultFirewallTable, -1
		}), func(d *dumper, i int, g *Global) {
			if fw(g).Iptables != nil {
				d.kv(i, "vrrp_iptables", strings.TrimSpace(strings.Join(fw(g).Iptables, " ")+" (mapped onto nftables)"))
			}
		}),
		show(set(kw("vrrp_ipsets", 0, 5), func(b *builder, g *Global, n *syntax.Node) {
			b.ds.Warnf(n.Pos, "vrrp_ipsets: gokeepalived uses the sets of its nftables table, not ipsets; the names are ignored "+
				"(replace 'vrrp_iptables' and 'vrrp_ipsets' with 'nftables')")
			fw(g).IpsetsSet = true
			fw(g).Ipsets = nil
			for _, a := range n.Args {
				fw(g).Ipsets = append(fw(g).Ipsets, a.Text)
			}
		}), func(d *dumper, i int, g *Global) {
			if fw(g).IpsetsSet {
				d.kv(i, "vrrp_ipsets", strings.TrimSpace(strings.Join(fw(g).Ipsets, " ")+" (ignored: nftables sets)"))
			}
		}),
	}
}

// warnRefusingVIPs warns that an instance's virtual addresses will refuse
// traffic: keepalived users often meet this as "the VIP does not answer"
// under vrrp_strict.
func (b *builder) warnRefusingVIPs(v *Instance, pos syntax.Pos, strict bool) {
	if !v.NeedsFirewall() || len(v.VIPs) == 0 {
		return
	}
	why := "no_accept"
	fix := "remove 'no_accept' (or add 'accept')"
	if strict {
		why = "vrrp_strict without 'accept'"
		fix = "add 'accept' (VRRPv3 only under vrrp_strict) or remove vrrp_strict"
	}
	b.ds.Warnf(pos, "vrrp_instance %s: %s: while MASTER its virtual addresses refuse all traffic (the nftables firewall drops "+
		"packets to and from them, as keepalived does; only the address owner, priority 255, is exempt); to serve on them, %s",
		v.Name, why, fix)
}

// errorsSince reports whether an error was reported after the first n
// diagnostics (a refused instance needs no warning about how it would run).
func (b *builder) errorsSince(n int) bool {
	for _, d := range (*b.ds)[n:] {
		if d.Severity == syntax.SevError {
			return true
		}
	}
	return false
}
