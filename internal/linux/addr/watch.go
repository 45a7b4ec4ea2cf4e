package addr

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/linux/nlcmd"
)

// Event is one address added to or removed from an interface, as the
// kernel reported it (RTM_NEWADDR / RTM_DELADDR). Resync events carry no
// address: the subscription overflowed and was renewed, so changes may have
// been missed and the consumer should compare its state with the kernel's.
type Event struct {
	Prefix  netip.Prefix
	Index   int    // interface index
	Dev     string // interface name, if it still exists ("" once deleted)
	Deleted bool
	Resync  bool
}

func (e Event) String() string {
	switch {
	case e.Resync:
		return "address events missed: resync"
	case e.Deleted:
		return fmt.Sprintf("%s deleted from %s (index %d)", e.Prefix, e.Dev, e.Index)
	}
	return fmt.Sprintf("%s added to %s (index %d)", e.Prefix, e.Dev, e.Index)
}

// RouteEvent is one route added or removed (RTM_NEWROUTE / RTM_DELROUTE),
// or a Resync as for Event. Dst is 0.0.0.0/0 or ::/0 for a default route;
// Table is the kernel's (254 for main). The kernel does not report the
// routes it flushes with an address or a link (IPv4).
type RouteEvent struct {
	Dst     netip.Prefix
	Table   int
	Deleted bool
	Resync  bool
}

// Watch streams address changes of both families until ctx is done, then
// closes the channel, calling wake (if set) after each event it queues.
// Existing addresses are not listed. Netlink subscriptions can overflow
// (ENOBUFS) and then stop; Watch then subscribes again and delivers one
// Resync event. Everything happens in the network namespace of the thread
// that called Watch.
func Watch(ctx context.Context, wake func()) (<-chan Event, error) {
	w, err := newWatcher()
	if err != nil {
		return nil, fmt.Errorf("address watch: %w", err)
	}
	subscribe := func() (chan netlink.AddrUpdate, chan struct{}, error) {
		updates, done := make(chan netlink.AddrUpdate, 256), make(chan struct{})
		ns := w.ns
		rcvbuf, force := nlcmd.MonitorBuffer() // vrrp_netlink_monitor_rcv_bufs
		err := netlink.AddrSubscribeWithOptions(updates, done, netlink.AddrSubscribeOptions{
			Namespace: &ns, ReceiveBufferSize: rcvbuf, ReceiveBufferForceSize: force,
			ErrorCallback: func(error) {}, // a fatal error closes updates; we resubscribe
		})
		return updates, done, err
	}
	convert := func(u netlink.AddrUpdate) (Event, bool) {
		ip, ok := netip.AddrFromSlice(u.LinkAddress.IP)
		if !ok {
			return Event{}, false
		}
		bits, _ := u.LinkAddress.Mask.Size()
		// The name is looked up for every event: an index can be reused
		// by a re-created interface.
		return Event{Prefix: netip.PrefixFrom(ip.Unmap(), bits), Index: u.LinkIndex, Dev: w.name(u.LinkIndex), Deleted: !u.NewAddr}, true
	}
	return relay(ctx, w, subscribe, convert, Event{Resync: true}, wake)
}

// WatchRoutes streams route changes of both families, like Watch.
func WatchRoutes(ctx context.Context, wake func()) (<-chan RouteEvent, error) {
	w, err := newWatcher()
	if err != nil {
		return nil, fmt.Errorf("route watch: %w", err)
	}
	subscribe := func() (chan netlink.RouteUpdate, chan struct{}, error) {
		updates, done := make(chan netlink.RouteUpdate, 256), make(chan struct{})
		ns := w.ns
		rcvbuf, force := nlcmd.MonitorBuffer()
		err := netlink.RouteSubscribeWithOptions(updates, done, netlink.RouteSubscribeOptions{
			Namespace: &ns, ReceiveBufferSize: rcvbuf, ReceiveBufferForceSize: force,
			ErrorCallback: func(error) {},
		})
		return updates, done, err
	}
	convert := func(u netlink.RouteUpdate) (RouteEvent, bool) {
		if u.Type != unix.RTM_NEWROUTE && u.Type != unix.RTM_DELROUTE {
			return RouteEvent{}, false
		}
		e := RouteEvent{Table: u.Table, Deleted: u.Type == unix.RTM_DELROUTE}
		if u.Dst == nil {
			e.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
			if u.Family == netlink.FAMILY_V6 {
				e.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
			}
			return e, true
		}
		ip, ok := netip.AddrFromSlice(u.Dst.IP)
		if !ok {
			return RouteEvent{}, false
		}
		bits, _ := u.Dst.Mask.Size()
		e.Dst = netip.PrefixFrom(ip.Unmap(), bits)
		return e, true
	}
	return relay(ctx, w, subscribe, convert, RouteEvent{Resync: true}, wake)
}

type watcher struct {
	ns netns.NsHandle
	h  *netlink.Handle
}

func newWatcher() (*watcher, error) {
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("current netns: %w", err)
	}
	// Only NETLINK_ROUTE (see internal/linux/link).
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("netlink handle: %w", err)
	}
	return &watcher{ns: ns, h: h}, nil
}

func (w *watcher) close() {
	w.h.Close()
	w.ns.Close()
}

// name returns the interface name of index ("" if it no longer exists).
func (w *watcher) name(index int) string {
	l, err := w.h.LinkByIndex(index)
	if err != nil {
		return ""
	}
	return l.Attrs().Name
}

// relay subscribes, then converts every update to an event on the returned
// channel (calling wake after each) until ctx ends; a subscription that
// dies is renewed and resync is delivered.
func relay[U, E any](ctx context.Context, w *watcher, subscribe func() (chan U, chan struct{}, error),
	convert func(U) (E, bool), resync E, wake func()) (<-chan E, error) {
	updates, done, err := subscribe()
	if err != nil {
		close(done)
		w.close()
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	out := make(chan E, 256)
	go func() {
		defer close(out)
		defer w.close()
		stop := func() {
			close(done)
			for range updates { // let the library's reader finish
			}
		}
		emit := func(e E) bool {
			select {
			case out <- e:
				if wake != nil {
					wake()
				}
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			select {
			case <-ctx.Done():
				stop()
				return
			case u, ok := <-updates:
				if !ok {
					// The subscription died (typically ENOBUFS): start over.
					for {
						if updates, done, err = subscribe(); err == nil {
							break
						}
						close(done)
						t := time.NewTimer(100 * time.Millisecond)
						select {
						case <-t.C:
						case <-ctx.Done():
							t.Stop()
							return
						}
					}
					if !emit(resync) {
						stop()
						return
					}
					continue
				}
				if e, ok := convert(u); ok && !emit(e) {
					stop()
					return
				}
			}
		}
	}()
	return out, nil
}
