// Package agentx is a codec for the AgentX protocol (RFC 2741): the PDUs a
// subagent exchanges with its master agent (snmpd). It encodes and decodes
// only; it opens no socket.
//
// Every decoding error names the byte offset (from the start of the PDU,
// header included) where the input stopped making sense.
package agentx

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Type is a PDU type (RFC 2741 §6.1).
type Type uint8

// The PDU types.
const (
	TypeOpen            Type = 1
	TypeClose           Type = 2
	TypeRegister        Type = 3
	TypeUnregister      Type = 4
	TypeGet             Type = 5
	TypeGetNext         Type = 6
	TypeGetBulk         Type = 7
	TypeTestSet         Type = 8
	TypeCommitSet       Type = 9
	TypeUndoSet         Type = 10
	TypeCleanupSet      Type = 11
	TypeNotify          Type = 12
	TypePing            Type = 13
	TypeIndexAllocate   Type = 14
	TypeIndexDeallocate Type = 15
	TypeAddAgentCaps    Type = 16
	TypeRemoveAgentCaps Type = 17
	TypeResponse        Type = 18
)

var typeNames = [...]string{"", "Open", "Close", "Register", "Unregister", "Get", "GetNext", "GetBulk", "TestSet",
	"CommitSet", "UndoSet", "CleanupSet", "Notify", "Ping", "IndexAllocate", "IndexDeallocate", "AddAgentCaps",
	"RemoveAgentCaps", "Response"}

func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Header flags (RFC 2741 §6.1).
const (
	FlagInstanceRegistration uint8 = 0x01
	FlagNewIndex             uint8 = 0x02
	FlagAnyIndex             uint8 = 0x04
	FlagNonDefaultContext    uint8 = 0x08
	FlagNetworkByteOrder     uint8 = 0x10
)

// Close reasons (RFC 2741 §6.2.2).
const (
	ReasonOther         uint8 = 1
	ReasonParseError    uint8 = 2
	ReasonProtocolError uint8 = 3
	ReasonTimeouts      uint8 = 4
	ReasonShutdown      uint8 = 5
	ReasonByManager     uint8 = 6
)

// Response errors (RFC 2741 §6.2.16) used by a read-only subagent.
const (
	NoError            uint16 = 0
	GenErr             uint16 = 5
	NotWritable        uint16 = 17
	OpenFailed         uint16 = 256
	NotOpen            uint16 = 257
	IndexWrongType     uint16 = 258
	UnsupportedContext uint16 = 262
	DuplicateReg       uint16 = 263
	UnknownReg         uint16 = 264
	ParseError         uint16 = 266
	ProcessingError    uint16 = 268
)

// HeaderLen is the fixed size of a PDU header.
const HeaderLen = 20

// MaxPayload bounds a PDU's payload; larger lengths are refused before
// anything is allocated.
const MaxPayload = 1 << 20

// maxSubIDs bounds an OID (RFC 2578 §3.5).
const maxSubIDs = 128

// Header is the fixed part of every PDU.
type Header struct {
	Version       uint8 // always 1
	Type          Type
	Flags         uint8
	SessionID     uint32
	TransactionID uint32
	PacketID      uint32
}

// PDU is one AgentX PDU. Which fields are meaningful depends on Type:
//
//	Open:          Timeout, ID, Descr
//	Close:         Reason
//	Register, Unregister: Timeout (Register only), Priority, RangeSubID, Subtree, UpperBound
//	Get, GetNext:  Ranges (Get: End is empty)
//	GetBulk:       NonRepeaters, MaxRepetitions, Ranges
//	Notify:        VarBinds
//	Ping:          nothing
//	Response:      SysUpTime, Error, Index, VarBinds
//
// Context is sent when FlagNonDefaultContext is set (Register to Ping).
type PDU struct {
	Header
	Context []byte

	Timeout uint8
	ID      OID
	Descr   string

	Reason uint8

	Priority   uint8
	RangeSubID uint8
	Subtree    OID
	UpperBound uint32

	NonRepeaters   uint16
	MaxRepetitions uint16
	Ranges         []SearchRange

	SysUpTime uint32
	Error     uint16
	Index     uint16
	VarBinds  []VarBind
}

