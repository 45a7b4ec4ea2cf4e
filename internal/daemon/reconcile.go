package daemon

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/vrrp"
)

// The kernel's addresses are reconciled, not assumed (issue 10): the
// address watcher (Addresses.Watch) reports every address added or removed
// by anyone. A virtual address that disappears while its instance is MASTER
// is put back (vips_restored); one that appears while no instance holds it
// is removed (stale_vips_removed), as are those found at start (left by a
// crash or a -V exit). The watcher's events include our own changes: each
// is checked against the kernel (Addresses.List) before acting, so an echo
// of our own add or delete, arriving after we changed our mind, does
// nothing.

// addrChanged handles one address event on the loop.
func (d *Daemon) addrChanged(e addr.Event) {
	d.srcIPChanged(e)
	if e.Resync {
		d.log.Warn("address events were missed (netlink overflow): checking every virtual address")
		for _, in := range d.instances {
			if d.holding(in) {
				d.restore(in, in.addrs, "address events were missed")
			}
		}
		for _, in := range d.instances {
			if !d.holding(in) {
				d.removeStaleAtStart(in)
			}
		}
		d.recheckRoutes("address events were missed")
		return
	}
	d.rebindOnAddress(e)
	d.staticAddrChanged(e)
	ip := e.Prefix.Addr()
	for _, in := range d.instances {
		var mine []addr.Address
		for _, a := range in.addrs {
			if a.Prefix.Addr() == ip && (e.Dev == "" || a.Dev == e.Dev) {
				mine = append(mine, a)
			}
		}
		if len(mine) == 0 {
			continue
		}
		switch {
		case e.Deleted && e.Dev == "":
			// The interface itself is gone: its link event follows
			// (relink.go), nothing can be put back on it.
		case e.Deleted && d.holding(in):
			d.restore(in, mine, "removed from "+devName(e)+" while MASTER (not by this daemon)")
		case !e.Deleted && in.unit != nil && in.core.State() == vrrp.StateMaster:
			// A MASTER that could not put it back has it again. One that
			// holds its VIPs has nothing to learn (the echo of its own
			// adds: at a takeover of 1,000 VIPs, 1,000 address dumps).
			if !in.vipsHeld {
				d.recheckHeld(in)
			}
		case !e.Deleted && !d.heldByAny(ip):
			d.removeStale(in, mine, "added to "+devName(e)+" while the instance is "+in.core.State().String())
		}
	}
	if e.Dev != "" {
		d.sourceAddrChanged(e)
	}
	if e.Deleted && e.Dev != "" {
		// The kernel flushes the routes over a device with its last IPv4
		// address (and those preferring the address as source) without
		// a route event: look.
		d.recheckRoutes("flushed by the kernel with an address of " + e.Dev)
	}
}

// srcFault is the fault source (and fault key) of an instance whose advert
// source address was removed.
func srcFault(a netip.Addr) string { return "source address removed " + a.String() }

// sourceAddrChanged puts an instance in FAULT while its advert source
// address is gone from its interface, and takes it out when it is back.
// Without it a MASTER kept its VIPs but could send no advert ("network is
// unreachable"), so a peer took over and both held them until the address
// came back (found by the chaos harness).
func (d *Daemon) sourceAddrChanged(e addr.Event) {
	ip := e.Prefix.Addr()
	for _, in := range d.instances {
		if in.unit == nil || in.src != ip {
			continue
		}
		key := srcFault(ip)
		_, was := in.faults[key]
		switch {
		case e.Deleted && !was:
			if len(d.present([]addr.Address{{Prefix: e.Prefix, Dev: e.Dev}})) > 0 {
				continue // back already (an old event)
			}
			reason := fmt.Sprintf("advert source address %s removed from %s: no advert can be sent", ip, e.Dev)
			in.faults[key] = reason
			d.log.Warn("advert source address removed: FAULT until it is back", "instance", in.cfg.Name, "vrid", in.cfg.VRID,
				"address", ip.String(), "interface", e.Dev)
			d.handle(in, vrrp.Fault{Source: key, Reason: reason})
		case !e.Deleted && was:
			delete(in.faults, key)
			d.handle(in, vrrp.FaultCleared{Source: key, Reason: "advert source address " + ip.String() + " is back"})
		}
	}
}

