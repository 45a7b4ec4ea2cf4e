package config

import (
	"strconv"
	"strings"
	"time"

	"gokeepalived/internal/config/syntax"
)

// Rows of the gratuitous ARP pacing and link-watching keywords of
// keepalived 2.2.7 (vrrp_parser.c garp_group_*, alloc_linkbeat_interface,
// alloc_if_up_down_delay, vrrp_garp_extra_if_handler; global_parser.c
// vrrp_vmac_garp_extra_if_handler, use_polling_handler). The run-time side
// is in internal/daemon (garppace.go, linkwatch.go).

// garpGroupMaxInterval is keepalived's bound on a garp_group interval
// (INT_MAX microseconds).
const garpGroupMaxInterval = 2147.483647

// garpGroupKeyword is the top-level garp_group { } block.
func garpGroupKeyword() *Keyword {
	iv := func(name string, f func(g *GARPGroup) (*time.Duration, *bool)) *Keyword {
		k := set(kw(name, 1, 1, tTimer(0, garpGroupMaxInterval)), func(b *builder, g *GARPGroup, n *syntax.Node) {
			d, has := f(g)
			*d, *has = b.dur(n, 0), true
		})
		return show(k, func(d *dumper, i int, g *GARPGroup) {
			if v, has := f(g); *has {
				d.kv(i, name, *v)
			}
		})
	}
	spec := newBlock("garp_group",
		iv("garp_interval", func(g *GARPGroup) (*time.Duration, *bool) { return &g.GARPInterval, &g.HasGARP }),
		iv("gna_interval", func(g *GARPGroup) (*time.Duration, *bool) { return &g.GNAInterval, &g.HasGNA }),
		show(set(str("interface"), func(b *builder, g *GARPGroup, n *syntax.Node) {
			g.Interfaces = append(g.Interfaces, n.Args[0].Text)
		}), func(d *dumper, i int, g *GARPGroup) {
			if !g.Aggregate && len(g.Interfaces) > 0 {
				d.kv(i, "interface", strings.Join(g.Interfaces, " "))
			}
		}),
		show(set(vblock("interfaces"), func(b *builder, g *GARPGroup, n *syntax.Node) {
			if len(n.Children) == 0 {
				b.ds.Errorf(n.Pos, "garp_group: empty interfaces block")
				return
			}
			g.Aggregate = true
			for _, l := range n.Children {
				for _, a := range lineWords(l) {
					g.Interfaces = append(g.Interfaces, a.Text)
				}
			}
		}), func(d *dumper, i int, g *GARPGroup) {
			if g.Aggregate {
				d.kv(i, "interfaces", strings.Join(g.Interfaces, " "))
			}
		}),
	)
	k := block("garp_group", 0, 0, spec).repeat()
	k = set(k, func(b *builder, c *Config, n *syntax.Node) {
		g := &GARPGroup{Pos: n.Pos}
		nodes := b.apply(g, n)
		if nodes["interface"] != nil && nodes["interfaces"] != nil {
			b.ds.Errorf(n.Pos, "garp_group: use either interface or interfaces, not both")
			return
		}
		if !g.HasGARP && !g.HasGNA {
			// keepalived: "garp group N does not have any delay set - removing".
			b.ds.Errorf(n.Pos, "garp_group has no garp_interval or gna_interval")
			return
		}
		if len(g.Interfaces) == 0 {
			b.ds.Errorf(n.Pos, "garp_group names no interface (interface or interfaces { })")
			return
		}
		if g.Aggregate {
			g.Number = 1
			for _, o := range c.GARPGroups {
				if o.Aggregate {
					g.Number++
				}
			}
		}
		kept := g.Interfaces[:0]
		for _, name := range g.Interfaces {
			if o := c.GARPGroupOf(name); o != nil || contains(kept, name) {
				// keepalived: "garp_group already specified for IF - ignoring".
				b.ds.Errorf(n.Pos, "garp_group: interface %s is already in a garp_group", name)
				continue
			}
			kept = append(kept, name)
		}
		g.Interfaces = kept
		c.GARPGroups = append(c.GARPGroups, g)
	})
	return show(k, func(d *dumper, i int, c *Config) {
		for _, g := range c.GARPGroups {
			d.block(i, "garp_group  # "+g.Pos.String(), spec, g)
		}
	})
}

// GARPGroupOf returns the garp_group an interface is in, or nil.
func (c *Config) GARPGroupOf(ifname string) *GARPGroup {
	for _, g := range c.GARPGroups {
		if contains(g.Interfaces, ifname) {
			return g
		}
	}
	return nil
}

// linkbeatInterfacesKeyword is the top-level linkbeat_interfaces { } block.
func linkbeatInterfacesKeyword() *Keyword {
	k := set(vblock("linkbeat_interfaces"), func(b *builder, c *Config, n *syntax.Node) {
		for _, l := range n.Children {
			w := lineWords(l)
			li := LinkbeatInterface{Pos: l.Pos, Name: w[0].Text}
			if len(w) > 1 {
				switch w[1].Text {
				case "MII", "ETHTOOL", "IOCTL":
					li.Type = w[1].Text
				default:
					b.ds.Errorf(w[1].Pos, "linkbeat_interfaces %s: unknown polling type '%s' (MII, ETHTOOL or IOCTL)", li.Name, w[1].Text)
					continue
				}
			}
			if len(w) > 2 {
				b.ds.Errorf(w[2].Pos, "linkbeat_interfaces %s: extra word '%s'", li.Name, w[2].Text)
				continue
			}
			c.LinkbeatInterfaces = append(c.LinkbeatInterfaces, li)
		}
	})
	return show(k, func(d *dumper, i int, c *Config) {
		for _, l := range c.LinkbeatInterfaces {
			d.line(i, "linkbeat_interfaces %s %s", l.Name, l.Type)
		}
	})
}

