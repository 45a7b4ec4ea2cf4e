// Package garp announces virtual addresses on a link after a VRRP instance
// becomes master: a gratuitous ARP for each IPv4 VIP and an unsolicited
// Neighbor Advertisement for each IPv6 VIP, built as whole Ethernet frames
// and written to an AF_PACKET socket (mdlayher/packet) on the interface.
//
// The frames follow keepalived (vrrp_arp.c, vrrp_ndisc.c):
//   - ARP: an ARP *request* broadcast to ff:ff:ff:ff:ff:ff with sender IP =
//     target IP = VIP, sender MAC = the interface's MAC (or the VMAC), target
//     MAC ff:ff:ff:ff:ff:ff; 42 bytes (the NIC pads to the Ethernet minimum).
//   - NA: to ff02::1 (33:33:00:00:00:01), IPv6 source = the VIP, hop limit
//     255, Override set, Solicited clear, Router set only when the interface
//     forwards IPv6, with a Target Link-Layer Address option.
//
// Building whole frames means the VIP need not be usable as a socket source
// (tentative, or on another device) and the source MAC can be a VMAC sent
// through the parent. The frame builders are pure and tested without a kernel.
package garp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
)

const (
	etherTypeIPv4 = 0x0800
	etherTypeARP  = 0x0806
	etherTypeIPv6 = 0x86dd
)

var broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// allNodes is ff02::1 and its Ethernet multicast address.
var (
	allNodes    = netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 15: 0x01})
	allNodesMAC = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}
)

// ARPFrame returns the gratuitous ARP Ethernet frame keepalived sends for
// an IPv4 VIP from mac.
func ARPFrame(mac net.HardwareAddr, vip netip.Addr) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("garp: MAC %v is not Ethernet", mac)
	}
	if !vip.Is4() {
		return nil, fmt.Errorf("garp: %v is not IPv4", vip)
	}
	b := make([]byte, 0, 42)
	b = append(b, broadcast...)
	b = append(b, mac...)
	b = binary.BigEndian.AppendUint16(b, etherTypeARP)
	b = binary.BigEndian.AppendUint16(b, 1) // hardware type Ethernet
	b = binary.BigEndian.AppendUint16(b, etherTypeIPv4)
	b = append(b, 6, 4)                     // hardware, protocol address lengths
	b = binary.BigEndian.AppendUint16(b, 1) // request
	ip := vip.As4()
	b = append(b, mac...)       // sender MAC
	b = append(b, ip[:]...)     // sender IP
	b = append(b, broadcast...) // target MAC
	b = append(b, ip[:]...)     // target IP
	return b, nil
}

// NAFrame returns the unsolicited Neighbor Advertisement Ethernet frame for
// an IPv6 VIP from mac; router sets the R flag.
func NAFrame(mac net.HardwareAddr, vip netip.Addr, router bool) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("garp: MAC %v is not Ethernet", mac)
	}
	if !vip.Is6() || vip.Is4In6() {
		return nil, fmt.Errorf("garp: %v is not IPv6", vip)
	}
	vip = vip.WithZone("")
	na := &ndp.NeighborAdvertisement{
		Router:        router,
		Override:      true,
		TargetAddress: vip,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}},
	}
	icmp, err := ndp.MarshalMessageChecksum(na, vip, allNodes)
	if err != nil {
		return nil, fmt.Errorf("garp: NA for %v: %w", vip, err)
	}
	b := make([]byte, 0, 14+40+len(icmp))
	b = append(b, allNodesMAC...)
	b = append(b, mac...)
	b = binary.BigEndian.AppendUint16(b, etherTypeIPv6)
	b = append(b, 0x60, 0, 0, 0) // version 6, traffic class 0, flow label 0
	b = binary.BigEndian.AppendUint16(b, uint16(len(icmp)))
	b = append(b, 58, ndp.HopLimit) // next header ICMPv6, hop limit 255
	src, dst := vip.As16(), allNodes.As16()
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	return append(b, icmp...), nil
}

// Send announces every VIP on ifname with the interface's own MAC.
func Send(ifname string, vips []netip.Addr) error {
	return SendFrom(ifname, nil, vips)
}

// SendFrom is Send with an explicit source MAC (a VMAC sent through its
// parent, say); nil means the interface's MAC. It stops at the first error.
// It opens and closes a packet socket per call; a daemon that announces
// often uses a Sender instead.
func SendFrom(ifname string, mac net.HardwareAddr, vips []netip.Addr) error {
	return sendFrom(nil, ifname, mac, vips)
}

// Sender is Send/SendFrom with one packet socket per interface kept open
// between calls (as keepalived keeps its ARP socket). Closing an AF_PACKET
// socket waits for an RCU grace period in the kernel (packet_release calls
// synchronize_net): measured at 5-25 ms per close, so a daemon that opened
// and closed one per gratuitous ARP stalled its VRRP loop for 50-80 ms at
// each announcement (garp_master_repeat 5), long enough for a backup with
// 10 ms adverts to take over. A Sender is for the network namespace of its
// callers; it is safe for concurrent use.
//
// A Sender also remembers each interface's index and MAC for a second
// (ifTTL): net.InterfaceByName dumps every link of the namespace over
// netlink, and at 1,000 instances the gratuitous ARPs of a takeover spent
// two thirds of the daemon's CPU in it (docs/benchmarks.md, "Scale"). A
// send that fails forgets the interface, and is tried once more with a
// fresh lookup (the interface may have been re-created).
type Sender struct {
	mu    sync.Mutex
	conns map[string]*cachedConn // by interface name
	ifs   map[string]cachedIf    // by interface name
}

