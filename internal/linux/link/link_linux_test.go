package link_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/netnstest"
)

const wait = 3 * time.Second

// next returns the next event for the named interface, skipping others.
func next(t *testing.T, ch <-chan link.Event, name string) link.Event {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("event channel closed while waiting for %s", name)
			}
			if e.Name == name {
				return e
			}
		case <-timeout:
			t.Fatalf("no event for %s within %v", name, wait)
		}
	}
}

func TestWatch(t *testing.T) {
	p := netnstest.NewPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ch <-chan link.Event
	p.B.Do(t, func() {
		var err error
		if ch, err = link.Watch(ctx); err != nil {
			t.Fatal(err)
		}
	})
	want := func(e link.Event, up, deleted bool) {
		t.Helper()
		if e.Up != up || e.Deleted != deleted || e.Index != p.BIndex {
			t.Errorf("event %+v, want Index %d Up %v Deleted %v", e, p.BIndex, up, deleted)
		}
	}

	want(next(t, ch, p.BIf), true, false) // initial state

	p.B.Run(t, "ip", "link", "set", p.BIf, "down") // admin down
	want(next(t, ch, p.BIf), false, false)
	p.B.Run(t, "ip", "link", "set", p.BIf, "up")
	want(next(t, ch, p.BIf), true, false)

	p.A.SetLinkUp(t, p.AIf, false) // the peer goes away: carrier lost
	want(next(t, ch, p.BIf), false, false)
	p.A.SetLinkUp(t, p.AIf, true)
	want(next(t, ch, p.BIf), true, false)

	p.A.Run(t, "ip", "link", "del", p.AIf) // deletes both ends
	e := next(t, ch, p.BIf)
	if !e.Deleted && !e.Up { // carrier loss may be reported first
		e = next(t, ch, p.BIf)
	}
	want(e, false, true)

	cancel()
	timeout := time.After(wait)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("channel not closed after cancel")
		}
	}
}

func TestState(t *testing.T) {
	p := netnstest.NewPair(t)
	p.B.Do(t, func() {
		e, err := link.State(p.BIf)
		if err != nil || !e.Up || e.Index != p.BIndex || e.Name != p.BIf {
			t.Errorf("State(%s) = %+v, %v; want up, index %d", p.BIf, e, err, p.BIndex)
		}
	})
	p.A.SetLinkUp(t, p.AIf, false)
	p.B.Do(t, func() {
		netnstest.Eventually(t, wait, func() error {
			e, err := link.State(p.BIf)
			if err == nil && e.Up {
				return errors.New("still up without carrier")
			}
			return err
		})
		if _, err := link.State("nosuch0"); err == nil {
			t.Error("State of a missing interface succeeded")
		}
	})
}