// Linkbeat returns the interfaces whose link state is polled, with the
// polling type asked for ("" = the default order): linkbeat_interfaces,
// and the interface of every instance with linkbeat_use_polling (in the
// instance or at the top level).
func (c *Config) Linkbeat() map[string]string {
	out := map[string]string{}
	for _, v := range c.Instances {
		if (v.LinkbeatUsePolling || c.Global.LinkbeatUsePolling) && v.Interface != "" {
			out[v.Interface] = ""
		}
	}
	for _, l := range c.LinkbeatInterfaces {
		out[l.Name] = l.Type
	}
	return out
}

// maxUpDownDelay is keepalived's bound on an interface_up_down_delays delay.
const maxUpDownDelay = 255 * time.Second

// interfaceUpDownDelaysKeyword is the top-level interface_up_down_delays { }.
func interfaceUpDownDelaysKeyword() *Keyword {
	k := set(vblock("interface_up_down_delays"), func(b *builder, c *Config, n *syntax.Node) {
		for _, l := range n.Children {
			w := lineWords(l)
			if len(w) < 2 {
				b.ds.Errorf(l.Pos, "interface_up_down_delays %s: no delay given (IFNAME DOWN_DELAY [UP_DELAY])", w[0].Text)
				continue
			}
			if len(w) > 3 {
				b.ds.Errorf(w[3].Pos, "interface_up_down_delays %s: too many words (IFNAME DOWN_DELAY [UP_DELAY])", w[0].Text)
				continue
			}
			d := InterfaceDelay{Pos: l.Pos, Name: w[0].Text}
			ok := true
			for j, a := range w[1:] {
				v, good := parseSeconds(a.Text)
				if !good || v < 0 || seconds(v) > maxUpDownDelay {
					what := [...]string{"down", "up"}[j]
					b.ds.Errorf(a.Pos, "interface_up_down_delays %s: %s delay '%s' is not a number of seconds in [0, 255]", d.Name, what, a.Text)
					ok = false
					continue
				}
				if j == 0 {
					d.Down = seconds(v)
				} else {
					d.Up = seconds(v)
				}
			}
			// keepalived 2.2.7 sets the up delay to 0 when it is omitted
			// (its man page says the down delay's value; the code wins).
			if !ok {
				continue
			}
			for _, o := range c.InterfaceDelays {
				if o.Name == d.Name {
					b.ds.Warnf(l.Pos, "interface_up_down_delays: %s given again (line %d); the last one is used, as keepalived", d.Name, o.Pos.Line)
				}
			}
			c.InterfaceDelays = append(c.InterfaceDelays, d)
		}
	})
	return show(k, func(d *dumper, i int, c *Config) {
		for _, x := range c.InterfaceDelays {
			d.line(i, "interface_up_down_delays %s down %s up %s", x.Name, fmtDur(x.Down), fmtDur(x.Up))
		}
	})
}

// UpDownDelays returns an interface's delays (the last line naming it).
func (c *Config) UpDownDelays(ifname string) (down, up time.Duration) {
	for _, x := range c.InterfaceDelays {
		if x.Name == ifname {
			down, up = x.Down, x.Up
		}
	}
	return down, up
}

// garpExtraIfKeyword is `garp_extra_if [all] SECS` (instance, 0..86400, 0
// turns it off) or `vrrp_garp_extra_if [all] SECS` (global_defs,
// 1..86400), the words in any order.
func garpExtraIfKeyword[T any](name string, min int, f func(T) *GARPExtraIf) *Keyword {
	k := set(kw(name, 1, 2), func(b *builder, t T, n *syntax.Node) {
		var e GARPExtraIf
		have := false
		for _, a := range n.Args {
			if a.Text == "all" {
				e.All = true
				continue
			}
			v, err := strconv.ParseUint(a.Text, 10, 32)
			if err != nil || int(v) < min || v > 86400 {
				b.ds.Errorf(a.Pos, "%s '%s' invalid: seconds in [%d, 86400], or 'all'", n.Keyword, a.Text, min)
				return
			}
			e.Interval, have = time.Duration(v)*time.Second, true
		}
		if !have {
			b.ds.Errorf(n.Pos, "%s specified without time", n.Keyword)
			return
		}
		*f(t) = e
	})
	return show(k, func(d *dumper, i int, t T) {
		if e := f(t); e.Interval > 0 {
			all := ""
			if e.All {
				all = "all "
			}
			d.line(i, "%s %s%d", name, all, int(e.Interval/time.Second))
		}
	})
}

// linkbeatFlag is the top-level linkbeat_use_polling.
func linkbeatFlag() *Keyword {
	return show(set(flag("linkbeat_use_polling"), func(b *builder, c *Config, n *syntax.Node) { c.Global.LinkbeatUsePolling = true }),
		func(d *dumper, i int, c *Config) {
			if c.Global.LinkbeatUsePolling {
				d.kv(i, "linkbeat_use_polling", true)
			}
		})
}
