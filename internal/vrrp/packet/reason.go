package packet

import "strconv"

// DropReason says why a received advert was dropped, or OK. A receiver
// counts drops per reason; NumDropReasons sizes a counter array. String is
// the one spelling of a reason (snake_case) that logs (drop=), the status,
// the dump files and the metrics' reason label all use.
type DropReason uint8

// Drop reasons, in the order Validate checks them (FRR's
// vrrp_pkt_parse_datagram order: TTL, size, version, checksum, type, count,
// auth; then keepalived's further checks).
const (
	OK DropReason = iota
	// DropTTL: IPv4 TTL or IPv6 Hop Limit is not 255 (RFC 3768 §7.1,
	// RFC 9568 §7.1). Not checked with Expect.Unicast, as keepalived.
	DropTTL
	// DropLength: the message is not exactly header + Count addresses
	// (+ 8 auth bytes in v2) long (RFC 3768 §7.1, RFC 9568 §7.1).
	DropLength
	// DropVersion: not the configured version (RFC 3768 §7.1, RFC 9568 §7.1).
	DropVersion
	// DropChecksum: the checksum is wrong in every form (RFC 3768 §7.1,
	// RFC 9568 §7.1).
	DropChecksum
	// DropChecksumV2Form: a v3 IPv4 advert whose checksum is right only
	// over the message without the pseudo-header (RFC 9568 §5.2.8, Cisco,
	// Juniper, keepalived with v3_checksum_as_v2) while we expect
	// keepalived's default form. Set v3_checksum_as_v2 to interoperate.
	DropChecksumV2Form
	// DropChecksumPseudoHeaderForm: a v3 IPv4 advert whose checksum is
	// right only with the IPv4 pseudo-header (keepalived's default) while we
	// expect the message-only form. Unset v3_checksum_as_v2 to interoperate.
	DropChecksumPseudoHeaderForm
	// DropType: Type is not 1, ADVERTISEMENT (RFC 3768 §5.3.2,
	// RFC 9568 §5.2.2: "A packet with unknown type MUST be discarded").
	DropType
	// DropOwnAddress: the source is one of our own addresses: our advert
	// looped back.
	DropOwnAddress
	// DropDestination: multicast received where unicast peers are
	// configured, or the reverse (keepalived: "Expected multicast packet but
	// received unicast packet").
	DropDestination
	// DropVRIDMismatch: the VRID is not this instance's (RFC 3768 §7.1,
	// RFC 9568 §7.1).
	DropVRIDMismatch
	// DropAddrCount: Count IPvX Addrs differs from the configured VIPs
	// (keepalived 2.2.x drops it unless vrrp_skip_check_adv_addr applies;
	// RFC 3768 §7.1 MAY verify it), or is 0 under vrrp_strict (RFC 9568
	// erratum 8299).
	DropAddrCount
	// DropAuthType: v2 Auth Type differs from the configured one (RFC 2338
	// §7.1, kept by keepalived).
	DropAuthType
	// DropAuthMismatch: v2 PASS authentication data differs from auth_pass
	// (RFC 2338 §7.1, §5.3.6.2).
	DropAuthMismatch
	// DropAuthUnsupported: IPsec AH authentication is configured; it is not
	// implemented, so no advert can be verified.
	DropAuthUnsupported
	// DropIntervalMismatch: v2 Adver Int differs from the configured
	// advert_int (RFC 3768 §7.1: MUST verify ... and drop).
	DropIntervalMismatch
	// DropIntervalZero: v3 Max Adver Int is 0 (RFC 9568 erratum 8301).
	DropIntervalZero
	// DropAddrList: a configured VIP is missing from the advert, or under
	// vrrp_strict the first IPv6 address is not link-local (RFC 9568 §5.2.9,
	// erratum 8300). RFC 3768 §7.1 drops on a mismatch unless the sender is
	// the owner, RFC 9568 §7.1 only logs; keepalived 2.2.x drops, unless
	// vrrp_skip_check_adv_addr applies.
	DropAddrList
	// DropMalformed: Parse or SplitIPv4 refused the bytes for another reason.
	DropMalformed
	// DropUnicastSrc: a unicast advert whose source is not a configured
	// unicast_peer. Validate does not return it: the receiver checks the
	// source against its peers (always in gokeepalived; keepalived only with
	// vrrp_check_unicast_src).
	DropUnicastSrc

	// NumDropReasons is the number of DropReason values, OK included.
	NumDropReasons = iota
)

