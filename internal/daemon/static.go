package daemon

import (
	"slices"

	"gokeepalived/internal/config"
	"gokeepalived/internal/linux/addr"
)

// Static addresses, routes and rules (top-level static_ipaddress,
// static_routes, static_rules), as keepalived 2.2.7's VRRP process
// handles them (vrrp_daemon.c start_vrrp / vrrp_terminate_phase2,
// keepalived_netlink.c): they belong to no instance and are put in place
// when the runtime starts, whatever the instances' states; a reload
// removes those it dropped and adds the new ones; a static address or
// route someone deletes is put back at once unless it is no_track (and
// those on an interface that comes back are added again); the runtime
// removes them all when it stops (also under -V, as keepalived does).
// Rules are not watched (no rule events reach the loop), so a deleted
// static rule comes back only at the next reload.

// staticSet is the kernel form of the static entries of one configuration.
type staticSet struct {
	addrs  []addr.Address
	routes []addr.Route
	rules  []addr.Rule
	// tracked are the addresses and routes put back when deleted (not
	// no_track).
	trackedAddrs  map[addr.Address]bool
	trackedRoutes map[addr.Route]bool
}

func staticEntries(c *config.Config) staticSet {
	s := staticSet{trackedAddrs: map[addr.Address]bool{}, trackedRoutes: map[addr.Route]bool{}}
	for _, v := range c.StaticAddresses {
		a := addr.Address{Prefix: v.Prefix, Dev: v.Dev, Broadcast: v.Broadcast, Scope: addr.Scope(v.Scope),
			Label: v.Label, NoPrefixRoute: v.NoPrefixRoute}
		s.addrs = append(s.addrs, a)
		if !v.NoTrack {
			s.trackedAddrs[a] = true
		}
	}
	for _, r := range c.StaticRoutes {
		kr := addr.Route{Type: addr.RouteType(r.Type), Dst: r.Dst, Via: r.Via, Src: r.Src, Dev: r.Dev,
			Table: r.Table, Metric: r.Metric, Scope: addr.Scope(r.Scope)}
		s.routes = append(s.routes, kr)
		if !r.NoTrack {
			s.trackedRoutes[kr] = true
		}
	}
	for _, r := range c.StaticRules {
		s.rules = append(s.rules, addr.Rule{From: r.From, To: r.To, Table: r.Table, Priority: r.Priority,
			FWMark: r.FWMark, FWMask: r.FWMask, IPv6: r.IPv6})
	}
	return s
}

// setStatic makes the kernel's static entries those of cfg: the entries
// of the previous configuration it no longer has are removed, then every
// entry of cfg is added (adds are idempotent, so those kept stay as they
// are). At start the previous set is empty.
func (d *Daemon) setStatic(cfg *config.Config) {
	old, next := d.static, staticEntries(cfg)
	for _, r := range old.rules {
		if !slices.Contains(next.rules, r) {
			d.delStaticRule(r, "no longer configured")
		}
	}
	for _, r := range old.routes {
		if !slices.Contains(next.routes, r) {
			d.delStaticRoute(r, "no longer configured")
		}
	}
	for _, a := range old.addrs {
		if !slices.Contains(next.addrs, a) {
			d.delStaticAddr(a, "no longer configured")
		}
	}
	d.static = next
	for _, a := range next.addrs {
		if err := d.ports.Addresses.Add(a); err != nil {
			d.log.Error("adding static address failed", "address", a.String(), "err", err)
		}
	}
	for _, r := range next.routes {
		if err := d.ports.Routes.Add(r); err != nil {
			d.log.Error("adding static route failed", "route", r.String(), "err", err)
		}
	}
	for _, r := range next.rules {
		if err := d.ports.Rules.Add(r); err != nil {
			d.log.Error("adding static rule failed", "rule", r.String(), "err", err)
		}
	}
	if n := len(next.addrs) + len(next.routes) + len(next.rules); n > 0 || len(old.addrs)+len(old.routes)+len(old.rules) > 0 {
		d.log.Info("static addresses, routes and rules set", "addresses", len(next.addrs), "routes", len(next.routes),
			"rules", len(next.rules))
	}
}

// clearStatic removes every static entry (the runtime stops).
func (d *Daemon) clearStatic() {
	s := d.static
	d.static = staticSet{}
	for _, r := range s.rules {
		d.delStaticRule(r, "stopping")
	}
	for _, r := range s.routes {
		d.delStaticRoute(r, "stopping")
	}
	for _, a := range s.addrs {
		d.delStaticAddr(a, "stopping")
	}
}

