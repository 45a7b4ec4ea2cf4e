package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"gokeepalived/internal/config/syntax"
)

// The bgp block's rows (gokeepalived only; model and checks in bgp.go).

func bgpKeyword() *Keyword {
	return ext(show(set(block("bgp", 0, 0, bgpBlock()), func(b *builder, c *Config, n *syntax.Node) {
		c.BGP = b.bgp(n)
	}), func(d *dumper, i int, c *Config) {
		if c.BGP != nil {
			d.block(i, "bgp  # "+c.BGP.Pos.String()+" (gokeepalived only)", spec("bgp"), c.BGP)
		}
	}))
}

func bgpBlock() *BlockSpec {
	return newBlock("bgp",
		show(set(kw("router_id", 1, 1, tIP), func(b *builder, g *BGP, n *syntax.Node) {
			g.RouterID = b.ip(n, 0)
			if !g.RouterID.Is4() {
				b.ds.Errorf(n.Args[0].Pos, "bgp: router_id '%s' must be an IPv4 address (a 32-bit BGP identifier)", n.Args[0].Text)
			}
		}), func(d *dumper, i int, g *BGP) { d.kv(i, "router_id", g.RouterID) }),
		asKw("local_as", func(g *BGP) *uint32 { return &g.LocalAS }),
		show(set(kw("listen_port", 1, 1, tPort), func(b *builder, g *BGP, n *syntax.Node) { g.ListenPort = b.int(n, 0) }),
			func(d *dumper, i int, g *BGP) { d.kv(i, "listen_port", g.ListenPort) }),
		timerKw("graceful_shutdown_delay", 0, 3600, func(g *BGP) *time.Duration { return &g.GracefulShutdownDelay }),
		show(set(block("neighbor", 1, 1, bgpNeighborBlock()).repeat(), func(b *builder, g *BGP, n *syntax.Node) {
			if nb := b.bgpNeighbor(n); nb != nil {
				g.Neighbors = append(g.Neighbors, nb)
			}
		}), func(d *dumper, i int, g *BGP) {
			for _, nb := range g.Neighbors {
				d.block(i, "neighbor "+nb.Address.String()+"  # "+nb.Pos.String(), spec("bgp", "neighbor"), nb)
			}
		}),
		show(set(block("announce_vrrp", 1, 1, bgpAnnounceBlock("announce_vrrp")).repeat(), func(b *builder, g *BGP, n *syntax.Node) {
			g.VRRP = append(g.VRRP, b.bgpAnnounceVRRP(n))
		}), func(d *dumper, i int, g *BGP) {
			for _, a := range g.VRRP {
				d.block(i, "announce_vrrp "+a.Instance+"  # "+a.Pos.String(), spec("bgp", "announce_vrrp"), a)
			}
		}),
		show(set(block("announce_virtual_server", 1, 2, bgpAnnounceBlock("announce_virtual_server")).repeat(), func(b *builder, g *BGP, n *syntax.Node) {
			if a := b.bgpAnnounceVS(n); a != nil {
				g.VirtualServers = append(g.VirtualServers, a)
			}
		}), func(d *dumper, i int, g *BGP) {
			for _, a := range g.VirtualServers {
				d.block(i, "announce_"+a.Name()+"  # "+a.Pos.String(), spec("bgp", "announce_virtual_server"), a)
			}
		}),
	)
}

