package packet

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// roundTrip is the property FuzzParseAdvert checks, also run on the named
// cases below: whatever Parse accepts, Marshal encodes without error to a
// message of a.Len bytes whose checksum verifies and which parses back to the
// same advert (the checksum and reserved bits aside). Validate never panics.
func roundTrip(t *testing.T, data []byte, v6 bool) {
	t.Helper()
	f, src, dst := IPv4, ka4, mcast4
	if v6 {
		f, src, dst = IPv6, ka6, mcast6
	}
	// Validate must not panic on anything Parse accepts, nor on garbage
	// metadata.
	var a Advert
	err := ParseInto(&a, data, f)
	if err != nil {
		var pe ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse error %v is not a ParseError", err)
		}
		return
	}
	_ = Validate(a, data, Meta{Family: f, TTL: 255, Src: src, Dst: dst}, Expect{VRID: a.VRID, Version: a.Version, VIPs: a.Addrs})
	_ = Validate(a, data, Meta{Family: f, TTL: 255}, Expect{Version: a.Version, Strict: true})

	for _, opts := range []Options{{}, {ChecksumAsV2: true}} {
		enc, err := a.Marshal(src, dst, opts)
		if err != nil {
			t.Fatalf("Marshal of parsed %+v: %v", a, err)
		}
		if len(enc) != a.Len(f) {
			t.Fatalf("Marshal wrote %d bytes, Len says %d", len(enc), a.Len(f))
		}
		if !checksumOK(enc, usesPseudoHeader(a.Version, f, opts.ChecksumAsV2), src, dst, f) {
			t.Fatalf("Marshal wrote a bad checksum: % x", enc)
		}
		b, err := Parse(enc, f)
		if err != nil {
			t.Fatalf("Parse of Marshal output % x: %v", enc, err)
		}
		if diff := cmp.Diff(a, b, cmpopts.EquateComparable(netip.Addr{}), cmpopts.IgnoreFields(Advert{}, "Checksum")); diff != "" {
			t.Fatalf("parse → marshal → parse changed the advert (-first +second):\n%s", diff)
		}
		// A canonical message (exact length, reserved bits zero, good
		// checksum) re-encodes to itself, up to the two one's complement
		// zeros in the checksum field.
		canonical := len(data) == len(enc) && (a.Version == 2 || data[4]&0xf0 == 0) &&
			checksumOK(data, usesPseudoHeader(a.Version, f, opts.ChecksumAsV2), src, dst, f)
		if canonical {
			same := bytes.Equal(data[:6], enc[:6]) && bytes.Equal(data[8:], enc[8:])
			if c := a.Checksum; c != b.Checksum && !(c|b.Checksum == 0xffff && c&b.Checksum == 0) {
				same = false
			}
			if !same {
				t.Fatalf("canonical message re-encoded differently:\n in  % x\n out % x", data, enc)
			}
		}
	}
}

func FuzzParseAdvert(f *testing.F) {
	for _, g := range goldens {
		_, msg := splitIP(f, readHex(f, g.file))
		f.Add(msg, g.meta.Family == IPv6)
	}
	f.Add([]byte{}, false)
	f.Add([]byte{0x31, 1, 1, 0, 0, 100, 0, 0}, true)
	f.Fuzz(roundTrip)
}

// Named cases for inputs the fuzzer found interesting (STYLE rule 7); the
// corpus files in testdata/fuzz/FuzzParseAdvert (named alike) replay the same
// inputs in every plain "go test". The 3-minute fuzz run found no crasher.
func TestRoundTripCases(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		v6   bool
	}{
		{"v3 reserved bits set are dropped on re-encode", []byte{0x31, 1, 1, 0, 0xf0, 100, 0, 0}, false},
		{"v2 over IPv6 (keepalived allows it without vrrp_strict)", append([]byte{0x21, 1, 1, 1, 0, 1, 0, 0}, make([]byte, 24)...), true},
		{"IPv4-mapped IPv6 address stays IPv6", append([]byte{0x31, 1, 1, 1, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 192, 0, 2, 1), true},
		{"trailing bytes are ignored by Parse", []byte{0x31, 1, 1, 0, 0, 100, 0, 0, 9, 9, 9}, false},
		{"type 0 and VRID 0 parse and re-encode", []byte{0x30, 0, 0, 0, 0, 0, 0, 0}, false},
		{"255 addresses", append([]byte{0x31, 1, 1, 255, 0, 100, 0, 0}, make([]byte, 255*4)...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { roundTrip(t, tt.data, tt.v6) })
	}
}
