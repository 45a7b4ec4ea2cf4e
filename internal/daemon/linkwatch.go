package daemon

import (
	"maps"
	"slices"
	"time"

	"gokeepalived/internal/config"
)

// Link states the instances act on, between the link watcher and the
// trackers (linkChanged), as keepalived 2.2.7 does:
//
//   - interface_up_down_delays (keepalived_netlink.c update_interface_flags):
//     a link change reported by netlink is acted on only after the
//     interface's down (or up) delay, and not at all if the link is back
//     in its former state before then. No delay applies until the
//     interface has been seen up once. The delays must stay below
//     (down_timer_adverts - 1) advert intervals of every instance on the
//     interface (else a backup would take over first); longer ones are cut
//     to that bound less 1/256 of the interval, and an instance with
//     down_timer_adverts 1 allows none (vrrp.c check_debounce_timers).
//     A VMAC follows its parent's delays (its instance tracks the parent).
//   - linkbeat_interfaces / linkbeat_use_polling (vrrp_if.c
//     if_linkbeat_refresh_thread): the link state of these interfaces is
//     polled every second through the Links port's optional prober (the
//     driver's ETHTOOL link state and the interface flags); netlink's
//     up/down reports for them are ignored, and polled changes act at
//     once (no delay). A deleted interface is acted on at once either way.

// linkPollInterval is keepalived's POLLING_DELAY.
const linkPollInterval = time.Second

// linkProber is the optional capability of the Links port that polls an
// interface's link state (linkbeat): method is the polling type asked for
// ("" = the adapter's default order); used names the one that answered.
type linkProber interface {
	Probe(ifname, method string) (up bool, used string, err error)
}

// linkWatch is the loop's state for delayed and polled link changes.
type linkWatch struct {
	delays   map[string][2]time.Duration // by interface: down, up
	seenUp   map[string]bool
	pending  map[string]pendingLink
	polled   map[string]string // by interface: polling type asked for
	used     map[string]string // by interface: polling type that answered
	nextPoll time.Time
}

// pendingLink is a link change waiting for its delay.
type pendingLink struct {
	up bool
	at time.Time
}

// configureLinkWatch sets the delays and polled interfaces of cfg (start
// and reload; pending changes of interfaces that keep a delay stay).
func (d *Daemon) configureLinkWatch(cfg *config.Config) {
	lw := &d.lw
	lw.delays = map[string][2]time.Duration{}
	for _, x := range cfg.InterfaceDelays {
		lw.delays[x.Name] = [2]time.Duration{x.Down, x.Up}
	}
	for name, dl := range lw.delays {
		for _, v := range cfg.Instances {
			if v.Interface != name {
				continue
			}
			if v.DownTimerAdverts == 1 {
				if dl != ([2]time.Duration{}) {
					d.log.Warn("interface_up_down_delays: no delay with down_timer_adverts 1: the delays of the interface are reset, as keepalived",
						"interface", name, "instance", v.Name)
				}
				dl = [2]time.Duration{}
				continue
			}
			bound := time.Duration(v.DownTimerAdverts-1) * v.AdvertInt
			for i := range dl {
				if dl[i] >= bound {
					cut := bound - v.AdvertInt/256
					d.log.Warn("interface_up_down_delays: a delay not less than (down_timer_adverts - 1) advert intervals is cut, as keepalived",
						"interface", name, "instance", v.Name, "delay", dl[i], "now", cut)
					dl[i] = cut
				}
			}
		}
		lw.delays[name] = dl
	}
	for name := range lw.pending {
		if _, ok := lw.delays[name]; !ok {
			delete(lw.pending, name)
		}
	}
	lw.polled = cfg.Linkbeat()
	if len(lw.polled) == 0 {
		return
	}
	if _, ok := d.ports.Links.(linkProber); !ok {
		d.log.Warn("linkbeat: this platform cannot poll link states; netlink reports are used", "interfaces", slices.Sorted(maps.Keys(lw.polled)))
		lw.polled = nil
		return
	}
	d.log.Info("linkbeat: polling the link state of interfaces every second instead of following netlink", "interfaces", slices.Sorted(maps.Keys(lw.polled)))
	if lw.nextPoll.IsZero() {
		lw.nextPoll = d.now().Add(linkPollInterval)
	}
}

