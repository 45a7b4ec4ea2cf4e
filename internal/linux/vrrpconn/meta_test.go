package vrrpconn

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// cmsg builds one ancillary message the way the kernel lays it out.
func cmsg(level, typ int, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	l := unix.CmsgLen(len(data))
	if unix.SizeofCmsghdr == 16 {
		binary.NativeEndian.PutUint64(b, uint64(l))
	} else {
		binary.NativeEndian.PutUint32(b, uint32(l))
	}
	binary.NativeEndian.PutUint32(b[unix.SizeofCmsghdr-8:], uint32(level))
	binary.NativeEndian.PutUint32(b[unix.SizeofCmsghdr-4:], uint32(typ))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

func ne32(v int32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, uint32(v))
	return b
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestParseControl(t *testing.T) {
	a := netip.MustParseAddr
	pktinfo4 := cat(ne32(7), []byte{192, 0, 2, 2}, []byte{224, 0, 0, 18})
	dst6 := a("ff02::12").As16()
	pktinfo6 := cat(dst6[:], ne32(9))
	tests := []struct {
		name string
		oob  []byte
		want Meta
	}{
		{"empty", nil, Meta{TTL: -1}},
		{"ip_pktinfo", cmsg(unix.IPPROTO_IP, unix.IP_PKTINFO, pktinfo4), Meta{Dst: a("224.0.0.18"), IfIndex: 7, TTL: -1}},
		{"ip_ttl and pktinfo", cat(cmsg(unix.IPPROTO_IP, unix.IP_TTL, ne32(255)), cmsg(unix.IPPROTO_IP, unix.IP_PKTINFO, pktinfo4)),
			Meta{Dst: a("224.0.0.18"), IfIndex: 7, TTL: 255}},
		{"ipv6 hoplimit then pktinfo", cat(cmsg(unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT, ne32(254)), cmsg(unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, pktinfo6)),
			Meta{Dst: a("ff02::12"), IfIndex: 9, TTL: 254}},
		{"unknown message skipped", cat(cmsg(unix.SOL_SOCKET, unix.SO_TIMESTAMP, make([]byte, 16)), cmsg(unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT, ne32(255))),
			Meta{TTL: 255}},
		{"short pktinfo ignored", cmsg(unix.IPPROTO_IP, unix.IP_PKTINFO, pktinfo4[:8]), Meta{TTL: -1}},
		{"truncated header ignored", cmsg(unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT, ne32(255))[:unix.SizeofCmsghdr-1], Meta{TTL: -1}},
		{"length beyond buffer ignored", cmsg(unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT, ne32(255))[:unix.CmsgLen(2)], Meta{TTL: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Meta{TTL: -1}
			parseControl(tt.oob, &got)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
				t.Errorf("parseControl (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseControlAllocs(t *testing.T) {
	oob := cat(cmsg(unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT, ne32(255)), cmsg(unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, make([]byte, 20)))
	var m Meta
	if n := testing.AllocsPerRun(100, func() { parseControl(oob, &m) }); n != 0 {
		t.Errorf("parseControl allocates %v times per call, want 0", n)
	}
}

func TestParseIPv4Header(t *testing.T) {
	// keepalived 2.2.7 VRRPv3 advert (research §6.6): TTL 255, 10.250.0.1 → 224.0.0.18.
	pkt := []byte{
		0x45, 0xc0, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xcf, 0x9b,
		0x0a, 0xfa, 0x00, 0x01, 0xe0, 0x00, 0x00, 0x12,
		0x31, 0x34, 0xc8, 0x02, 0x00, 0x32, 0x03, 0x84,
	}
	hlen, src, dst, ttl, err := parseIPv4Header(pkt)
	if err != nil || hlen != 20 || src != netip.MustParseAddr("10.250.0.1") || dst != netip.MustParseAddr("224.0.0.18") || ttl != 255 {
		t.Errorf("parseIPv4Header = %d, %v, %v, %d, %v; want 20, 10.250.0.1, 224.0.0.18, 255, nil", hlen, src, dst, ttl, err)
	}
	withOptions := append([]byte{0x46}, pkt[1:20]...)
	withOptions = append(withOptions, 1, 1, 1, 0) // four bytes of NOP/EOL options
	if hlen, _, _, _, err := parseIPv4Header(withOptions); err != nil || hlen != 24 {
		t.Errorf("header with options: hlen %d err %v, want 24, nil", hlen, err)
	}
	for name, b := range map[string][]byte{
		"short":         pkt[:19],
		"ipv6 version":  append([]byte{0x65}, pkt[1:]...),
		"ihl too small": append([]byte{0x44}, pkt[1:]...),
		"ihl past end":  append([]byte{0x4f}, pkt[1:24]...),
	} {
		if _, _, _, _, err := parseIPv4Header(b); err == nil {
			t.Errorf("%s: parseIPv4Header accepted %x", name, b)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"v4 multicast", Config{Interface: "eth0", Family: IPv4, Groups: []netip.Addr{DefaultGroup(IPv4)}, Src: a("192.0.2.1")}, true},
		{"v6 multicast", Config{Interface: "eth0", Family: IPv6, Groups: []netip.Addr{DefaultGroup(IPv6)}}, true},
		{"unicast only", Config{Interface: "eth0", Family: IPv4}, true},
		{"no interface", Config{Family: IPv4}, false},
		{"no family", Config{Interface: "eth0"}, false},
		{"src wrong family", Config{Interface: "eth0", Family: IPv6, Src: a("192.0.2.1")}, false},
		{"v4-mapped src on v6", Config{Interface: "eth0", Family: IPv6, Src: a("::ffff:192.0.2.1")}, false},
		{"group not multicast", Config{Interface: "eth0", Family: IPv4, Groups: []netip.Addr{a("192.0.2.255")}}, false},
		{"group wrong family", Config{Interface: "eth0", Family: IPv4, Groups: []netip.Addr{DefaultGroup(IPv6)}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.validate(); (err == nil) != tt.ok {
				t.Errorf("validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestDefaultGroup(t *testing.T) {
	if g := DefaultGroup(IPv4).String(); g != "224.0.0.18" {
		t.Errorf("DefaultGroup(IPv4) = %s", g)
	}
	if g := DefaultGroup(IPv6).String(); g != "ff02::12" {
		t.Errorf("DefaultGroup(IPv6) = %s", g)
	}
}
