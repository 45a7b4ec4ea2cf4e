package link

import (
	"context"
	"errors"

	"github.com/vishvananda/netlink"
)

// Up reports whether the named interface is administratively up with
// carrier.
func Up(name string) (bool, error) {
	ev, err := State(name)
	if err != nil {
		return false, err
	}
	return ev.Up, nil
}

// NotFound reports whether err says the interface does not exist.
func NotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}

// WatchWaking is Watch for a loop that sleeps in the kernel rather than on
// the channel: it calls wake after queueing each event.
func WatchWaking(ctx context.Context, wake func()) (<-chan Event, error) {
	evs, err := Watch(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan Event, 64)
	go func() {
		defer close(ch)
		for e := range evs {
			ch <- e
			wake()
		}
	}()
	return ch, nil
}
