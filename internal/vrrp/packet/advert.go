// Package packet encodes and decodes VRRP advertisements: VRRPv2 (RFC 3768)
// and VRRPv3 (RFC 5798, RFC 9568) over IPv4 and IPv6. It is pure code: Parse
// checks syntax only, Validate applies the receive rules and returns a typed
// DropReason, and Marshal/Append produce bytes identical to keepalived's.
//
// The receive path (ParseInto, Validate) does not allocate when the caller
// reuses one Advert whose Addrs has room for MaxAddrs addresses.
package packet

import (
	"net/netip"
	"strconv"
	"time"
)

// Advert is one VRRP advertisement (the VRRP message, without the IP header).
type Advert struct {
	Version  uint8 // 2 or 3
	Type     uint8 // 1 = ADVERTISEMENT (TypeAdvertisement)
	VRID     uint8
	Priority uint8
	// AuthType is the v2 authentication type (0 none, 1 PASS, 2 AH); 0 for v3.
	AuthType uint8
	// AdverInt is the advertisement interval in the wire unit: seconds for
	// v2 (8 bits on the wire), centiseconds for v3 (12 bits on the wire).
	AdverInt uint16
	// Checksum is the checksum as read by Parse. Marshal ignores it and
	// computes the right one.
	Checksum uint16
	// Addrs are the virtual addresses carried, all of one family.
	Addrs []netip.Addr
	// AuthData is the v2 8-byte authentication data (PASS password, NUL padded).
	AuthData [8]byte
}

// Wire constants (RFC 3768 §5, RFC 9568 §5).
const (
	// Protocol is the IP protocol number of VRRP (RFC 9568 §5.1.1.3).
	Protocol = 112
	// TTL is the only IPv4 TTL / IPv6 Hop Limit a VRRP packet may carry
	// (RFC 3768 §5.1.1.3, RFC 9568 §5.1.1.3 and §5.1.2.3).
	TTL = 255
	// TypeAdvertisement is the only VRRP message type (RFC 9568 §5.2.2).
	TypeAdvertisement = 1
	// HeaderLen is the fixed part of the message before the addresses.
	HeaderLen = 8
	// AuthDataLen is the v2 authentication data after the addresses
	// (RFC 3768 §5.3.10); v3 has none.
	AuthDataLen = 8
	// MaxAddrs is the largest Count IPvX Addrs (an 8-bit field).
	MaxAddrs = 255
	// MaxAdverIntV2 is the largest v2 Adver Int, in seconds (8 bits).
	MaxAdverIntV2 = 0xff
	// MaxAdverIntV3 is the largest v3 Max Adver Int, in centiseconds (12 bits).
	MaxAdverIntV3 = 0xfff
)

// v2 Auth Type values (RFC 2338 §5.3.6; RFC 3768 reserves 1 and 2, keepalived
// still implements them).
const (
	AuthNone = 0
	AuthPass = 1
	AuthAH   = 2
)

// Family is the IP family a message travels over. It fixes the address size.
type Family uint8

// The two families.
const (
	IPv4 Family = 4
	IPv6 Family = 6
)

// AddrLen is the size of one address of the family in the message, or 0 for
// an unknown family.
func (f Family) AddrLen() int {
	switch f {
	case IPv4:
		return 4
	case IPv6:
		return 16
	}
	return 0
}

func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

// FamilyOf returns the family of addr (IPv4-mapped IPv6 counts as IPv6), or 0
// if addr is not valid.
func FamilyOf(addr netip.Addr) Family {
	switch {
	case addr.Is4():
		return IPv4
	case addr.Is6():
		return IPv6
	}
	return 0
}

// Len is the size of the message a would marshal to over family f:
// RFC 3768 §5.1 / RFC 9568 §5.1.
func (a *Advert) Len(f Family) int {
	return messageLen(a.Version, f, len(a.Addrs))
}

func messageLen(version uint8, f Family, count int) int {
	n := HeaderLen + count*f.AddrLen()
	if version == 2 {
		n += AuthDataLen
	}
	return n
}

// Interval is AdverInt as a duration: seconds for v2 (RFC 3768 §5.3.7),
// centiseconds for v3 (RFC 9568 §5.2.7). It is 0 for another version.
func (a *Advert) Interval() time.Duration {
	switch a.Version {
	case 2:
		return time.Duration(a.AdverInt) * time.Second
	case 3:
		return time.Duration(a.AdverInt) * 10 * time.Millisecond
	}
	return 0
}

// PassAuth returns the 8-byte v2 PASS authentication data for a configured
// password the way keepalived stores auth_pass: the first 8 bytes, NUL padded.
func PassAuth(password string) [8]byte {
	var b [8]byte
	copy(b[:], password)
	return b
}
