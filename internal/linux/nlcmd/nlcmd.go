// Package nlcmd holds the netlink (NETLINK_ROUTE) sockets of the VRRP side
// and their receive buffers, as keepalived 2.2.7's global_defs set them:
//
//   - vrrp_netlink_cmd_rcv_bufs[_force]: the socket of the kernel requests
//     and their replies (address, route and rule changes and listings,
//     interface look-ups in internal/linux/addr and internal/linux/link).
//     Without it every request opens a socket of its own, in the namespace
//     of the thread that makes it (vishvananda/netlink's default); with it,
//     the requests share one socket opened by SetCommandBuffer in the
//     caller's namespace, with that receive buffer (keepalived: its
//     netlink command socket).
//   - vrrp_netlink_monitor_rcv_bufs[_force]: the receive buffer of the link,
//     address and route subscriptions (keepalived: its netlink monitor
//     socket), taken when a subscription opens.
package nlcmd

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// perRequest is the default: a socket per request (netlink's own).
var perRequest = &netlink.Handle{}

var (
	mu     sync.Mutex // orders SetCommandBuffer and Reset
	shared atomic.Pointer[netlink.Handle]
)

// Handle is the handle requests go through.
func Handle() *netlink.Handle {
	if h := shared.Load(); h != nil {
		return h
	}
	return perRequest
}

// SetCommandBuffer makes requests share one persistent socket, opened in
// the calling thread's network namespace, with a receive buffer of bytes
// (SO_RCVBUFFORCE with force: beyond net.core.rmem_max). Called again, it
// resizes that socket.
func SetCommandBuffer(bytes int, force bool) error {
	mu.Lock()
	defer mu.Unlock()
	h := shared.Load()
	if h == nil {
		var err error
		if h, err = netlink.NewHandle(unix.NETLINK_ROUTE); err != nil {
			return fmt.Errorf("netlink command socket: %w", err)
		}
		// The per-request sockets' timeouts (vishvananda/netlink).
		if err := h.SetSocketTimeout(60 * time.Second); err != nil {
			h.Close()
			return fmt.Errorf("netlink command socket: %w", err)
		}
		if err := h.SetSocketReceiveBufferSize(clamp(bytes), force); err != nil {
			h.Close()
			return fmt.Errorf("netlink command socket: receive buffer %d: %w", bytes, err)
		}
		shared.Store(h)
		return nil
	}
	if err := h.SetSocketReceiveBufferSize(clamp(bytes), force); err != nil {
		return fmt.Errorf("netlink command socket: receive buffer %d: %w", bytes, err)
	}
	return nil
}

// CommandBuffer is the shared socket's receive buffer as the kernel
// reports it (SO_RCVBUF: twice what was set), or 0 without one.
func CommandBuffer() (int, error) {
	h := shared.Load()
	if h == nil {
		return 0, nil
	}
	sizes, err := h.GetSocketReceiveBufferSize()
	if err != nil || len(sizes) == 0 {
		return 0, err
	}
	return sizes[0], nil
}

// Reset goes back to a socket per request (tests; the daemon keeps its
// shared socket until it exits). The shared socket is closed: no request
// may be using it.
func Reset() {
	mu.Lock()
	defer mu.Unlock()
	if h := shared.Swap(nil); h != nil {
		h.Close()
	}
}

// DefaultMonitorBuffer is the subscriptions' receive buffer without
// vrrp_netlink_monitor_rcv_bufs.
const DefaultMonitorBuffer = 1 << 20

var monitor atomic.Pointer[monitorBuf]

type monitorBuf struct {
	bytes int
	force bool
}

// SetMonitorBuffer sets the receive buffer of the subscriptions opened from
// now on (bytes 0: the default).
func SetMonitorBuffer(bytes int, force bool) {
	if bytes <= 0 {
		monitor.Store(nil)
		return
	}
	monitor.Store(&monitorBuf{clamp(bytes), force})
}

// MonitorBuffer is the receive buffer for a subscription opening now, and
// whether to force it.
func MonitorBuffer() (bytes int, force bool) {
	if m := monitor.Load(); m != nil {
		return m.bytes, m.force
	}
	return DefaultMonitorBuffer, false
}

// clamp keeps a size from keepalived's unsigned range inside the
// kernel's int (which doubles it).
func clamp(bytes int) int { return min(bytes, 1<<30) }