var dropReasonNames = [NumDropReasons]string{
	OK:                           "ok",
	DropTTL:                      "ttl",
	DropLength:                   "length",
	DropVersion:                  "version",
	DropChecksum:                 "checksum",
	DropChecksumV2Form:           "checksum_v2_form",
	DropChecksumPseudoHeaderForm: "checksum_pseudo_header_form",
	DropType:                     "type",
	DropOwnAddress:               "own_address",
	DropDestination:              "destination",
	DropVRIDMismatch:             "vrid_mismatch",
	DropAddrCount:                "addr_count",
	DropAuthType:                 "auth_type",
	DropAuthMismatch:             "auth_mismatch",
	DropAuthUnsupported:          "auth_unsupported",
	DropIntervalMismatch:         "interval_mismatch",
	DropIntervalZero:             "interval_zero",
	DropAddrList:                 "addr_list",
	DropMalformed:                "malformed",
	DropUnicastSrc:               "unicast_src",
}

var dropReasonText = [NumDropReasons]string{
	OK:                           "accepted",
	DropTTL:                      "IP TTL / hop limit is not 255 (RFC 9568 §7.1)",
	DropLength:                   "message length does not match its address count (RFC 9568 §7.1)",
	DropVersion:                  "VRRP version differs from the configured one (RFC 9568 §7.1)",
	DropChecksum:                 "bad VRRP checksum (RFC 9568 §7.1)",
	DropChecksumV2Form:           "VRRPv3 IPv4 checksum is over the message only, without the IPv4 pseudo-header (RFC 9568 §5.2.8, Cisco/Juniper form); set v3_checksum_as_v2 to accept it",
	DropChecksumPseudoHeaderForm: "VRRPv3 IPv4 checksum includes the IPv4 pseudo-header (keepalived's default form) but v3_checksum_as_v2 is set; unset it to accept",
	DropType:                     "VRRP type is not ADVERTISEMENT (RFC 9568 §5.2.2)",
	DropOwnAddress:               "advert from one of our own addresses",
	DropDestination:              "multicast/unicast destination does not match the unicast_peer configuration",
	DropVRIDMismatch:             "VRID is not configured here (RFC 9568 §7.1)",
	DropAddrCount:                "address count differs from the configured virtual addresses",
	DropAuthType:                 "VRRPv2 authentication type differs from the configured one",
	DropAuthMismatch:             "VRRPv2 PASS authentication data does not match auth_pass",
	DropAuthUnsupported:          "IPsec AH authentication is not supported",
	DropIntervalMismatch:         "VRRPv2 advertisement interval differs from advert_int (RFC 3768 §7.1)",
	DropIntervalZero:             "VRRPv3 Max Adver Int is 0 (RFC 9568 erratum 8301)",
	DropAddrList:                 "virtual addresses differ from the configured ones",
	DropMalformed:                "malformed packet",
	DropUnicastSrc:               "source is not one of the configured unicast_peer addresses",
}

func (r DropReason) String() string {
	if r < NumDropReasons {
		return dropReasonNames[r]
	}
	return "DropReason(" + strconv.Itoa(int(r)) + ")"
}

// Description is a sentence for logs: what was wrong and, where a knob
// explains it, which one to set.
func (r DropReason) Description() string {
	if r < NumDropReasons {
		return dropReasonText[r]
	}
	return r.String()
}
