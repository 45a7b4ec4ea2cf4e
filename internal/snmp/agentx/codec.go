package agentx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// internetPrefix is 1.3.6.1, which an encoded OID may abbreviate with its
// prefix field (RFC 2741 §5.1).
var internetPrefix = OID{1, 3, 6, 1}

type encoder struct {
	b   []byte
	ord binary.AppendByteOrder
}

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16) { e.b = e.ord.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = e.ord.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = e.ord.AppendUint64(e.b, v) }

func (e *encoder) oid(o OID, include bool) {
	prefix := uint8(0)
	if len(o) >= 5 && o.HasPrefix(internetPrefix) && o[4] != 0 && o[4] < 256 {
		prefix, o = uint8(o[4]), o[5:]
	}
	inc := uint8(0)
	if include {
		inc = 1
	}
	e.u8(uint8(len(o)))
	e.u8(prefix)
	e.u8(inc)
	e.u8(0)
	for _, v := range o {
		e.u32(v)
	}
}

func (e *encoder) octets(s []byte) {
	e.u32(uint32(len(s)))
	e.b = append(e.b, s...)
	for range (4 - len(s)%4) % 4 {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) varbind(v VarBind) error {
	e.u16(uint16(v.Type))
	e.u16(0)
	e.oid(v.Name, false)
	switch v.Type {
	case Integer, Counter32, Gauge32, TimeTicks:
		e.u32(uint32(v.Int))
	case Counter64:
		e.u64(v.Int)
	case OctetString, Opaque:
		e.octets(v.Bytes)
	case IPAddress:
		if len(v.Bytes) != 4 {
			return fmt.Errorf("varbind %s: IpAddress of %d bytes, want 4", v.Name, len(v.Bytes))
		}
		e.octets(v.Bytes)
	case ObjectID:
		e.oid(v.OID, false)
	case Null, NoSuchObject, NoSuchInstance, EndOfMibView:
	default:
		return fmt.Errorf("varbind %s: unknown value type %d", v.Name, v.Type)
	}
	return nil
}

// Marshal encodes p. The byte order follows p.Flags' FlagNetworkByteOrder;
// the payload length is computed. An OID longer than 128 sub-identifiers
// or an unknown value type is an error.
func Marshal(p *PDU) ([]byte, error) {
	ord := order(p.Flags)
	e := &encoder{b: make([]byte, HeaderLen, 128), ord: ord}
	for _, o := range []OID{p.ID, p.Subtree} {
		if len(o) > maxSubIDs {
			return nil, fmt.Errorf("%s: OID of %d sub-identifiers, at most %d", p.Type, len(o), maxSubIDs)
		}
	}
	if p.Flags&FlagNonDefaultContext != 0 && p.Type != TypeOpen && p.Type != TypeClose && p.Type != TypeResponse {
		e.octets(p.Context)
	}
	switch p.Type {
	case TypeOpen:
		e.u8(p.Timeout)
		e.b = append(e.b, 0, 0, 0)
		e.oid(p.ID, false)
		e.octets([]byte(p.Descr))
	case TypeClose:
		e.u8(p.Reason)
		e.b = append(e.b, 0, 0, 0)
	case TypeRegister, TypeUnregister:
		if p.Type == TypeRegister {
			e.u8(p.Timeout)
		} else {
			e.u8(0)
		}
		e.u8(p.Priority)
		e.u8(p.RangeSubID)
		e.u8(0)
		e.oid(p.Subtree, false)
		if p.RangeSubID != 0 {
			e.u32(p.UpperBound)
		}
	case TypeGet, TypeGetNext, TypeGetBulk:
		if p.Type == TypeGetBulk {
			e.u16(p.NonRepeaters)
			e.u16(p.MaxRepetitions)
		}
		for _, r := range p.Ranges {
			if len(r.Start) > maxSubIDs || len(r.End) > maxSubIDs {
				return nil, fmt.Errorf("%s: search range OID longer than %d sub-identifiers", p.Type, maxSubIDs)
			}
			e.oid(r.Start, r.Include)
			e.oid(r.End, false)
		}
	case TypePing, TypeCommitSet, TypeUndoSet, TypeCleanupSet:
	case TypeResponse:
		e.u32(p.SysUpTime)
		e.u16(p.Error)
		e.u16(p.Index)
		fallthrough
	case TypeNotify, TypeTestSet:
		for _, v := range p.VarBinds {
			if len(v.Name) > maxSubIDs || len(v.OID) > maxSubIDs {
				return nil, fmt.Errorf("%s: varbind OID longer than %d sub-identifiers", p.Type, maxSubIDs)
			}
			if err := e.varbind(v); err != nil {
				return nil, fmt.Errorf("%s: %w", p.Type, err)
			}
		}
	default:
		return nil, fmt.Errorf("cannot encode PDU type %s", p.Type)
	}
	h := e.b[:HeaderLen]
	h[0], h[1], h[2], h[3] = 1, uint8(p.Type), p.Flags, 0
	ord.PutUint32(h[4:], p.SessionID)
	ord.PutUint32(h[8:], p.TransactionID)
	ord.PutUint32(h[12:], p.PacketID)
	ord.PutUint32(h[16:], uint32(len(e.b)-HeaderLen))
	return e.b, nil
}

// DecodeError is a malformed PDU: what was wrong and at which byte offset
// from the start of the PDU.
type DecodeError struct {
	Offset int
	Msg    string
}

func (e *DecodeError) Error() string { return fmt.Sprintf("agentx: offset %d: %s", e.Offset, e.Msg) }

type decoder struct {
	b   []byte
	off int
	ord byteOrder
}

func (d *decoder) fail(format string, a ...any) error {
	return &DecodeError{Offset: d.off, Msg: fmt.Sprintf(format, a...)}
}

func (d *decoder) need(n int, what string) error {
	if len(d.b)-d.off < n {
		return d.fail("%s needs %d bytes, %d left", what, n, len(d.b)-d.off)
	}
	return nil
}

func (d *decoder) u8(what string) (uint8, error) {
	if err := d.need(1, what); err != nil {
		return 0, err
	}
	d.off++
	return d.b[d.off-1], nil
}

func (d *decoder) u16(what string) (uint16, error) {
	if err := d.need(2, what); err != nil {
		return 0, err
	}
	d.off += 2
	return d.ord.Uint16(d.b[d.off-2:]), nil
}

func (d *decoder) u32(what string) (uint32, error) {
	if err := d.need(4, what); err != nil {
		return 0, err
	}
	d.off += 4
	return d.ord.Uint32(d.b[d.off-4:]), nil
}

func (d *decoder) u64(what string) (uint64, error) {
	if err := d.need(8, what); err != nil {
		return 0, err
	}
	d.off += 8
	return d.ord.Uint64(d.b[d.off-8:]), nil
}

func (d *decoder) skip(n int, what string) error {
	if err := d.need(n, what); err != nil {
		return err
	}
	d.off += n
	return nil
}

func (d *decoder) oid(what string) (OID, bool, error) {
	start := d.off
	if err := d.need(4, what); err != nil {
		return nil, false, err
	}
	n, prefix, include := int(d.b[d.off]), d.b[d.off+1], d.b[d.off+2]
	d.off += 4
	if n > maxSubIDs {
		d.off = start
		return nil, false, d.fail("%s: %d sub-identifiers, at most %d", what, n, maxSubIDs)
	}
	if include > 1 {
		d.off = start + 2
		return nil, false, d.fail("%s: include field %d, want 0 or 1", what, include)
	}
	if err := d.need(4*n, what+" sub-identifiers"); err != nil {
		return nil, false, err
	}
	var o OID
	if prefix != 0 {
		o = make(OID, 0, 5+n)
		o = append(o, internetPrefix...)
		o = append(o, uint32(prefix))
	} else {
		o = make(OID, 0, n)
	}
	for range n {
		o = append(o, d.ord.Uint32(d.b[d.off:]))
		d.off += 4
	}
	return o, include == 1, nil
}

func (d *decoder) octets(what string) ([]byte, error) {
	n, err := d.u32(what + " length")
	if err != nil {
		return nil, err
	}
	padded := (uint64(n) + 3) &^ 3
	if uint64(len(d.b)-d.off) < padded {
		d.off -= 4
		return nil, d.fail("%s of %d bytes, %d left", what, n, len(d.b)-d.off-4)
	}
	s := append([]byte(nil), d.b[d.off:d.off+int(n)]...)
	d.off += int(padded)
	return s, nil
}

func (d *decoder) varbind() (VarBind, error) {
	var v VarBind
	start := d.off
	t, err := d.u16("varbind type")
	if err != nil {
		return v, err
	}
	if err := d.skip(2, "varbind reserved"); err != nil {
		return v, err
	}
	v.Type = ValueType(t)
	if v.Name, _, err = d.oid("varbind name"); err != nil {
		return v, err
	}
	switch v.Type {
	case Integer, Counter32, Gauge32, TimeTicks:
		var x uint32
		x, err = d.u32("varbind value")
		v.Int = uint64(x)
	case Counter64:
		v.Int, err = d.u64("varbind Counter64")
	case OctetString, Opaque:
		v.Bytes, err = d.octets("varbind octet string")
	case IPAddress:
		at := d.off
		v.Bytes, err = d.octets("varbind IpAddress")
		if err == nil && len(v.Bytes) != 4 {
			d.off = at
			err = d.fail("IpAddress of %d bytes, want 4", len(v.Bytes))
		}
	case ObjectID:
		v.OID, _, err = d.oid("varbind OID value")
	case Null, NoSuchObject, NoSuchInstance, EndOfMibView:
	default:
		d.off = start
		err = d.fail("unknown varbind type %d", t)
	}
	return v, err
}

// Unmarshal decodes one whole PDU (header and exactly its payload).
func Unmarshal(b []byte) (*PDU, error) {
	h, n, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	if len(b) != HeaderLen+n {
		return nil, &DecodeError{Offset: 16, Msg: fmt.Sprintf("payload length %d, but %d bytes follow the header", n, len(b)-HeaderLen)}
	}
	p := &PDU{Header: h}
	d := &decoder{b: b, off: HeaderLen, ord: order(h.Flags)}
	if h.Flags&FlagNonDefaultContext != 0 && h.Type != TypeOpen && h.Type != TypeClose && h.Type != TypeResponse {
		if p.Context, err = d.octets("context"); err != nil {
			return nil, err
		}
	}
	switch h.Type {
	case TypeOpen:
		if p.Timeout, err = d.u8("timeout"); err != nil {
			return nil, err
		}
		if err = d.skip(3, "reserved"); err != nil {
			return nil, err
		}
		if p.ID, _, err = d.oid("id"); err != nil {
			return nil, err
		}
		var s []byte
		if s, err = d.octets("descr"); err != nil {
			return nil, err
		}
		p.Descr = string(s)
	case TypeClose:
		if p.Reason, err = d.u8("reason"); err != nil {
			return nil, err
		}
		if err = d.skip(3, "reserved"); err != nil {
			return nil, err
		}
	case TypeRegister, TypeUnregister:
		var t uint8
		if t, err = d.u8("timeout"); err != nil {
			return nil, err
		}
		if h.Type == TypeRegister {
			p.Timeout = t
		}
		if p.Priority, err = d.u8("priority"); err != nil {
			return nil, err
		}
		if p.RangeSubID, err = d.u8("range_subid"); err != nil {
			return nil, err
		}
		if err = d.skip(1, "reserved"); err != nil {
			return nil, err
		}
		if p.Subtree, _, err = d.oid("subtree"); err != nil {
			return nil, err
		}
		if p.RangeSubID != 0 {
			if int(p.RangeSubID) > len(p.Subtree) {
				return nil, d.fail("range_subid %d beyond the subtree's %d sub-identifiers", p.RangeSubID, len(p.Subtree))
			}
			if p.UpperBound, err = d.u32("upper_bound"); err != nil {
				return nil, err
			}
		}
	case TypeGet, TypeGetNext, TypeGetBulk:
		if h.Type == TypeGetBulk {
			if p.NonRepeaters, err = d.u16("non_repeaters"); err != nil {
				return nil, err
			}
			if p.MaxRepetitions, err = d.u16("max_repetitions"); err != nil {
				return nil, err
			}
		}
		for d.off < len(b) {
			var r SearchRange
			if r.Start, r.Include, err = d.oid("search range start"); err != nil {
				return nil, err
			}
			if r.End, _, err = d.oid("search range end"); err != nil {
				return nil, err
			}
			p.Ranges = append(p.Ranges, r)
		}
	case TypePing, TypeCommitSet, TypeUndoSet, TypeCleanupSet:
	case TypeResponse, TypeNotify, TypeTestSet:
		if h.Type == TypeResponse {
			if p.SysUpTime, err = d.u32("sysUpTime"); err != nil {
				return nil, err
			}
			if p.Error, err = d.u16("error"); err != nil {
				return nil, err
			}
			if p.Index, err = d.u16("index"); err != nil {
				return nil, err
			}
		}
		for d.off < len(b) {
			v, err := d.varbind()
			if err != nil {
				return nil, err
			}
			p.VarBinds = append(p.VarBinds, v)
		}
	default:
		return nil, &DecodeError{Offset: 1, Msg: fmt.Sprintf("PDU type %s not handled", h.Type)}
	}
	if d.off != len(b) {
		return nil, d.fail("%d bytes left after the %s PDU", len(b)-d.off, h.Type)
	}
	return p, nil
}

// ParseHeader decodes the 20-byte header and returns it with the payload
// length it announces (at most MaxPayload, a multiple of 4).
func ParseHeader(b []byte) (Header, int, error) {
	var h Header
	if len(b) < HeaderLen {
		return h, 0, &DecodeError{Offset: len(b), Msg: fmt.Sprintf("header needs %d bytes, have %d", HeaderLen, len(b))}
	}
	if b[0] != 1 {
		return h, 0, &DecodeError{Offset: 0, Msg: fmt.Sprintf("version %d, want 1", b[0])}
	}
	h.Version, h.Type, h.Flags = b[0], Type(b[1]), b[2]
	ord := order(h.Flags)
	h.SessionID, h.TransactionID, h.PacketID = ord.Uint32(b[4:]), ord.Uint32(b[8:]), ord.Uint32(b[12:])
	n := ord.Uint32(b[16:])
	if n > MaxPayload {
		return h, 0, &DecodeError{Offset: 16, Msg: fmt.Sprintf("payload length %d above the %d limit", n, MaxPayload)}
	}
	if n%4 != 0 {
		return h, 0, &DecodeError{Offset: 16, Msg: fmt.Sprintf("payload length %d not a multiple of 4", n)}
	}
	return h, int(n), nil
}

// Read reads one PDU from r: the header, then the payload it announces.
// A malformed PDU is a *DecodeError (the stream stays in step: the whole
// announced payload has been read); an I/O error is returned as is.
func Read(r io.Reader) (*PDU, error) {
	var hb [HeaderLen]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return nil, err
	}
	_, n, err := ParseHeader(hb[:])
	if err != nil {
		return nil, err
	}
	b := make([]byte, HeaderLen+n)
	copy(b, hb[:])
	if _, err := io.ReadFull(r, b[HeaderLen:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return Unmarshal(b)
}