func (d *Daemon) delStaticAddr(a addr.Address, why string) {
	if err := d.ports.Addresses.Del(a); err != nil {
		d.log.Error("removing static address failed", "address", a.String(), "why", why, "err", err)
	}
}

func (d *Daemon) delStaticRoute(r addr.Route, why string) {
	if err := d.ports.Routes.Del(r); err != nil {
		d.log.Error("removing static route failed", "route", r.String(), "why", why, "err", err)
	}
}

func (d *Daemon) delStaticRule(r addr.Rule, why string) {
	if err := d.ports.Rules.Del(r); err != nil {
		d.log.Error("removing static rule failed", "rule", r.String(), "why", why, "err", err)
	}
}

// staticAddrChanged puts back a tracked static address someone deleted
// (keepalived: "Restoring deleted static address"). The event is checked
// against the kernel first: it may be the echo of our own change.
func (d *Daemon) staticAddrChanged(e addr.Event) {
	if !e.Deleted || e.Dev == "" {
		return
	}
	for _, a := range d.static.addrs {
		if a.Prefix.Addr() != e.Prefix.Addr() || a.Dev != e.Dev || !d.static.trackedAddrs[a] {
			continue
		}
		if d.present([]addr.Address{a})[a] {
			continue
		}
		if err := d.ports.Addresses.Add(a); err != nil {
			d.log.Error("restoring static address failed", "address", a.String(), "why", "deleted (not by this daemon)", "err", err)
			continue
		}
		d.log.Warn("static address restored", "address", a.String(), "why", "deleted (not by this daemon)")
	}
}

// staticRouteChanged puts back a tracked static route someone deleted.
func (d *Daemon) staticRouteChanged(e addr.RouteEvent) {
	if !e.Deleted || e.Resync {
		return
	}
	for _, r := range d.static.routes {
		table := r.Table
		if table == 0 {
			table = 254 // main
		}
		if r.Dst.Masked() != e.Dst.Masked() || table != e.Table || !d.static.trackedRoutes[r] {
			continue
		}
		if err := d.ports.Routes.Add(r); err != nil {
			d.log.Error("restoring static route failed", "route", r.String(), "why", "deleted (not by this daemon)", "err", err)
			continue
		}
		d.log.Warn("static route restored", "route", r.String(), "why", "deleted (not by this daemon)")
	}
}

// staticLinkUp adds again the tracked static addresses and routes on an
// interface that came (back) up: the kernel flushed them with it
// (keepalived's static_track_group_reinstate_config).
func (d *Daemon) staticLinkUp(name string) {
	for _, a := range d.static.addrs {
		if a.Dev == name && d.static.trackedAddrs[a] && !d.present([]addr.Address{a})[a] {
			if err := d.ports.Addresses.Add(a); err != nil {
				d.log.Error("restoring static address failed", "address", a.String(), "why", "interface "+name+" up", "err", err)
				continue
			}
			d.log.Warn("static address restored", "address", a.String(), "why", "interface "+name+" up")
		}
	}
	for _, r := range d.static.routes {
		if r.Dev == name && d.static.trackedRoutes[r] {
			if err := d.ports.Routes.Add(r); err != nil {
				d.log.Error("restoring static route failed", "route", r.String(), "why", "interface "+name+" up", "err", err)
			}
		}
	}
}

// trackGroupInterfaces returns the interfaces the instance tracks through
// track_group (weight 0: FAULT while one is down): the devices of the
// static addresses and routes naming a track_group it is a member of.
// Rules track their input interface in keepalived; gokeepalived's rules
// have none, so a rule's track_group tracks nothing, as there.
func trackGroupInterfaces(c *config.Config, name string) []config.Track {
	var groups []string
	for _, g := range c.TrackGroups {
		if slices.Contains(g.Members, name) {
			groups = append(groups, g.Name)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	var out []config.Track
	add := func(pos config.Pos, group, dev string, noTrack bool) {
		if noTrack || dev == "" || !slices.Contains(groups, group) {
			return
		}
		for _, t := range out {
			if t.Name == dev {
				return
			}
		}
		out = append(out, config.Track{Pos: pos, Name: dev})
	}
	for _, a := range c.StaticAddresses {
		add(a.Pos, a.TrackGroup, a.Dev, a.NoTrack)
	}
	for _, r := range c.StaticRoutes {
		add(r.Pos, r.TrackGroup, r.Dev, r.NoTrack)
	}
	return out
}