// OID is an object identifier.
type OID []uint32

// ParseOID reads a dotted OID ("1.3.6.1.4.1.9586", a leading dot allowed).
func ParseOID(s string) (OID, error) {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return OID{}, nil
	}
	parts := strings.Split(s, ".")
	o := make(OID, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("OID %q: sub-identifier %d: %w", s, i+1, err)
		}
		o[i] = uint32(v)
	}
	return o, nil
}

// MustOID is ParseOID for constants.
func MustOID(s string) OID {
	o, err := ParseOID(s)
	if err != nil {
		panic(err)
	}
	return o
}

func (o OID) String() string {
	var b strings.Builder
	for i, v := range o {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	}
	return b.String()
}

// Compare orders OIDs lexicographically: -1, 0 or 1.
func (o OID) Compare(p OID) int {
	for i := 0; i < len(o) && i < len(p); i++ {
		if o[i] != p[i] {
			if o[i] < p[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(o) < len(p):
		return -1
	case len(o) > len(p):
		return 1
	}
	return 0
}

// HasPrefix reports whether p is a prefix of o (or o itself).
func (o OID) HasPrefix(p OID) bool {
	return len(o) >= len(p) && o[:len(p)].Compare(p) == 0
}

// Append returns a new OID of o followed by subs.
func (o OID) Append(subs ...uint32) OID {
	r := make(OID, 0, len(o)+len(subs))
	return append(append(r, o...), subs...)
}

// SearchRange is a Get/GetNext/GetBulk range: Start (included when
// Include), End (exclusive; empty = unbounded).
type SearchRange struct {
	Start   OID
	Include bool
	End     OID
}

// ValueType is a varbind's type (RFC 2741 §5.4).
type ValueType uint16

// The value types.
const (
	Integer        ValueType = 2
	OctetString    ValueType = 4
	Null           ValueType = 5
	ObjectID       ValueType = 6
	IPAddress      ValueType = 64
	Counter32      ValueType = 65
	Gauge32        ValueType = 66
	TimeTicks      ValueType = 67
	Opaque         ValueType = 68
	Counter64      ValueType = 70
	NoSuchObject   ValueType = 128
	NoSuchInstance ValueType = 129
	EndOfMibView   ValueType = 130
)

// VarBind is a name and a typed value. Which value field is used depends
// on Type: Int for Integer (as int32), Counter32, Gauge32 and TimeTicks
// (as uint32) and Counter64; Bytes for OctetString, Opaque and IPAddress
// (4 bytes); OID for ObjectID; nothing for Null and the exceptions.
type VarBind struct {
	Type  ValueType
	Name  OID
	Int   uint64
	Bytes []byte
	OID   OID
}

// Int32 is an Integer varbind.
func Int32(name OID, v int32) VarBind {
	return VarBind{Type: Integer, Name: name, Int: uint64(uint32(v))}
}

// Gauge is a Gauge32 (Unsigned32) varbind.
func Gauge(name OID, v uint32) VarBind { return VarBind{Type: Gauge32, Name: name, Int: uint64(v)} }

// Ticks is a TimeTicks varbind.
func Ticks(name OID, v uint32) VarBind { return VarBind{Type: TimeTicks, Name: name, Int: uint64(v)} }

// String is an OctetString varbind.
func String(name OID, s string) VarBind {
	return VarBind{Type: OctetString, Name: name, Bytes: []byte(s)}
}

// ObjectIdentifier is an ObjectID varbind.
func ObjectIdentifier(name, v OID) VarBind { return VarBind{Type: ObjectID, Name: name, OID: v} }

// Exception is a varbind with no value (NoSuchObject, NoSuchInstance,
// EndOfMibView, Null).
func Exception(name OID, t ValueType) VarBind { return VarBind{Type: t, Name: name} }

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func order(flags uint8) byteOrder {
	if flags&FlagNetworkByteOrder != 0 {
		return binary.BigEndian
	}
	return binary.LittleEndian
}
