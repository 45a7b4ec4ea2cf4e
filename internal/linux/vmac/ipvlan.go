package vmac

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// IPVLANConfig describes the ipvlan of keepalived's use_ipvlan
// (netlink_link_add_ipvlan in vrrp_vmac.c): an L2-mode ipvlan on Parent,
// sharing Parent's MAC, with Addr on it.
type IPVLANConfig struct {
	Name   string // at most 15 bytes
	Parent string
	// Mode is the ipvlan flag: "bridge" ("" too), "private" or "vepa".
	Mode string
	// Addr is put on the ipvlan when valid (the instance's advert source).
	Addr netip.Prefix
	// IPv6 is the instance's family. An IPv4 instance's ipvlan gets no
	// IPv6 link-local address (keepalived turns IPv6 off on it): an L2
	// ipvlan shares its parent's MAC, so that address would be the
	// parent's.
	IPv6 bool
}

func ipvlanFlag(mode string) (netlink.IPVlanFlag, error) {
	switch mode {
	case "", "bridge":
		return netlink.IPVLAN_FLAG_BRIDGE, nil
	case "private":
		return netlink.IPVLAN_FLAG_PRIVATE, nil
	case "vepa":
		return netlink.IPVLAN_FLAG_VEPA, nil
	}
	return 0, fmt.Errorf("unknown ipvlan mode %q", mode)
}

// CreateIPVLAN makes the ipvlan (or accepts an existing L2 ipvlan of that
// name on Parent with the same flag; anything else is an error, never
// modified), enslaves it to Parent's VRF if Parent has one, sets it up and
// adds Addr.
func CreateIPVLAN(cfg IPVLANConfig) error {
	if cfg.Name == "" || len(cfg.Name) > 15 {
		return fmt.Errorf("ipvlan: interface name %q must be 1-15 bytes", cfg.Name)
	}
	flag, err := ipvlanFlag(cfg.Mode)
	if err != nil {
		return fmt.Errorf("ipvlan %s: %w", cfg.Name, err)
	}
	parent, err := netlink.LinkByName(cfg.Parent)
	if err != nil {
		return fmt.Errorf("ipvlan %s: parent %s: %w", cfg.Name, cfg.Parent, err)
	}
	existing, err := netlink.LinkByName(cfg.Name)
	var nf netlink.LinkNotFoundError
	switch {
	case err == nil:
		iv, ok := existing.(*netlink.IPVlan)
		switch {
		case !ok:
			return fmt.Errorf("ipvlan %s: exists but is a %s, not an ipvlan", cfg.Name, existing.Type())
		case iv.Attrs().ParentIndex != parent.Attrs().Index:
			return fmt.Errorf("ipvlan %s: exists but has parent index %d, want %d", cfg.Name, iv.Attrs().ParentIndex, parent.Attrs().Index)
		case iv.Mode != netlink.IPVLAN_MODE_L2 || iv.Flag != flag:
			return fmt.Errorf("ipvlan %s: exists but in mode %d flag %d, want l2 %s", cfg.Name, iv.Mode, iv.Flag, cfg.Mode)
		}
	case errors.As(err, &nf):
		iv := &netlink.IPVlan{
			LinkAttrs: netlink.LinkAttrs{Name: cfg.Name, ParentIndex: parent.Attrs().Index, MasterIndex: vrfMaster(parent)},
			Mode:      netlink.IPVLAN_MODE_L2, Flag: flag,
		}
		if err := netlink.LinkAdd(iv); err != nil {
			return fmt.Errorf("ipvlan %s: create on %s: %w", cfg.Name, cfg.Parent, err)
		}
		if existing, err = netlink.LinkByName(cfg.Name); err != nil {
			return fmt.Errorf("ipvlan %s: after create: %w", cfg.Name, err)
		}
	default:
		return fmt.Errorf("ipvlan %s: %w", cfg.Name, err)
	}
	if !cfg.IPv6 {
		// A kernel without IPv6 refuses, and has nothing to generate either.
		_ = netlink.LinkSetIP6AddrGenMode(existing, in6AddrGenModeNone)
	}
	if err := netlink.LinkSetUp(existing); err != nil {
		return fmt.Errorf("ipvlan %s: set up: %w", cfg.Name, err)
	}
	if cfg.Addr.IsValid() {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: cfg.Addr.Addr().AsSlice(), Mask: net.CIDRMask(cfg.Addr.Bits(), cfg.Addr.Addr().BitLen())}}
		if err := netlink.AddrReplace(existing, a); err != nil {
			return fmt.Errorf("ipvlan %s: adding %s: %w", cfg.Name, cfg.Addr, err)
		}
	}
	return nil
}

// vrfMaster is the index of parent's VRF master, 0 if it has none: like
// keepalived, a VMAC or ipvlan is enslaved to the VRF its parent is in, so
// its addresses and sockets live in that VRF's tables.
func vrfMaster(parent netlink.Link) int {
	mi := parent.Attrs().MasterIndex
	if mi == 0 {
		return 0
	}
	m, err := netlink.LinkByIndex(mi)
	if err != nil {
		return 0
	}
	if _, ok := m.(*netlink.Vrf); !ok {
		return 0
	}
	return mi
}
