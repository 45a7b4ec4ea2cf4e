package packet

import (
	"net/netip"
)

// ParseError is why Parse rejected a message. Its values are comparable with
// == and errors.Is, and returning one never allocates.
type ParseError uint8

// Parse errors. Parse checks syntax only: everything else is Validate's.
const (
	// ErrShort: fewer than HeaderLen bytes.
	ErrShort ParseError = iota + 1
	// ErrTruncated: fewer bytes than Count IPvX Addrs (and, for v2, the
	// authentication data) need (RFC 3768 §7.1, RFC 9568 §7.1).
	ErrTruncated
	// ErrVersion: neither 2 nor 3, so the layout is unknown.
	ErrVersion
	// ErrFamily: the family argument is neither IPv4 nor IPv6.
	ErrFamily
	// ErrIPv4Header: SplitIPv4 found no well-formed IPv4 header whose total
	// length matches the bytes received.
	ErrIPv4Header
	// ErrProtocol: SplitIPv4 found a protocol other than 112 (for example
	// 51, IPsec AH, which is not supported).
	ErrProtocol
)

func (e ParseError) Error() string {
	switch e {
	case ErrShort:
		return "vrrp: message shorter than the 8-byte header"
	case ErrTruncated:
		return "vrrp: message shorter than its address count (and v2 auth data) need"
	case ErrVersion:
		return "vrrp: unknown version (neither 2 nor 3)"
	case ErrFamily:
		return "vrrp: unknown address family"
	case ErrIPv4Header:
		return "vrrp: malformed IPv4 header or total length mismatch"
	case ErrProtocol:
		return "vrrp: IP protocol is not 112"
	}
	return "vrrp: parse error"
}

// Reason is the DropReason a receiver counts for this error.
func (e ParseError) Reason() DropReason {
	switch e {
	case ErrShort, ErrTruncated, ErrIPv4Header:
		return DropLength
	case ErrVersion:
		return DropVersion
	}
	return DropMalformed
}

// Parse decodes the VRRP message b (the IP payload, no IP header) received
// over family f. It checks syntax only: the fixed header, a known version and
// enough bytes for the addresses and v2 authentication data. Bytes beyond
// those are ignored here and reported by Validate as DropLength.
func Parse(b []byte, f Family) (Advert, error) {
	var a Advert
	err := ParseInto(&a, b, f)
	return a, err
}

// ParseInto is Parse into a caller-owned Advert, reusing dst.Addrs. It does
// not allocate when cap(dst.Addrs) is at least the message's address count
// (MaxAddrs always suffices). On error dst holds what was decoded so far.
func ParseInto(dst *Advert, b []byte, f Family) error {
	alen := f.AddrLen()
	if alen == 0 {
		return ErrFamily
	}
	if len(b) < HeaderLen {
		return ErrShort
	}
	// RFC 3768 §5.1 / RFC 9568 §5.2: the fixed header.
	version := b[0] >> 4
	*dst = Advert{
		Version:  version,
		Type:     b[0] & 0x0f,
		VRID:     b[1],
		Priority: b[2],
		Checksum: uint16(b[6])<<8 | uint16(b[7]),
		Addrs:    dst.Addrs[:0],
	}
	count := int(b[3])
	switch version {
	case 2:
		// RFC 3768 §5.3.6-7: Auth Type, Adver Int in seconds.
		dst.AuthType = b[4]
		dst.AdverInt = uint16(b[5])
	case 3:
		// RFC 9568 §5.2.6-7: 4 reserved bits (ignored on reception),
		// 12-bit Max Adver Int in centiseconds.
		dst.AdverInt = uint16(b[4]&0x0f)<<8 | uint16(b[5])
	default:
		return ErrVersion
	}
	if len(b) < messageLen(version, f, count) {
		return ErrTruncated
	}
	off := HeaderLen
	for range count {
		if f == IPv4 {
			dst.Addrs = append(dst.Addrs, netip.AddrFrom4([4]byte(b[off:off+4])))
		} else {
			dst.Addrs = append(dst.Addrs, netip.AddrFrom16([16]byte(b[off:off+16])))
		}
		off += alen
	}
	if version == 2 {
		dst.AuthData = [8]byte(b[off : off+AuthDataLen])
	}
	return nil
}
