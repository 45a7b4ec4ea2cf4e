package connpoll

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/testutil/hangtcp"
)

// collector gathers results by tag.
type collector struct {
	mu  sync.Mutex
	got map[uint64]probe.Result
	ch  chan uint64
}

func newCollector() *collector {
	return &collector{got: map[uint64]probe.Result{}, ch: make(chan uint64, 4096)}
}

func (c *collector) onDone(b []Done) {
	c.mu.Lock()
	for _, d := range b {
		if _, dup := c.got[d.Tag]; dup {
			panic("result delivered twice")
		}
		c.got[d.Tag] = d.Result
	}
	c.mu.Unlock()
	for _, d := range b {
		c.ch <- d.Tag
	}
}

// wait returns tag's result, or fails after a generous deadline.
func (c *collector) wait(t *testing.T, tag uint64) probe.Result {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		r, ok := c.got[tag]
		c.mu.Unlock()
		if ok {
			return r
		}
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("no result for attempt %d", tag)
		}
	}
}

func newPoller(t *testing.T) (*Poller, *collector) {
	t.Helper()
	c := newCollector()
	p, err := New(c.onDone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, c
}

// rawListener listens on a loopback address with the given backlog and
// never accepts (the kernel completes handshakes up to the backlog).
func rawListener(t *testing.T, addr string, backlog int) netip.AddrPort {
	t.Helper()
	a := netip.MustParseAddr(addr)
	var fam int
	var sa unix.Sockaddr
	if a.Is4() {
		fam, sa = unix.AF_INET, &unix.SockaddrInet4{Addr: a.As4()}
	} else {
		fam, sa = unix.AF_INET6, &unix.SockaddrInet6{Addr: a.As16()}
	}
	fd, err := unix.Socket(fam, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, sa); err != nil {
		t.Skipf("bind %s: %v", addr, err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		t.Fatal(err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch s := got.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(a, uint16(s.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(a, uint16(s.Port))
	}
	t.Fatal("unexpected sockaddr")
	return netip.AddrPort{}
}

func closedPort(t *testing.T, network, addr string) netip.AddrPort {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("listen %s: %v", addr, err)
	}
	ap := netip.MustParseAddrPort(l.Addr().String())
	l.Close()
	return ap
}

func TestConnectOKAndRefused(t *testing.T) {
	p, c := newPoller(t)
	up := rawListener(t, "127.0.0.1", 128)
	down := closedPort(t, "tcp4", "127.0.0.1:0")

	p.Connect(NewTarget(probe.Conn{Addr: up}), 0, 1)
	p.Connect(NewTarget(probe.Conn{Addr: down}), 0, 2)
	if r := c.wait(t, 1); !r.OK || r.Reason != "connected to "+up.String() || r.Duration <= 0 {
		t.Errorf("listening port: %+v", r)
	}
	if r, want := c.wait(t, 2), "connect "+down.String()+": connection refused"; r.OK || r.Reason != want {
		t.Errorf("closed port: got %+v, want reason %q", r, want)
	}
	if n := p.InFlight(); n != 0 {
		t.Errorf("in flight after both finished: %d", n)
	}
}

func TestConnectIPv6(t *testing.T) {
	p, c := newPoller(t)
	up := rawListener(t, "::1", 128)
	down := closedPort(t, "tcp6", "[::1]:0")
	p.Connect(NewTarget(probe.Conn{Addr: up}), 0, 1)
	p.Connect(NewTarget(probe.Conn{Addr: down}), 0, 2)
	if r := c.wait(t, 1); !r.OK {
		t.Errorf("[::1] listening port: %+v", r)
	}
	if r := c.wait(t, 2); r.OK || !strings.HasSuffix(r.Reason, "connection refused") {
		t.Errorf("[::1] closed port: %+v", r)
	}
}

// hangingTarget is a loopback address where a connect hangs (a listener
// whose accept queue is full: the kernel drops further SYNs).
func hangingTarget(t *testing.T) netip.AddrPort { return hangtcp.Addr(t) }

func TestConnectTimeout(t *testing.T) {
	p, c := newPoller(t)
	ap := hangingTarget(t)
	start := time.Now()
	p.Connect(NewTarget(probe.Conn{Addr: ap, Timeout: 300 * time.Millisecond}), 0, 1)
	// The runner's hard limit wins when it is shorter.
	p.Connect(NewTarget(probe.Conn{Addr: ap, Timeout: 5 * time.Second}), 250*time.Millisecond, 2)
	r := c.wait(t, 1)
	if want := "connect " + ap.String() + ": timeout after 300ms"; r.OK || r.Reason != want {
		t.Errorf("got %+v, want reason %q", r, want)
	}
	if r.Duration < 300*time.Millisecond || time.Since(start) < 300*time.Millisecond {
		t.Errorf("timed out after %v (measured %v), before connect_timeout", time.Since(start), r.Duration)
	}
	if r, want := c.wait(t, 2), "connect "+ap.String()+": timeout after 250ms"; r.OK || r.Reason != want {
		t.Errorf("hard limit: got %+v, want reason %q", r, want)
	}
}

func TestCloseCancelsInFlight(t *testing.T) {
	c := newCollector()
	p, err := New(c.onDone)
	if err != nil {
		t.Fatal(err)
	}
	ap := hangingTarget(t)
	tg := NewTarget(probe.Conn{Addr: ap, Timeout: time.Minute})
	p.Connect(tg, 0, 1)
	if n := p.InFlight(); n != 1 {
		t.Fatalf("in flight: %d", n)
	}
	p.Close()
	if r, want := c.wait(t, 1), "connect "+ap.String()+": canceled"; r.OK || r.Reason != want {
		t.Errorf("got %+v, want reason %q", r, want)
	}
	// After Close an attempt finishes at once.
	p.Connect(tg, 0, 2)
	if r := c.wait(t, 2); r.OK || !strings.HasSuffix(r.Reason, "canceled") {
		t.Errorf("after Close: %+v", r)
	}
}

// Many attempts in flight at once, mixed with refusals and timeouts,
// each answered exactly once (the collector panics on a second answer).
func TestManyInFlight(t *testing.T) {
	p, c := newPoller(t)
	up := rawListener(t, "127.0.0.1", 4096)
	down := closedPort(t, "tcp4", "127.0.0.1:0")
	hang := hangingTarget(t)
	const n = 600
	for i := range uint64(n) {
		switch i % 3 {
		case 0:
			p.Connect(NewTarget(probe.Conn{Addr: up}), 0, i)
		case 1:
			p.Connect(NewTarget(probe.Conn{Addr: down}), 0, i)
		default:
			p.Connect(NewTarget(probe.Conn{Addr: hang, Timeout: time.Duration(50+i%7*20) * time.Millisecond}), 0, i)
		}
	}
	for i := range uint64(n) {
		r := c.wait(t, i)
		switch i % 3 {
		case 0:
			if !r.OK {
				t.Errorf("%d: %+v", i, r)
			}
		case 1:
			if r.OK || !strings.HasSuffix(r.Reason, "connection refused") {
				t.Errorf("%d: %+v", i, r)
			}
		default:
			if r.OK || !strings.Contains(r.Reason, "timeout after") {
				t.Errorf("%d: %+v", i, r)
			}
		}
	}
	if k := p.InFlight(); k != 0 {
		t.Errorf("in flight after all finished: %d", k)
	}
}

func TestConnOptions(t *testing.T) {
	p, c := newPoller(t)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peers := make(chan netip.AddrPort, 4)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			peers <- netip.MustParseAddrPort(conn.RemoteAddr().String())
			conn.Close()
		}
	}()
	up := netip.MustParseAddrPort(l.Addr().String())
	src := closedPort(t, "tcp4", "127.0.0.2:0") // a free port on another loopback address

	// bindto + bind_port: the server sees that source.
	p.Connect(NewTarget(probe.Conn{Addr: up, BindAddr: src.Addr(), BindPort: src.Port()}), 0, 1)
	if r := c.wait(t, 1); !r.OK {
		t.Fatalf("bindto/bind_port: %+v", r)
	}
	if got := <-peers; got != src {
		t.Errorf("source seen by the server %s, want %s", got, src)
	}
	// bind_if lo and fwmark (SO_MARK needs CAP_NET_ADMIN).
	p.Connect(NewTarget(probe.Conn{Addr: up, BindIf: "lo", Fwmark: 7}), 0, 2)
	if r := c.wait(t, 2); !r.OK {
		if unix.Geteuid() == 0 {
			t.Errorf("bind_if lo + fwmark: %+v", r)
		} else if !strings.Contains(r.Reason, "not permitted") {
			t.Errorf("fwmark without privileges: %+v", r)
		}
	} else {
		<-peers
	}
	// An unknown bind_if fails the attempt with the kernel's reason.
	p.Connect(NewTarget(probe.Conn{Addr: up, BindIf: "gk-nosuchif0"}), 0, 3)
	if r := c.wait(t, 3); r.OK || !strings.Contains(r.Reason, "no such device") {
		t.Errorf("unknown bind_if: %+v", r)
	}
	// A bindto address that is not local fails with the kernel's reason.
	p.Connect(NewTarget(probe.Conn{Addr: up, BindAddr: netip.MustParseAddr("192.0.2.1")}), 0, 4)
	if r := c.wait(t, 4); r.OK || !strings.Contains(r.Reason, "cannot assign requested address") {
		t.Errorf("bindto a foreign address: %+v", r)
	}
}

// After warm-up an attempt allocates nothing: no goroutine, timer, dialer
// or result text per check.
func TestConnectAllocs(t *testing.T) {
	done := make(chan struct{}, 1)
	var last probe.Result
	p, err := New(func(b []Done) {
		for _, d := range b {
			last = d.Result
			done <- struct{}{}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	up := rawListener(t, "127.0.0.1", 4096)
	tg := NewTarget(probe.Conn{Addr: up})
	attempt := func() {
		p.Connect(tg, 0, 1)
		<-done
	}
	for range 20 {
		attempt()
	}
	if allocs := testing.AllocsPerRun(200, attempt); allocs >= 1 {
		t.Errorf("%.1f allocations per attempt, want 0", allocs)
	}
	if !last.OK {
		t.Errorf("last attempt: %+v", last)
	}
}
