// Package udpcheck implements keepalived's UDP_CHECK (check_udp.c): send a
// datagram (payload, else random bytes) from a connected UDP socket.
//
// Without require_reply the check fails only on an ICMP error (reported by
// the kernel as ECONNREFUSED, EHOSTUNREACH, ...) within connect_timeout, and
// passes on silence or any reply. With require_reply a reply must arrive, its
// length must lie in [min_reply_length, max_reply_length], and it must match
// the require_reply pattern over the shorter of the two lengths.
package udpcheck

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"gokeepalived/internal/check/probe"
)

// DefaultMaxReplyLength is max_reply_length's default.
const DefaultMaxReplyLength = 255

// Pattern is a require_reply HEX_STR: bytes plus a mask whose zero nibbles
// came from X wildcards.
type Pattern struct {
	Value, Mask []byte
}

// ParseHex parses keepalived's free-form HEX_STR: whitespace-separated groups,
// each read two digits at a time, an odd trailing digit being the low nibble
// of its own byte ("Ab12f 3" = AB 12 0F 03). With wildcards, X or x matches
// any nibble.
func ParseHex(s string, wildcards bool) (Pattern, error) {
	var p Pattern
	for _, f := range strings.Fields(s) {
		for i := 0; i < len(f); i += 2 {
			pair := f[i:min(i+2, len(f))]
			if len(pair) == 1 {
				pair = "0" + pair
			}
			var v, m byte
			for _, ch := range []byte(pair) {
				v, m = v<<4, m<<4
				switch {
				case wildcards && (ch == 'x' || ch == 'X'):
				default:
					n, err := hex.DecodeString("0" + string(ch))
					if err != nil {
						return Pattern{}, fmt.Errorf("hex string %q: bad digit %q", s, ch)
					}
					v |= n[0]
					m |= 0xf
				}
			}
			p.Value = append(p.Value, v)
			p.Mask = append(p.Mask, m)
		}
	}
	return p, nil
}

// Matches compares reply with the pattern over the shorter length.
func (p Pattern) Matches(reply []byte) bool {
	n := min(len(reply), len(p.Value))
	for i := 0; i < n; i++ {
		if reply[i]&p.Mask[i] != p.Value[i]&p.Mask[i] {
			return false
		}
	}
	return true
}

// Config is a UDP_CHECK block.
type Config struct {
	Conn probe.Conn
	// Payload is payload; nil = 16 random bytes per check.
	Payload []byte
	// RequireReply is set by require_reply; ReplyPattern by its HEX_STR.
	RequireReply bool
	ReplyPattern Pattern
	// MinReplyLength, MaxReplyLength: defaults 0 and 255 (0 here = default).
	MinReplyLength int
	MaxReplyLength int
}

// Checker is a UDP_CHECK.
type Checker struct{ cfg Config }

// New returns a UDP_CHECK. It opens nothing.
func New(cfg Config) (*Checker, error) {
	if cfg.MaxReplyLength == 0 {
		cfg.MaxReplyLength = DefaultMaxReplyLength
	}
	if cfg.MinReplyLength > cfg.MaxReplyLength {
		return nil, fmt.Errorf("UDP_CHECK: min_reply_length %d > max_reply_length %d", cfg.MinReplyLength, cfg.MaxReplyLength)
	}
	return &Checker{cfg: cfg}, nil
}

// Check sends one datagram.
func (c *Checker) Check(ctx context.Context) probe.Result {
	addr, to := c.cfg.Conn.Addr, c.cfg.Conn.ConnectTimeout()
	nc, done, err := c.cfg.Conn.Connect(ctx, "udp")
	if err != nil {
		return probe.Failf("%s", err)
	}
	defer done()

	payload := c.cfg.Payload
	if payload == nil {
		payload = make([]byte, 16)
		for i := range payload {
			payload[i] = byte(rand.Uint32())
		}
	}
	if _, err := nc.Write(payload); err != nil {
		return probe.Failf("UDP send to %s: %s", addr, probe.ErrText(err))
	}
	buf := make([]byte, 65536)
	n, err := nc.Read(buf)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
			if c.cfg.RequireReply {
				return probe.Failf("UDP %s: no reply within %s", addr, to)
			}
			return probe.Okf("UDP %s: no ICMP error within %s", addr, to)
		}
		return probe.Failf("UDP %s: %s", addr, probe.ErrText(err))
	}
	if !c.cfg.RequireReply {
		return probe.Okf("UDP %s: reply of %d bytes", addr, n)
	}
	if n < c.cfg.MinReplyLength || n > c.cfg.MaxReplyLength {
		return probe.Failf("UDP %s: reply length %d not in %d-%d", addr, n, c.cfg.MinReplyLength, c.cfg.MaxReplyLength)
	}
	if !c.cfg.ReplyPattern.Matches(buf[:n]) {
		return probe.Failf("UDP %s: reply %x does not match require_reply", addr, buf[:min(n, 32)])
	}
	return probe.Okf("UDP %s: reply of %d bytes matches", addr, n)
}
