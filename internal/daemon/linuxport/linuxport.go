// Package linuxport builds the VRRP daemon's ports (daemon.Ports) on the
// running kernel, in the calling process's network namespace, from the
// adapters in internal/linux. It is wiring: the code that talks to the
// kernel lives in those packages; here it is only fitted to the daemon's
// interfaces (and the kernel's send errors are classified for it).
package linuxport

import (
	"context"
	"errors"
	"net/netip"
	"syscall"
	"time"

	"gokeepalived/internal/daemon"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/garp"
	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/rtsched"
	"gokeepalived/internal/linux/vipfw"
	"gokeepalived/internal/linux/vmac"
	"gokeepalived/internal/linux/vrrpconn"
	"gokeepalived/internal/linux/wake"
)

// Linux returns the ports backed by the running kernel.
func Linux() daemon.Ports {
	return daemon.Ports{
		Clock:     clock{},
		Thread:    thread{},
		Sockets:   sockets{},
		Links:     links{},
		Addresses: addresses{},
		Routes:    routes{},
		Rules:     rules{},
		// One packet socket per interface, kept open: closing one waits for an
		// RCU grace period, which stalled the VRRP loop (see garp.Sender).
		Announcer: announcer{garp.NewSender()},
		VMACs:     vmacs{vmac.NewManager("/proc/sys")},
		Firewall:  firewall{vipfw.New()},
	}
}

// vmacs fits vmac to the daemon's VMACs port.
type vmacs struct{ m *vmac.Manager }

func (v vmacs) Create(s daemon.VMACSpec) error {
	if s.IPVLAN {
		return v.m.CreateIPVLAN(vmac.IPVLANConfig{Name: s.Name, Parent: s.Parent, Mode: s.IPVLANMode, Addr: s.Addr, IPv6: s.IPv6})
	}
	return v.m.Create(vmac.Config{Name: s.Name, Parent: s.Parent, VRID: s.VRID, IPv6: s.IPv6, MAC: s.MAC})
}

func (v vmacs) Delete(name string) error { return v.m.Delete(name) }

// firewall fits vipfw to the daemon's Firewall port.
type firewall struct{ f *vipfw.Firewall }

func (f firewall) Sync(s daemon.FirewallSpec) error {
	spec := vipfw.Spec{Table: s.Table, Priority: s.Priority, Counters: s.Counters}
	for _, a := range s.Addrs {
		spec.Addrs = append(spec.Addrs, vipfw.Addr{IP: a.IP, Dev: a.Dev, ByName: a.ByName})
	}
	return f.f.Sync(spec)
}

func (f firewall) Remove() error { return f.f.Remove() }

type clock struct{}

func (clock) Now() time.Time { return time.Now() }

type thread struct{}

// Setup applies s to the calling thread: SCHED_RR or SCHED_OTHER at a
// nice value, then the CPU affinity.
func (thread) Setup(s daemon.ThreadSettings) error {
	var err error
	if s.RTPriority > 0 {
		err = rtsched.RoundRobin(uint32(s.RTPriority))
	} else {
		err = rtsched.Normal(s.Nice)
	}
	if len(s.CPUs) > 0 {
		err = errors.Join(err, rtsched.Pin(s.CPUs))
	}
	if s.Name != "" {
		err = errors.Join(err, rtsched.NameThread(s.Name))
	}
	return err
}

func (thread) NewWaker() (daemon.Waker, error) {
	w, err := wake.New()
	if err != nil {
		return nil, err
	}
	return w, nil
}

type sockets struct{}

func (sockets) Open(cfg vrrpconn.Config) (daemon.Conn, error) {
	c, err := vrrpconn.Open(cfg)
	if err != nil {
		return nil, err
	}
	return conn{c}, nil
}

// conn fits vrrpconn.Conn to daemon.Conn.
type conn struct{ c *vrrpconn.Conn }

// recvPoll bounds how long a reader blocked in Recv takes to see Close if
// the shutdown that Close does first did not wake it. Each expiry wakes the
// reader's thread for nothing (and makes the Go runtime's sysmon spin): at
// 250 ms, 20 idle readers woke 80 times a second.
const recvPoll = 5 * time.Second

// Recv sleeps in the kernel on the caller's thread (a real-time reader,
// see vrrpconn.WaitReadable), not in the Go netpoller, until a packet is
// waiting, then reads it.
func (c conn) Recv(buf []byte) (int, vrrpconn.Meta, error) {
	for {
		ready, err := c.c.WaitReadable(recvPoll)
		if err != nil {
			return 0, vrrpconn.Meta{}, err
		}
		if ready {
			return c.c.Recv(buf)
		}
	}
}

