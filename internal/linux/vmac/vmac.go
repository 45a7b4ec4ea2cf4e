// Package vmac creates and removes the virtual MAC interfaces of keepalived's
// use_vmac: a macvlan in private mode on the instance's parent interface,
// carrying the VRRP virtual router MAC 00:00:5e:00:01:{VRID} (IPv4) or
// 00:00:5e:00:02:{VRID} (IPv6) (RFC 5798 §7.3).
//
// Like keepalived (netlink_link_add_vmac in vrrp_vmac.c), a VMAC's IPv6
// address generation is turned off before it comes up, so the kernel does
// not give it an EUI-64 link-local address built from the virtual MAC
// (RFC 5798 §7.4 forbids it; every router's VMAC would get the same one).
// An IPv6 VMAC carries a copy of the parent's link-local address instead,
// added with nodad so it is usable at once. The instance's adverts leave
// through the VMAC from that address: the kernel refuses a link-local source
// that is not an address of the outgoing interface (EINVAL).
//
// Create and Delete manage the interface itself; Manager adds keepalived's
// IPv4 ARP settings (arp_ignore/arp_filter sysctls on the VMAC and its
// parent).
package vmac

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// MAC returns the VRRP virtual router MAC address for vrid.
func MAC(vrid uint8, ipv6 bool) net.HardwareAddr {
	kind := byte(1)
	if ipv6 {
		kind = 2
	}
	return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, kind, vrid}
}

// Config describes one VMAC interface.
type Config struct {
	Name   string // e.g. "vrrp.51"; at most 15 bytes
	Parent string // the interface the instance runs on
	VRID   uint8
	IPv6   bool
	// MAC, if set, replaces MAC(VRID, IPv6) (use_vmac NAME MAC).
	MAC net.HardwareAddr
}

func (c Config) mac() net.HardwareAddr {
	if len(c.MAC) == 6 {
		return c.MAC
	}
	return MAC(c.VRID, c.IPv6)
}

func (c Config) validate() error {
	if c.Name == "" || len(c.Name) > 15 {
		return fmt.Errorf("vmac: interface name %q must be 1-15 bytes", c.Name)
	}
	if c.Parent == "" {
		return fmt.Errorf("vmac %s: no parent interface", c.Name)
	}
	if c.VRID == 0 {
		return fmt.Errorf("vmac %s: VRID 0 is not valid", c.Name)
	}
	return nil
}

// Create makes the macvlan and sets it up. If an interface of that name
// already exists it is accepted when it is a macvlan on Parent with the
// right MAC (and set up); anything else is an error, never modified. Before
// setting it up it turns IPv6 address generation off (removing an address
// the kernel generated from the virtual MAC on an existing macvlan) and, for
// IPv6, adds the parent's link-local address (see the package comment).
func Create(cfg Config) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	parent, err := netlink.LinkByName(cfg.Parent)
	if err != nil {
		return fmt.Errorf("vmac %s: parent %s: %w", cfg.Name, cfg.Parent, err)
	}
	mac := cfg.mac()
	existing, err := netlink.LinkByName(cfg.Name)
	var nf netlink.LinkNotFoundError
	switch {
	case err == nil:
		if err := matches(existing, parent.Attrs().Index, mac); err != nil {
			return fmt.Errorf("vmac %s: exists but %w", cfg.Name, err)
		}
	case errors.As(err, &nf):
		mv := &netlink.Macvlan{
			LinkAttrs: netlink.LinkAttrs{Name: cfg.Name, ParentIndex: parent.Attrs().Index, HardwareAddr: mac,
				MasterIndex: vrfMaster(parent)},
			Mode: netlink.MACVLAN_MODE_PRIVATE,
		}
		if err := netlink.LinkAdd(mv); err != nil {
			return fmt.Errorf("vmac %s: create macvlan on %s: %w", cfg.Name, cfg.Parent, err)
		}
		if existing, err = netlink.LinkByName(cfg.Name); err != nil {
			return fmt.Errorf("vmac %s: after create: %w", cfg.Name, err)
		}
	default:
		return fmt.Errorf("vmac %s: %w", cfg.Name, err)
	}
	// No IPv6 address generated from the virtual MAC, whatever the family
	// (keepalived turns generation off on every VMAC): the VMACs of all the
	// routers share the MAC, so they would all get the same address.
	if err := netlink.LinkSetIP6AddrGenMode(existing, in6AddrGenModeNone); err != nil && cfg.IPv6 {
		return fmt.Errorf("vmac %s: turning IPv6 address generation off: %w", cfg.Name, err)
	} // IPv4: a kernel without IPv6 refuses, and has nothing to generate either
	if err := removeGenerated(cfg, existing); err != nil {
		return err
	}
	if cfg.IPv6 {
		if err := linkLocal(cfg, existing, parent); err != nil {
			return err
		}
	}
	if err := netlink.LinkSetUp(existing); err != nil {
		return fmt.Errorf("vmac %s: set up: %w", cfg.Name, err)
	}
	return nil
}