func bgpNeighborBlock() *BlockSpec {
	return newBlock("bgp neighbor",
		asKw("remote_as", func(nb *BGPNeighbor) *uint32 { return &nb.RemoteAS }),
		show(set(kw("port", 1, 1, ArgSpec{Kind: ArgPort, Min: 1, Max: 65535}), func(b *builder, nb *BGPNeighbor, n *syntax.Node) { nb.Port = b.int(n, 0) }),
			func(d *dumper, i int, nb *BGPNeighbor) { d.kv(i, "port", nb.Port) }),
		ipKw("local_address", func(nb *BGPNeighbor) *netip.Addr { return &nb.LocalAddress }),
		show(set(kw("password", 1, 1, tStr), func(b *builder, nb *BGPNeighbor, n *syntax.Node) {
			nb.Password = n.Args[0].Text
			if len(nb.Password) > 80 {
				b.ds.Errorf(n.Args[0].Pos, "bgp neighbor: password is longer than the kernel's 80 bytes for TCP MD5")
			}
		}), func(d *dumper, i int, nb *BGPNeighbor) {
			if nb.Password != "" {
				d.kv(i, "password", "(set)")
			}
		}),
		show(set(kw("hold_time", 1, 1, tInt(0, 65535)), func(b *builder, nb *BGPNeighbor, n *syntax.Node) {
			v := b.int(n, 0)
			if v == 1 || v == 2 {
				b.ds.Errorf(n.Args[0].Pos, "bgp neighbor: hold_time %d: must be 0 or at least 3 seconds (RFC 4271)", v)
			}
			nb.HoldTime = time.Duration(v) * time.Second
		}), func(d *dumper, i int, nb *BGPNeighbor) { d.kv(i, "hold_time", nb.HoldTime) }),
		secsKw("keepalive_time", 0, 21845, func(nb *BGPNeighbor) *time.Duration { return &nb.KeepaliveTime }),
		intKw("multihop", 1, 255, func(nb *BGPNeighbor) *int { return &nb.Multihop }),
		intKw("ttl_security", 1, 254, func(nb *BGPNeighbor) *int { return &nb.TTLSecurity }),
		flagKw("passive", func(nb *BGPNeighbor) *bool { return &nb.Passive }, true),
		strKw("track_bfd", func(nb *BGPNeighbor) *string { return &nb.TrackBFD }),
	)
}

func bgpAnnounceBlock(name string) *BlockSpec {
	return newBlock("bgp "+name,
		show(set(kw("backup", 1, 2, tEnum(BGPBackupWithdraw, BGPBackupPrepend, BGPBackupLocalPref, BGPBackupMED), tUint),
			func(b *builder, a *BGPAnnounce, n *syntax.Node) {
				a.Backup = n.Args[0].Text
				switch {
				case a.Backup == BGPBackupWithdraw && len(n.Args) > 1:
					b.ds.Errorf(n.Args[1].Pos, "bgp %s: 'backup withdraw' takes no value", n.Keyword)
				case a.Backup != BGPBackupWithdraw && len(n.Args) < 2:
					b.ds.Errorf(n.Args[0].Pos, "bgp: 'backup %s' needs a value", a.Backup)
				case a.Backup == BGPBackupPrepend:
					if a.BackupValue = b.int(n, 1); a.BackupValue < 1 || a.BackupValue > 10 {
						b.ds.Errorf(n.Args[1].Pos, "bgp: 'backup prepend %s': the count must be in [1, 10]", n.Args[1].Text)
					}
				case a.Backup != BGPBackupWithdraw:
					a.BackupValue = b.int(n, 1)
				}
			}), func(d *dumper, i int, a *BGPAnnounce) {
			if a.Backup == "" {
				return
			}
			if a.Backup == BGPBackupWithdraw {
				d.kv(i, "backup", a.Backup)
			} else {
				d.line(i, "backup %s %d", a.Backup, a.BackupValue)
			}
		}),
		show(set(kw("community", 1, -1).repeat(), func(b *builder, a *BGPAnnounce, n *syntax.Node) {
			for _, arg := range n.Args {
				c, ok := parseCommunity(arg.Text)
				if !ok {
					b.ds.Errorf(arg.Pos, "bgp: community '%s' is not ASN:VALUE (each 0-65535), no-export or no-advertise", arg.Text)
					continue
				}
				a.Communities = append(a.Communities, c)
			}
		}), func(d *dumper, i int, a *BGPAnnounce) {
			if len(a.Communities) > 0 {
				s := make([]string, len(a.Communities))
				for j, c := range a.Communities {
					s[j] = CommunityString(c)
				}
				d.kv(i, "community", strings.Join(s, " "))
			}
		}),
		show(set(kw("large_community", 1, -1).repeat(), func(b *builder, a *BGPAnnounce, n *syntax.Node) {
			for _, arg := range n.Args {
				c, ok := parseLargeCommunity(arg.Text)
				if !ok {
					b.ds.Errorf(arg.Pos, "bgp: large_community '%s' is not GLOBAL:DATA1:DATA2 (each 0-4294967295)", arg.Text)
					continue
				}
				a.LargeCommunities = append(a.LargeCommunities, c)
			}
		}), func(d *dumper, i int, a *BGPAnnounce) {
			if len(a.LargeCommunities) > 0 {
				s := make([]string, len(a.LargeCommunities))
				for j, c := range a.LargeCommunities {
					s[j] = fmt.Sprintf("%d:%d:%d", c[0], c[1], c[2])
				}
				d.kv(i, "large_community", strings.Join(s, " "))
			}
		}),
		optIntKw("local_pref", func(a *BGPAnnounce) *int { return &a.LocalPref }),
		optIntKw("med", func(a *BGPAnnounce) *int { return &a.MED }),
	)
}