// RecvBatch is Recv for every packet waiting (recvmmsg), after the same
// wait in the kernel.
func (c conn) RecvBatch(b *vrrpconn.Batch) error {
	for {
		ready, err := c.c.WaitReadable(recvPoll)
		if err != nil {
			return err
		}
		if ready {
			return c.c.RecvBatch(b)
		}
	}
}

// SendBatch sends the adverts of a tick with one sendmmsg, each error
// classified as SendFrom's are.
func (c conn) SendBatch(msgs []vrrpconn.Out, errs []error) {
	c.c.SendBatch(msgs, errs)
	for i, err := range errs[:len(msgs)] {
		if err != nil {
			errs[i] = classify(err)
		}
	}
}

func (c conn) Drops() uint64                 { return c.c.Drops() }
func (c conn) SetReadBuffer(bytes int) error { return c.c.SetReadBuffer(bytes) }

func (c conn) SendFrom(payload []byte, src, dst netip.Addr) error {
	return classify(c.c.SendFrom(payload, src, dst))
}

func (c conn) JoinGroup(g netip.Addr) error { return c.c.JoinGroup(g) }
func (c conn) Close() error                 { return c.c.Close() }

// classify marks the send errors a down interface explains: IPv4 says
// ENETUNREACH or ENETDOWN, or EADDRNOTAVAIL once the address is gone; IPv6
// says EINVAL once the link-local source went with the link.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ENETDOWN), errors.Is(err, syscall.EADDRNOTAVAIL):
		return classified{daemon.ErrLinkDown, err}
	case errors.Is(err, syscall.EINVAL):
		return classified{daemon.ErrSendRefused, err}
	}
	return err
}

// classified keeps the kernel's message and matches both errors.
type classified struct{ kind, err error }

func (c classified) Error() string   { return c.err.Error() }
func (c classified) Unwrap() []error { return []error{c.kind, c.err} }

type links struct{}

func (links) Primary(ifname string, ipv6 bool) (netip.Addr, error) { return addr.Primary(ifname, ipv6) }
func (links) Up(ifname string) (bool, error) {
	up, err := link.Up(ifname)
	if link.NotFound(err) {
		return false, classified{daemon.ErrNoInterface, err}
	}
	return up, err
}
func (links) MTU(ifname string) (int, error) { return link.MTU(ifname) }

// Probe polls the link state (linkbeat_interfaces): the daemon's
// optional link prober.
func (links) Probe(ifname, method string) (bool, string, error) { return link.Probe(ifname, method) }
func (links) SetPromoteSecondaries(ifname string, on bool) (bool, error) {
	return link.SetPromoteSecondaries(ifname, on)
}
func (links) Watch(ctx context.Context, wake func()) (<-chan link.Event, error) {
	return link.WatchWaking(ctx, wake)
}

type addresses struct{}

func (addresses) Add(a addr.Address) error { return addr.Add(a) }
func (addresses) Del(a addr.Address) error { return addr.Del(a) }

// AddBatch adds many addresses over one netlink socket (the daemon's
// takeovers and start of many instances).
func (addresses) AddBatch(as []addr.Address) []error { return addr.AddBatch(as) }
func (addresses) List(dev string) ([]addr.Address, error) {
	return addr.List(dev)
}
func (addresses) Watch(ctx context.Context, wake func()) (<-chan addr.Event, error) {
	return addr.Watch(ctx, wake)
}

type routes struct{}

func (routes) Add(r addr.Route) error         { return addr.AddRoute(r) }
func (routes) Del(r addr.Route) error         { return addr.DelRoute(r) }
func (routes) Has(r addr.Route) (bool, error) { return addr.RouteExists(r) }
func (routes) Watch(ctx context.Context, wake func()) (<-chan addr.RouteEvent, error) {
	return addr.WatchRoutes(ctx, wake)
}

type rules struct{}

func (rules) Add(r addr.Rule) error { return addr.AddRule(r) }
func (rules) Del(r addr.Rule) error { return addr.DelRule(r) }

func (rules) Has(r addr.Rule) (bool, error) { return addr.RuleExists(r) }

type announcer struct{ s *garp.Sender }

func (a announcer) Gratuitous(ifname string, vips []netip.Addr) error { return a.s.Send(ifname, vips) }
