package addr_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/nlcmd"
)

// netlinkFDs maps this process's open netlink sockets to their SO_RCVBUF.
func netlinkFDs(t *testing.T) map[int]int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if dom, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); err != nil || dom != unix.AF_NETLINK {
			continue
		}
		if n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil {
			out[fd] = n
		}
	}
	return out
}

// vrrp_netlink_monitor_rcv_bufs[_force]: the address, route and link
// subscriptions open with that receive buffer (the kernel reports twice
// the size set); without it, the default.
func TestMonitorReceiveBuffer(t *testing.T) {
	ns := node(t)
	t.Cleanup(func() { nlcmd.SetMonitorBuffer(0, false) })
	for _, c := range []struct {
		bytes int
		force bool
		want  int
	}{
		{3 << 20, true, 2 * (3 << 20)}, // above rmem_max: forced
		{150000, false, 300000},
	} {
		nlcmd.SetMonitorBuffer(c.bytes, c.force)
		ctx, cancel := context.WithCancel(context.Background())
		ns.Do(t, func() {
			if _, err := addr.Watch(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := addr.WatchRoutes(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := link.Watch(ctx); err != nil {
				t.Fatal(err)
			}
		})
		sized := 0
		for _, n := range netlinkFDs(t) {
			if n == c.want {
				sized++
			}
		}
		cancel()
		// Three subscriptions (each watcher also holds a request handle
		// with the kernel's default buffer).
		if sized != 3 {
			t.Errorf("%d bytes (force %v): %d new netlink sockets with SO_RCVBUF %d, want the 3 subscriptions", c.bytes, c.force, sized, c.want)
		}
	}
}