// asKw is `name ASN`: a 4-byte AS number (RFC 6793), 0 excluded.
func asKw[T any](name string, f func(T) *uint32) *Keyword {
	k := set(kw(name, 1, 1, tInt(1, 4294967295)), func(b *builder, t T, n *syntax.Node) { *f(t) = uint32(b.int(n, 0)) })
	return show(k, func(d *dumper, i int, t T) { d.kv(i, name, *f(t)) })
}

// optIntKw is `name N` (0-4294967295) whose unset value is -1; the dump shows it when set.
func optIntKw[T any](name string, f func(T) *int) *Keyword {
	k := set(kw(name, 1, 1, tUint), func(b *builder, t T, n *syntax.Node) { *f(t) = b.int(n, 0) })
	return show(k, func(d *dumper, i int, t T) {
		if *f(t) >= 0 {
			d.kv(i, name, *f(t))
		}
	})
}

// ext marks k and every keyword below it as gokeepalived's own: keepalived
// 2.2.7 does not know them (TestKeywordsInBinary skips them; -t says so).
func ext(k *Keyword) *Keyword {
	seen := map[*BlockSpec]bool{}
	var walk func(k *Keyword)
	walk = func(k *Keyword) {
		k.Extension = true
		if k.Block != nil && !seen[k.Block] {
			seen[k.Block] = true
			for _, n := range k.Block.order {
				walk(k.Block.Keywords[n])
			}
		}
	}
	walk(k)
	return k
}

// LoadBGP reads a file holding only a bgp block (--bgp-config) into cfg,
// with the same syntax, strictness and positions as the main file, and
// checks its references (vrrp_instance, virtual_server, bfd_instance)
// against cfg.
func LoadBGP(path string, opts LoadOptions, cfg *Config) Diagnostics {
	f, ds := syntax.ParseFile(path, opts.Syntax)
	var more Diagnostics
	bad, rows := schemaCheck(f.Nodes, &more)
	b := &builder{ds: &more, bad: bad, kw: rows, cfg: &Config{}}
	for _, n := range b.good(f.Nodes) {
		if n.Keyword != "bgp" {
			more.Errorf(n.Pos, "'%s' does not belong in a --bgp-config file, which holds one 'bgp' block", n.Keyword)
			continue
		}
		b.kw[n].set(b, b.cfg, n)
	}
	switch g := b.cfg.BGP; {
	case g == nil:
		more.Errorf(syntax.Pos{File: path, Line: 1, Col: 1}, "no 'bgp' block in the --bgp-config file")
	case cfg.BGP != nil:
		more.Errorf(g.Pos, "a 'bgp' block is already in the main configuration at %s", cfg.BGP.Pos)
	default:
		cfg.BGP = g
		validateBGP(cfg, &more)
	}
	all := append(append(Diagnostics(nil), ds...), more...)
	all.Sort()
	return all
}
