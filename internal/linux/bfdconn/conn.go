// Package bfdconn is the Linux transport of BFD control packets: UDP on port
// 3784 for single-hop sessions (RFC 5881) and 4784 for multihop sessions
// (RFC 5883), IPv4 and IPv6.
//
// A Listener receives on the well-known port of one family and reports the
// TTL / hop limit of every packet (IP_RECVTTL, IPV6_RECVHOPLIMIT) with its
// source and destination, so that the runtime can apply the GTSM check
// (bfd.CheckTTL) and find the session. A Sender is one session's socket:
// bound to the session's source address and to a source port in
// 49152-65535 (RFC 5881 §4), sending with TTL / hop limit 255 (RFC 5881 §5)
// or the configured value, and DSCP CS6 like FRR and keepalived.
package bfdconn

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Well-known ports and the source port range (RFC 5881 §4, RFC 5883 §5).
const (
	PortSingleHop = 3784
	PortMultihop  = 4784
	SrcPortMin    = 49152
	SrcPortMax    = 65535
)

// TTL is what single-hop packets are sent with and must arrive with.
const TTL = 255

// TOS is the IPv4 TOS / IPv6 traffic class: DSCP CS6 (network control).
const TOS = 0xc0

// Meta describes how a received packet arrived.
type Meta struct {
	Src, Dst netip.AddrPort // IP source and destination with UDP ports
	TTL      int            // IPv4 TTL or IPv6 hop limit; -1 if unknown
	IfIndex  int            // interface it arrived on; 0 if unknown
}

// ErrTruncated is returned by Recv when a packet did not fit the buffer.
var ErrTruncated = errors.New("bfdconn: packet larger than receive buffer")

// Listener receives control packets on one family's well-known port.
type Listener struct {
	uc *net.UDPConn
	p4 *ipv4.PacketConn
	p6 *ipv6.PacketConn
}

// Listen opens the receiving socket for IPv6 (v6 true; IPv6 only) or IPv4
// on port 3784, or 4784 with multihop.
func Listen(v6, multihop bool) (*Listener, error) {
	port := PortSingleHop
	if multihop {
		port = PortMultihop
	}
	network, addr := "udp4", &net.UDPAddr{IP: net.IPv4zero, Port: port}
	if v6 {
		// Go sets IPV6_V6ONLY for "udp6": the IPv4 listener can share the port.
		network, addr = "udp6", &net.UDPAddr{IP: net.IPv6unspecified, Port: port}
	}
	uc, err := net.ListenUDP(network, addr)
	if err != nil {
		return nil, fmt.Errorf("bfdconn: listen %s %v: %w", network, addr, err)
	}
	l := &Listener{uc: uc}
	if v6 {
		l.p6 = ipv6.NewPacketConn(uc)
		err = l.p6.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagInterface, true)
	} else {
		l.p4 = ipv4.NewPacketConn(uc)
		err = l.p4.SetControlMessage(ipv4.FlagTTL|ipv4.FlagDst|ipv4.FlagInterface, true)
	}
	if err != nil {
		uc.Close()
		return nil, fmt.Errorf("bfdconn: %s port %d: ask for the TTL and destination: %w", network, port, err)
	}
	return l, nil
}

