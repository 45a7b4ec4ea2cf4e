package packet

import (
	"crypto/subtle"
	"net/netip"
)

// Meta is what the socket says about a received advert.
type Meta struct {
	Family Family
	// TTL is the IPv4 TTL or the IPv6 Hop Limit (IPV6_RECVHOPLIMIT).
	TTL uint8
	// Src and Dst are the IP source and destination. Src feeds the
	// checksum's pseudo-header and the own-address check; an invalid Dst
	// skips the destination check but then a pseudo-header checksum cannot
	// be verified.
	Src, Dst netip.Addr
}

// Expect is what the receiving instance is configured with.
type Expect struct {
	VRID    uint8
	Version uint8 // 2 or 3 (keepalived's version / vrrp_version)
	// AuthType and AuthPass are the v2 authentication; AuthPass is the
	// 8-byte PASS data (PassAuth(auth_pass)). Ignored for v3.
	AuthType uint8
	AuthPass [8]byte
	// AdverInt is the v2 advert_int in seconds, which received v2 adverts
	// must carry. v3 adverts need not match (RFC 9568 §7.1): the backup
	// adopts the master's interval.
	AdverInt uint16
	// VIPs are the configured virtual addresses.
	VIPs []netip.Addr
	// ChecksumAsV2 is keepalived's v3_checksum_as_v2: v3 IPv4 checksums
	// exclude the IPv4 pseudo-header.
	ChecksumAsV2 bool
	// SkipCheckAdvAddr skips the address count and list checks, as
	// keepalived's vrrp_skip_check_adv_addr does when the advert comes from
	// the master already known; the caller decides that.
	SkipCheckAdvAddr bool
	// OwnAddrs are this router's addresses (its advert source); adverts
	// from them are our own, looped back.
	OwnAddrs []netip.Addr
	// Unicast means unicast_peer is configured: as keepalived, the TTL is
	// not checked and the destination must be unicast, not multicast.
	Unicast bool
	// Strict is keepalived's vrrp_strict; here it also applies RFC 9568
	// errata 8299 (Count 0 is dropped) and 8300 (the first IPv6 address must
	// be link-local).
	Strict bool
	// ChecksumDst, if set, is the IPv4 pseudo-header's destination in the
	// checksum instead of the packet's: keepalived's old_unicast_checksum
	// (before 1.3.6, unicast VRRPv3 checksums used the multicast group).
	ChecksumDst netip.Addr
	// Group, if set, is the multicast group the advert must be sent to
	// (mcast_dst_ip or vrrp_mcast_group4/6).
	Group netip.Addr
}

