package agentx

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// hx decodes hex written in readable chunks (blanks ignored).
func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var keepalivedOID = MustOID("1.3.6.1.4.1.9586.100.5")

// Golden bytes written by hand from RFC 2741 §6, independent of the encoder:
// each decodes to the PDU and the PDU encodes back to the same bytes.
func TestGolden(t *testing.T) {
	name := func(col uint32) OID { return keepalivedOID.Append(2, 3, 1, col, 1) }
	cases := []struct {
		name string
		pdu  PDU
		hex  string
	}{
		{"Open, network byte order, 1.3.6.1 prefix compressed, descr padded", PDU{
			Header: Header{Version: 1, Type: TypeOpen, Flags: FlagNetworkByteOrder, PacketID: 1},
			ID:     keepalivedOID, Descr: "gk",
		}, `01 01 10 00  00000000 00000000 00000001 00000020
		    00 000000  04 04 00 00  00000001 00002572 00000064 00000005  00000002 676b0000`},
		{"GetNext, little endian, include set, empty end", PDU{
			Header: Header{Version: 1, Type: TypeGetNext, SessionID: 5, TransactionID: 6, PacketID: 7},
			Ranges: []SearchRange{{Start: keepalivedOID, Include: true, End: OID{}}},
		}, `01 06 00 00  05000000 06000000 07000000 18000000
		    04 04 01 00  01000000 72250000 64000000 05000000  00 00 00 00`},
		{"Response with an Integer and an OctetString", PDU{
			Header:   Header{Version: 1, Type: TypeResponse, Flags: FlagNetworkByteOrder, SessionID: 5, TransactionID: 6, PacketID: 7},
			VarBinds: []VarBind{Int32(name(4), 2), String(name(2), "VI_1")},
		}, `01 12 10 00  00000005 00000006 00000007 0000006c
		    00000000 0000 0000
		    0002 0000 09 04 00 00 00000001 00002572 00000064 00000005 00000002 00000003 00000001 00000004 00000001 00000002
		    0004 0000 09 04 00 00 00000001 00002572 00000064 00000005 00000002 00000003 00000001 00000002 00000001 00000004 56495f31`},
		{"Register with a range, priority 127", PDU{
			Header:  Header{Version: 1, Type: TypeRegister, Flags: FlagNetworkByteOrder, SessionID: 9, PacketID: 2},
			Timeout: 0, Priority: 127, RangeSubID: 5, Subtree: OID{1, 3, 6, 1, 2, 1, 68}, UpperBound: 3,
		}, `01 03 10 00  00000009 00000000 00000002 00000014
		    00 7f 05 00  02 02 00 00 00000001 00000044  00000003`},
		{"GetBulk with a context", PDU{
			Header:       Header{Version: 1, Type: TypeGetBulk, Flags: FlagNetworkByteOrder | FlagNonDefaultContext, SessionID: 1},
			Context:      []byte("ctx"),
			NonRepeaters: 1, MaxRepetitions: 10,
			Ranges: []SearchRange{{Start: OID{1, 3}, End: OID{}}, {Start: OID{1, 3, 6, 1, 4}, End: OID{1, 3, 6, 1, 5}}},
		}, `01 07 18 00  00000001 00000000 00000000 00000024
		    00000003 63747800  0001 000a
		    02 00 00 00 00000001 00000003  00 00 00 00
		    00 04 00 00  00 05 00 00`},
		{"Close shutdown", PDU{Header: Header{Version: 1, Type: TypeClose, Flags: FlagNetworkByteOrder, SessionID: 3}, Reason: ReasonShutdown},
			`01 02 10 00 00000003 00000000 00000000 00000004  05 000000`},
		{"Ping", PDU{Header: Header{Version: 1, Type: TypePing, Flags: FlagNetworkByteOrder, SessionID: 3, PacketID: 4}},
			`01 0d 10 00 00000003 00000000 00000004 00000000`},
		{"Notify: TimeTicks, OID, Gauge32, Counter64, IpAddress, exceptions", PDU{
			Header: Header{Version: 1, Type: TypeNotify, Flags: FlagNetworkByteOrder, SessionID: 3},
			VarBinds: []VarBind{
				Ticks(OID{1, 3, 6, 1, 2, 1, 1, 3, 0}, 100),
				ObjectIdentifier(OID{1, 3}, OID{1, 3, 6, 1, 6, 3}),
				Gauge(OID{1}, 7),
				{Type: Counter64, Name: OID{2}, Int: 1 << 40},
				{Type: IPAddress, Name: OID{3}, Bytes: []byte{192, 0, 2, 1}},
				Exception(OID{4}, NoSuchInstance),
			},
		}, `01 0c 10 00 00000003 00000000 00000000 00000078
		    0043 0000 04 02 00 00 00000001 00000001 00000003 00000000 00000064
		    0006 0000 02 00 00 00 00000001 00000003  01 06 00 00 00000003
		    0042 0000 01 00 00 00 00000001 00000007
		    0046 0000 01 00 00 00 00000002 0000010000000000
		    0040 0000 01 00 00 00 00000003 00000004 c0000201
		    0081 0000 01 00 00 00 00000004`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := hx(t, c.hex)
			got, err := Marshal(&c.pdu)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Marshal:\n got %x\nwant %x", got, want)
			}
			p, err := Unmarshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*p, c.pdu) {
				t.Errorf("Unmarshal:\n got %+v\nwant %+v", *p, c.pdu)
			}
			r, err := Read(bytes.NewReader(want))
			if err != nil || !reflect.DeepEqual(r, p) {
				t.Errorf("Read: %+v, %v", r, err)
			}
		})
	}
}

