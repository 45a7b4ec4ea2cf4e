package bfd

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sample() Control {
	return Control{Version: 1, State: StateUp, DetectMult: 3, MyDiscr: 7, YourDiscr: 9,
		DesiredMinTx: 300000, RequiredMinRx: 300000}
}

func mustMarshal(t *testing.T, c Control) []byte {
	t.Helper()
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReceptionChecks walks RFC 5880 §6.8.6's discard rules in their order,
// one packet per rule, each with the drop reason that names it.
func TestReceptionChecks(t *testing.T) {
	good := mustMarshal(t, sample())
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	authed := sample()
	authed.AuthBit = true
	authed.Auth = Auth{Type: AuthSimplePassword, Data: []byte{1, 's', 'e', 'c'}}
	for _, tc := range []struct {
		name string
		b    []byte
		c    func(c *Control) // instead of b: a Control for Validate
		want DropReason
	}{
		{name: "RFC5880-6.8.6-1_version_not_1", b: mod(func(b []byte) []byte { b[0] = 2<<5 | b[0]&0x1f; return b }), want: DropVersion},
		{name: "RFC5880-6.8.6-1_version_0", b: mod(func(b []byte) []byte { b[0] &= 0x1f; return b }), want: DropVersion},
		{name: "RFC5880-6.8.6-2_length_below_24", b: mod(func(b []byte) []byte { b[3] = 23; return b }), want: DropLength},
		{name: "RFC5880-6.8.6-2_length_below_26_with_A", b: mod(func(b []byte) []byte { b[1] |= 0x04; return b }), want: DropLength},
		{name: "RFC5880-6.8.6-2_payload_below_24", b: good[:23], want: DropLength},
		{name: "RFC5880-6.8.6-3_length_beyond_payload", b: mod(func(b []byte) []byte { b[3] = 25; return b }), want: DropLength},
		{name: "auth_len_does_not_fill_length", b: mod(func(b []byte) []byte {
			b = append(b, 1, 5, 0, 0)
			b[1] |= 0x04
			b[3] = 28
			return b
		}), want: DropLength},
		{name: "RFC5880-6.8.6-4_detect_mult_zero", c: func(c *Control) { c.DetectMult = 0 }, want: DropDetectMult},
		{name: "RFC5880-6.8.6-5_multipoint", c: func(c *Control) { c.Multipoint = true }, want: DropMultipoint},
		{name: "RFC5880-6.8.6-6_my_discriminator_zero", c: func(c *Control) { c.MyDiscr = 0 }, want: DropMyDiscrZero},
		{name: "RFC5880-6.8.6-8_your_discriminator_zero_in_Up", c: func(c *Control) { c.YourDiscr = 0 }, want: DropYourDiscrZero},
		{name: "RFC5880-6.8.6-8_your_discriminator_zero_in_Init", c: func(c *Control) { c.YourDiscr, c.State = 0, StateInit }, want: DropYourDiscrZero},
		{name: "RFC5880-6.8.6-8_your_discriminator_zero_in_Down_is_fine", c: func(c *Control) { c.YourDiscr, c.State = 0, StateDown }, want: OK},
		{name: "RFC5880-6.8.6-8_your_discriminator_zero_in_AdminDown_is_fine", c: func(c *Control) { c.YourDiscr, c.State = 0, StateAdminDown }, want: OK},
		{name: "RFC5880-6.8.6-10_A_bit_without_auth_in_use", b: mustMarshal(t, authed), want: DropAuthUnsupported},
		{name: "good", b: good, want: OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got DropReason
			if tc.c != nil {
				c := sample()
				tc.c(&c)
				got = Validate(&c)
			} else {
				c, err := ParseControl(tc.b)
				var pe ParseError
				switch {
				case errors.As(err, &pe):
					got = pe.Reason
				case err != nil:
					t.Fatalf("error %v is not a ParseError", err)
				default:
					got = Validate(&c)
				}
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAuthSectionRoundTrip(t *testing.T) {
	c := sample()
	c.AuthBit = true
	c.Auth = Auth{Type: AuthKeyedSHA1, Data: bytes.Repeat([]byte{0xab}, 26)}
	b := mustMarshal(t, c)
	if len(b) != 52 || b[3] != 52 || b[25] != 28 {
		t.Fatalf("encoded %d bytes, Length %d, Auth Len %d; want 52, 52, 28", len(b), b[3], b[25])
	}
	got, err := ParseControl(b)
	if err != nil {
		t.Fatal(err)
	}
	c.Length = 52
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("(-sent +parsed)\n%s", diff)
	}
}

func TestMarshalRefuses(t *testing.T) {
	for _, c := range []Control{
		{Version: 8, DetectMult: 1, MyDiscr: 1},
		{Diag: 32, DetectMult: 1, MyDiscr: 1},
		{State: 4, DetectMult: 1, MyDiscr: 1},
		{AuthBit: true, Auth: Auth{Data: make([]byte, 230)}},
	} {
		if _, err := c.Marshal(); err == nil {
			t.Errorf("Marshal(%+v) succeeded", c)
		}
	}
}

func TestCheckTTL(t *testing.T) {
	for _, tc := range []struct {
		ttl, sent, maxHops int
		want               DropReason
	}{
		{255, 255, 0, OK},
		{254, 255, 0, DropTTL}, // RFC5881-5-2: single hop needs 255
		{64, 255, 0, DropTTL},
		{254, 255, 2, OK},
		{253, 255, 2, OK},
		{252, 255, 2, DropTTL}, // keepalived max_hops: at most 2 hops
		{64, 64, 0, OK},        // keepalived's IPv6 default hop limit
		{63, 64, 0, DropTTL},
		{1, 255, -1, OK}, // max_hops -1: no check
	} {
		if got := CheckTTL(tc.ttl, tc.sent, tc.maxHops); got != tc.want {
			t.Errorf("CheckTTL(%d, %d, %d) = %v, want %v", tc.ttl, tc.sent, tc.maxHops, got, tc.want)
		}
	}
}

func TestDropReasonNames(t *testing.T) {
	for r := DropReason(0); r < NumDropReasons; r++ {
		if dropReasonNames[r] == "" {
			t.Errorf("DropReason %d has no name", r)
		}
	}
}
