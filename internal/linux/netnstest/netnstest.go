// Package netnstest runs kernel tests inside throwaway network namespaces.
//
// New creates a named namespace ("gklnx-" plus a random suffix, visible to
// `ip netns`) and registers its removal with t.Cleanup, so it disappears even
// when the test fails. (*NS).Do runs code with the calling goroutine locked to
// its OS thread and that thread switched into the namespace; everything opened
// there (sockets, netlink subscriptions) stays in the namespace afterwards, so
// tests open sockets inside Do and use them from anywhere.
//
// RequireRoot skips a test that needs root, or fails it when the environment
// sets GOKEEPALIVED_REQUIRE_ROOT=1 (CI), so kernel tests cannot silently vanish.
//
// Topology helpers (Veth, Bridge, AddAddr, SetLinkUp, Pair) build the usual
// "two nodes on one segment" shapes; Eventually polls a condition until a
// deadline instead of sleeping. Only documentation prefixes belong in tests.
package netnstest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Prefix starts the name of every namespace this package creates.
const Prefix = "gklnx-"

// RequireRoot skips t unless the process has the privileges kernel tests
// need (uid 0). With GOKEEPALIVED_REQUIRE_ROOT=1 it fails instead of skipping.
func RequireRoot(t testing.TB) {
	t.Helper()
	RequireRootFor(t, "kernel test needs root (network namespaces, raw sockets); run as root or with -exec 'sudo -n'")
}

// RequireRootFor is RequireRoot with why, the skip or failure message.
func RequireRootFor(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("GOKEEPALIVED_REQUIRE_ROOT") == "1" {
		t.Fatalf("%s, and GOKEEPALIVED_REQUIRE_ROOT=1 forbids skipping", why)
	}
	t.Skip(why)
}

// NS is a named network namespace that lives until the end of the test.
type NS struct {
	Name string
	h    netns.NsHandle
}

// New creates a fresh named network namespace with its loopback up and IPv6
// duplicate address detection off (so link-local addresses are usable at
// once), and removes it when the test ends. It calls RequireRoot.
func New(t testing.TB) *NS {
	t.Helper()
	return NewNamed(t, Prefix)
}

// NewNamed is New for namespaces named prefix plus a random suffix, for test
// helpers outside internal/linux that keep their own prefix (lbnet: "gklb-").
func NewNamed(t testing.TB, prefix string) *NS {
	t.Helper()
	RequireRoot(t)
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	name := prefix + hex.EncodeToString(rnd[:])

	// netns.NewNamed unshares the calling thread; do it on a locked thread
	// and put the thread back afterwards.
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("get current netns: %v", err)
	}
	h, err := netns.NewNamed(name)
	if serr := netns.Set(orig); serr != nil {
		// The thread is stuck in the wrong namespace: keep it locked so
		// the runtime discards it when the goroutine exits.
		orig.Close()
		t.Fatalf("restore netns after creating %s: %v", name, serr)
	}
	orig.Close()
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatalf("create netns %s: %v", name, err)
	}
	ns := &NS{Name: name, h: h}
	t.Cleanup(func() {
		ns.h.Close()
		if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("delete netns %s: %v", name, err)
		}
	})

	ns.Do(t, func() {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			t.Fatalf("%s: lo: %v", name, err)
		}
		if err := netlink.LinkSetUp(lo); err != nil {
			t.Fatalf("%s: set lo up: %v", name, err)
		}
		for _, p := range []string{"all", "default"} {
			writeSysctl(t, filepath.Join("/proc/sys/net/ipv6/conf", p, "accept_dad"), "0")
		}
	})
	return ns
}

// writeSysctl writes a /proc/sys file; net.* entries resolve against the
// namespace of the writing thread.
func writeSysctl(t testing.TB, path, value string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// Do runs fn on the calling goroutine with its OS thread switched into the
// namespace, and switches back afterwards (also when fn calls t.FailNow).
// Goroutines that fn starts do not inherit the namespace.
func (n *NS) Do(t testing.TB, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("get current netns: %v", err)
	}
	if err := netns.Set(n.h); err != nil {
		orig.Close()
		runtime.UnlockOSThread()
		t.Fatalf("enter netns %s: %v", n.Name, err)
	}
	defer func() {
		err := netns.Set(orig)
		orig.Close()
		if err != nil {
			// Leave the thread locked: it dies with the goroutine.
			t.Errorf("leave netns %s: %v", n.Name, err)
			return
		}
		runtime.UnlockOSThread()
	}()
	fn()
}

