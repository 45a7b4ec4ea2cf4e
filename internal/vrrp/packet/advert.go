// Package packet encodes and decodes VRRP advertisements: VRRPv2 (RFC 3768)
// and VRRPv3 (RFC 5798, RFC 9568) over IPv4 and IPv6. It is pure code: Parse
// checks syntax only, Validate applies the receive rules and returns a typed
// DropReason, and Marshal/Append produce bytes identical to keepalived's.
package packet

import "net/netip"

// Advert is one VRRP advertisement (the VRRP message, without the IP header).
type Advert struct {
	Version  uint8 // 2 or 3
	Type     uint8 // 1 = ADVERTISEMENT
	VRID     uint8
	Priority uint8
	// AuthType is the v2 authentication type (0 none, 1 PASS, 2 AH); 0 for v3.
	AuthType uint8
	// AdverInt is the advertisement interval in the wire unit: seconds for
	// v2 (8 bits on the wire), centiseconds for v3 (12 bits on the wire).
	AdverInt uint16
	Checksum uint16
	// Addrs are the virtual addresses carried, all of one family.
	Addrs []netip.Addr
	// AuthData is the v2 8-byte authentication data (PASS password, NUL padded).
	AuthData [8]byte
}
