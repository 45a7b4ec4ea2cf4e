package probetest

import (
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// serveBound keeps a broken client from holding a test server forever;
// it is a bound on a hang, not a timing assertion.
const serveBound = 10 * time.Second

// TCPServer answers every connection, one at a time, with its current
// reply: it writes it, closes its sending side (the client reads EOF after
// it) and reads whatever the client sends until it closes. The checkers'
// fuzz targets set their input as the reply. One server serves a whole
// fuzz run: a listener per input would use up the loopback's ports with
// connections in TIME_WAIT.
type TCPServer struct {
	l     net.Listener
	mu    sync.Mutex
	reply []byte
}

// NewTCPServer listens on 127.0.0.1 until t ends.
func NewTCPServer(t testing.TB) *TCPServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &TCPServer{l: l}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			reply := s.reply
			s.mu.Unlock()
			_ = c.SetDeadline(time.Now().Add(serveBound))
			_, _ = c.Write(reply)
			_ = c.(*net.TCPConn).CloseWrite()
			_, _ = io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	return s
}

// Addr is the server's address.
func (s *TCPServer) Addr() netip.AddrPort { return s.l.Addr().(*net.TCPAddr).AddrPort() }

// SetReply sets what the next connections are answered with.
func (s *TCPServer) SetReply(reply []byte) {
	s.mu.Lock()
	s.reply = reply
	s.mu.Unlock()
}

// ServeUDP listens on 127.0.0.1 and answers the first datagram with the
// datagrams reply returns for it; it stops when t ends.
func ServeUDP(t testing.TB, reply func(req []byte) [][]byte) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = pc.SetDeadline(time.Now().Add(serveBound))
		buf := make([]byte, 65536)
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		for _, d := range reply(buf[:n]) {
			_, _ = pc.WriteTo(d, from)
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}
