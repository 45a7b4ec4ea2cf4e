package bfd

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// roundTrip is the property FuzzParseControl checks: whatever ParseControl
// accepts, Marshal encodes without error to Len bytes that parse back to
// the same Control and equal the input up to Length; Validate never panics.
// ParseControl never panics and fails only with a ParseError.
func roundTrip(t *testing.T, data []byte) {
	t.Helper()
	c, err := ParseControl(data)
	if err != nil {
		var pe ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("ParseControl error %v is not a ParseError", err)
		}
		if pe.Reason == OK {
			t.Fatalf("ParseError with reason OK: %v", err)
		}
		return
	}
	_ = Validate(&c)
	enc, err := c.Marshal()
	if err != nil {
		t.Fatalf("Marshal of parsed %+v: %v", c, err)
	}
	if len(enc) != c.Len() || len(enc) != int(c.Length) {
		t.Fatalf("Marshal wrote %d bytes, Len %d, Length %d", len(enc), c.Len(), c.Length)
	}
	if !bytes.Equal(enc, data[:c.Length]) {
		t.Fatalf("re-encoding changed the bytes:\n got % x\nwant % x", enc, data[:c.Length])
	}
	back, err := ParseControl(enc)
	if err != nil {
		t.Fatalf("ParseControl of Marshal output % x: %v", enc, err)
	}
	if diff := cmp.Diff(c, back); diff != "" {
		t.Fatalf("parse → marshal → parse changed the packet (-first +second):\n%s", diff)
	}
}

func FuzzParseControl(f *testing.F) {
	for _, g := range readGolden(f) {
		f.Add(g.payload)
	}
	c := sample()
	c.AuthBit = true
	c.Auth = Auth{Type: AuthKeyedMD5, Data: make([]byte, 22)}
	b, _ := c.Marshal()
	f.Add(b)
	f.Add([]byte{0x20})
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data) })
}

// Crashers and corner cases, kept as named cases.
func TestRoundTripCases(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":              {},
		"one_byte":           {0x20},
		"trailing_bytes":     append(mustMarshal(t, sample()), 1, 2, 3),
		"auth_len_1":         {0x20, 0x04, 3, 26, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1},
		"auth_len_2_no_data": {0x20, 0x04, 3, 26, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2},
	} {
		t.Run(name, func(t *testing.T) { roundTrip(t, b) })
	}
}
