package scale

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// addrWatch records, from the kernel's own notifications (a netlink
// RTM_NEWADDR/RTM_DELADDR subscription in the node's namespace), when each
// benchmark VIP appeared on or left the node, and how many the node held
// after each change. The times are when the watcher read each message: it
// reads on its own goroutine into a large buffer, so they trail the kernel
// by the scheduling delay of this process only, not by a polling interval.
type addrWatch struct {
	done chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	held   map[string]bool
	events []addrEvent
	lost   int // subscription errors (ENOBUFS: events lost)
	cond   *sync.Cond
}

type addrEvent struct {
	at    time.Time
	added bool
	count int // VIPs held after the event
}

// watchAddrs subscribes in the node's namespace (ns, as `ip -n` names it)
// before the daemons start, so no change is missed; stopped at cleanup.
func watchAddrs(t *testing.T, ns string) *addrWatch {
	t.Helper()
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatalf("namespace %s: %v", ns, err)
	}
	defer h.Close()
	w := &addrWatch{done: make(chan struct{}), held: map[string]bool{}}
	w.cond = sync.NewCond(&w.mu)
	ch := make(chan netlink.AddrUpdate, 1<<16)
	err = netlink.AddrSubscribeWithOptions(ch, w.done, netlink.AddrSubscribeOptions{
		Namespace:              &h,
		ReceiveBufferSize:      32 << 20,
		ReceiveBufferForceSize: true,
		ErrorCallback: func(error) {
			select {
			case <-w.done:
				return // the socket closed by stop
			default:
			}
			w.mu.Lock()
			w.lost++
			w.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatalf("address subscription in %s: %v", ns, err)
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for u := range ch {
			w.record(u)
		}
	}()
	t.Cleanup(w.stop)
	return w
}

func (w *addrWatch) record(u netlink.AddrUpdate) {
	at := time.Now()
	a := u.LinkAddress.IP.String()
	if !strings.HasPrefix(a, "198.19.") {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if u.NewAddr == w.held[a] {
		return // a change of flags, or a repeated notification
	}
	if u.NewAddr {
		w.held[a] = true
	} else {
		delete(w.held, a)
	}
	w.events = append(w.events, addrEvent{at: at, added: u.NewAddr, count: len(w.held)})
	w.cond.Broadcast()
}

func (w *addrWatch) stop() {
	select {
	case <-w.done:
		return
	default:
	}
	close(w.done) // the library closes ch once its reader sees done
	w.wg.Wait()
}

// allAt is the first time at or after since that the node held n VIPs (zero:
// not yet).
func (w *addrWatch) allAt(n int, since time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.allAtLocked(n, since)
}

func (w *addrWatch) allAtLocked(n int, since time.Time) time.Time {
	for _, e := range w.events {
		if !e.at.Before(since) && e.count >= n {
			return e.at
		}
	}
	return time.Time{}
}

// waitAll waits until the node holds n VIPs at or after since, at most
// limit; it returns when that happened (zero: not within limit).
func (w *addrWatch) waitAll(n int, since time.Time, limit time.Duration) time.Time {
	end := time.Now().Add(limit)
	timer := time.AfterFunc(limit, func() {
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	defer timer.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		if at := w.allAtLocked(n, since); !at.IsZero() {
			return at
		}
		if !time.Now().Before(end) {
			return time.Time{}
		}
		w.cond.Wait()
	}
}

// adds counts the VIPs added in [from, to).
func (w *addrWatch) adds(from, to time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, e := range w.events {
		if e.added && !e.at.Before(from) && e.at.Before(to) {
			n++
		}
	}
	return n
}

// lostEvents reports subscription errors (events that may be missing).
func (w *addrWatch) lostEvents() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lost
}