// in6AddrGenModeNone is IN6_ADDR_GEN_MODE_NONE (linux/if_link.h), which
// x/sys does not define: no automatic IPv6 addresses on the link.
const in6AddrGenModeNone = 1

// removeGenerated removes the EUI-64 link-local address the kernel may
// have generated from the virtual MAC on an existing VMAC l (one set up
// before address generation was turned off).
func removeGenerated(cfg Config, l netlink.Link) error {
	auto := EUI64LinkLocal(l.Attrs().HardwareAddr)
	have, err := netlink.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		return fmt.Errorf("vmac %s: listing addresses: %w", cfg.Name, err)
	}
	for _, a := range have {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip == auto {
			if err := netlink.AddrDel(l, &a); err != nil {
				return fmt.Errorf("vmac %s: removing the generated link-local address %s: %w", cfg.Name, ip, err)
			}
		}
	}
	return nil
}

// linkLocal gives the VMAC l the parent's link-local address (nodad, so
// never tentative).
func linkLocal(cfg Config, l, parent netlink.Link) error {
	ll, err := ParentLinkLocal(parent)
	if err != nil {
		return fmt.Errorf("vmac %s: %w", cfg.Name, err)
	}
	a := &netlink.Addr{
		IPNet: &net.IPNet{IP: ll.AsSlice(), Mask: net.CIDRMask(64, 128)},
		Flags: unix.IFA_F_NODAD, Scope: unix.RT_SCOPE_LINK,
	}
	if err := netlink.AddrReplace(l, a); err != nil {
		return fmt.Errorf("vmac %s: adding %s's link-local address %s: %w", cfg.Name, cfg.Parent, ll, err)
	}
	return nil
}

// ParentLinkLocal returns the IPv6 link-local address an IPv6 VMAC on
// parent carries: parent's first link-local address, or, when it has none
// (down, or its address generation is off), the EUI-64 address of its MAC,
// as keepalived does (set_link_local_address in vrrp_vmac.c).
func ParentLinkLocal(parent netlink.Link) (netip.Addr, error) {
	as, err := netlink.AddrList(parent, netlink.FAMILY_V6)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("addresses of %s: %w", parent.Attrs().Name, err)
	}
	for _, a := range as {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.IsLinkLocalUnicast() {
			return ip, nil
		}
	}
	if mac := parent.Attrs().HardwareAddr; len(mac) == 6 {
		return EUI64LinkLocal(mac), nil
	}
	return netip.Addr{}, fmt.Errorf("%s has no IPv6 link-local address and no Ethernet MAC to build one from", parent.Attrs().Name)
}

// EUI64LinkLocal is the link-local address the kernel generates from an
// Ethernet MAC (RFC 4291 appendix A): fe80::, then the MAC with the
// universal/local bit flipped and ff:fe in the middle. Invalid for a MAC
// that is not 6 bytes long.
func EUI64LinkLocal(mac net.HardwareAddr) netip.Addr {
	if len(mac) != 6 {
		return netip.Addr{}
	}
	return netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80,
		8: mac[0] ^ 0x02, 9: mac[1], 10: mac[2], 11: 0xff, 12: 0xfe, 13: mac[3], 14: mac[4], 15: mac[5]})
}

func matches(l netlink.Link, parentIndex int, mac net.HardwareAddr) error {
	mv, ok := l.(*netlink.Macvlan)
	if !ok {
		return fmt.Errorf("is a %s, not a macvlan", l.Type())
	}
	if mv.Attrs().ParentIndex != parentIndex {
		return fmt.Errorf("has parent index %d, want %d", mv.Attrs().ParentIndex, parentIndex)
	}
	if !bytes.Equal(mv.Attrs().HardwareAddr, mac) {
		return fmt.Errorf("has MAC %s, want %s", mv.Attrs().HardwareAddr, mac)
	}
	if mv.Mode != netlink.MACVLAN_MODE_PRIVATE {
		return fmt.Errorf("has macvlan mode %d, want private", mv.Mode)
	}
	return nil
}

// Delete removes the named interface (and with it the addresses on it, the
// IPv6 link-local copy included); an absent one is not an error.
func Delete(name string) error {
	l, err := netlink.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("vmac %s: %w", name, err)
	}
	switch l.(type) {
	case *netlink.Macvlan, *netlink.IPVlan:
	default:
		return fmt.Errorf("vmac %s: refusing to delete a %s", name, l.Type())
	}
	if err := netlink.LinkDel(l); err != nil {
		return fmt.Errorf("vmac %s: delete: %w", name, err)
	}
	return nil
}