// Malformed PDUs are refused with the offset where they went wrong.
func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, hex string
		offset    int
		msg       string
	}{
		{"short header", `01 0d 10 00`, 4, "header needs 20 bytes"},
		{"version", `02 0d 10 00 00000003 00000000 00000004 00000000`, 0, "version 2"},
		{"huge payload length", `01 0d 10 00 00000003 00000000 00000004 7fffffff`, 16, "above the"},
		{"payload length not aligned", `01 0d 10 00 00000003 00000000 00000004 00000003`, 16, "multiple of 4"},
		{"too many sub-identifiers", `01 06 10 00 00000001 00000000 00000000 00000004  ff 00 00 00`, 20, "255 sub-identifiers"},
		{"sub-identifiers cut", `01 06 10 00 00000001 00000000 00000000 00000008  02 00 00 00 00000001`, 24, "needs 8 bytes, 4 left"},
		{"include not boolean", `01 06 10 00 00000001 00000000 00000000 00000008  00 00 07 00 00 00 00 00`, 22, "include field 7"},
		{"octet string past the end", `01 01 10 00 00000000 00000000 00000001 0000000c  00 000000 00 00 00 00 00000100`, 28, "descr of 256 bytes"},
		{"unknown varbind type", `01 0c 10 00 00000003 00000000 00000000 00000008  0099 0000 00 00 00 00`, 20, "unknown varbind type 153"},
		{"IpAddress of 3 bytes", `01 0c 10 00 00000003 00000000 00000000 00000010  0040 0000 00 00 00 00 00000003 c0000200`, 28, "IpAddress of 3 bytes"},
		{"trailing bytes", `01 02 10 00 00000003 00000000 00000000 00000008  05 000000 00000000`, 24, "4 bytes left after the Close PDU"},
		{"unknown type", `01 63 10 00 00000003 00000000 00000000 00000000`, 1, "Type(99) not handled"},
		{"length mismatch", `01 0d 10 00 00000003 00000000 00000004 00000004`, 16, "but 0 bytes follow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Unmarshal(hx(t, c.hex))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err %v, want a DecodeError", err)
			}
			if de.Offset != c.offset || !strings.Contains(de.Msg, c.msg) {
				t.Errorf("got %q at offset %d, want %q at %d", de.Msg, de.Offset, c.msg, c.offset)
			}
		})
	}
}

func TestOIDOrder(t *testing.T) {
	a, b := MustOID("1.3.6.1.4"), MustOID(".1.3.6.1.4.1")
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 || !b.HasPrefix(a) || a.HasPrefix(b) {
		t.Errorf("order of %s and %s", a, b)
	}
	if MustOID("1.3.10").Compare(MustOID("1.3.9")) != 1 {
		t.Error("sub-identifiers compare as numbers")
	}
	if _, err := ParseOID("1.x"); err == nil {
		t.Error("1.x parsed")
	}
}

// FuzzRoundTrip: any input decodes or fails cleanly; whatever decodes
// encodes back to bytes that decode to the same PDU.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{
		`01 01 10 00  00000000 00000000 00000001 00000020 00 000000  04 04 00 00  00000001 00002572 00000064 00000005  00000002 676b0000`,
		`01 06 00 00  05000000 06000000 07000000 18000000 04 04 01 00  01000000 72250000 64000000 05000000  00 00 00 00`,
		`01 0c 10 00 00000003 00000000 00000000 00000010  0040 0000 00 00 00 00 00000004 c0000201`,
		`01 07 18 00  00000001 00000000 00000000 00000024 00000003 63747800  0001 000a 02 00 00 00 00000001 00000003  00 00 00 00 00 04 00 00  00 05 00 00`,
	} {
		f.Add(hx(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Unmarshal(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("not a DecodeError: %v", err)
			}
			return
		}
		out, err := Marshal(p)
		if err != nil {
			t.Fatalf("decoded PDU does not encode: %v (%+v)", err, p)
		}
		q, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("re-encoded PDU does not decode: %v", err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip:\n %+v\n %+v", p, q)
		}
	})
}
