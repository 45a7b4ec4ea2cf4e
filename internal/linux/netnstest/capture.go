package netnstest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
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

// PseudoSum6 is the RFC 1071 sum over the IPv6 pseudo-header (RFC 8200
// §8.1: src, dst, upper-layer length, next header proto) and msg, folded;
// 0xffff means the checksum embedded in a captured msg is right. It is the
// tests' own oracle, independent of the code under test.
func PseudoSum6(src, dst netip.Addr, proto byte, msg []byte) uint16 {
	s, d := src.As16(), dst.As16()
	b := append(append([]byte(nil), s[:]...), d[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(msg)))
	b = append(b, 0, 0, 0, proto)
	b = append(b, msg...)
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	var sum uint32
	for i := 0; i < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}
