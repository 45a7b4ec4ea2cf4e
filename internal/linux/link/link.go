// Package link reports whether network interfaces are up, once (State) or
// as a stream of changes (Watch), for track_interface and for faulting VRRP
// instances whose interface goes away.
//
// An interface is Up when it is administratively up and has carrier
// (IFF_UP and IFF_RUNNING), as keepalived judges it. Watch delivers only
// changes of that verdict: first the state of every interface, then one
// Event whenever an interface's Up changes, it appears, or it is deleted.
//
// Netlink multicast subscriptions can overflow (ENOBUFS) when the reader is
// slow and then stop; Watch then subscribes again and re-lists every link,
// delivering whatever changed in between (including deletions), so the
// stream stays correct after a gap. Everything happens in the network
// namespace of the thread that called Watch, even when its goroutines run
// on other threads.
package link

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/linux/nlcmd"
)

// Event is the state of one interface.
type Event struct {
	Name    string
	Index   int
	Up      bool // administratively up and carrier present
	Deleted bool // the interface no longer exists (Up is false)
}

func (e Event) String() string {
	switch {
	case e.Deleted:
		return fmt.Sprintf("%s (index %d) deleted", e.Name, e.Index)
	case e.Up:
		return fmt.Sprintf("%s (index %d) up", e.Name, e.Index)
	}
	return fmt.Sprintf("%s (index %d) down", e.Name, e.Index)
}

func eventOf(l netlink.Link) Event {
	a := l.Attrs()
	return Event{
		Name:  a.Name,
		Index: a.Index,
		Up:    a.RawFlags&unix.IFF_UP != 0 && a.RawFlags&unix.IFF_RUNNING != 0,
	}
}

// State returns the current state of the named interface.
func State(name string) (Event, error) {
	l, err := nlcmd.Handle().LinkByName(name)
	if err != nil {
		return Event{}, fmt.Errorf("link %s: %w", name, err)
	}
	return eventOf(l), nil
}

// MTU returns the named interface's MTU.
func MTU(name string) (int, error) {
	l, err := nlcmd.Handle().LinkByName(name)
	if err != nil {
		return 0, fmt.Errorf("link %s: %w", name, err)
	}
	return l.Attrs().MTU, nil
}

// resync compares a full listing with what was last delivered and returns
// the events that bring a consumer up to date, in index order: changed or
// new links, then links that vanished. It updates last.
func resync(last map[int]Event, now []Event) []Event {
	var out []Event
	seen := make(map[int]bool, len(now))
	for _, e := range now {
		seen[e.Index] = true
		if prev, ok := last[e.Index]; !ok || prev != e {
			out = append(out, e)
			last[e.Index] = e
		}
	}
	var gone []Event
	for idx, e := range last {
		if !seen[idx] {
			gone = append(gone, Event{Name: e.Name, Index: idx, Deleted: true})
			delete(last, idx)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	sort.Slice(gone, func(i, j int) bool { return gone[i].Index < gone[j].Index })
	return append(out, gone...)
}

// apply folds one event into last and reports whether it is news.
func apply(last map[int]Event, e Event) bool {
	prev, ok := last[e.Index]
	if e.Deleted {
		if !ok {
			return false
		}
		delete(last, e.Index)
		return true
	}
	if ok && prev == e {
		return false
	}
	last[e.Index] = e
	return true
}

type watcher struct {
	ns netns.NsHandle
	h  *netlink.Handle
}

// subscribe opens a link subscription in the watcher's namespace.
func (w *watcher) subscribe() (chan netlink.LinkUpdate, chan struct{}, error) {
	updates := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	ns := w.ns
	rcvbuf, force := nlcmd.MonitorBuffer() // vrrp_netlink_monitor_rcv_bufs
	err := netlink.LinkSubscribeWithOptions(updates, done, netlink.LinkSubscribeOptions{
		Namespace:         &ns,
		ReceiveBufferSize: rcvbuf, ReceiveBufferForceSize: force,
		ErrorCallback: func(error) {}, // a fatal error closes updates; we resubscribe
	})
	if err != nil {
		close(done)
		return nil, nil, fmt.Errorf("subscribe to link changes: %w", err)
	}
	return updates, done, nil
}

func (w *watcher) list() ([]Event, error) {
	ls, err := w.h.LinkList()
	if err != nil {
		// Includes ErrDumpInterrupted (links changed during the dump):
		// the caller retries.
		return nil, fmt.Errorf("list links: %w", err)
	}
	out := make([]Event, len(ls))
	for i, l := range ls {
		out[i] = eventOf(l)
	}
	return out, nil
}

// Watch streams interface state changes until ctx is done, then closes the
// channel. The first events describe every existing interface. Read the
// channel promptly; a stalled reader causes a resubscription, not loss.
func Watch(ctx context.Context) (<-chan Event, error) {
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("link watch: current netns: %w", err)
	}
	// Only NETLINK_ROUTE: without families the library also opens XFRM and
	// NETFILTER sockets, and fails where xfrm_user is not loaded and cannot
	// be (minimal kernels, containers; the IPVS test VM).
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("link watch: netlink handle: %w", err)
	}
	w := &watcher{ns: ns, h: h}
	updates, done, err := w.subscribe()
	if err != nil {
		h.Close()
		ns.Close()
		return nil, fmt.Errorf("link watch: %w", err)
	}
	out := make(chan Event, 16)
	go w.run(ctx, updates, done, out)
	return out, nil
}

func (w *watcher) run(ctx context.Context, updates chan netlink.LinkUpdate, done chan struct{}, out chan<- Event) {
	defer close(out)
	defer w.ns.Close()
	defer w.h.Close()
	stop := func() {
		close(done)
		for range updates { // let the library's reader finish
		}
	}
	emit := func(e Event) bool {
		select {
		case out <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	last := map[int]Event{}
	needSync := true
	for {
		if needSync {
			now, err := w.list()
			if err != nil {
				if !sleep(ctx, 50*time.Millisecond) {
					stop()
					return
				}
				continue
			}
			needSync = false
			for _, e := range resync(last, now) {
				if !emit(e) {
					stop()
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			stop()
			return
		case u, ok := <-updates:
			if !ok {
				// The subscription died (typically ENOBUFS): start over.
				for {
					var err error
					if updates, done, err = w.subscribe(); err == nil {
						break
					}
					if !sleep(ctx, 100*time.Millisecond) {
						return
					}
				}
				needSync = true
				continue
			}
			e := eventOf(u.Link)
			if u.Header.Type == unix.RTM_DELLINK {
				e.Up, e.Deleted = false, true
			}
			if apply(last, e) && !emit(e) {
				stop()
				return
			}
		}
	}
}

// sleep waits d or until ctx is done; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
