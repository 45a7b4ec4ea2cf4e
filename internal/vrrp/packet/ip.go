package packet

import "net/netip"

// IPv4 header helpers for raw sockets that carry the IP header (keepalived
// builds its own with IP_HDRINCL). IPv6 needs none: the kernel builds the
// header and hands the hop limit over in a control message.

// IPv4HeaderLen is the size of the header AppendIPv4Header writes.
const IPv4HeaderLen = 20

// TOSInternetControl is the TOS keepalived sends adverts with: precedence 6,
// internetwork control (DSCP CS6).
const TOSInternetControl = 0xc0

// AppendIPv4Header appends the 20-byte IPv4 header keepalived puts before an
// advert of payloadLen bytes (vrrp.c vrrp_build_ip4): TOS 0xc0, no fragment
// flags, TTL 255, protocol 112, header checksum filled in. A src or dst that
// is not IPv4 is written as 0.0.0.0. id is the IP
// identification; keepalived counts it up per instance from 1.
func AppendIPv4Header(b []byte, src, dst netip.Addr, id uint16, payloadLen int) []byte {
	total := IPv4HeaderLen + payloadLen
	s, d := as4(src), as4(dst)
	start := len(b)
	b = append(b,
		0x45, TOSInternetControl, byte(total>>8), byte(total),
		byte(id>>8), byte(id), 0, 0,
		TTL, Protocol, 0, 0,
		s[0], s[1], s[2], s[3],
		d[0], d[1], d[2], d[3])
	c := ^fold(sum(0, b[start:]))
	b[start+10], b[start+11] = byte(c>>8), byte(c)
	return b
}

// SplitIPv4 splits a received IPv4 packet (as a raw IPPROTO_VRRP socket
// delivers it) into the receive metadata and the VRRP message. It checks the
// header's syntax: version 4, a header length that fits, a total length equal
// to len(b) (keepalived: "ip_tot_len mismatch") and protocol 112 (IPsec AH is
// not supported). It does not verify the header checksum, which the kernel
// already did.
func SplitIPv4(b []byte) (Meta, []byte, error) {
	if len(b) < IPv4HeaderLen || b[0]>>4 != 4 {
		return Meta{}, nil, ErrIPv4Header
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < IPv4HeaderLen || ihl > len(b) || int(b[2])<<8|int(b[3]) != len(b) {
		return Meta{}, nil, ErrIPv4Header
	}
	if b[9] != Protocol {
		return Meta{}, nil, ErrProtocol
	}
	m := Meta{
		Family: IPv4,
		TTL:    b[8],
		Src:    netip.AddrFrom4([4]byte(b[12:16])),
		Dst:    netip.AddrFrom4([4]byte(b[16:20])),
	}
	return m, b[ihl:], nil
}
