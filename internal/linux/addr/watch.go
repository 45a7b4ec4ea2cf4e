package addr

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
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

// Watch streams address changes of both families until ctx is done, then
// closes the channel, calling wake (if set) after each event it queues.
// Existing addresses are not listed. Netlink subscriptions can overflow
// (ENOBUFS) and then stop; Watch then subscribes again and delivers one
// Resync event. Everything happens in the network namespace of the thread
// that called Watch.
func Watch(ctx context.Context, wake func()) (<-chan Event, error) {
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("address watch: current netns: %w", err)
	}
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("address watch: netlink handle: %w", err)
	}
	w := &addrWatcher{ns: ns, h: h}
	updates, done, err := w.subscribe()
	if err != nil {
		h.Close()
		ns.Close()
		return nil, fmt.Errorf("address watch: %w", err)
	}
	out := make(chan Event, 256)
	go w.run(ctx, updates, done, out, wake)
	return out, nil
}

type addrWatcher struct {
	ns netns.NsHandle
	h  *netlink.Handle
}

func (w *addrWatcher) subscribe() (chan netlink.AddrUpdate, chan struct{}, error) {
	updates := make(chan netlink.AddrUpdate, 256)
	done := make(chan struct{})
	ns := w.ns
	err := netlink.AddrSubscribeWithOptions(updates, done, netlink.AddrSubscribeOptions{
		Namespace:         &ns,
		ReceiveBufferSize: 1 << 20,
		ErrorCallback:     func(error) {}, // a fatal error closes updates; we resubscribe
	})
	if err != nil {
		close(done)
		return nil, nil, fmt.Errorf("subscribe to address changes: %w", err)
	}
	return updates, done, nil
}

// name returns the interface name of index ("" if it no longer exists).
// It is looked up for every event: an index can be reused by a re-created
// interface.
func (w *addrWatcher) name(index int) string {
	l, err := w.h.LinkByIndex(index)
	if err != nil {
		return ""
	}
	return l.Attrs().Name
}

func eventOfUpdate(u netlink.AddrUpdate) (Event, bool) {
	ip, ok := netip.AddrFromSlice(u.LinkAddress.IP)
	if !ok {
		return Event{}, false
	}
	ip = ip.Unmap()
	bits, _ := u.LinkAddress.Mask.Size()
	return Event{Prefix: netip.PrefixFrom(ip, bits), Index: u.LinkIndex, Deleted: !u.NewAddr}, true
}

func (w *addrWatcher) run(ctx context.Context, updates chan netlink.AddrUpdate, done chan struct{}, out chan<- Event, wake func()) {
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
					var err error
					if updates, done, err = w.subscribe(); err == nil {
						break
					}
					t := time.NewTimer(100 * time.Millisecond)
					select {
					case <-t.C:
					case <-ctx.Done():
						t.Stop()
						return
					}
				}
				if !emit(Event{Resync: true}) {
					stop()
					return
				}
				continue
			}
			e, ok := eventOfUpdate(u)
			if !ok {
				continue
			}
			e.Dev = w.name(e.Index)
			if !emit(e) {
				stop()
				return
			}
		}
	}
}
