package packet

import (
	"errors"
	"fmt"
	"net/netip"
)

// Options change how an advert is encoded.
type Options struct {
	// ChecksumAsV2 computes the v3 IPv4 checksum over the VRRP message
	// only, as RFC 9568 §5.2.8, Cisco and Juniper do, instead of adding the
	// IPv4 pseudo-header as keepalived does by default. It mirrors
	// keepalived's v3_checksum_as_v2. It changes nothing for v2 or IPv6.
	ChecksumAsV2 bool
}

// ErrMarshal is wrapped by every error AppendBinary returns.
var ErrMarshal = errors.New("vrrp: cannot encode advert")

// AppendBinary appends the VRRP message for a, as sent from src to dst, to b
// and returns the extended slice. src and dst are the IP source and
// destination: they pick the family and feed the checksum's pseudo-header
// (see Options). a.Checksum is ignored; the right checksum is written. The
// bytes are those keepalived sends. AppendBinary does not allocate when b has
// room for a.Len(family) more bytes.
//
// It refuses only adverts no message can carry, so any Advert returned by
// Parse encodes without error.
func (a *Advert) AppendBinary(b []byte, src, dst netip.Addr, opts Options) ([]byte, error) {
	f := FamilyOf(src)
	if f == 0 || FamilyOf(dst) != f {
		return b, fmt.Errorf("%w: source %v and destination %v are not of one family", ErrMarshal, src, dst)
	}
	if a.Type > 0x0f {
		return b, fmt.Errorf("%w: type %d does not fit 4 bits", ErrMarshal, a.Type)
	}
	if len(a.Addrs) > MaxAddrs {
		return b, fmt.Errorf("%w: %d addresses, at most %d fit", ErrMarshal, len(a.Addrs), MaxAddrs)
	}
	var b4, b5 byte
	switch a.Version {
	case 2:
		// RFC 3768 §5.3.6-7.
		if a.AdverInt > MaxAdverIntV2 {
			return b, fmt.Errorf("%w: v2 Adver Int %d s does not fit 8 bits", ErrMarshal, a.AdverInt)
		}
		b4, b5 = a.AuthType, byte(a.AdverInt)
	case 3:
		// RFC 9568 §5.2.6-7: reserved bits zero, 12-bit interval.
		if a.AdverInt > MaxAdverIntV3 {
			return b, fmt.Errorf("%w: v3 Max Adver Int %d cs does not fit 12 bits", ErrMarshal, a.AdverInt)
		}
		if a.AuthType != 0 || a.AuthData != [8]byte{} {
			return b, fmt.Errorf("%w: v3 has no authentication (RFC 9568 §9)", ErrMarshal)
		}
		b4, b5 = byte(a.AdverInt>>8), byte(a.AdverInt)
	default:
		return b, fmt.Errorf("%w: version %d", ErrMarshal, a.Version)
	}
	for i, addr := range a.Addrs {
		if FamilyOf(addr) != f {
			return b, fmt.Errorf("%w: address %d (%v) is not %v like source %v", ErrMarshal, i, addr, f, src)
		}
	}

	start := len(b)
	b = append(b, a.Version<<4|a.Type, a.VRID, a.Priority, byte(len(a.Addrs)), b4, b5, 0, 0)
	for _, addr := range a.Addrs {
		if f == IPv4 {
			v := addr.As4()
			b = append(b, v[:]...)
		} else {
			v := addr.As16()
			b = append(b, v[:]...)
		}
	}
	if a.Version == 2 {
		b = append(b, a.AuthData[:]...)
	}
	msg := b[start:]
	c := checksumOf(msg, usesPseudoHeader(a.Version, f, opts.ChecksumAsV2), src, dst, f)
	msg[6], msg[7] = byte(c>>8), byte(c)
	return b, nil
}

// Marshal returns the VRRP message for a, as sent from src to dst.
func (a *Advert) Marshal(src, dst netip.Addr, opts Options) ([]byte, error) {
	f := FamilyOf(src)
	return a.AppendBinary(make([]byte, 0, messageLen(a.Version, f, len(a.Addrs))), src, dst, opts)
}

// SetPriority rewrites the priority of an advert msg that AppendBinary
// encoded, in place, and updates its checksum incrementally (RFC 1624,
// eqn. 3): the priority shares a 16-bit word with the address count, and
// nothing else in the message or the pseudo-header changes. A sender keeps
// the encoded advert and patches it instead of encoding it again. msg
// shorter than the fixed header is left alone.
func SetPriority(msg []byte, prio uint8) {
	if len(msg) < 8 || msg[2] == prio {
		return
	}
	old := uint16(msg[2])<<8 | uint16(msg[3])
	updated := uint16(prio)<<8 | uint16(msg[3])
	sum := uint32(^(uint16(msg[6])<<8 | uint16(msg[7]))) + uint32(^old) + uint32(updated)
	sum = sum&0xffff + sum>>16
	sum = sum&0xffff + sum>>16
	c := ^uint16(sum)
	msg[2], msg[6], msg[7] = prio, byte(c>>8), byte(c)
}
