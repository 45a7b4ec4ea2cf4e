package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"gokeepalived/internal/config/syntax"
)

// VMAC-family checks of keepalived 2.2.7 (vrrp_parser.c vrrp_vmac_handler,
// vrrp_ipvlan_handler; vrrp.c vrrp_complete_instance).

// ifNameProblem says why name cannot be a Linux interface name (keepalived's
// dev_name_valid), or "".
func ifNameProblem(name string) string {
	switch {
	case name == "":
		return "is empty"
	case len(name) > 15:
		return "is longer than 15 characters"
	case name == "." || name == "..":
		return "is not allowed"
	case strings.ContainsAny(name, "/: \t"):
		return "contains '/', ':' or a space"
	}
	return ""
}

// parseVMACAddr reads the MAC address given to use_vmac: 6 octets, or 5
// (with or without a trailing ':'), the VRID then being the 6th (useVRID).
// Like keepalived it refuses a multicast address and the RFC 5798 virtual
// router addresses 00:00:5e:00:01|02:XX (they are what use_vmac uses
// without an address).
func parseVMACAddr(s string) (mac net.HardwareAddr, useVRID bool, err error) {
	bad := func(why string) (net.HardwareAddr, bool, error) {
		return nil, false, fmt.Errorf("invalid MAC address '%s': %s", s, why)
	}
	if strings.Trim(s, "0123456789abcdefABCDEF:") != "" {
		return bad("only hex digits and ':' are allowed")
	}
	parts := strings.Split(strings.TrimSuffix(s, ":"), ":")
	switch {
	case len(parts) == 5:
		useVRID = true
	case len(parts) == 6 && !strings.HasSuffix(s, ":"):
	default:
		return bad("expected 6 octets (or 5, the VRID being the last)")
	}
	for _, p := range parts {
		if p == "" || len(p) > 2 {
			return bad("each octet is 1 or 2 hex digits")
		}
		v, _ := strconv.ParseUint(p, 16, 8)
		mac = append(mac, byte(v))
	}
	if useVRID {
		mac = append(mac, 0)
	}
	if mac[0]&1 != 0 {
		return nil, false, fmt.Errorf("MAC address '%s' is multicast", s)
	}
	if mac[0] == 0 && mac[1] == 0 && mac[2] == 0x5e && mac[3] == 0 && (mac[4] == 1 || mac[4] == 2) {
		return nil, false, fmt.Errorf("MAC address '%s' is an RFC 5798 virtual router address (use_vmac without an address uses it)", s)
	}
	return mac, useVRID, nil
}

// checkVMAC resolves and checks the instance's use_vmac, use_vmac_addr and
// use_ipvlan once the whole block is read.
func (b *builder) checkVMAC(v *Instance, nodes map[string]*syntax.Node) {
	if v.VMACAddr != "" {
		if mac, useVRID, err := parseVMACAddr(v.VMACAddr); err == nil {
			if useVRID {
				mac[5] = byte(v.VRID)
			}
			v.VMACMAC = mac
		}
	}
	if v.IPVLAN != nil {
		pos := nodes["use_ipvlan"].Pos
		switch {
		case v.UseVMAC:
			b.ds.Errorf(pos, "vrrp_instance %s: use_ipvlan and use_vmac cannot both be given (one interface carries the instance)", v.Name)
		case v.IPVLAN.Addr.IsValid() && v.IPVLAN.Addr.Addr().Is6() != (v.Family == 6):
			b.ds.Errorf(pos, "vrrp_instance %s: the use_ipvlan address %s is not of the instance's family (IPv%d)", v.Name, v.IPVLAN.Addr, v.Family)
		case !v.IPVLAN.Addr.IsValid() && v.Family == 4:
			// keepalived reports it and keeps the instance in FAULT.
			b.ds.Errorf(pos, "vrrp_instance %s: an IPv4 use_ipvlan needs an address (use_ipvlan [NAME] ADDRESS[/LEN]): it is the adverts' source", v.Name)
		}
		if v.VMACXmitBase {
			b.ds.Errorf(nodes["vmac_xmit_base"].Pos, "vrrp_instance %s: vmac_xmit_base applies only to use_vmac", v.Name)
		}
	}
	if n := nodes["vrf"]; n != nil && v.VRF != "" {
		switch {
		case v.Interface != "":
			b.ds.Errorf(n.Pos, "vrrp_instance %s: vrf is only for an instance without interface (the interface's own VRF applies)", v.Name)
		case len(v.UnicastPeers) == 0:
			b.ds.Errorf(n.Pos, "vrrp_instance %s: vrf needs unicast peers (an instance without interface is unicast)", v.Name)
		case !v.UnicastSrc.IsValid():
			b.ds.Errorf(n.Pos, "vrrp_instance %s: vrf needs unicast_src_ip: without an interface there is no address to send from", v.Name)
		default:
			b.ds.Warnf(n.Pos, "vrrp_instance %s: keepalived 2.2.7 refuses every instance without interface (\"Unknown interface!\", fixed in 2.2.8); gokeepalived runs it in VRF %s", v.Name, v.VRF)
		}
	}
	if v.VRF != "" && v.Interface == "" {
		// keepalived: "If the interface is omitted, then all VIPs and
		// eVIPs should specify the interface they are to be configured
		// on, otherwise they will be added to the default interface."
		for _, list := range []*[]VIP{&v.VIPs, &v.ExcludedVIPs} {
			for i := range *list {
				if (*list)[i].Dev == "" {
					(*list)[i].Dev = b.cfg.Global.DefaultInterface
				}
			}
		}
	}
	if (v.UseVMAC || v.IPVLAN != nil) && v.Interface == "" {
		n := nodes["use_vmac"]
		if n == nil {
			n = nodes["use_ipvlan"]
		}
		b.ds.Errorf(n.Pos, "vrrp_instance %s: use_vmac/use_ipvlan need the instance's interface", v.Name)
	}
	for _, list := range [][]VIP{v.VIPs, v.ExcludedVIPs} {
		for _, ip := range list {
			if !ip.UseVMAC {
				continue
			}
			own := (ip.Dev == "" || ip.Dev == v.Interface) && ip.Prefix.Addr().Is6() == (v.Family == 6)
			switch {
			case own && v.UseVMAC:
				// keepalived: "use_vmac specified for VIP/eVIP and vrrp instance".
				b.ds.Warnf(ip.Pos, "vrrp_instance %s: %s: use_vmac is redundant, the address goes on the instance's VMAC", v.Name, ip.Prefix)
			case !own && v.UseVMACAddr:
				b.ds.Warnf(ip.Pos, "vrrp_instance %s: %s: use_vmac is redundant with use_vmac_addr", v.Name, ip.Prefix)
			}
		}
	}
}
