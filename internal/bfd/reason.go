package bfd

import "strconv"

// DropReason says why a received control packet was dropped, or OK. A
// receiver counts drops per reason; NumDropReasons sizes a counter array.
type DropReason uint8

// Drop reasons, in the order RFC 5880 §6.8.6 checks them (the TTL check of
// RFC 5881 §5 / RFC 5883 §5 comes first, at the socket).
const (
	OK DropReason = iota
	// DropTTL: TTL/Hop Limit below the sent TTL (255 unless configured)
	// minus max_hops (RFC 5881 §5, keepalived ttl/max_hops).
	DropTTL
	// DropVersion: the version is not 1.
	DropVersion
	// DropLength: payload shorter than 24 bytes, Length below 24 (26 with
	// A), Length beyond the payload, or an authentication section that does
	// not fill Length.
	DropLength
	// DropDetectMult: Detect Mult is zero.
	DropDetectMult
	// DropMultipoint: the M bit is set.
	DropMultipoint
	// DropMyDiscrZero: My Discriminator is zero.
	DropMyDiscrZero
	// DropNoSession: Your Discriminator names no session, or (zero) the
	// source and interface match no configured session.
	DropNoSession
	// DropYourDiscrZero: Your Discriminator is zero and State is not Down
	// or AdminDown.
	DropYourDiscrZero
	// DropAuthUnsupported: the A bit is set; authentication is not
	// implemented, so bfd.AuthType is always zero.
	DropAuthUnsupported
	// DropAdminDown: the session is AdminDown: the packet is processed up
	// to this point and then discarded (§6.8.6).
	DropAdminDown
	// DropPollFinal: both P and F are set (§6.8.6 does not list it; §4.1
	// says a packet MUST NOT have both, and a Final would answer our poll
	// while asking for one).
	DropPollFinal

	// NumDropReasons is the number of DropReason values, OK included.
	NumDropReasons = iota
)

var dropReasonNames = [NumDropReasons]string{
	OK:                  "OK",
	DropTTL:             "ttl",
	DropVersion:         "version",
	DropLength:          "length",
	DropDetectMult:      "detect_mult_zero",
	DropMultipoint:      "multipoint",
	DropMyDiscrZero:     "my_discriminator_zero",
	DropNoSession:       "no_session",
	DropYourDiscrZero:   "your_discriminator_zero",
	DropAuthUnsupported: "auth_unsupported",
	DropAdminDown:       "admin_down",
	DropPollFinal:       "poll_and_final",
}

func (r DropReason) String() string {
	if r < NumDropReasons {
		return dropReasonNames[r]
	}
	return "DropReason(" + strconv.Itoa(int(r)) + ")"
}
