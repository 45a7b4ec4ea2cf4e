package daemon

import (
	"container/heap"
	"time"

	"gokeepalived/internal/vrrp"
)

// The loop's timers: every unit with a deadline sits in one min-heap
// ordered by it, so finding the next deadline is O(1) and firing the due
// ones O(k log N) for k due units. Before, both scanned every unit on every
// step, which at 1,000 instances and one step per received batch was O(N)
// work per advert.
//
// A unit's deadline changes only through setDeadline; install rebuilds the
// heap from the running units, so units a reload stopped leave it.
type timerHeap []*unit

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i+1, j+1
}
func (h *timerHeap) Push(x any) {
	u := x.(*unit)
	*h = append(*h, u)
	u.heapIdx = len(*h)
}
func (h *timerHeap) Pop() any {
	old := *h
	u := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	u.heapIdx = 0
	return u
}

// setDeadline sets u's next timer (zero: none) and keeps the heap in order.
func (d *Daemon) setDeadline(u *unit, t time.Time) {
	u.deadline = t
	switch {
	case t.IsZero() && u.heapIdx > 0:
		heap.Remove(&d.timers, u.heapIdx-1)
	case t.IsZero():
	case u.heapIdx > 0:
		heap.Fix(&d.timers, u.heapIdx-1)
	default:
		heap.Push(&d.timers, u)
	}
}

// resetTimers rebuilds the heap from the running units.
func (d *Daemon) resetTimers() {
	for _, u := range d.timers {
		u.heapIdx = 0
	}
	clear(d.timers)
	d.timers = d.timers[:0]
	for _, u := range d.units {
		if !u.deadline.IsZero() {
			d.timers = append(d.timers, u)
			u.heapIdx = len(d.timers)
		}
	}
	heap.Init(&d.timers)
}

// Timer slack: Run sleeps until the earliest deadline plus slack, so the
// timers due within it fire in one step and their adverts leave in one
// batch (sendbatch.go), and the peer reads them with one wake-up. Without
// it, 1,000 instances whose deadlines drift apart wake the loop every
// 100 µs for one or two adverts each. The slack is 1/100 of the shortest
// advert interval, at most 1 ms: an advert 1 ms late at advert_int 0.1 is
// far inside the peer's Master_Down_Interval (3.6 intervals).
const maxTimerSlack = time.Millisecond

// resetSlack recomputes the slack from the running instances.
func (d *Daemon) resetSlack() {
	d.slack = maxTimerSlack
	for _, in := range d.instances {
		d.slack = min(d.slack, in.cfg.AdvertInt/100)
	}
}

// wakeAt is when Run wakes for the timers: the earliest deadline plus the
// slack (zero: none).
func (d *Daemon) wakeAt() time.Time {
	next := d.nextDeadline()
	if next.IsZero() {
		return next
	}
	return next.Add(d.slack)
}

// nextDeadline is the earliest timer of any unit (zero: none).
// vrrp_startup_delay's end and the next round of paced gratuitous ARPs
// count as timers.
func (d *Daemon) nextDeadline() time.Time {
	next := d.startAt
	if len(d.timers) > 0 && (next.IsZero() || d.timers[0].deadline.Before(next)) {
		next = d.timers[0].deadline
	}
	// Gratuitous ARPs waiting for their interface (garppace.go), link
	// changes waiting for their delay and the next link poll (linkwatch.go).
	for _, t := range [...]time.Time{d.pacedDeadline(), d.linkDeadline()} {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if len(d.garpq) > 0 && (next.IsZero() || d.garpAt.Before(next)) {
		next = d.garpAt // paced gratuitous ARPs (takeover.go)
	}
	return next
}

// fireTimers fires every unit whose deadline has passed, each once: the
// due units are taken off the heap first, so a unit whose handling sets a
// deadline already past fires again at the next step, not in a loop here.
// A unit whose deadline another unit's handling moved is fired only if it
// is still due.
func (d *Daemon) fireTimers() {
	// The adverts of the due units leave together (sendbatch.go).
	d.txBatching = true
	defer func() {
		d.txBatching = false
		d.flushSends()
		d.flushAcquires()
	}()
	now := d.now()
	d.startDelayed(now)
	due := d.due[:0]
	for len(d.timers) > 0 && !d.timers[0].deadline.After(now) {
		due = append(due, heap.Pop(&d.timers).(*unit))
	}
	for _, u := range due {
		if u.deadline.IsZero() || u.deadline.After(now) {
			continue // moved meanwhile (back in the heap if set)
		}
		if u.heapIdx > 0 {
			heap.Remove(&d.timers, u.heapIdx-1)
		}
		d.handleUnit(u, vrrp.AllMembers, vrrp.TimerFired{})
	}
	clear(due)
	d.due = due[:0]
}
