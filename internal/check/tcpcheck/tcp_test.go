package tcpcheck

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"gokeepalived/internal/check/connpoll"
	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/testutil/tcpserve"
)

func TestTCPCheck(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	up := netip.MustParseAddrPort(l.Addr().String())

	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	down := netip.MustParseAddrPort(l2.Addr().String())
	l2.Close()

	if r := New(Config{Conn: probe.Conn{Addr: up}}).Check(context.Background()); !r.OK {
		t.Errorf("listening port: %+v", r)
	}
	r := New(Config{Conn: probe.Conn{Addr: down}}).Check(context.Background())
	if want := "connect " + down.String() + ": connection refused"; r.OK || r.Reason != want {
		t.Errorf("closed port: got %+v, want reason %q", r, want)
	}
	// bindto + bind_port on loopback.
	src := netip.MustParseAddr("127.0.0.1")
	if r := New(Config{Conn: probe.Conn{Addr: up, BindAddr: src}}).Check(context.Background()); !r.OK {
		t.Errorf("with bindto: %+v", r)
	}
	// A cancelled context ends the check at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if r := New(Config{Conn: probe.Conn{Addr: up}}).Check(ctx); r.OK || time.Since(start) > time.Second {
		t.Errorf("cancelled ctx: %+v after %v", r, time.Since(start))
	}
}

// The connect poller's attempt (what the runners use) gives the results
// Check gives: connected, refused with the same reason, and the options.
func TestTCPCheckOnPoller(t *testing.T) {
	l := tcpserve.AcceptClose(t, "tcp")
	up := netip.MustParseAddrPort(l.Addr().String())
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	down := netip.MustParseAddrPort(l2.Addr().String())
	l2.Close()

	results := make(chan connpoll.Done, 4)
	p, err := connpoll.New(func(b []connpoll.Done) {
		for _, d := range b {
			results <- d
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i, conn := range []probe.Conn{{Addr: up}, {Addr: down}, {Addr: up, BindAddr: netip.MustParseAddr("127.0.0.1")}} {
		c := New(Config{Conn: conn})
		want := c.Check(context.Background())
		p.Connect(c.ConnTarget(), 0, uint64(i))
		select {
		case d := <-results:
			if d.Tag != uint64(i) || d.Result.OK != want.OK || d.Result.Reason != want.Reason {
				t.Errorf("%+v: poller %+v, Check %+v", conn, d, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%+v: no result from the poller", conn)
		}
	}
}