type cachedIf struct {
	ifi *net.Interface
	at  time.Time
}

// ifTTL is how long a Sender trusts an interface's index and MAC.
const ifTTL = time.Second

type cachedConn struct {
	index int // interface index the socket is bound to
	c     *packet.Conn
}

// NewSender returns a Sender with no socket open yet.
func NewSender() *Sender {
	return &Sender{conns: map[string]*cachedConn{}, ifs: map[string]cachedIf{}}
}

// Send announces every VIP on ifname with the interface's own MAC.
func (s *Sender) Send(ifname string, vips []netip.Addr) error {
	return sendFrom(s, ifname, nil, vips)
}

// SendFrom is Send with an explicit source MAC (see the function SendFrom).
func (s *Sender) SendFrom(ifname string, mac net.HardwareAddr, vips []netip.Addr) error {
	return sendFrom(s, ifname, mac, vips)
}

// Close closes every socket the Sender holds (it may be used again after).
func (s *Sender) Close() error {
	s.mu.Lock()
	conns := s.conns
	s.conns = map[string]*cachedConn{}
	clear(s.ifs)
	s.mu.Unlock()
	var errs []error
	for _, cc := range conns {
		errs = append(errs, cc.c.Close())
	}
	return errors.Join(errs...)
}

// conn returns the Sender's socket for ifi, opening it when there is none
// or the interface was re-created (new index). A replaced socket is closed
// in the background, so the caller never waits for the kernel's grace period.
func (s *Sender) conn(ifi *net.Interface) (*packet.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cc, ok := s.conns[ifi.Name]; ok {
		if cc.index == ifi.Index {
			return cc.c, nil
		}
		delete(s.conns, ifi.Name)
		go cc.c.Close()
	}
	c, err := listen(ifi)
	if err != nil {
		return nil, err
	}
	s.conns[ifi.Name] = &cachedConn{index: ifi.Index, c: c}
	return c, nil
}

// drop forgets a socket that failed to send (closed in the background); the
// next call opens a new one.
func (s *Sender) drop(ifname string, c *packet.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cc, ok := s.conns[ifname]; ok && cc.c == c {
		delete(s.conns, ifname)
		go c.Close()
	}
}

// iface looks ifname up, through the Sender's cache when s is not nil (or
// fresh, when fresh is set).
func (s *Sender) iface(ifname string, fresh bool) (*net.Interface, error) {
	if s == nil {
		return net.InterfaceByName(ifname)
	}
	now := time.Now()
	s.mu.Lock()
	ci, ok := s.ifs[ifname]
	s.mu.Unlock()
	if ok && !fresh && now.Sub(ci.at) < ifTTL && now.Sub(ci.at) >= 0 {
		return ci.ifi, nil
	}
	ifi, err := net.InterfaceByName(ifname)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		delete(s.ifs, ifname)
		return nil, err
	}
	s.ifs[ifname] = cachedIf{ifi: ifi, at: now}
	return ifi, nil
}

// listen opens a send-only packet socket on ifi (protocol 0: it receives
// nothing).
func listen(ifi *net.Interface) (*packet.Conn, error) {
	c, err := packet.Listen(ifi, packet.Raw, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("garp: packet socket on %s: %w", ifi.Name, err)
	}
	return c, nil
}

// sendFrom builds the frames and writes them through s's socket, or a
// socket of its own when s is nil.
func sendFrom(s *Sender, ifname string, mac net.HardwareAddr, vips []netip.Addr) error {
	err := sendOnce(s, ifname, mac, vips, false)
	if err != nil && s != nil {
		// The cached interface may be stale (re-created): look again.
		err = sendOnce(s, ifname, mac, vips, true)
	}
	return err
}

func sendOnce(s *Sender, ifname string, mac net.HardwareAddr, vips []netip.Addr, fresh bool) error {
	if len(vips) == 0 {
		return nil
	}
	ifi, err := s.iface(ifname, fresh)
	if err != nil {
		return fmt.Errorf("garp: %w", err)
	}
	if mac == nil {
		mac = ifi.HardwareAddr
	}
	frames := make([][]byte, 0, len(vips))
	router, routerKnown := false, false
	for _, v := range vips {
		var f []byte
		if v.Is4() {
			f, err = ARPFrame(mac, v)
		} else {
			if !routerKnown {
				router, routerKnown = forwarding(ifname), true
			}
			f, err = NAFrame(mac, v, router)
		}
		if err != nil {
			return fmt.Errorf("garp: %s: %w", ifname, err)
		}
		frames = append(frames, f)
	}
	var c *packet.Conn
	if s != nil {
		c, err = s.conn(ifi)
	} else {
		c, err = listen(ifi)
		if err == nil {
			defer c.Close()
		}
	}
	if err != nil {
		return err
	}
	for i, f := range frames {
		if _, err := c.WriteTo(f, &packet.Addr{HardwareAddr: net.HardwareAddr(f[:6])}); err != nil {
			if s != nil {
				s.drop(ifname, c)
			}
			return fmt.Errorf("garp: send for %v on %s: %w", vips[i], ifname, err)
		}
	}
	return nil
}

// forwarding reports whether the interface forwards IPv6, which sets the
// NA's Router flag (RFC 4861 §7.2.4; keepalived does the same).
func forwarding(ifname string) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + ifname + "/forwarding")
	if err != nil {
		return false // no IPv6 on the link: no router either
	}
	return strings.TrimSpace(string(b)) == "1"
}