// Recv reads one packet into buf and says how it arrived.
func (l *Listener) Recv(buf []byte) (int, Meta, error) {
	m := Meta{TTL: -1}
	var n int
	var src net.Addr
	var err error
	if l.p6 != nil {
		var cm *ipv6.ControlMessage
		n, cm, src, err = l.p6.ReadFrom(buf)
		if cm != nil {
			m.TTL, m.IfIndex = cm.HopLimit, cm.IfIndex
			if d, ok := netip.AddrFromSlice(cm.Dst); ok {
				m.Dst = netip.AddrPortFrom(d.Unmap(), uint16(l.Port()))
			}
		}
	} else {
		var cm *ipv4.ControlMessage
		n, cm, src, err = l.p4.ReadFrom(buf)
		if cm != nil {
			m.TTL, m.IfIndex = cm.TTL, cm.IfIndex
			if d, ok := netip.AddrFromSlice(cm.Dst); ok {
				m.Dst = netip.AddrPortFrom(d.Unmap(), uint16(l.Port()))
			}
		}
	}
	if err != nil {
		return 0, m, err
	}
	if ua, ok := src.(*net.UDPAddr); ok {
		ap := ua.AddrPort()
		m.Src = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if n == len(buf) {
		return 0, m, ErrTruncated
	}
	return n, m, nil
}

// Port is the UDP port the listener is bound to.
func (l *Listener) Port() int { return l.uc.LocalAddr().(*net.UDPAddr).Port }

// SetReadDeadline bounds the next Recv (tests; the runtime closes instead).
func (l *Listener) SetReadDeadline(t time.Time) error { return l.uc.SetReadDeadline(t) }

// Close closes the socket; a blocked Recv returns.
func (l *Listener) Close() error { return l.uc.Close() }

// SenderConfig describes one session's sending socket.
type SenderConfig struct {
	// Local is the source address (keepalived source_ip); if invalid, the
	// kernel chooses by route and the socket binds the wildcard of
	// Remote's family.
	Local netip.Addr
	// Remote is the neighbor (keepalived neighbor_ip).
	Remote netip.Addr
	// Multihop sends to 4784 instead of 3784.
	Multihop bool
	// TTL is the TTL / hop limit to send with; 0 means 255.
	TTL int
	// Rand picks source ports; nil uses math/rand/v2's global source.
	Rand func(n int) int
}

// Sender sends one session's control packets.
type Sender struct {
	uc  *net.UDPConn
	dst *net.UDPAddr
}

// ErrNoSourcePort is returned by Dial when every source port it tried was
// taken.
var ErrNoSourcePort = errors.New("bfdconn: no free source port in 49152-65535")

// Dial opens the sending socket of a session.
func Dial(c SenderConfig) (*Sender, error) {
	if !c.Remote.IsValid() {
		return nil, fmt.Errorf("bfdconn: no neighbor address")
	}
	remote := c.Remote.Unmap()
	v6 := remote.Is6()
	network := "udp4"
	if v6 {
		network = "udp6"
	}
	local := c.Local.Unmap()
	if local.IsValid() && local.Is6() != v6 {
		return nil, fmt.Errorf("bfdconn: source %v and neighbor %v are of different families", local, remote)
	}
	if !local.IsValid() {
		local = netip.IPv4Unspecified()
		if v6 {
			local = netip.IPv6Unspecified()
		}
	}
	pick := c.Rand
	if pick == nil {
		pick = rand.IntN
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = TTL
	}
	port := PortSingleHop
	if c.Multihop {
		port = PortMultihop
	}
	// RFC 5881 §4: "The source port MUST be in the range 49152 through
	// 65535." Try random ports; a taken one is skipped.
	var uc *net.UDPConn
	var err error
	for range 64 {
		sp := SrcPortMin + pick(SrcPortMax-SrcPortMin+1)
		uc, err = net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, uint16(sp))))
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("bfdconn: bind %v: %w", local, err)
		}
	}
	if uc == nil {
		return nil, ErrNoSourcePort
	}
	if v6 {
		p := ipv6.NewPacketConn(uc)
		err = errors.Join(p.SetHopLimit(ttl), p.SetTrafficClass(TOS))
	} else {
		p := ipv4.NewPacketConn(uc)
		err = errors.Join(p.SetTTL(ttl), p.SetTOS(TOS))
	}
	if err != nil {
		uc.Close()
		return nil, fmt.Errorf("bfdconn: set TTL %d and TOS: %w", ttl, err)
	}
	return &Sender{uc: uc, dst: net.UDPAddrFromAddrPort(netip.AddrPortFrom(remote, uint16(port)))}, nil
}

// Send sends one control packet to the neighbor.
func (s *Sender) Send(payload []byte) error {
	_, err := s.uc.WriteToUDP(payload, s.dst)
	if err != nil {
		return fmt.Errorf("bfdconn: send to %v: %w", s.dst, err)
	}
	return nil
}

// LocalAddr is the bound source address and port.
func (s *Sender) LocalAddr() netip.AddrPort { return s.uc.LocalAddr().(*net.UDPAddr).AddrPort() }

// Close closes the socket.
func (s *Sender) Close() error { return s.uc.Close() }

// IsClosed reports whether err comes from a socket closed by Close.
func IsClosed(err error) bool { return errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) }
