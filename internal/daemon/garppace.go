package daemon

import (
	"net/netip"
	"slices"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
)

// Gratuitous ARP / unsolicited NA pacing (garp_group, global_defs
// vrrp_garp_interval and vrrp_gna_interval), as keepalived 2.2.7 does it
// (vrrp_arp.c send_gratuitous_arp, vrrp_ndisc.c, vrrp_scheduler.c
// vrrp_arp_thread):
//
//   - An interface has a pace when it is in a garp_group, or when the
//     global intervals are set (then each interface in no group has a pace
//     of its own with them). The interfaces of one garp_group's interfaces
//     { } block share one pace (the switch behind them is the limit).
//     A VMAC is paced by its parent interface.
//   - ARPs and NAs are paced apart: after one is sent on a paced interface,
//     the next of its kind waits until the interval has passed.
//   - A message that must wait marks its address pending (a flag, not a
//     count: the repeats of garp_master_repeat that find it pending add
//     nothing). Pending addresses are sent in the order of the instance's
//     addresses as their interface's time comes; they are dropped if the
//     instance is no longer MASTER with its addresses set.

// pace is the time of the next gratuitous ARP and NA on the interfaces
// that share it.
type pace struct {
	arp, na         time.Duration
	hasARP, hasNA   bool
	nextARP, nextNA time.Time
}

// garpPacer holds the paces by interface and the addresses waiting.
type garpPacer struct {
	byIf map[string]*pace
	// global intervals for interfaces in no group (0: none)
	defARP, defNA time.Duration
	pending       map[*instance][]bool // per instance, by index in in.addrs
}

