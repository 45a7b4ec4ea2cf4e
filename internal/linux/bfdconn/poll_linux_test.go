package bfdconn_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"gokeepalived/internal/linux/bfdconn"
	"gokeepalived/internal/linux/netnstest"
)

// TestPoller: one Wait on both families' listeners returns with every
// packet that arrived (payload, source, destination, TTL as Recv reports
// them), returns at its timeout with none, and returns early on a Kick
// from another goroutine.
func TestPoller(t *testing.T) {
	p := netnstest.NewPair(t)
	l4, l6 := listen(t, p.B, false, false), listen(t, p.B, true, false)
	poller, err := bfdconn.NewPoller([]*bfdconn.Listener{l4, l6})
	if err != nil {
		t.Fatal(err)
	}
	defer poller.Close()

	type got struct {
		payload []byte
		m       bfdconn.Meta
	}
	var all []got
	collect := func(b []byte, m bfdconn.Meta) { all = append(all, got{append([]byte(nil), b...), m}) }
	bad := func(err error) { t.Errorf("bad packet: %v", err) }

	// Nothing sent: Wait returns at its timeout, with nothing.
	start := time.Now()
	poller.Wait(20*time.Millisecond, collect, bad)
	if len(all) != 0 || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("empty Wait: %d packets after %v", len(all), time.Since(start))
	}

	s4 := dial(t, p.A, bfdconn.SenderConfig{Local: p.A4, Remote: p.B4})
	s6 := dial(t, p.A, bfdconn.SenderConfig{Local: p.A6, Remote: p.B6, TTL: 64})
	for i := range 3 {
		if err := s4.Send([]byte{4, byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s6.Send([]byte{6}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for len(all) < 4 && time.Now().Before(deadline) {
		poller.Wait(time.Until(deadline), collect, bad)
	}
	if len(all) != 4 {
		t.Fatalf("received %d packets, want 4: %+v", len(all), all)
	}
	var n4 int
	for _, g := range all {
		switch g.payload[0] {
		case 4:
			if !bytes.Equal(g.payload, []byte{4, byte(n4)}) {
				t.Errorf("IPv4 packet %d: % x (order kept within a socket)", n4, g.payload)
			}
			n4++
			if g.m.Src != s4.LocalAddr() || g.m.Dst != netip.AddrPortFrom(p.B4, bfdconn.PortSingleHop) || g.m.TTL != 255 || g.m.IfIndex != p.BIndex {
				t.Errorf("IPv4 meta %+v (sender %v)", g.m, s4.LocalAddr())
			}
		case 6:
			if g.m.Src != s6.LocalAddr() || g.m.Dst != netip.AddrPortFrom(p.B6, bfdconn.PortSingleHop) || g.m.TTL != 64 || g.m.IfIndex != p.BIndex {
				t.Errorf("IPv6 meta %+v (sender %v)", g.m, s6.LocalAddr())
			}
		default:
			t.Errorf("unexpected payload % x", g.payload)
		}
	}

	// A Kick from another goroutine ends a Wait with no timeout.
	done := make(chan struct{})
	go func() {
		defer close(done)
		poller.Wait(-1, collect, bad)
	}()
	time.Sleep(10 * time.Millisecond) // let Wait block; the Kick works either way
	poller.Kick()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Wait still blocked after Kick")
	}
}