// Handle returns the namespace's handle (for netlink.NsFd, nftables.WithNetNSFd).
// It is closed when the test ends.
func (n *NS) Handle() netns.NsHandle { return n.h }

// Sysctl writes a /proc/sys value (path relative to /proc/sys, dotted or
// slashed) inside the namespace.
func (n *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	n.Do(t, func() {
		writeSysctl(t, filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/")), value)
	})
}

// Run runs a command inside the namespace (through `ip netns exec`) and
// returns its combined output; it fails the test if the command fails.
func (n *NS) Run(t testing.TB, argv ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", n.Name}, argv...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns exec %s %s: %v\n%s", n.Name, strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// Link returns the named link inside the namespace.
func (n *NS) Link(t testing.TB, name string) netlink.Link {
	t.Helper()
	var l netlink.Link
	n.Do(t, func() {
		var err error
		if l, err = netlink.LinkByName(name); err != nil {
			t.Fatalf("%s: link %s: %v", n.Name, name, err)
		}
	})
	return l
}

// Interface returns the net.Interface for name inside the namespace.
func (n *NS) Interface(t testing.TB, name string) *net.Interface {
	t.Helper()
	var ifi *net.Interface
	n.Do(t, func() {
		var err error
		if ifi, err = net.InterfaceByName(name); err != nil {
			t.Fatalf("%s: interface %s: %v", n.Name, name, err)
		}
	})
	return ifi
}

// AddAddr adds an address ("192.0.2.1/24", "2001:db8::1/64") to a link.
// IPv6 addresses are added with nodad.
func (n *NS) AddAddr(t testing.TB, ifname, prefix string) {
	t.Helper()
	p := netip.MustParsePrefix(prefix)
	n.Do(t, func() {
		l, err := netlink.LinkByName(ifname)
		if err != nil {
			t.Fatalf("%s: link %s: %v", n.Name, ifname, err)
		}
		a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
		if p.Addr().Is6() {
			a.Flags = unix.IFA_F_NODAD
		}
		if err := netlink.AddrAdd(l, a); err != nil {
			t.Fatalf("%s: add %s to %s: %v", n.Name, prefix, ifname, err)
		}
	})
}

// SetLinkUp sets a link administratively up or down.
func (n *NS) SetLinkUp(t testing.TB, ifname string, up bool) {
	t.Helper()
	n.Do(t, func() {
		l, err := netlink.LinkByName(ifname)
		if err != nil {
			t.Fatalf("%s: link %s: %v", n.Name, ifname, err)
		}
		if up {
			err = netlink.LinkSetUp(l)
		} else {
			err = netlink.LinkSetDown(l)
		}
		if err != nil {
			t.Fatalf("%s: set %s up=%v: %v", n.Name, ifname, up, err)
		}
	})
}

// LinkLocal returns the IPv6 link-local address of a link, polling until
// the kernel has assigned it.
func (n *NS) LinkLocal(t testing.TB, ifname string) netip.Addr {
	t.Helper()
	var ll netip.Addr
	Eventually(t, 5*time.Second, func() error {
		var err error
		n.Do(t, func() {
			var l netlink.Link
			if l, err = netlink.LinkByName(ifname); err != nil {
				return
			}
			var addrs []netlink.Addr
			if addrs, err = netlink.AddrList(l, netlink.FAMILY_V6); err != nil {
				return
			}
			for _, a := range addrs {
				ip, _ := netip.AddrFromSlice(a.IP)
				if ip.IsLinkLocalUnicast() && a.Flags&unix.IFA_F_TENTATIVE == 0 {
					ll = ip
					return
				}
			}
			err = fmt.Errorf("%s: no usable link-local address on %s yet", n.Name, ifname)
		})
		return err
	})
	return ll
}

// Veth creates a veth pair with end aName in a and end bName in b, and sets
// both ends up. Both ends go away with their namespaces.
func Veth(t testing.TB, a *NS, aName string, b *NS, bName string) {
	t.Helper()
	a.Do(t, func() {
		v := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: aName},
			PeerName:      bName,
			PeerNamespace: netlink.NsFd(b.h),
		}
		if err := netlink.LinkAdd(v); err != nil {
			t.Fatalf("add veth %s/%s: %v", aName, bName, err)
		}
	})
	a.SetLinkUp(t, aName, true)
	b.SetLinkUp(t, bName, true)
	a.WaitCarrier(t, aName)
	b.WaitCarrier(t, bName)
}

