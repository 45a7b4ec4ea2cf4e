package packet

import (
	"bytes"
	"net/netip"
	"testing"
)

// SetPriority gives the bytes AppendBinary gives for the new priority,
// for every pair of priorities, both versions and families, both checksum
// modes, and address counts that put every value in the priority's word.
func TestSetPriority(t *testing.T) {
	type tc struct {
		name     string
		a        Advert
		src, dst netip.Addr
		opts     Options
	}
	v4 := []netip.Addr{netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("203.0.113.255")}
	v6 := []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::ffff")}
	src4, dst4 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("224.0.0.18")
	src6, dst6 := netip.MustParseAddr("fe80::1"), netip.MustParseAddr("ff02::12")
	var cases []tc
	for n := 0; n <= len(v4); n++ {
		cases = append(cases,
			tc{"v2", Advert{Version: 2, Type: 1, VRID: 51, AdverInt: 1, AuthType: 1, AuthData: PassAuth("secret"), Addrs: v4[:n]}, src4, dst4, Options{}},
			tc{"v3-ipv4", Advert{Version: 3, Type: 1, VRID: 7, AdverInt: 100, Addrs: v4[:n]}, src4, dst4, Options{}},
			tc{"v3-ipv4-as-v2", Advert{Version: 3, Type: 1, VRID: 255, AdverInt: 1, Addrs: v4[:n]}, src4, dst4, Options{ChecksumAsV2: true}})
	}
	for n := 0; n <= len(v6); n++ {
		cases = append(cases, tc{"v3-ipv6", Advert{Version: 3, Type: 1, VRID: 1, AdverInt: 4095, Addrs: v6[:n]}, src6, dst6, Options{}})
	}
	for _, c := range cases {
		for from := range 256 {
			c.a.Priority = uint8(from)
			msg, err := c.a.AppendBinary(nil, c.src, c.dst, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			for to := range 256 {
				c.a.Priority = uint8(to)
				want, _ := c.a.AppendBinary(nil, c.src, c.dst, c.opts)
				got := bytes.Clone(msg)
				SetPriority(got, uint8(to))
				if !bytes.Equal(got, want) {
					t.Fatalf("%s, %d addresses: priority %d patched to %d: % x, want % x", c.name, len(c.a.Addrs), from, to, got, want)
				}
			}
		}
	}
}

// BenchmarkSendEncode compares encoding an advert (one VIP, VRRPv3 IPv4,
// as the scale benchmark's) with patching the priority of its encoding.
func BenchmarkSendEncode(b *testing.B) {
	a := Advert{Version: 3, Type: 1, VRID: 7, Priority: 150, AdverInt: 10, Addrs: []netip.Addr{netip.MustParseAddr("198.19.0.1")}}
	src, dst := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("224.0.0.18")
	buf := make([]byte, 0, 64)
	b.Run("AppendBinary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = a.AppendBinary(buf[:0], src, dst, Options{})
		}
	})
	b.Run("SetPriority", func(b *testing.B) {
		buf, _ = a.AppendBinary(buf[:0], src, dst, Options{})
		b.ReportAllocs()
		p := uint8(0)
		for b.Loop() {
			p++
			SetPriority(buf, p|1)
		}
	})
}
