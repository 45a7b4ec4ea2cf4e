package garp_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/ndp"

	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/garp"
	"gokeepalived/internal/linux/netnstest"
)

const wait = 3 * time.Second

func isARPFor(vip netip.Addr) func([]byte) bool {
	ip := vip.As4()
	return func(f []byte) bool {
		return len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == 0x0806 && bytes.Equal(f[28:32], ip[:])
	}
}

func isNAFor(vip netip.Addr) func([]byte) bool {
	return func(f []byte) bool {
		if len(f) < 54+24 || binary.BigEndian.Uint16(f[12:]) != 0x86dd || f[20] != 58 || f[54] != 136 {
			return false
		}
		return netip.AddrFrom16([16]byte(f[54+8:54+24])) == vip
	}
}

func TestSendObservedOnPeer(t *testing.T) {
	p := netnstest.NewPair(t)
	vip4, vip6 := netip.MustParseAddr("192.0.2.100"), netip.MustParseAddr("2001:db8::100")
	p.A.Do(t, func() {
		for _, a := range []addr.Address{addr.Host(vip4, p.AIf), addr.Host(vip6, p.AIf)} {
			if err := addr.Add(a); err != nil {
				t.Fatal(err)
			}
		}
	})
	mac := p.A.Interface(t, p.AIf).HardwareAddr
	arps := p.B.Listen(t, p.BIf, netnstest.EtherTypeARP)
	ip6 := p.B.Listen(t, p.BIf, netnstest.EtherTypeIPv6)

	p.A.Do(t, func() {
		if err := garp.Send(p.AIf, []netip.Addr{vip4, vip6}); err != nil {
			t.Fatal(err)
		}
	})

	f := arps.Next(t, wait, isARPFor(vip4))
	if op := binary.BigEndian.Uint16(f[20:]); op != 1 {
		t.Errorf("ARP opcode %d, want 1 (request, as keepalived)", op)
	}
	if !bytes.Equal(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) || !bytes.Equal(f[6:12], mac) || !bytes.Equal(f[22:28], mac) {
		t.Errorf("ARP frame MACs: dst %x src %x sender %x; want broadcast, %s, %s", f[0:6], f[6:12], f[22:28], mac, mac)
	}
	if tpa := netip.AddrFrom4([4]byte(f[38:42])); tpa != vip4 {
		t.Errorf("ARP target IP %v, want %v", tpa, vip4)
	}

	f = ip6.Next(t, wait, isNAFor(vip6))
	if src := netip.AddrFrom16([16]byte(f[22:38])); src != vip6 || f[21] != 255 {
		t.Errorf("NA IPv6 source %v hop limit %d, want %v, 255", src, f[21], vip6)
	}
	m, err := ndp.ParseMessage(f[54:])
	if err != nil {
		t.Fatal(err)
	}
	na := m.(*ndp.NeighborAdvertisement)
	if !na.Override || na.Solicited || na.Router {
		t.Errorf("NA flags R=%v S=%v O=%v, want R=false S=false O=true", na.Router, na.Solicited, na.Override)
	}
	if len(na.Options) != 1 || !bytes.Equal(na.Options[0].(*ndp.LinkLayerAddress).Addr, mac) {
		t.Errorf("NA options %v, want target link-layer address %s", na.Options, mac)
	}

}

// The peer's kernel accepts the frames: neighbour entries it holds for the
// VIPs move to the announced (VMAC) address, as after a failover.
func TestPeerNeighbourEntriesUpdated(t *testing.T) {
	p := netnstest.NewPair(t)
	vip4, vip6 := netip.MustParseAddr("192.0.2.100"), netip.MustParseAddr("2001:db8::100")
	old := "02:00:00:00:00:99"
	for _, v := range []netip.Addr{vip4, vip6} {
		p.B.Run(t, "ip", "neigh", "replace", v.String(), "lladdr", old, "dev", p.BIf, "nud", "stale")
	}
	vmac := net.HardwareAddr{0, 0, 0x5e, 0, 1, 51}
	p.A.Do(t, func() {
		if err := garp.SendFrom(p.AIf, vmac, []netip.Addr{vip4, vip6}); err != nil {
			t.Fatal(err)
		}
	})
	for _, v := range []netip.Addr{vip4, vip6} {
		netnstest.Eventually(t, wait, func() error {
			out := p.B.Run(t, "ip", "neigh", "show", v.String(), "dev", p.BIf)
			if !strings.Contains(out, vmac.String()) {
				return fmt.Errorf("B's neighbour entry for %v: %q, want lladdr %s", v, out, vmac)
			}
			return nil
		})
	}
}

func TestRouterFlagWhenForwarding(t *testing.T) {
	p := netnstest.NewPair(t)
	vip6 := netip.MustParseAddr("2001:db8::101")
	p.A.Sysctl(t, "net/ipv6/conf/"+p.AIf+"/forwarding", "1")
	ip6 := p.B.Listen(t, p.BIf, netnstest.EtherTypeIPv6)
	vmac := net.HardwareAddr{0, 0, 0x5e, 0, 2, 7}
	p.A.Do(t, func() {
		if err := garp.SendFrom(p.AIf, vmac, []netip.Addr{vip6}); err != nil {
			t.Fatal(err)
		}
	})
	f := ip6.Next(t, wait, isNAFor(vip6))
	if !bytes.Equal(f[6:12], vmac) {
		t.Errorf("source MAC %x, want the VMAC %s", f[6:12], vmac)
	}
	m, err := ndp.ParseMessage(f[54:])
	if err != nil {
		t.Fatal(err)
	}
	if na := m.(*ndp.NeighborAdvertisement); !na.Router {
		t.Error("NA from a forwarding interface lacks the Router flag")
	}
}

func TestSendErrors(t *testing.T) {
	p := netnstest.NewPair(t)
	p.A.Do(t, func() {
		if err := garp.Send("nosuch0", []netip.Addr{netip.MustParseAddr("192.0.2.1")}); err == nil {
			t.Error("Send on a missing interface succeeded")
		}
		if err := garp.Send("nosuch0", nil); err != nil {
			t.Errorf("Send with no VIPs: %v, want nil", err)
		}
	})
}

// A Sender keeps its socket: repeated announcements all reach the peer, and
// each costs no socket close (the kernel's RCU grace period, 5-25 ms here).
func TestSenderReusesSocket(t *testing.T) {
	p := netnstest.NewPair(t)
	vip4 := netip.MustParseAddr("192.0.2.100")
	arps := p.B.Listen(t, p.BIf, netnstest.EtherTypeARP)
	s := garp.NewSender()
	defer s.Close()
	const n = 10
	var took time.Duration
	p.A.Do(t, func() {
		start := time.Now()
		for range n {
			if err := s.Send(p.AIf, []netip.Addr{vip4}); err != nil {
				t.Fatal(err)
			}
		}
		took = time.Since(start)
	})
	for range n {
		arps.Next(t, wait, isARPFor(vip4))
	}
	t.Logf("%d announcements through one Sender took %v", n, took)
}