// WaitCarrier polls until the link is up with carrier (IFF_RUNNING). The
// kernel reports carrier on a fresh veth up to a second after it is set up,
// and drops what is sent before that.
func (n *NS) WaitCarrier(t testing.TB, ifname string) {
	t.Helper()
	Eventually(t, 5*time.Second, func() error {
		var err error
		n.Do(t, func() {
			var l netlink.Link
			if l, err = netlink.LinkByName(ifname); err != nil {
				return
			}
			if f := l.Attrs().RawFlags; f&unix.IFF_UP == 0 || f&unix.IFF_RUNNING == 0 {
				err = fmt.Errorf("%s: %s has no carrier yet (flags %#x)", n.Name, ifname, f)
			}
		})
		return err
	})
}

// Bridge creates a bridge named name in ns, sets it up, and enslaves the
// given links of ns to it (for example the ends of Veth pairs).
func Bridge(t testing.TB, ns *NS, name string, members ...string) {
	t.Helper()
	ns.Do(t, func() {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
		if err := netlink.LinkAdd(br); err != nil {
			t.Fatalf("%s: add bridge %s: %v", ns.Name, name, err)
		}
		for _, m := range members {
			l, err := netlink.LinkByName(m)
			if err != nil {
				t.Fatalf("%s: link %s: %v", ns.Name, m, err)
			}
			if err := netlink.LinkSetMaster(l, br); err != nil {
				t.Fatalf("%s: enslave %s to %s: %v", ns.Name, m, name, err)
			}
		}
		if err := netlink.LinkSetUp(br); err != nil {
			t.Fatalf("%s: set %s up: %v", ns.Name, name, err)
		}
	})
}

// Pair is two namespaces joined by one veth pair.
type Pair struct {
	A, B           *NS
	AIf, BIf       string     // "veth0" in both namespaces
	A4, B4         netip.Addr // 192.0.2.1, 192.0.2.2 (/24)
	A6, B6         netip.Addr // 2001:db8::1, 2001:db8::2 (/64)
	ALL, BLL       netip.Addr // link-local addresses
	AIndex, BIndex int        // interface indexes of the veth ends
}

// NewPair builds two fresh namespaces joined by a veth pair "veth0"–"veth0"
// with 192.0.2.1/24 + 2001:db8::1/64 on A and 192.0.2.2/24 + 2001:db8::2/64
// on B, both up and with usable link-local addresses.
func NewPair(t testing.TB) *Pair {
	t.Helper()
	p := &Pair{A: New(t), B: New(t), AIf: "veth0", BIf: "veth0"}
	Veth(t, p.A, p.AIf, p.B, p.BIf)
	p.A.AddAddr(t, p.AIf, "192.0.2.1/24")
	p.B.AddAddr(t, p.BIf, "192.0.2.2/24")
	p.A.AddAddr(t, p.AIf, "2001:db8::1/64")
	p.B.AddAddr(t, p.BIf, "2001:db8::2/64")
	p.A4, p.B4 = netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	p.A6, p.B6 = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	p.ALL, p.BLL = p.A.LinkLocal(t, p.AIf), p.B.LinkLocal(t, p.BIf)
	p.AIndex, p.BIndex = p.A.Interface(t, p.AIf).Index, p.B.Interface(t, p.BIf).Index
	return p
}
