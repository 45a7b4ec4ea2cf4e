package garp

import (
	"bytes"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"

	"gokeepalived/internal/linux/netnstest"
)

var testMAC = net.HardwareAddr{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30}

func unhex(t *testing.T, segs ...string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(segs, ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestARPFrame(t *testing.T) {
	got, err := ARPFrame(testMAC, netip.MustParseAddr("192.0.2.100"))
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t,
		"ffffffffffff", "02005e102030", "0806", // Ethernet: broadcast, from testMAC, ARP
		"0001", "0800", "06", "04", "0001", // Ethernet/IPv4, request
		"02005e102030", "c00002"+"64", // sender MAC, sender IP = VIP
		"ffffffffffff", "c0000264", // target MAC broadcast, target IP = VIP
	)
	if !bytes.Equal(got, want) {
		t.Errorf("ARPFrame =\n%x\nwant\n%x", got, want)
	}
	if _, err := ARPFrame(testMAC, netip.MustParseAddr("2001:db8::1")); err == nil {
		t.Error("ARPFrame accepted an IPv6 address")
	}
	if _, err := ARPFrame(net.HardwareAddr{1, 2, 3}, netip.MustParseAddr("192.0.2.1")); err == nil {
		t.Error("ARPFrame accepted a 3-byte MAC")
	}
}

func TestNAFrame(t *testing.T) {
	vip := netip.MustParseAddr("2001:db8::100")
	for _, router := range []bool{false, true} {
		f, err := NAFrame(testMAC, vip, router)
		if err != nil {
			t.Fatal(err)
		}
		wantHdr := unhex(t,
			"333300000001", "02005e102030", "86dd", // Ethernet to all-nodes
			"60000000", "0020", "3a", "ff", // IPv6, payload 32, ICMPv6, hop limit 255
			"20010db8000000000000000000000100", // source = VIP
			"ff020000000000000000000000000001", // ff02::1
		)
		if !bytes.Equal(f[:54], wantHdr) {
			t.Fatalf("router=%v headers =\n%x\nwant\n%x", router, f[:54], wantHdr)
		}
		icmp := f[54:]
		if sum := netnstest.PseudoSum6(vip, netip.MustParseAddr("ff02::1"), 58, icmp); sum != 0xffff {
			t.Errorf("ICMPv6 checksum does not verify (sum %#04x)", sum)
		}
		m, err := ndp.ParseMessage(icmp)
		if err != nil {
			t.Fatal(err)
		}
		want := &ndp.NeighborAdvertisement{Router: router, Override: true, TargetAddress: vip,
			Options: []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: testMAC}}}
		if diff := cmp.Diff(want, m, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("router=%v NA (-want +got):\n%s", router, diff)
		}
	}
	if _, err := NAFrame(testMAC, netip.MustParseAddr("192.0.2.1"), false); err == nil {
		t.Error("NAFrame accepted an IPv4 address")
	}
}
