package netnstest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/mdlayher/packet"
)

// Ethertypes for Capture.
const (
	EtherTypeIPv4 = 0x0800
	EtherTypeARP  = 0x0806
	EtherTypeIPv6 = 0x86dd
)

// Capture is an AF_PACKET sniffer on one link of a namespace.
type Capture struct {
	c *packet.Conn
}

// Listen opens a sniffer for whole Ethernet frames of one ethertype on a
// link inside ns. It is open before this returns, so frames sent afterwards
// are seen. It closes at the end of the test.
func (n *NS) Listen(t testing.TB, ifname string, ethertype int) *Capture {
	t.Helper()
	var c *packet.Conn
	n.Do(t, func() {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			t.Fatalf("%s: %s: %v", n.Name, ifname, err)
		}
		if c, err = packet.Listen(ifi, packet.Raw, ethertype, nil); err != nil {
			t.Fatalf("%s: packet socket on %s: %v", n.Name, ifname, err)
		}
	})
	t.Cleanup(func() { c.Close() })
	return &Capture{c: c}
}

// Next returns the first frame for which match returns true, waiting at most
// timeout. Frames that do not match are discarded. It fails the test on
// timeout, reporting how many frames it skipped.
func (c *Capture) Next(t testing.TB, timeout time.Duration, match func(frame []byte) bool) []byte {
	t.Helper()
	if err := c.c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	skipped := 0
	for {
		n, _, err := c.c.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("no matching frame within %v (%d others seen)", timeout, skipped)
		}
		if err != nil {
			t.Fatalf("capture: %v", err)
		}
		if match(buf[:n]) {
			return append([]byte(nil), buf[:n]...)
		}
		skipped++
	}
}

// String describes the capture for messages.
func (c *Capture) String() string { return fmt.Sprintf("capture on %v", c.c.LocalAddr()) }
