// Package tcpserve is test support: a loopback TCP listener that accepts
// every connection and closes it at once (a healthy TCP_CHECK target).
package tcpserve

import (
	"net"
	"testing"
)

// AcceptClose listens on 127.0.0.1 with network ("tcp" or "tcp4") on a free
// port, accepts and closes every connection until the test ends, and
// returns the listener (closed at cleanup).
func AcceptClose(t testing.TB, network string) net.Listener {
	t.Helper()
	l, err := net.Listen(network, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l
}
