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
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

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
func SendFrom(ifname string, mac net.HardwareAddr, vips []netip.Addr) error {
	if len(vips) == 0 {
		return nil
	}
	ifi, err := net.InterfaceByName(ifname)
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
	// Protocol 0: a send-only socket that receives nothing.
	c, err := packet.Listen(ifi, packet.Raw, 0, nil)
	if err != nil {
		return fmt.Errorf("garp: packet socket on %s: %w", ifname, err)
	}
	defer c.Close()
	for i, f := range frames {
		if _, err := c.WriteTo(f, &packet.Addr{HardwareAddr: net.HardwareAddr(f[:6])}); err != nil {
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
