// Package lbnet builds load-balancing test topologies in throwaway network
// namespaces (named "gklb-…", removed in t.Cleanup even when the test
// fails): a director, a client and real servers that are small Go HTTP
// servers, plus a scenario that drives any lb.Backend from health checks
// and asserts on real traffic. It works on the host (nftables) and inside
// the IPVS VM (test/vm), where it needs nothing but the kernel.
package lbnet

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"gokeepalived/internal/linux/netnstest"
)

// Prefix starts every namespace name this package creates.
const Prefix = "gklb-"

// RequireRoot skips t without root, or fails it when
// GOKEEPALIVED_REQUIRE_ROOT=1.
func RequireRoot(t testing.TB) {
	t.Helper()
	netnstest.RequireRootFor(t, "load-balancer kernel test needs root (network namespaces, nftables/IPVS)")
}

// NS is a named network namespace that lives until the end of the test.
type NS struct {
	Name string
	h    netns.NsHandle
}

// NewNS creates a namespace named Prefix+role+"-"+random suffix, with
// loopback up (and IPv6 DAD off), and removes it at cleanup.
func NewNS(t testing.TB, role string) *NS {
	t.Helper()
	RequireRoot(t)
	ns := netnstest.NewNamed(t, Prefix+role+"-")
	return &NS{Name: ns.Name, h: ns.Handle()}
}

// Do runs fn on a locked OS thread switched into the namespace. Sockets
// fn opens stay in the namespace.
func (n *NS) Do(fn func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	if err := netns.Set(n.h); err != nil {
		orig.Close()
		runtime.UnlockOSThread()
		return fmt.Errorf("enter %s: %w", n.Name, err)
	}
	defer func() {
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread() // otherwise the thread stays locked and dies with the goroutine
		}
		orig.Close()
	}()
	return fn()
}

// Must runs fn in the namespace and fails the test on error.
func (n *NS) Must(t testing.TB, what string, fn func() error) {
	t.Helper()
	if err := n.Do(fn); err != nil {
		t.Fatalf("%s: %s: %v", n.Name, what, err)
	}
}

// Sysctl writes /proc/sys/<key> (dotted) inside the namespace.
func (n *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	n.Must(t, "sysctl "+key, func() error {
		return os.WriteFile(filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/")), []byte(value), 0o644)
	})
}

// Handle returns the namespace's file descriptor (for nftables.WithNetNSFd).
func (n *NS) Handle() int { return int(n.h) }

// Veth joins a (end aName) and b (end bName), both up.
func Veth(t testing.TB, a *NS, aName string, b *NS, bName string) {
	t.Helper()
	a.Must(t, "add veth "+aName, func() error {
		return netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: aName}, PeerName: bName, PeerNamespace: netlink.NsFd(b.h)})
	})
	a.setUp(t, aName)
	b.setUp(t, bName)
	a.waitUp(t, aName)
	b.waitUp(t, bName)
}

// LinkUp sets a link up and waits for its carrier.
func (n *NS) LinkUp(t testing.TB, name string) {
	t.Helper()
	n.setUp(t, name)
	n.waitUp(t, name)
}

func (n *NS) setUp(t testing.TB, name string) {
	t.Helper()
	n.Must(t, "set "+name+" up", func() error {
		l, err := netlink.LinkByName(name)
		if err != nil {
			return err
		}
		return netlink.LinkSetUp(l)
	})
}

func (n *NS) waitUp(t testing.TB, name string) {
	t.Helper()
	netnstest.Eventually(t, 5*time.Second, func() error {
		return n.Do(func() error {
			l, err := netlink.LinkByName(name)
			if err != nil {
				return err
			}
			if l.Attrs().OperState != netlink.OperUp && l.Attrs().OperState != netlink.OperUnknown {
				return fmt.Errorf("%s: %s is %s", n.Name, name, l.Attrs().OperState)
			}
			return nil
		})
	})
}

// AddAddr adds prefix to a link.
func (n *NS) AddAddr(t testing.TB, link, prefix string) {
	t.Helper()
	p := netip.MustParsePrefix(prefix)
	n.Must(t, "add "+prefix, func() error {
		l, err := netlink.LinkByName(link)
		if err != nil {
			return err
		}
		return netlink.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}})
	})
}

// DefaultRoute adds a default route via gw.
func (n *NS) DefaultRoute(t testing.TB, gw string) {
	t.Helper()
	n.Must(t, "default via "+gw, func() error {
		return netlink.RouteAdd(&netlink.Route{Gw: net.ParseIP(gw)})
	})
}

// Bridge creates a bridge in n with the given members, all up.
func (n *NS) Bridge(t testing.TB, name string, members ...string) {
	t.Helper()
	n.Must(t, "bridge "+name, func() error {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
		if err := netlink.LinkAdd(br); err != nil {
			return err
		}
		for _, m := range members {
			l, err := netlink.LinkByName(m)
			if err != nil {
				return err
			}
			if err := netlink.LinkSetMaster(l, br); err != nil {
				return err
			}
		}
		return netlink.LinkSetUp(br)
	})
}
