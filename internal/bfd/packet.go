package bfd

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Version is the only BFD protocol version (RFC 5880 §4.1).
const Version = 1

// Ports (RFC 5881 §4, RFC 5883 §5) and the source port range (RFC 5881 §4).
const (
	PortSingleHop = 3784
	PortMultihop  = 4784
	SrcPortMin    = 49152
	SrcPortMax    = 65535
)

// HeaderLen is the length of the mandatory section of a control packet;
// with the A bit the authentication section follows (RFC 5880 §4.1).
const HeaderLen = 24

// State is a session state as carried in the Sta field (RFC 5880 §4.1).
type State uint8

const (
	StateAdminDown State = 0
	StateDown      State = 1
	StateInit      State = 2
	StateUp        State = 3
)

var stateNames = [...]string{"AdminDown", "Down", "Init", "Up"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Diag is a diagnostic code (RFC 5880 §4.1).
type Diag uint8

const (
	DiagNone                      Diag = 0
	DiagControlDetectionExpired   Diag = 1
	DiagEchoFailed                Diag = 2
	DiagNeighborSignaledDown      Diag = 3
	DiagForwardingPlaneReset      Diag = 4
	DiagPathDown                  Diag = 5
	DiagConcatenatedPathDown      Diag = 6
	DiagAdminDown                 Diag = 7
	DiagReverseConcatenatedPathDn Diag = 8
)

var diagNames = [...]string{
	"No Diagnostic", "Control Detection Time Expired", "Echo Function Failed",
	"Neighbor Signaled Session Down", "Forwarding Plane Reset", "Path Down",
	"Concatenated Path Down", "Administratively Down", "Reverse Concatenated Path Down",
}

func (d Diag) String() string {
	if int(d) < len(diagNames) {
		return diagNames[d]
	}
	return "Diag(" + strconv.Itoa(int(d)) + ")"
}

// AuthType is the Auth Type of the authentication section (RFC 5880 §4.1).
type AuthType uint8

const (
	AuthNone                AuthType = 0
	AuthSimplePassword      AuthType = 1
	AuthKeyedMD5            AuthType = 2
	AuthMeticulousKeyedMD5  AuthType = 3
	AuthKeyedSHA1           AuthType = 4
	AuthMeticulousKeyedSHA1 AuthType = 5
)

// Control is a BFD control packet (RFC 5880 §4.1). Intervals are in
// microseconds, as on the wire.
type Control struct {
	Version    uint8 // 3 bits
	Diag       Diag  // 5 bits
	State      State
	Poll       bool // P
	Final      bool // F
	CPI        bool // C: Control Plane Independent
	AuthBit    bool // A: Authentication Present
	Demand     bool // D
	Multipoint bool // M
	DetectMult uint8
	// Length is the Length field as received (ParseControl) or 0; Marshal
	// writes the real length whatever it holds.
	Length            uint8
	MyDiscr           uint32
	YourDiscr         uint32
	DesiredMinTx      uint32
	RequiredMinRx     uint32
	RequiredMinEchoRx uint32
	// Auth is the authentication section; meaningful with AuthBit.
	Auth Auth
}

// Auth is the authentication section: Auth Type, then Auth Len - 2 bytes of
// type-specific data (kept raw: we do not implement authentication).
type Auth struct {
	Type AuthType
	Data []byte
}

// Len is the length Marshal writes.
func (c *Control) Len() int {
	if c.AuthBit {
		return HeaderLen + 2 + len(c.Auth.Data)
	}
	return HeaderLen
}

// ParseError says why ParseControl refused the bytes.
type ParseError struct {
	Reason DropReason
	Detail string
}

func (e ParseError) Error() string {
	return "bfd control packet: " + e.Reason.String() + ": " + e.Detail
}

// ParseControl decodes a control packet (the UDP payload), applying the
// structural checks of RFC 5880 §6.8.6 in their order: version, minimum
// length (24, or 26 with the A bit), Length not beyond the payload, and an
// authentication section that fits in Length. Bytes beyond Length are
// ignored. The remaining checks are Validate's.
func ParseControl(b []byte) (Control, error) {
	var c Control
	err := ParseControlInto(&c, b)
	return c, err
}

// ParseControlInto is ParseControl into c; it keeps c.Auth.Data's array
// when it can, so that steady-state parsing does not allocate.
func ParseControlInto(c *Control, b []byte) error {
	if len(b) < 1 {
		return ParseError{DropLength, "empty payload"}
	}
	// §6.8.6: "If the version number is not correct (1), the packet MUST be
	// discarded."
	if v := b[0] >> 5; v != Version {
		return ParseError{DropVersion, fmt.Sprintf("version %d, want %d", v, Version)}
	}
	if len(b) < HeaderLen {
		return ParseError{DropLength, fmt.Sprintf("payload %d bytes, shorter than the %d-byte header", len(b), HeaderLen)}
	}
	length := int(b[3])
	auth := b[1]&0x04 != 0
	// §6.8.6: "If the Length field is less than the minimum correct value
	// (24 if the A bit is clear, or 26 if the A bit is set), the packet
	// MUST be discarded."
	minLen := HeaderLen
	if auth {
		minLen = HeaderLen + 2
	}
	if length < minLen {
		return ParseError{DropLength, fmt.Sprintf("Length %d, less than %d", length, minLen)}
	}
	// §6.8.6: "If the Length field is greater than the payload of the
	// encapsulating protocol, the packet MUST be discarded."
	if length > len(b) {
		return ParseError{DropLength, fmt.Sprintf("Length %d, greater than the %d-byte payload", length, len(b))}
	}
	data := c.Auth.Data[:0]
	*c = Control{
		Version:           b[0] >> 5,
		Diag:              Diag(b[0] & 0x1f),
		State:             State(b[1] >> 6),
		Poll:              b[1]&0x20 != 0,
		Final:             b[1]&0x10 != 0,
		CPI:               b[1]&0x08 != 0,
		AuthBit:           auth,
		Demand:            b[1]&0x02 != 0,
		Multipoint:        b[1]&0x01 != 0,
		DetectMult:        b[2],
		Length:            b[3],
		MyDiscr:           binary.BigEndian.Uint32(b[4:]),
		YourDiscr:         binary.BigEndian.Uint32(b[8:]),
		DesiredMinTx:      binary.BigEndian.Uint32(b[12:]),
		RequiredMinRx:     binary.BigEndian.Uint32(b[16:]),
		RequiredMinEchoRx: binary.BigEndian.Uint32(b[20:]),
	}
	if !auth {
		if length != HeaderLen {
			return ParseError{DropLength, fmt.Sprintf("Length %d without authentication, want %d", length, HeaderLen)}
		}
		return nil
	}
	// RFC 5880 §4.1: Auth Len is "the length, in bytes, of the
	// authentication section, including the Auth Type and Auth Len fields".
	alen := int(b[HeaderLen+1])
	if alen < 2 || HeaderLen+alen != length {
		return ParseError{DropLength, fmt.Sprintf("Auth Len %d does not fill Length %d", alen, length)}
	}
	c.Auth = Auth{Type: AuthType(b[HeaderLen]), Data: append(data, b[HeaderLen+2:length]...)}
	return nil
}

// MarshalError says why Marshal refused a Control.
type MarshalError struct{ Detail string }

func (e MarshalError) Error() string { return "bfd control packet: cannot encode: " + e.Detail }

// Marshal encodes c. Version 0 is written as 1; other values must fit their
// fields.
func (c *Control) Marshal() ([]byte, error) {
	b := make([]byte, c.Len())
	_, err := c.MarshalTo(b)
	return b, err
}

// MarshalTo encodes c into b (at least Len bytes) and returns the length.
func (c *Control) MarshalTo(b []byte) (int, error) {
	n := c.Len()
	v := c.Version
	if v == 0 {
		v = Version
	}
	switch {
	case v > 7:
		return 0, MarshalError{fmt.Sprintf("version %d does not fit 3 bits", v)}
	case c.Diag > 31:
		return 0, MarshalError{fmt.Sprintf("diagnostic %d does not fit 5 bits", c.Diag)}
	case c.State > 3:
		return 0, MarshalError{fmt.Sprintf("state %d does not fit 2 bits", c.State)}
	case n > 255:
		return 0, MarshalError{fmt.Sprintf("%d bytes do not fit the Length field", n)}
	case len(b) < n:
		return 0, MarshalError{fmt.Sprintf("buffer of %d bytes, need %d", len(b), n)}
	}
	b[0] = v<<5 | uint8(c.Diag)
	flags := uint8(c.State) << 6
	for i, f := range [...]bool{c.Poll, c.Final, c.CPI, c.AuthBit, c.Demand, c.Multipoint} {
		if f {
			flags |= 0x20 >> i
		}
	}
	b[1] = flags
	b[2] = c.DetectMult
	b[3] = uint8(n)
	binary.BigEndian.PutUint32(b[4:], c.MyDiscr)
	binary.BigEndian.PutUint32(b[8:], c.YourDiscr)
	binary.BigEndian.PutUint32(b[12:], c.DesiredMinTx)
	binary.BigEndian.PutUint32(b[16:], c.RequiredMinRx)
	binary.BigEndian.PutUint32(b[20:], c.RequiredMinEchoRx)
	if c.AuthBit {
		b[HeaderLen] = uint8(c.Auth.Type)
		b[HeaderLen+1] = uint8(2 + len(c.Auth.Data))
		copy(b[HeaderLen+2:], c.Auth.Data)
	}
	return n, nil
}

// Validate applies the packet-only checks of RFC 5880 §6.8.6 that follow
// ParseControl's, in order: Detect Mult, Multipoint, My Discriminator; then
// the A bit, which we refuse because no session uses authentication (the
// "A bit set and no authentication in use" rule). Your Discriminator and
// the state rules are the session's (Session.Handle).
func Validate(c *Control) DropReason {
	switch {
	case c.Version != Version:
		return DropVersion
	case c.DetectMult == 0: // "If the Detect Mult field is zero, the packet MUST be discarded."
		return DropDetectMult
	case c.Multipoint: // "If the Multipoint (M) bit is nonzero, the packet MUST be discarded."
		return DropMultipoint
	case c.MyDiscr == 0: // "If the My Discriminator field is zero, the packet MUST be discarded."
		return DropMyDiscrZero
	case c.YourDiscr == 0 && c.State != StateDown && c.State != StateAdminDown:
		// "If the Your Discriminator field is zero and the State field is
		// not Down or AdminDown, the packet MUST be discarded."
		return DropYourDiscrZero
	case c.AuthBit:
		// "If the A bit is set and no authentication is in use (bfd.AuthType
		// is zero), the packet MUST be discarded."
		return DropAuthUnsupported
	}
	return OK
}

// CheckTTL is the Generalized TTL Security Mechanism (RFC 5082) as RFC
// 5881 §5 applies it and keepalived extends it: a packet sent with TTL
// (hop limit) sent must arrive with at least sent - maxHops; maxHops < 0
// turns the check off. RFC 5881 single hop is CheckTTL(ttl, 255, 0).
func CheckTTL(ttl, sent, maxHops int) DropReason {
	if maxHops < 0 || ttl+maxHops >= sent {
		return OK
	}
	return DropTTL
}
