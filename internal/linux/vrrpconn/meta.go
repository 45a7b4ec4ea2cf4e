package vrrpconn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Family is the IP family of a Conn.
type Family uint8

// Families.
const (
	IPv4 Family = 4
	IPv6 Family = 6
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return fmt.Sprintf("Family(%d)", uint8(f))
}

// Protocol is the IP protocol number of VRRP (IANA; RFC 3768 §5.2.4, RFC 5798 §5.1.1.4).
const Protocol = 112

// DefaultTOS is the IPv4 TOS / IPv6 traffic class keepalived sends VRRP
// with: DSCP CS6 (network control), 0xc0.
const DefaultTOS = 0xc0

// TTL is the TTL / hop limit every VRRP packet is sent with and must arrive
// with (RFC 5798 §5.1.1.3, §5.1.2.3).
const TTL = 255

// DefaultGroup returns the IANA VRRP multicast group: 224.0.0.18 for IPv4,
// ff02::12 for IPv6 (RFC 5798 §5.1.1.2, §5.1.2.2).
func DefaultGroup(f Family) netip.Addr {
	if f == IPv6 {
		return netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 15: 0x12})
	}
	return netip.AddrFrom4([4]byte{224, 0, 0, 18})
}

// Meta describes where a received packet came from and how it arrived.
type Meta struct {
	Src, Dst netip.Addr // IP source and destination (no zone; see IfIndex)
	TTL      int        // IPv4 TTL or IPv6 hop limit as received; -1 if unknown
	IfIndex  int        // interface the packet arrived on; 0 if unknown
	// Drops is the socket's count of packets the kernel dropped because its
	// receive queue was full (SO_RXQ_OVFL), as it stood when this packet
	// was queued; 0 when the kernel reported none.
	Drops uint32
}

// ErrTruncated is returned by Recv when a packet did not fit in the buffer.
// The packet is lost; the connection stays usable.
var ErrTruncated = errors.New("vrrpconn: packet larger than receive buffer")

// errBadIPHeader reports an IPv4 header the kernel should never hand us.
var errBadIPHeader = errors.New("vrrpconn: malformed IPv4 header from raw socket")

// parseIPv4Header reads the header a raw IPv4 socket delivers in front of
// the payload and returns the header length and the source, destination and
// TTL it carries.
func parseIPv4Header(b []byte) (hlen int, src, dst netip.Addr, ttl int, err error) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return 0, src, dst, 0, errBadIPHeader
	}
	hlen = int(b[0]&0x0f) * 4
	if hlen < 20 || hlen > len(b) {
		return 0, src, dst, 0, errBadIPHeader
	}
	src = netip.AddrFrom4([4]byte(b[12:16]))
	dst = netip.AddrFrom4([4]byte(b[16:20]))
	return hlen, src, dst, int(b[8]), nil
}

// parseControl extracts destination, interface index and hop limit from
// ancillary data (IP_PKTINFO, IPV6_PKTINFO, IPV6_HOPLIMIT, SO_RXQ_OVFL) without
// allocating. Unknown messages are skipped; malformed trailing data ends the
// walk. Fields not present keep the values already in m.
func parseControl(oob []byte, m *Meta) {
	hdr := unix.SizeofCmsghdr
	for len(oob) >= hdr {
		var l int
		if hdr == 16 {
			l = int(binary.NativeEndian.Uint64(oob))
		} else {
			l = int(binary.NativeEndian.Uint32(oob))
		}
		if l < hdr || l > len(oob) {
			return
		}
		level := int32(binary.NativeEndian.Uint32(oob[hdr-8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[hdr-4:]))
		data := oob[unix.CmsgLen(0):l]
		switch {
		case level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && len(data) >= 12:
			// struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr; }
			m.IfIndex = int(int32(binary.NativeEndian.Uint32(data)))
			m.Dst = netip.AddrFrom4([4]byte(data[8:12]))
		case level == unix.IPPROTO_IP && typ == unix.IP_TTL && len(data) >= 4:
			m.TTL = int(int32(binary.NativeEndian.Uint32(data)))
		case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_PKTINFO && len(data) >= 20:
			// struct in6_pktinfo { in6_addr ipi6_addr; int ipi6_ifindex; }
			m.Dst = netip.AddrFrom16([16]byte(data[:16]))
			m.IfIndex = int(int32(binary.NativeEndian.Uint32(data[16:])))
		case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_HOPLIMIT && len(data) >= 4:
			m.TTL = int(int32(binary.NativeEndian.Uint32(data)))
		case level == unix.SOL_SOCKET && typ == unix.SO_RXQ_OVFL && len(data) >= 4:
			m.Drops = binary.NativeEndian.Uint32(data)
		}
		space := unix.CmsgSpace(l - unix.CmsgLen(0))
		if space > len(oob) {
			return
		}
		oob = oob[space:]
	}
}