// polled reports whether name's link state comes from polling.
func (lw *linkWatch) isPolled(name string) bool {
	_, ok := lw.polled[name]
	return ok
}

// linkReported handles an up/down report of the link watcher (netlink)
// for name: ignored for a polled interface, delayed by its
// interface_up_down_delays, or acted on at once.
func (d *Daemon) linkReported(name string, up, deleted bool) {
	lw := &d.lw
	if deleted {
		delete(lw.pending, name)
		d.linkChanged(name, false)
		return
	}
	if lw.isPolled(name) {
		return // linkbeat: the poll decides
	}
	was, known := d.trackers.links[name]
	if p, ok := lw.pending[name]; ok {
		if p.up == up {
			return // the same change is already waiting
		}
		delete(lw.pending, name)
		d.log.Info("interface_up_down_delays: pending link change cancelled: the link is back as it was", "interface", name,
			"link", linkWord(up))
	}
	if known && was == up {
		return
	}
	delay := lw.delays[name][0]
	if up {
		delay = lw.delays[name][1]
	}
	if known && delay > 0 && (lw.seenUp[name] || was) {
		now := d.now()
		lw.pending[name] = pendingLink{up: up, at: now.Add(delay)}
		d.log.Info("interface_up_down_delays: link change acted on after the interface's delay", "interface", name,
			"link", linkWord(up), "delay", delay)
		// The status says why the instances have not reacted yet.
		msg := "interface " + name + " is " + linkWord(up) + ": acted on after its interface_up_down_delays delay of " + delay.String()
		for _, in := range d.instances {
			if d.tracksLink(in, name) {
				in.warn(now, msg, delay)
			}
		}
		d.snapshotAll()
		return
	}
	d.linkChanged(name, up)
}

func linkWord(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// fireLinkTimers acts on the delayed link changes due at now, and polls
// the linkbeat interfaces when their time has come.
func (d *Daemon) fireLinkTimers(now time.Time) {
	lw := &d.lw
	for _, name := range slices.Sorted(maps.Keys(lw.pending)) {
		p := lw.pending[name]
		if now.Before(p.at) {
			continue
		}
		delete(lw.pending, name)
		d.log.Info("interface_up_down_delays: delay over, acting on the link change", "interface", name, "link", linkWord(p.up))
		d.linkChanged(name, p.up)
		d.snapshotAll()
	}
	if len(lw.polled) == 0 || now.Before(lw.nextPoll) {
		return
	}
	lw.nextPoll = now.Add(linkPollInterval)
	for _, name := range slices.Sorted(maps.Keys(lw.polled)) {
		up := d.probe(name)
		if was, ok := d.trackers.links[name]; ok && was == up {
			continue
		}
		d.log.Info("linkbeat reports a link change", "interface", name, "link", linkWord(up), "method", lw.used[name])
		d.linkChanged(name, up)
		d.snapshotAll()
	}
}

// probe polls name's link state; an interface that cannot be read is down.
func (d *Daemon) probe(name string) bool {
	lw := &d.lw
	pr := d.ports.Links.(linkProber)
	up, used, err := pr.Probe(name, lw.polled[name])
	if err != nil {
		return false
	}
	if asked := lw.polled[name]; asked != "" && used != asked && lw.used[name] != used {
		d.log.Info("linkbeat: the polling type asked for is not supported by the interface; using another", "interface", name,
			"asked", asked, "using", used)
	}
	lw.used[name] = used
	return up
}

// linkDeadline is the earliest delayed change or poll (zero: none).
func (d *Daemon) linkDeadline() time.Time {
	var next time.Time
	if len(d.lw.polled) > 0 {
		next = d.lw.nextPoll
	}
	for _, p := range d.lw.pending {
		if next.IsZero() || p.at.Before(next) {
			next = p.at
		}
	}
	return next
}
