package bfdconn_test

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"gokeepalived/internal/linux/bfdconn"
	"gokeepalived/internal/linux/netnstest"
)

const wait = 3 * time.Second

func listen(t *testing.T, ns *netnstest.NS, v6, multihop bool) *bfdconn.Listener {
	t.Helper()
	var l *bfdconn.Listener
	ns.Do(t, func() {
		var err error
		if l, err = bfdconn.Listen(v6, multihop); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { l.Close() })
	return l
}

func dial(t *testing.T, ns *netnstest.NS, c bfdconn.SenderConfig) *bfdconn.Sender {
	t.Helper()
	var s *bfdconn.Sender
	ns.Do(t, func() {
		var err error
		if s, err = bfdconn.Dial(c); err != nil {
			t.Fatalf("Dial(%+v): %v", c, err)
		}
	})
	t.Cleanup(func() { s.Close() })
	return s
}

func recv(t *testing.T, l *bfdconn.Listener) ([]byte, bfdconn.Meta) {
	t.Helper()
	if err := l.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, m, err := l.Recv(buf)
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return buf[:n], m
}

// TestSendReceive sends from a Sender in one namespace to a Listener in the
// other, for both families and both ports: the packet arrives with TTL 255
// (RFC 5881 §5), from a source port in 49152-65535 (RFC 5881 §4), to the
// well-known port, and the listener reports source and destination.
func TestSendReceive(t *testing.T) {
	p := netnstest.NewPair(t)
	for _, tc := range []struct {
		name     string
		a, b     netip.Addr
		multihop bool
		port     int
	}{
		{"RFC5881-4-1_ipv4_single_hop", p.A4, p.B4, false, 3784},
		{"RFC5881-4-1_ipv6_single_hop", p.A6, p.B6, false, 3784},
		{"RFC5883-5-1_ipv4_multihop", p.A4, p.B4, true, 4784},
		{"RFC5883-5-1_ipv6_multihop", p.A6, p.B6, true, 4784},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := listen(t, p.B, tc.b.Is6(), tc.multihop)
			s := dial(t, p.A, bfdconn.SenderConfig{Local: tc.a, Remote: tc.b, Multihop: tc.multihop})
			payload := []byte{0x20, 0x40, 3, 24, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40, 0, 0x0f, 0x42, 0x40, 0, 0, 0, 0}
			if err := s.Send(payload); err != nil {
				t.Fatal(err)
			}
			got, m := recv(t, l)
			if !bytes.Equal(got, payload) {
				t.Errorf("received % x", got)
			}
			if m.TTL != 255 {
				t.Errorf("RFC5881-5-1: TTL %d, want 255", m.TTL)
			}
			if m.Src.Addr() != tc.a || m.Src.Port() < 49152 || m.Src.Port() != s.LocalAddr().Port() {
				t.Errorf("source %v (sender bound %v)", m.Src, s.LocalAddr())
			}
			if m.Dst != netip.AddrPortFrom(tc.b, uint16(tc.port)) || m.IfIndex != p.BIndex {
				t.Errorf("destination %v on ifindex %d", m.Dst, m.IfIndex)
			}
		})
	}
}

// TestReceivedTTLReported: a packet sent with another TTL is reported with
// it, so that bfd.CheckTTL can drop it (RFC 5881 §5).
func TestReceivedTTLReported(t *testing.T) {
	p := netnstest.NewPair(t)
	for _, v6 := range []bool{false, true} {
		a, b := p.A4, p.B4
		if v6 {
			a, b = p.A6, p.B6
		}
		l := listen(t, p.B, v6, false)
		s := dial(t, p.A, bfdconn.SenderConfig{Local: a, Remote: b, TTL: 64})
		if err := s.Send([]byte{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		if _, m := recv(t, l); m.TTL != 64 {
			t.Errorf("v6 %v: TTL %d, want 64", v6, m.TTL)
		}
	}
}

// TestSourcePortTaken: a taken source port is skipped.
func TestSourcePortTaken(t *testing.T) {
	p := netnstest.NewPair(t)
	var taken *net.UDPConn
	p.A.Do(t, func() {
		var err error
		taken, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero, Port: 50000})
		if err != nil {
			t.Fatal(err)
		}
	})
	defer taken.Close()
	calls := 0
	s := dial(t, p.A, bfdconn.SenderConfig{Local: p.A4, Remote: p.B4, Rand: func(n int) int {
		calls++
		if calls == 1 {
			return 50000 - bfdconn.SrcPortMin
		}
		return 50001 - bfdconn.SrcPortMin
	}})
	if s.LocalAddr().Port() != 50001 || calls != 2 {
		t.Errorf("bound %v after %d tries, want port 50001 after 2", s.LocalAddr(), calls)
	}
	p.A.Do(t, func() {
		_, err := bfdconn.Dial(bfdconn.SenderConfig{Local: p.A4, Remote: p.B4, Rand: func(int) int { return 50000 - bfdconn.SrcPortMin }})
		if err != bfdconn.ErrNoSourcePort {
			t.Errorf("every try taken: %v, want ErrNoSourcePort", err)
		}
	})
}

func TestDialRefuses(t *testing.T) {
	for _, c := range []bfdconn.SenderConfig{
		{},
		{Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("2001:db8::1")},
	} {
		if s, err := bfdconn.Dial(c); err == nil {
			s.Close()
			t.Errorf("Dial(%+v) succeeded", c)
		}
	}
}

// TestCloseUnblocksRecv: Close makes a blocked Recv return an error that
// IsClosed recognises.
func TestCloseUnblocksRecv(t *testing.T) {
	p := netnstest.NewPair(t)
	l := listen(t, p.A, false, false)
	done := make(chan error, 1)
	go func() {
		_, _, err := l.Recv(make([]byte, 64))
		done <- err
	}()
	l.Close()
	select {
	case err := <-done:
		if !bfdconn.IsClosed(err) {
			t.Errorf("Recv after Close: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Recv still blocked after Close")
	}
}