// ruleChecker is implemented by a Rules port that can tell whether the
// kernel has a rule (linuxport; the segment fake).
type ruleChecker interface {
	Has(r addr.Rule) (bool, error)
}

// ruleCheckInterval is how often a MASTER's virtual rules are looked for
// in the kernel: netlink gives the daemon no rule events.
const ruleCheckInterval = time.Second

// recheckRulesDue puts back, at most every ruleCheckInterval, the virtual
// rules a holding instance lost (rules_restored). It runs on the loop,
// which a MASTER wakes every advert interval.
func (d *Daemon) recheckRulesDue() {
	rc, ok := d.ports.Rules.(ruleChecker)
	if !ok {
		return
	}
	now := d.now()
	if now.Sub(d.rulesChecked) < ruleCheckInterval {
		return
	}
	d.rulesChecked = now
	for _, in := range d.instances {
		if len(in.rules) == 0 || !d.holding(in) {
			continue
		}
		for _, r := range in.rules {
			if has, err := rc.Has(r); err != nil || has {
				continue
			}
			if err := d.ports.Rules.Add(r); err != nil {
				in.count(ctl.VIPErrors)
				d.log.Error("restoring virtual rule failed", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "rule", r.String(), "err", err)
				continue
			}
			in.count(ctl.RulesRestored)
			d.log.Warn("virtual rule restored", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "rule", r.String(),
				"why", "deleted while MASTER (not by this daemon)")
		}
	}
}

// routeChecker is implemented by a Routes port that can tell whether the
// kernel has a route (linuxport; the segment fake).
type routeChecker interface {
	Has(r addr.Route) (bool, error)
}

// recheckRoutes puts back the virtual routes a holding instance lost
// without a route event (routes_restored). Without a routeChecker every
// route is added again, which is idempotent, and nothing is counted.
func (d *Daemon) recheckRoutes(why string) {
	rc, canCheck := d.ports.Routes.(routeChecker)
	for _, in := range d.instances {
		if !d.holding(in) {
			continue
		}
		for _, r := range in.routes {
			if canCheck {
				if ok, err := rc.Has(r); err != nil || ok {
					continue
				}
			}
			if err := d.ports.Routes.Add(r); err != nil {
				in.count(ctl.VIPErrors)
				d.log.Error("restoring virtual route failed", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "route", r.String(), "why", why, "err", err)
				continue
			}
			if canCheck {
				in.count(ctl.RoutesRestored)
				d.log.Warn("virtual route restored", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "route", r.String(), "why", why)
			}
		}
	}
}

func devName(e addr.Event) string {
	if e.Dev != "" {
		return e.Dev
	}
	return fmt.Sprintf("interface index %d", e.Index)
}

// holding reports whether the instance is MASTER and holds its addresses.
func (d *Daemon) holding(in *instance) bool {
	return in.unit != nil && in.vipsHeld && in.core.State() == vrrp.StateMaster
}

// heldByAny reports whether a running instance is MASTER for ip (whether
// or not the kernel has it).
func (d *Daemon) heldByAny(ip netip.Addr) bool {
	for _, in := range d.instances {
		if in.unit == nil || in.core.State() != vrrp.StateMaster {
			continue
		}
		for _, a := range in.addrs {
			if a.Prefix.Addr() == ip {
				return true
			}
		}
	}
	return false
}

// present lists which of as the kernel has (by address, on their device).
// A device that cannot be listed has none of them.
func (d *Daemon) present(as []addr.Address) map[addr.Address]bool {
	out := map[addr.Address]bool{}
	listed := map[string][]addr.Address{}
	for _, a := range as {
		have, ok := listed[a.Dev]
		if !ok {
			have, ok = d.listCache[a.Dev]
		}
		if !ok {
			var err error
			if have, err = d.ports.Addresses.List(a.Dev); err != nil {
				d.log.Debug("cannot list addresses", "dev", a.Dev, "err", err)
			}
			listed[a.Dev] = have
			if d.listCache != nil && err == nil {
				d.listCache[a.Dev] = have
			}
		}
		for _, h := range have {
			if h.Prefix.Addr() == a.Prefix.Addr() {
				out[a] = true
			}
		}
	}
	return out
}

