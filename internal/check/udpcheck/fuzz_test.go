package udpcheck

import (
	"context"
	"testing"
	"time"

	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/probe/probetest"
)

// FuzzCheckReply runs UDP_CHECK with require_reply (the fuzzed HEX_STR
// and length bounds) against a server that answers with the fuzzed
// datagram: the check passes exactly when the reply's length is within
// the bounds and it matches the pattern.
func FuzzCheckReply(f *testing.F) {
	for _, s := range []struct {
		reply, pattern string
		lo, hi         uint8
	}{
		{"\xab\x12\x0f\x03", "Ab12f 3", 0, 0},
		{"\xab\x12", "aXx2", 2, 2},
		{"", "", 0, 0},
		{"abc", "zz", 0, 0},
		{"\x00\x01\x02\x03\x04\x05", "00 01 02", 1, 3},
		{"x", "x", 5, 1},
	} {
		f.Add([]byte(s.reply), s.pattern, s.lo, s.hi)
	}
	f.Fuzz(func(t *testing.T, reply []byte, hexStr string, lo, hi uint8) {
		p, err := ParseHex(hexStr, true)
		if err != nil {
			return
		}
		if len(p.Value) != len(p.Mask) {
			t.Fatalf("ParseHex(%q) = %d bytes, %d mask bytes", hexStr, len(p.Value), len(p.Mask))
		}
		addr := probetest.ServeUDP(t, func([]byte) [][]byte { return [][]byte{reply} })
		c, err := New(Config{Conn: probe.Conn{Addr: addr, Timeout: 10 * time.Second}, Payload: []byte("ping"),
			RequireReply: true, ReplyPattern: p, MinReplyLength: int(lo), MaxReplyLength: int(hi)})
		if err != nil {
			return // min > max, refused as it should be
		}
		r := c.Check(context.Background())
		max := int(hi)
		if max == 0 {
			max = DefaultMaxReplyLength
		}
		want := len(reply) >= int(lo) && len(reply) <= max && p.Matches(reply)
		if r.OK != want || r.Reason == "" {
			t.Errorf("reply %x, pattern %q, length %d-%d: %+v, want OK %v", reply, hexStr, lo, hi, r, want)
		}
	})
}
