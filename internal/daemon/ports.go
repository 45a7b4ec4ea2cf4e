package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/garp"
	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/vmac"
	"gokeepalived/internal/linux/vrrpconn"
)

// Conn is the daemon's port to one VRRP socket (one per interface and
// address family, shared by every instance on it).
type Conn interface {
	Send(payload []byte, dst netip.Addr) error
	SendFrom(payload []byte, src, dst netip.Addr) error
	Recv(buf []byte) (int, vrrpconn.Meta, error)
	Close() error
}

// Env holds the daemon's ports to the operating system. Linux() returns the
// real ones; tests pass fakes.
type Env struct {
	// OpenConn opens a VRRP socket.
	OpenConn func(cfg vrrpconn.Config) (Conn, error)
	// AddAddr and DelAddr add and remove a virtual address (idempotent).
	AddAddr, DelAddr func(a addr.Address) error
	// AddRoute, DelRoute, AddRule and DelRule manage virtual_routes/rules.
	AddRoute, DelRoute func(r addr.Route) error
	AddRule, DelRule   func(r addr.Rule) error
	// Gratuitous sends one gratuitous ARP (IPv4) or unsolicited NA (IPv6)
	// per address on ifname.
	Gratuitous func(ifname string, vips []netip.Addr) error
	// Primary returns the interface's primary IPv4 address, or its IPv6
	// link-local address: the source of our adverts and the tie-breaker.
	Primary func(ifname string, ipv6 bool) (netip.Addr, error)
	// LinkUp reports whether the interface is administratively up with carrier.
	LinkUp func(ifname string) (bool, error)
	// WatchLinks delivers link changes until ctx ends, calling wake after
	// each one is queued (the loop sleeps in the kernel, not on the channel).
	WatchLinks func(ctx context.Context, wake func()) (<-chan link.Event, error)
	// CreateVMAC and DeleteVMAC manage use_vmac macvlans (idempotent create).
	CreateVMAC func(name, parent string, vrid uint8, ipv6 bool) error
	DeleteVMAC func(name string) error
	// Now is the clock.
	Now func() time.Time
}

// Linux returns the ports backed by the running kernel (the calling
// process's network namespace).
func Linux() Env {
	tuner := newVMACTuner("/proc/sys")
	return Env{
		OpenConn: func(cfg vrrpconn.Config) (Conn, error) {
			c, err := vrrpconn.Open(cfg)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		AddAddr:  addr.Add,
		DelAddr:  addr.Del,
		AddRoute: addr.AddRoute,
		DelRoute: addr.DelRoute,
		AddRule:  addr.AddRule,
		DelRule:  addr.DelRule,
		// One packet socket per interface, kept open: closing one waits for an
		// RCU grace period, which stalled the VRRP loop (see garp.Sender).
		Gratuitous: garp.NewSender().Send,
		Primary:    primaryAddr,
		LinkUp: func(name string) (bool, error) {
			ev, err := link.State(name)
			if err != nil {
				return false, err
			}
			return ev.Up, nil
		},
		WatchLinks: watchLinks,
		CreateVMAC: func(name, parent string, vrid uint8, ipv6 bool) error {
			if err := vmac.Create(vmac.Config{Name: name, Parent: parent, VRID: vrid, IPv6: ipv6}); err != nil {
				return err
			}
			if ipv6 {
				return nil
			}
			return tuner.tune(name, parent)
		},
		DeleteVMAC: func(name string) error {
			err := vmac.Delete(name)
			return errors.Join(err, tuner.release(name))
		},
		Now: time.Now,
	}
}

// primaryAddr returns the first global IPv4 address of ifname (keepalived's
// "primary" address), or for IPv6 its link-local address.
func primaryAddr(ifname string, ipv6 bool) (netip.Addr, error) {
	l, err := netlink.LinkByName(ifname)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("interface %s: %w", ifname, err)
	}
	fam := netlink.FAMILY_V4
	if ipv6 {
		fam = netlink.FAMILY_V6
	}
	as, err := netlink.AddrList(l, fam)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("interface %s: %w", ifname, err)
	}
	for _, a := range as {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if ipv6 && ip.IsLinkLocalUnicast() {
			return ip, nil
		}
		// The kernel lists the primary address first; skip secondaries
		// (our own VIPs are added as secondaries when in the same subnet).
		if !ipv6 && a.Flags&unix.IFA_F_SECONDARY == 0 {
			return ip, nil
		}
	}
	if ipv6 {
		return netip.Addr{}, fmt.Errorf("interface %s has no IPv6 link-local address", ifname)
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no IPv4 address", ifname)
}

// watchLinks relays the kernel's link changes, waking the loop for each.
func watchLinks(ctx context.Context, wake func()) (<-chan link.Event, error) {
	evs, err := link.Watch(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan link.Event, 64)
	go func() {
		defer close(ch)
		for e := range evs {
			ch <- e
			wake()
		}
	}()
	return ch, nil
}