// restore puts back those of as the kernel lost while the instance holds
// them, counting and logging each, and announces them again.
func (d *Daemon) restore(in *instance, as []addr.Address, why string) {
	have := d.present(as)
	var back []netip.Addr
	for _, a := range as {
		if have[a] {
			continue
		}
		if err := d.ports.Addresses.Add(a); err != nil {
			in.count(ctl.VIPErrors)
			msg := fmt.Sprintf("MASTER without virtual address %s: it was %s, and putting it back failed: %v", a.Prefix, why, err)
			in.warn(d.now(), msg, 10*time.Minute)
			d.log.Error("restoring virtual address failed", "instance", in.cfg.Name, "vrid", in.cfg.VRID,
				"address", a.String(), "why", why, "err", err)
			continue
		}
		in.count(ctl.VIPsRestored)
		back = append(back, a.Prefix.Addr())
		d.log.Warn("virtual address restored", "instance", in.cfg.Name, "vrid", in.cfg.VRID,
			"address", a.String(), "why", why)
	}
	if len(back) > 0 {
		// Neighbours may have learnt another owner meanwhile.
		d.announce(in, 1, false)
	}
	d.recheckHeld(in)
}

// recheckHeld sets vipsHeld from the kernel: a MASTER holds its addresses
// if the kernel has at least one of them (or it has none configured).
func (d *Daemon) recheckHeld(in *instance) {
	if len(in.addrs) == 0 {
		return
	}
	in.vipsHeld = len(d.present(in.addrs)) > 0
}

// removeStale removes those of as the kernel has while the instance does
// not hold them. An address owner (priority 255) is never touched: its
// "virtual" address is the interface's own.
func (d *Daemon) removeStale(in *instance, as []addr.Address, why string) {
	if in.cfg.Priority == 255 {
		return
	}
	have := d.present(as)
	for _, a := range as {
		if !have[a] {
			continue
		}
		if err := d.ports.Addresses.Del(a); err != nil {
			in.count(ctl.VIPErrors)
			d.log.Error("removing stale virtual address failed", "instance", in.cfg.Name, "vrid", in.cfg.VRID,
				"address", a.String(), "why", why, "err", err)
			continue
		}
		in.count(ctl.StaleVIPsRemoved)
		d.log.Warn("stale virtual address removed: the instance does not hold it", "instance", in.cfg.Name,
			"vrid", in.cfg.VRID, "state", in.core.State().String(), "address", a.String(), "why", why)
	}
}

// removeStaleAtStart removes the instance's addresses found on its
// interfaces before it starts (or when it enters BACKUP or FAULT other than
// from MASTER, or after missed address events), unless another running
// instance holds them.
func (d *Daemon) removeStaleAtStart(in *instance) {
	var stale []addr.Address
	for _, a := range in.addrs {
		if !d.heldByAny(a.Prefix.Addr()) {
			stale = append(stale, a)
		}
	}
	if len(stale) > 0 {
		d.removeStale(in, stale, "found on the interface while the instance does not hold it (left by a crash or a -V exit?)")
	}
	d.removeStaleRouting(in)
}

// removeStaleRouting removes the instance's virtual rules and routes that
// no MASTER instance holds (a crash leaves them, as it leaves the
// addresses; keepalived removes them at start too). Both deletions are
// idempotent: an absent rule or route is no error.
func (d *Daemon) removeStaleRouting(in *instance) {
	if in.cfg.Priority == 255 || (len(in.rules) == 0 && len(in.routes) == 0) {
		return
	}
	heldRule := func(r addr.Rule) bool {
		for _, o := range d.instances {
			if o.unit != nil && o.core.State() == vrrp.StateMaster && slices.Contains(o.rules, r) {
				return true
			}
		}
		return false
	}
	heldRoute := func(r addr.Route) bool {
		for _, o := range d.instances {
			if o.unit != nil && o.core.State() == vrrp.StateMaster && slices.Contains(o.routes, r) {
				return true
			}
		}
		return false
	}
	for _, r := range in.rules {
		if heldRule(r) {
			continue
		}
		if err := d.ports.Rules.Del(r); err != nil {
			d.log.Error("removing stale virtual rule failed", "instance", in.cfg.Name, "rule", r.String(), "err", err)
		}
	}
	for _, r := range in.routes {
		if heldRoute(r) {
			continue
		}
		if err := d.ports.Routes.Del(r); err != nil {
			d.log.Error("removing stale virtual route failed", "instance", in.cfg.Name, "route", r.String(), "err", err)
		}
	}
}

