package snmp

import (
	"net"
	"net/netip"
	"sort"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/snmp/agentx"
	"gokeepalived/internal/vrrp/packet"
)

// VRRP-MIB (RFC 2787) OIDs.
var (
	// RFC2787OID is vrrpMIB (mib-2 68).
	RFC2787OID  = agentx.MustOID("1.3.6.1.2.1.68")
	rfcOperOID  = RFC2787OID.Append(1, 3, 1) // vrrpOperEntry
	rfcAssocOID = RFC2787OID.Append(1, 4, 1) // vrrpAssoIpAddrEntry
	rfcStatsOID = RFC2787OID.Append(2, 4, 1) // vrrpRouterStatsEntry
	// NewMasterOID is the vrrpTrapNewMaster notification.
	NewMasterOID = RFC2787OID.Append(0, 1)
)

// Iface is what VRRP-MIB shows of an instance's interface.
type Iface struct {
	Index    int
	MAC      []byte
	Primary  netip.Addr // its primary IPv4 address
	Primary6 netip.Addr // its first IPv6 link-local address
}

// LookupIface reads an interface from the host (the subagent runs in the
// daemon's network namespace).
func LookupIface(name string) (Iface, bool) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return Iface{}, false
	}
	f := Iface{Index: ifi.Index, MAC: ifi.HardwareAddr}
	if addrs, err := ifi.Addrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				ip, ok := netip.AddrFromSlice(n.IP)
				switch ip = ip.Unmap(); {
				case !ok:
				case ip.Is4() && !f.Primary.IsValid():
					f.Primary = ip
				case ip.Is6() && ip.IsLinkLocalUnicast() && !f.Primary6.IsValid():
					f.Primary6 = ip
				}
			}
		}
	}
	return f, true
}

// rfc2787Suitable is keepalived's suitable_for_rfc2787: VRRPv2 over IPv4
// with at least one virtual address.
func rfc2787Suitable(in *ctl.InstanceSnapshot) bool {
	return in.Version == 2 && !in.IPv6 && len(in.VIPs) > 0
}

// rfcState is VRRP-MIB's vrrpOperState: initialize(1), backup(2), master(3).
func rfcState(in *ctl.InstanceSnapshot) int32 {
	if c := in.State.KeepalivedCode(); c == 1 || c == 2 {
		return int32(c) + 1
	}
	return 1
}

// buildRFC2787 appends VRRP-MIB's objects as keepalived serves them
// (vrrp_snmp.c): the node scalars, vrrpOperTable, vrrpAssoIpAddrTable and
// the statistics, indexed by interface index and VRID.
func buildRFC2787(v view, snap *ctl.Snapshot, set *Settings, traps bool, lookup func(string) (Iface, bool)) view {
	v = append(v,
		agentx.Int32(RFC2787OID.Append(1, 1, 0), 2), // vrrpNodeVersion
		agentx.Int32(RFC2787OID.Append(1, 2, 0), truth(traps)))
	var errs routerErrors
	if snap != nil {
		for _, in := range snap.Instances {
			if !rfc2787Suitable(in) {
				continue
			}
			errs.add(in)
			ifi, _ := lookup(in.Interface)
			idx := []uint32{uint32(ifi.Index), uint32(in.VRID)}
			oper := func(c uint32) agentx.OID { return rfcOperOID.Append(append([]uint32{c}, idx...)...) }
			master := netip.IPv4Unspecified()
			if in.LastAdvertFrom.Is4() {
				master = in.LastAdvertFrom
			}
			primary := netip.IPv4Unspecified()
			if ifi.Primary.IsValid() {
				primary = ifi.Primary
			}
			if len(ifi.MAC) > 0 {
				v = append(v, agentx.VarBind{Type: agentx.OctetString, Name: oper(2), Bytes: ifi.MAC})
			}
			v = append(v,
				agentx.Int32(oper(3), rfcState(in)),
				agentx.Int32(oper(4), 1), // adminState up
				agentx.Int32(oper(5), int32(in.BasePriority)),
				agentx.Int32(oper(6), int32(len(in.VIPs))),
				ipAddr(oper(7), master),
				ipAddr(oper(8), primary),
				agentx.Int32(oper(9), int32(set.AuthTypes[in.Name])+1),
				agentx.Int32(oper(11), int32(in.AdvertInterval.Seconds())),
				agentx.Int32(oper(12), truth(!in.NoPreempt)),
				agentx.Int32(oper(14), 1), // protocol ip
				agentx.Int32(oper(15), 1), // rowStatus active
			)
			for _, s := range in.VIPs {
				if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
					a := p.Addr().As4()
					v = append(v, agentx.Int32(rfcAssocOID.Append(2, idx[0], idx[1], uint32(a[0]), uint32(a[1]), uint32(a[2]), uint32(a[3])), 1))
				}
			}
			c := in.Counters
			for i, n := range []uint64{
				c.Get(ctl.BecameMaster), c.Get(ctl.AdvertsReceived), c.Dropped(packet.DropIntervalMismatch),
				c.Dropped(packet.DropAuthMismatch), c.Dropped(packet.DropTTL), c.Get(ctl.PriorityZeroReceived),
				c.Get(ctl.PriorityZeroSent), c.Dropped(packet.DropType), c.Dropped(packet.DropAddrList),
				c.Dropped(packet.DropAuthUnsupported), c.Dropped(packet.DropAuthType), c.Dropped(packet.DropLength),
			} {
				v = append(v, counter(rfcStatsOID.Append(append([]uint32{uint32(i + 1)}, idx...)...), n))
			}
		}
	}
	v = append(v,
		counter(RFC2787OID.Append(2, 1, 0), errs.checksum),
		counter(RFC2787OID.Append(2, 2, 0), errs.version),
		counter(RFC2787OID.Append(2, 3, 0), errs.vrid))
	sort.Slice(v, func(i, j int) bool { return v[i].Name.Compare(v[j].Name) < 0 })
	return v
}

func ipAddr(name agentx.OID, a netip.Addr) agentx.VarBind {
	b := a.As4()
	return agentx.VarBind{Type: agentx.IPAddress, Name: name, Bytes: b[:]}
}

func counter(name agentx.OID, n uint64) agentx.VarBind {
	return agentx.VarBind{Type: agentx.Counter32, Name: name, Int: uint64(uint32(n))}
}

// routerErrors are the router-wide error counts of both RFC MIBs: adverts
// dropped for their checksum, version or VRID, summed over the instances
// the MIB shows.
type routerErrors struct{ checksum, version, vrid uint64 }

func (e *routerErrors) add(in *ctl.InstanceSnapshot) {
	e.checksum += in.Counters.Dropped(packet.DropChecksum)
	e.version += in.Counters.Dropped(packet.DropVersion)
	e.vrid += in.Counters.Dropped(packet.DropVRIDMismatch)
}