// Validate applies the receive rules of RFC 3768 §7.1 and RFC 9568 §7.1 (with
// its errata) and keepalived's checks to a, parsed from the VRRP message raw,
// received with meta, for an instance configured as want. It returns OK or
// the first reason to drop, in FRR's order: TTL, length, version, checksum,
// type; then source and destination, VRID, address count, authentication,
// interval and address list. It does not allocate.
//
// Priority 0 is valid (the master is stopping). An advert received by the
// address owner is not dropped here: RFC 9568 erratum 8298 makes that
// "verify and log", and keepalived processes it; that is the state machine's
// decision.
func Validate(a Advert, raw []byte, meta Meta, want Expect) DropReason {
	alen := meta.Family.AddrLen()
	if alen == 0 {
		return DropMalformed
	}
	// RFC 3768 §7.1, RFC 9568 §7.1: "MUST verify that the IPv4 TTL/IPv6
	// Hop Limit is 255". keepalived skips this for unicast peers.
	if !want.Unicast && meta.TTL != TTL {
		return DropTTL
	}
	// RFC 9568 §7.1: "MUST verify that the received packet contains the
	// complete VRRP packet (including fixed fields, and IPvX address(es))";
	// keepalived and FRR require the exact length.
	if len(raw) < HeaderLen {
		return DropLength
	}
	version := raw[0] >> 4
	if version != 2 && version != 3 {
		return DropVersion
	}
	count := int(raw[3])
	if len(raw) != messageLen(version, meta.Family, count) || len(a.Addrs) != count {
		return DropLength
	}
	// RFC 9568 §7.1: "MUST verify that the VRRP version is 3" (the
	// configured version; RFC 3768 §7.1 likewise for 2).
	if version != want.Version || a.Version != version {
		return DropVersion
	}
	// RFC 3768 §7.1, RFC 9568 §7.1: "MUST verify that the VRRP checksum is
	// correct". For v3 over IPv4 the other form is recognised so that the
	// log can name the knob.
	pseudo := usesPseudoHeader(version, meta.Family, want.ChecksumAsV2)
	cdst := meta.Dst
	if want.ChecksumDst.IsValid() {
		cdst = want.ChecksumDst
	}
	if !checksumOK(raw, pseudo, meta.Src, cdst, meta.Family) {
		if version == 3 && meta.Family == IPv4 && checksumOK(raw, !pseudo, meta.Src, cdst, meta.Family) {
			if pseudo {
				return DropChecksumV2Form
			}
			return DropChecksumPseudoHeaderForm
		}
		return DropChecksum
	}
	// RFC 9568 §5.2.2: "A packet with unknown type MUST be discarded."
	if a.Type != TypeAdvertisement {
		return DropType
	}
	// Our own advert, looped back (multicast loop, or a bridge echo).
	for _, own := range want.OwnAddrs {
		if sameAddr(own, meta.Src) {
			return DropOwnAddress
		}
	}
	// keepalived: multicast expected unless unicast peers are configured,
	// and sent to the instance's group (its socket is bound to it).
	if meta.Dst.IsValid() && meta.Dst.IsMulticast() == want.Unicast {
		return DropDestination
	}
	if want.Group.IsValid() && meta.Dst.IsValid() && !sameAddr(meta.Dst, want.Group) {
		return DropDestination
	}
	// RFC 9568 §7.1: "MUST verify that the VRID is configured on the
	// receiving interface".
	if a.VRID != want.VRID {
		return DropVRIDMismatch
	}
	// RFC 9568 erratum 8299: discard Count = 0 (under vrrp_strict here:
	// keepalived itself sends Count 0 for an instance with no VIPs).
	// keepalived 2.2.x drops any count other than the configured one,
	// unless vrrp_skip_check_adv_addr applies.
	if (want.Strict && count == 0) || (!want.SkipCheckAdvAddr && count != len(want.VIPs)) {
		return DropAddrCount
	}
	if version == 2 {
		// RFC 2338 §7.1 (kept by keepalived): "MUST verify that the
		// Auth Type matches the locally configured authentication method"
		// and "MUST perform authentication specified by Auth Type".
		if a.AuthType != want.AuthType {
			return DropAuthType
		}
		switch a.AuthType {
		case AuthNone:
		case AuthPass:
			if subtle.ConstantTimeCompare(a.AuthData[:], want.AuthPass[:]) != 1 {
				return DropAuthMismatch
			}
		default:
			return DropAuthUnsupported
		}
		// RFC 3768 §7.1: "MUST verify that the Adver Interval in the
		// packet is the same as the locally configured for this virtual
		// router. If the above check fails, the receiver MUST discard".
		if a.AdverInt != want.AdverInt {
			return DropIntervalMismatch
		}
	} else if a.AdverInt == 0 {
		// RFC 9568 erratum 8301: Max Adver Int 0 would expire every
		// backup's timer at once.
		return DropIntervalZero
	}
	// RFC 9568 §5.2.9 and erratum 8300: the first IPv6 address is the
	// link-local one.
	if want.Strict && meta.Family == IPv6 && version == 3 && !a.Addrs[0].IsLinkLocalUnicast() {
		return DropAddrList
	}
	// RFC 3768 §7.1 / RFC 9568 §7.1: "MAY verify that the IPvX Address(es)
	// associated with the VRID are valid". keepalived 2.2.x drops when a
	// configured VIP is missing.
	if !want.SkipCheckAdvAddr {
		for _, vip := range want.VIPs {
			if !containsAddr(a.Addrs, vip) {
				return DropAddrList
			}
		}
	}
	return OK
}

// sameAddr compares addresses ignoring any zone (a configured fe80::/10 VIP
// may carry one; the wire never does).
func sameAddr(x, y netip.Addr) bool {
	return x.WithZone("") == y.WithZone("")
}

func containsAddr(addrs []netip.Addr, x netip.Addr) bool {
	for _, a := range addrs {
		if sameAddr(a, x) {
			return true
		}
	}
	return false
}
