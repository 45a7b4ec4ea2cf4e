package addr_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"gokeepalived/internal/linux/addr"
)

// Watch reports an address added and deleted by someone else (ip addr), with
// its interface; a bound on a hang, not a timing assertion.
func TestWatch(t *testing.T) {
	ns := node(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ch <-chan addr.Event
	woken := make(chan struct{}, 16)
	ns.Do(t, func() {
		var err error
		if ch, err = addr.Watch(ctx, func() {
			select {
			case woken <- struct{}{}:
			default:
			}
		}); err != nil {
			t.Fatal(err)
		}
	})
	want := netip.MustParsePrefix("192.0.2.100/32")
	next := func(deleted bool) addr.Event {
		t.Helper()
		return nextEvent(t, ch, func(e addr.Event) bool { return e.Prefix == want && e.Deleted == deleted })
	}
	ns.Run(t, "ip", "addr", "add", "192.0.2.100/32", "dev", "veth0")
	if e := next(false); e.Dev != "veth0" || e.Index == 0 {
		t.Errorf("add event %v, want on veth0", e)
	}
	ns.Run(t, "ip", "addr", "del", "192.0.2.100/32", "dev", "veth0")
	if e := next(true); e.Dev != "veth0" {
		t.Errorf("delete event %v, want on veth0", e)
	}
	select {
	case <-woken:
	default:
		t.Error("wake was never called")
	}
	cancel()
	for range ch { // closed after ctx ends
	}
}

// WatchRoutes reports a route added and deleted by hand, with its table.
func TestWatchRoutes(t *testing.T) {
	ns := node(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ch <-chan addr.RouteEvent
	ns.Do(t, func() {
		var err error
		if ch, err = addr.WatchRoutes(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})
	want := netip.MustParsePrefix("198.51.100.0/24")
	next := func(deleted bool) addr.RouteEvent {
		t.Helper()
		return nextEvent(t, ch, func(e addr.RouteEvent) bool { return e.Dst == want && e.Deleted == deleted })
	}
	ns.Run(t, "ip", "route", "add", "198.51.100.0/24", "dev", "veth0", "table", "100")
	if e := next(false); e.Table != 100 {
		t.Errorf("add event %+v, want table 100", e)
	}
	ns.Run(t, "ip", "route", "del", "198.51.100.0/24", "dev", "veth0", "table", "100")
	if e := next(true); e.Table != 100 {
		t.Errorf("delete event %+v, want table 100", e)
	}
}

// nextEvent returns the next event match accepts, skipping others; a bound
// on a hang, not a timing assertion.
func nextEvent[E any](t *testing.T, ch <-chan E, match func(E) bool) E {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatal("event channel closed")
			}
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatal("no such event within 5 s")
		}
	}
}