// applyAddrChanges takes a kept instance's new virtual addresses, routes
// and rules in place (a reload): a MASTER removes those dropped and adds
// the new ones, with no gap for those kept; the core and the advert get
// the new list.
func (d *Daemon) applyAddrChanges(in *instance) {
	addrs, _ := kernelAddrs(in.cfg, in.vmac, in.vmacExtra)
	routes, rules, _ := kernelRoutes(in.cfg)
	var vips []netip.Addr
	for _, v := range in.cfg.VIPs {
		vips = append(vips, v.Prefix.Addr())
	}
	held := d.holding(in)
	var added, removed []string
	for _, r := range in.rules {
		if !slices.Contains(rules, r) && held {
			if err := d.ports.Rules.Del(r); err != nil {
				d.log.Error("removing virtual rule failed", "instance", in.cfg.Name, "rule", r.String(), "err", err)
			}
		}
	}
	for _, r := range in.routes {
		if !slices.Contains(routes, r) && held {
			if err := d.ports.Routes.Del(r); err != nil {
				d.log.Error("removing virtual route failed", "instance", in.cfg.Name, "route", r.String(), "err", err)
			}
		}
	}
	for _, a := range in.addrs {
		if slices.Contains(addrs, a) {
			continue
		}
		removed = append(removed, a.Prefix.String())
		if held {
			if err := d.ports.Addresses.Del(a); err != nil {
				in.count(ctl.VIPErrors)
				d.log.Error("removing virtual address failed", "instance", in.cfg.Name, "address", a.String(), "err", err)
			}
		}
	}
	for _, a := range addrs {
		if !slices.Contains(in.addrs, a) {
			added = append(added, a.Prefix.String())
		}
	}
	sameVIPs := slices.Equal(vips, in.vips)
	in.addrs, in.routes, in.rules, in.vips = addrs, routes, rules, vips
	in.advert.Addrs = vips
	in.encoded = encodedAdvert{} // encode the new list
	e := *in.expect.Load()
	e.VIPs = vips
	in.expect.Store(&e)
	d.log.Info("virtual addresses changed in place by reload", "instance", in.cfg.Name, "vrid", in.cfg.VRID,
		"state", in.core.State().String(), "added", strings.Join(added, ","), "removed", strings.Join(removed, ","))
	if !sameVIPs {
		// A MASTER adds the new ones, advertises and announces them.
		d.handle(in, vrrp.ConfiguredVIPs{VIPs: vips})
	} else if held {
		d.acquire(in) // excluded addresses, routes or rules
	}
}

// routeChanged handles one route event on the loop: a virtual route
// deleted while its instance is MASTER is put back (the kernel does not
// report the routes it flushes with an address or a link; those come back
// with the next transition). Our own deletions arrive when the instance no
// longer holds the route, or no longer has it.
func (d *Daemon) routeChanged(e addr.RouteEvent) {
	if !e.Deleted && !e.Resync {
		return
	}
	d.staticRouteChanged(e)
	for _, in := range d.instances {
		if !d.holding(in) {
			continue
		}
		for _, r := range in.routes {
			table := r.Table
			if table == 0 {
				table = 254 // main
			}
			if !e.Resync && (r.Dst.Masked() != e.Dst.Masked() || table != e.Table) {
				continue
			}
			if err := d.ports.Routes.Add(r); err != nil {
				in.count(ctl.VIPErrors)
				d.log.Error("restoring virtual route failed", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "route", r.String(), "err", err)
				continue
			}
			if e.Resync {
				continue // idempotent; nothing known to be lost
			}
			in.count(ctl.RoutesRestored)
			d.log.Warn("virtual route restored", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "route", r.String(),
				"why", "deleted while MASTER (not by this daemon)")
		}
	}
}
