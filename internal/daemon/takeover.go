package daemon

import (
	"net/netip"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/vrrp"
)

// Takeovers of many instances at once (issue 17): the backup of 1,000
// instances whose master dies, or a node started with 1,000, fires 1,000
// master-down timers within a few steps. Each becomes MASTER with three
// kinds of kernel work: its VIPs added, its advert sent, its gratuitous
// ARPs/NAs. Done one instance at a time, the VIPs cost two netlink round
// trips each (and a socket), and 5 GARPs per VIP went out back to back
// while the adverts of the other instances waited. Here:
//
//   - VIPs acquired while the timers of a step fire are added in one batch
//     at its end (Addresses port with AddBatch: one netlink socket, the
//     requests pipelined), after the step's adverts left. The notifications
//     of those instances (scripts, FIFO) wait for the batch, so a notify
//     script still finds its VIPs in place, as it did one at a time.
//   - Gratuitous ARPs/NAs are paced: queued, and sent at most garpBurst
//     addresses per step, a step every garpPace while any wait, round-robin
//     over the instances (every instance's first round before anyone's
//     second), always after the step's adverts. A takeover of 1,000 VIPs
//     with garp_master_repeat 5 spreads over about 25 ms instead of
//     stalling the loop for it. With vrrp_garp_interval (IPv4) or
//     vrrp_gna_interval (IPv6) set, keepalived's spacing applies instead:
//     one address at a time on an interface, the next not before the
//     interval (announceSpaced).

// batchAdder is an Addresses port that adds many addresses at once (the
// Linux adapter: addr.AddBatch). Test fakes may add one at a time.
type batchAdder interface {
	AddBatch(as []addr.Address) []error
}

// queuedNotify is a state notification held back until the VIPs of the
// step are in place (flushAcquires).
type queuedNotify struct {
	in   *instance
	prev vrrp.State
	a    vrrp.Notify
}

// deferAcquire queues in's VIPs for the step's batch; false: add them now.
func (d *Daemon) deferAcquire(in *instance) bool {
	if !d.txBatching || len(in.addrs) == 0 {
		return false
	}
	if _, ok := d.ports.Addresses.(batchAdder); !ok {
		return false
	}
	d.vipq = append(d.vipq, in)
	return true
}

// flushAcquires adds the VIPs queued in this step with one batch, accounts
// for each instance as acquire does, then runs the notifications that
// waited for them.
func (d *Daemon) flushAcquires() {
	if len(d.vipq) > 0 {
		var as []addr.Address
		for _, in := range d.vipq {
			as = append(as, in.addrs...)
		}
		errs := d.ports.Addresses.(batchAdder).AddBatch(as)
		k := 0
		for _, in := range d.vipq {
			n := len(in.addrs)
			d.acquired(in, errs[k:k+n])
			k += n
		}
		clear(d.vipq)
		d.vipq = d.vipq[:0]
	}
	for _, q := range d.notifyq {
		d.notify(q.in, q.prev, q.a)
	}
	clear(d.notifyq)
	d.notifyq = d.notifyq[:0]
}

// GARP pacing: at most garpBurst addresses announced per step, and a step
// every garpPace while announcements wait. Announcing one address costs a
// few microseconds (the frame, a write to the packet socket, the peer's ARP
// handling in the same softirq on a veth): 256 take about 1 ms of the loop.
const (
	garpBurst = 256
	garpPace  = time.Millisecond
)

// garpJob is what is left of one SendGratuitous: rounds of announcements of
// every VIP of the instance.
type garpJob struct {
	in    *instance
	devs  []string
	byDev map[string][]netip.Addr
	n     int // addresses per round
	left  int // rounds
}

// announce sends or queues repeat rounds of gratuitous ARP/NA for in's
// VIPs (extraOnly: the garp_extra_if round). With garp_group or
// vrrp_garp_interval / vrrp_gna_interval, keepalived's per-interface pacing
// decides (garppace.go); without, the takeover queue spreads a large
// takeover's rounds over steps of at most garpBurst addresses so that the
// adverts of the other instances never wait (announcePaced).
func (d *Daemon) announce(in *instance, repeat int, extraOnly bool) {
	if extraOnly || d.pacer.active() {
		d.gratuitous(in, repeat, extraOnly)
		return
	}
	d.queueGratuitous(in, repeat)
}

// queueGratuitous queues repeat rounds of gratuitous ARPs/NAs for in's VIPs.
func (d *Daemon) queueGratuitous(in *instance, repeat int) {
	j := garpJob{in: in, byDev: map[string][]netip.Addr{}, n: len(in.addrs), left: max(repeat, 1)}
	for _, a := range in.addrs {
		if _, ok := j.byDev[a.Dev]; !ok {
			j.devs = append(j.devs, a.Dev)
		}
		j.byDev[a.Dev] = append(j.byDev[a.Dev], a.Prefix.Addr())
	}
	if len(j.devs) == 0 {
		return
	}
	if len(d.garpq) == 0 {
		d.garpAt = d.now()
	}
	d.garpq = append(d.garpq, j)
}

// announcePaced announces from the queue's head, at most garpBurst
// addresses, when its time has come. An instance that neither is MASTER
// nor holds its VIPs any more (or that a reload removed) drops its rounds.
func (d *Daemon) announcePaced() {
	if len(d.garpq) == 0 {
		return
	}
	now := d.now()
	if now.Before(d.garpAt) {
		return
	}
	budget := garpBurst
	for len(d.garpq) > 0 && budget > 0 {
		j := d.garpq[0]
		d.garpq[0] = garpJob{}
		d.garpq = d.garpq[1:]
		in := j.in
		if in.unit == nil || (in.core.State() != vrrp.StateMaster && !in.vipsHeld) {
			continue
		}
		ok := true
		for _, dev := range j.devs {
			if err := d.ports.Announcer.Gratuitous(dev, j.byDev[dev]); err != nil {
				in.count(ctl.GARPErrors)
				d.rateLimitedWarn(in, now, "garp", "sending gratuitous ARP/NA failed", "dev", dev, "err", err.Error())
				ok = false
				break
			}
		}
		budget -= j.n
		if !ok {
			continue // the rest of its rounds too, as before pacing
		}
		in.stats.Add(ctl.GARPSent, 1)
		if j.left--; j.left > 0 {
			d.garpq = append(d.garpq, j)
		}
	}
	if len(d.garpq) == 0 {
		d.garpq = nil // let the backing array go
		d.garpAt = time.Time{}
		return
	}
	d.garpAt = now.Add(garpPace)
}
