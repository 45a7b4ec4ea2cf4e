package udpcheck

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/probe/probetest"
)

// udpServer echoes with a transform, or stays silent when reply is nil.
func udpServer(t *testing.T, reply func([]byte) []byte) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if reply != nil {
				_, _ = pc.WriteTo(reply(buf[:n]), from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close() })
	return netip.MustParseAddrPort(pc.LocalAddr().String())
}

func TestParseHex(t *testing.T) {
	p, err := ParseHex("Ab12f 3 456 546443123", false)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0xab, 0x12, 0x0f, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12, 0x03}
	if diff := cmp.Diff(want, p.Value); diff != "" {
		t.Errorf("man page example (-want +got):\n%s", diff)
	}
	w, err := ParseHex("4x 6F", true)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Matches([]byte("Oo")) || !w.Matches([]byte("Ao")) || w.Matches([]byte("Pa")) {
		t.Error("X wildcard nibble not honoured")
	}
	if _, err := ParseHex("zz", false); err == nil {
		t.Error("bad digit accepted")
	}
}

func TestUDPCheck(t *testing.T) {
	echo := udpServer(t, func(b []byte) []byte { return bytes.ToUpper(b) })
	silent := udpServer(t, nil)
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	closed := netip.MustParseAddrPort(pc.LocalAddr().String())
	pc.Close()
	short := 300 * time.Millisecond
	pat, _ := ParseHex("50 49 4e 47", true) // "PING"
	badPat, _ := ParseHex("50 4f", true)    // "PO"

	tests := []struct {
		name   string
		cfg    Config
		wantOK bool
		reason string
	}{
		{"echo reply", Config{Conn: probe.Conn{Addr: echo}, Payload: []byte("ping")}, true, "reply of 4 bytes"},
		{"require_reply matches", Config{Conn: probe.Conn{Addr: echo}, Payload: []byte("ping"), RequireReply: true, ReplyPattern: pat}, true, "matches"},
		{"require_reply mismatch", Config{Conn: probe.Conn{Addr: echo}, Payload: []byte("ping"), RequireReply: true, ReplyPattern: badPat}, false, "does not match require_reply"},
		{"reply too short", Config{Conn: probe.Conn{Addr: echo}, Payload: []byte("ping"), RequireReply: true, MinReplyLength: 10}, false, "reply length 4 not in 10-255"},
		{"silence without require_reply", Config{Conn: probe.Conn{Addr: silent, Timeout: short}}, true, "no ICMP error"},
		{"silence with require_reply", Config{Conn: probe.Conn{Addr: silent, Timeout: short}, RequireReply: true}, false, "no reply within 300ms"},
		{"port unreachable", Config{Conn: probe.Conn{Addr: closed, Timeout: short}}, false, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			probetest.Check(t, c, tt.wantOK, tt.reason)
		})
	}
}
