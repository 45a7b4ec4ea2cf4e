package packet

import "net/netip"

// Which bytes the checksum covers (RFC 3768 §5.3.8, RFC 9568 §5.2.8):
//
//   - v2 over IPv4: the VRRP message only, including the authentication data.
//   - IPv6 (v3, and keepalived's v2 over IPv6, where the kernel computes it
//     through IPV6_CHECKSUM): the message plus the RFC 8200 §8.1 pseudo-header.
//   - v3 over IPv4: RFC 5798 was read two ways. keepalived (up to 2.3.x by
//     default) and FRR by default add the IPv4 pseudo-header (src, dst, 0,
//     112, length); RFC 9568 §5.2.8, Cisco and Juniper cover the message
//     only. keepalived's v3_checksum_as_v2 (HEAD) and FRR's
//     "no checksum-with-ipv4-pseudoheader" select the second form, and so
//     does Options.ChecksumAsV2 / Expect.ChecksumAsV2 here.

// usesPseudoHeader reports whether the checksum of a message of this version
// over family f includes the pseudo-header.
func usesPseudoHeader(version uint8, f Family, asV2 bool) bool {
	if f == IPv6 {
		return true
	}
	return version == 3 && !asV2
}

// sum adds b to the one's complement accumulator acc (RFC 1071), b taken as
// big-endian 16-bit words, an odd last byte padded with zero.
func sum(acc uint32, b []byte) uint32 {
	for len(b) >= 2 {
		acc += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

func fold(acc uint32) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}

// pseudoSum is the one's complement sum of the pseudo-header for a VRRP
// message of length n from src to dst: RFC 768-style for IPv4
// (src, dst, zero, protocol, length) and RFC 8200 §8.1 for IPv6
// (src, dst, 32-bit length, zeros, next header).
func pseudoSum(src, dst netip.Addr, f Family, n int) uint32 {
	var acc uint32
	if f == IPv4 {
		s, d := as4(src), as4(dst)
		acc = sum(acc, s[:])
		acc = sum(acc, d[:])
	} else {
		s, d := src.As16(), dst.As16()
		acc = sum(acc, s[:])
		acc = sum(acc, d[:])
		acc += uint32(n) >> 16
	}
	return acc + Protocol + uint32(n)&0xffff
}

// checksumOf computes the checksum field for message msg, taking its own
// checksum field (bytes 6-7) as zero.
func checksumOf(msg []byte, pseudo bool, src, dst netip.Addr, f Family) uint16 {
	var acc uint32
	if pseudo {
		acc = pseudoSum(src, dst, f, len(msg))
	}
	acc = sum(acc, msg[:6])
	acc = sum(acc, msg[8:])
	return ^fold(acc)
}

// checksumOK reports whether msg, checksum field included, sums to all ones:
// the receiver's check of RFC 1071, as keepalived does it (so 0x0000 and
// 0xffff, the two one's complement zeros, are both accepted).
func checksumOK(msg []byte, pseudo bool, src, dst netip.Addr, f Family) bool {
	var acc uint32
	if pseudo {
		acc = pseudoSum(src, dst, f, len(msg))
	}
	return fold(sum(acc, msg)) == 0xffff
}

// Checksum returns the checksum field that message msg (header, addresses
// and, for v2, authentication data; bytes 6-7 are ignored) must carry when
// sent from src to dst. The version is read from msg; asV2 selects the
// message-only form for v3 over IPv4 (keepalived's v3_checksum_as_v2).
func Checksum(msg []byte, src, dst netip.Addr, asV2 bool) uint16 {
	if len(msg) < HeaderLen {
		return 0
	}
	f := FamilyOf(src)
	return checksumOf(msg, usesPseudoHeader(msg[0]>>4, f, asV2), src, dst, f)
}

// as4 is addr.As4, or zeros where As4 would panic (an IPv6 or invalid
// address given as IPv4 metadata): the checksum then just fails.
func as4(addr netip.Addr) [4]byte {
	if addr.Is4() || addr.Is4In6() {
		return addr.As4()
	}
	return [4]byte{}
}