// configurePacing builds the paces of cfg (at start and at each reload;
// the times already due are kept for interfaces that keep their group).
func (d *Daemon) configurePacing(cfg *config.Config) {
	old := d.pacer.byIf
	p := garpPacer{byIf: map[string]*pace{}, defARP: cfg.Global.GARPInterval, defNA: cfg.Global.GNAInterval,
		pending: d.pacer.pending}
	if p.pending == nil {
		p.pending = map[*instance][]bool{}
	}
	for _, g := range cfg.GARPGroups {
		shared := &pace{arp: g.GARPInterval, na: g.GNAInterval, hasARP: g.HasGARP, hasNA: g.HasGNA}
		for _, name := range g.Interfaces {
			pc := shared
			if !g.Aggregate {
				pc = &pace{arp: g.GARPInterval, na: g.GNAInterval, hasARP: g.HasGARP, hasNA: g.HasGNA}
			}
			if o := old[name]; o != nil {
				pc.nextARP, pc.nextNA = laterOf(pc.nextARP, o.nextARP), laterOf(pc.nextNA, o.nextNA)
			}
			p.byIf[name] = pc
		}
	}
	d.pacer = p
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// active reports whether any interface is paced (a garp_group, or the
// global intervals).
func (p *garpPacer) active() bool { return len(p.byIf) > 0 || p.defARP > 0 || p.defNA > 0 }

// paceOf returns the pace of base (nil: none, send at once).
func (p *garpPacer) paceOf(base string) *pace {
	if pc := p.byIf[base]; pc != nil {
		return pc
	}
	if p.defARP <= 0 && p.defNA <= 0 {
		return nil
	}
	if p.byIf == nil {
		p.byIf = map[string]*pace{}
	}
	pc := &pace{arp: p.defARP, na: p.defNA, hasARP: p.defARP > 0, hasNA: p.defNA > 0}
	p.byIf[base] = pc
	return pc
}

// slot reports whether a message for a may leave at now through pc, and
// if so takes the slot (the next one is an interval later).
func (pc *pace) slot(a netip.Addr, now time.Time) bool {
	ivl, next, has := pc.arp, &pc.nextARP, pc.hasARP
	if !a.Is4() {
		ivl, next, has = pc.na, &pc.nextNA, pc.hasNA
	}
	if !has {
		return true
	}
	if !next.IsZero() && now.Before(*next) {
		return false
	}
	*next = now.Add(ivl)
	return true
}

// baseIf is the interface whose pace an address on dev follows: a VMAC's
// parent.
func (in *instance) baseIf(dev string) string {
	if in.vmac != "" && dev == in.vmac {
		return in.cfg.Interface
	}
	return dev
}

// extraIf reports whether dev is an extra interface of the instance for
// garp_extra_if: not the one its adverts leave from, and, without all, a
// VMAC of ours other than that one (keepalived vrrp_send_vmac_update); we
// create no such VMAC (no per-address use_vmac), so only all sends.
func (in *instance) extraIf(dev string) bool {
	own := in.cfg.Interface
	if in.vmac != "" {
		own = in.vmac
	}
	if dev == own {
		return false
	}
	return in.cfg.GARPExtraIf.All
}

// gratuitous sends a round of gratuitous ARPs/NAs, repeat times, for the
// instance's addresses (only those on its extra interfaces with
// extraOnly), through the interfaces' paces.
func (d *Daemon) gratuitous(in *instance, repeat int, extraOnly bool) {
	now := d.now()
	var devs []string
	byDev := map[string][]int{}
	for i, a := range in.addrs {
		if extraOnly && !in.extraIf(a.Dev) {
			continue
		}
		if _, ok := byDev[a.Dev]; !ok {
			devs = append(devs, a.Dev)
		}
		byDev[a.Dev] = append(byDev[a.Dev], i)
	}
	if len(devs) == 0 {
		return
	}
	deferred := 0
	for r := 0; r < max(repeat, 1); r++ {
		for _, dev := range devs {
			pc := d.pacer.paceOf(in.baseIf(dev))
			var now4 []netip.Addr
			for _, i := range byDev[dev] {
				a := in.addrs[i].Prefix.Addr()
				if pc == nil || pc.slot(a, now) {
					now4 = append(now4, a)
					continue
				}
				d.markPending(in, i)
				deferred++
			}
			if len(now4) == 0 {
				continue
			}
			if err := d.ports.Announcer.Gratuitous(dev, now4); err != nil {
				in.count(ctl.GARPErrors)
				d.rateLimitedWarn(in, d.now(), "garp", "sending gratuitous ARP/NA failed", "dev", dev, "err", err.Error())
				return
			}
		}
	}
	in.stats.Add(ctl.GARPSent, uint64(max(repeat, 1)))
	if deferred > 0 {
		d.log.Debug("gratuitous ARP/NA queued behind the interface's interval (garp_group / vrrp_garp_interval)",
			"instance", in.cfg.Name, "queued", deferred)
	}
}

func (d *Daemon) markPending(in *instance, i int) {
	p := d.pacer.pending[in]
	if len(p) != len(in.addrs) {
		p = make([]bool, len(in.addrs))
		d.pacer.pending[in] = p
	}
	p[i] = true
}

// sendPaced sends the pending addresses whose interface's time has come
// (pacedDeadline says when the next may leave).
func (d *Daemon) sendPaced(now time.Time) {
	if len(d.pacer.pending) == 0 {
		return
	}
	for _, in := range d.instances {
		p, ok := d.pacer.pending[in]
		if !ok {
			continue
		}
		if in.core.State() != vrrp.StateMaster || !in.vipset || len(p) != len(in.addrs) {
			delete(d.pacer.pending, in)
			continue
		}
		left := false
		for i, want := range p {
			if !want {
				continue
			}
			a := in.addrs[i]
			pc := d.pacer.paceOf(in.baseIf(a.Dev))
			if pc != nil && !pc.slot(a.Prefix.Addr(), now) {
				left = true
				continue
			}
			p[i] = false
			if err := d.ports.Announcer.Gratuitous(a.Dev, []netip.Addr{a.Prefix.Addr()}); err != nil {
				in.count(ctl.GARPErrors)
				d.rateLimitedWarn(in, now, "garp", "sending gratuitous ARP/NA failed", "dev", a.Dev, "err", err.Error())
			}
		}
		if !left {
			delete(d.pacer.pending, in)
		}
	}
	// Instances gone (a reload) leave their entries behind.
	for in := range d.pacer.pending {
		if !slices.Contains(d.instances, in) {
			delete(d.pacer.pending, in)
		}
	}
}

// pacedDeadline is when the next pending address may leave (zero: none).
func (d *Daemon) pacedDeadline() time.Time {
	var next time.Time
	for in, p := range d.pacer.pending {
		for i, want := range p {
			if !want || i >= len(in.addrs) {
				continue
			}
			a := in.addrs[i]
			pc := d.pacer.byIf[in.baseIf(a.Dev)]
			if pc == nil {
				continue
			}
			t := pc.nextARP
			if !a.Prefix.Addr().Is4() {
				t = pc.nextNA
			}
			if next.IsZero() || t.Before(next) {
				next = t
			}
		}
	}
	return next
}
