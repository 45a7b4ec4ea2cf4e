// Package vmac creates and removes the virtual MAC interfaces of keepalived's
// use_vmac: a macvlan in private mode on the instance's parent interface,
// carrying the VRRP virtual router MAC 00:00:5e:00:01:{VRID} (IPv4) or
// 00:00:5e:00:02:{VRID} (IPv6) (RFC 5798 §7.3).
//
// Create and Delete manage the interface itself; Manager adds keepalived's
// IPv4 ARP settings (arp_ignore/arp_filter sysctls on the VMAC and its
// parent). addrgenmode and a link-local address for IPv6 VMACs are not done.
package vmac

import (
	"bytes"
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
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
// right MAC (and set up); anything else is an error, never modified.
func Create(cfg Config) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	parent, err := netlink.LinkByName(cfg.Parent)
	if err != nil {
		return fmt.Errorf("vmac %s: parent %s: %w", cfg.Name, cfg.Parent, err)
	}
	mac := MAC(cfg.VRID, cfg.IPv6)
	existing, err := netlink.LinkByName(cfg.Name)
	var nf netlink.LinkNotFoundError
	switch {
	case err == nil:
		if err := matches(existing, parent.Attrs().Index, mac); err != nil {
			return fmt.Errorf("vmac %s: exists but %w", cfg.Name, err)
		}
	case errors.As(err, &nf):
		mv := &netlink.Macvlan{
			LinkAttrs: netlink.LinkAttrs{Name: cfg.Name, ParentIndex: parent.Attrs().Index, HardwareAddr: mac},
			Mode:      netlink.MACVLAN_MODE_PRIVATE,
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
	if err := netlink.LinkSetUp(existing); err != nil {
		return fmt.Errorf("vmac %s: set up: %w", cfg.Name, err)
	}
	return nil
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

// Delete removes the named interface; an absent one is not an error.
func Delete(name string) error {
	l, err := netlink.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("vmac %s: %w", name, err)
	}
	if _, ok := l.(*netlink.Macvlan); !ok {
		return fmt.Errorf("vmac %s: refusing to delete a %s", name, l.Type())
	}
	if err := netlink.LinkDel(l); err != nil {
		return fmt.Errorf("vmac %s: delete: %w", name, err)
	}
	return nil
}
