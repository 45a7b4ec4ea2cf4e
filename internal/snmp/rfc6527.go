package snmp

import (
	"net/netip"
	"sort"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/snmp/agentx"
	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// VRRPv3-MIB (RFC 6527) OIDs.
var (
	// RFC6527OID is vrrpv3MIB (mib-2 207).
	RFC6527OID    = agentx.MustOID("1.3.6.1.2.1.207")
	v3OperOID     = RFC6527OID.Append(1, 1, 1, 1) // vrrpv3OperationsEntry
	v3AssocOID    = RFC6527OID.Append(1, 1, 2, 1) // vrrpv3AssociatedIpAddrEntry
	v3StatsOID    = RFC6527OID.Append(1, 2)       // vrrpv3RouterStatistics
	v3StatsRowOID = RFC6527OID.Append(1, 2, 5, 1) // vrrpv3StatisticsEntry
)

// rfc6527Suitable is keepalived's suitable_for_rfc6527 as Debian builds it
// (SNMP_V3_FOR_V2: VRRPv2 instances are shown too): any instance with
// virtual addresses.
func rfc6527Suitable(in *ctl.InstanceSnapshot) bool { return len(in.VIPs) > 0 }

// inetType is InetAddressType: ipv4(1), ipv6(2).
func inetType(v6 bool) uint32 {
	if v6 {
		return 2
	}
	return 1
}

// addrBytes is an address as InetAddress octets (4 or 16).
func addrBytes(a netip.Addr) []byte { return a.AsSlice() }

// buildRFC6527 appends VRRPv3-MIB's objects as keepalived serves them
// (vrrp_snmp.c), indexed by interface index, VRID and address type. The
// new-master and protocol-error reasons and the up time are not served.
func buildRFC6527(v view, snap *ctl.Snapshot, lookup func(string) (Iface, bool)) view {
	var errs routerErrors
	if snap != nil {
		for _, in := range snap.Instances {
			if !rfc6527Suitable(in) {
				continue
			}
			errs.add(in)
			ifi, _ := lookup(in.Interface)
			idx := []uint32{uint32(ifi.Index), uint32(in.VRID), inetType(in.IPv6)}
			at := func(base agentx.OID, c uint32) agentx.OID { return base.Append(append([]uint32{c}, idx...)...) }
			primary := ifi.Primary
			unspec := netip.IPv4Unspecified()
			if in.IPv6 {
				primary, unspec = ifi.Primary6, netip.IPv6Unspecified()
			}
			if !primary.IsValid() {
				primary = unspec
			}
			master := primary
			if in.State != vrrp.StateMaster {
				master = unspec
				if in.LastAdvertFrom.IsValid() && in.LastAdvertFrom.Is6() == in.IPv6 {
					master = in.LastAdvertFrom
				}
			}
			v = append(v,
				agentx.VarBind{Type: agentx.OctetString, Name: at(v3OperOID, 3), Bytes: addrBytes(master)},
				agentx.VarBind{Type: agentx.OctetString, Name: at(v3OperOID, 4), Bytes: addrBytes(primary)})
			if len(ifi.MAC) > 0 {
				v = append(v, agentx.VarBind{Type: agentx.OctetString, Name: at(v3OperOID, 5), Bytes: ifi.MAC})
			}
			v = append(v,
				agentx.Int32(at(v3OperOID, 6), rfcState(in)),
				agentx.Gauge(at(v3OperOID, 7), uint32(in.BasePriority)),
				agentx.Int32(at(v3OperOID, 8), int32(len(in.VIPs))),
				agentx.Int32(at(v3OperOID, 9), int32(in.AdvertInterval.Milliseconds()/10)),
				agentx.Int32(at(v3OperOID, 10), truth(!in.NoPreempt)),
				agentx.Int32(at(v3OperOID, 11), truth(in.Accept)),
				agentx.Int32(at(v3OperOID, 13), 1), // rowStatus active
			)
			for _, s := range in.VIPs {
				if p, err := netip.ParsePrefix(s); err == nil {
					name := v3AssocOID.Append(append([]uint32{2}, idx...)...)
					for _, b := range p.Addr().AsSlice() {
						name = append(name, uint32(b))
					}
					v = append(v, agentx.Int32(name, 1))
				}
			}
			c := in.Counters
			v = append(v, counter(at(v3StatsRowOID, 1), c.Get(ctl.BecameMaster)))
			for col, n := range map[uint32]uint64{
				3: c.Get(ctl.AdvertsReceived), 4: c.Dropped(packet.DropIntervalMismatch), 5: c.Dropped(packet.DropTTL),
				7: c.Get(ctl.PriorityZeroReceived), 8: c.Get(ctl.PriorityZeroSent), 9: c.Dropped(packet.DropType),
				10: c.Dropped(packet.DropAddrList), 11: c.Dropped(packet.DropLength),
			} {
				v = append(v, agentx.VarBind{Type: agentx.Counter64, Name: at(v3StatsRowOID, col), Int: n})
			}
			v = append(v,
				agentx.Ticks(at(v3StatsRowOID, 12), 0), // no discontinuities
				agentx.Gauge(at(v3StatsRowOID, 13), uint32(in.AdvertInterval.Milliseconds()/10*10)))
		}
	}
	v = append(v,
		agentx.VarBind{Type: agentx.Counter64, Name: v3StatsOID.Append(1, 0), Int: errs.checksum},
		agentx.VarBind{Type: agentx.Counter64, Name: v3StatsOID.Append(2, 0), Int: errs.version},
		agentx.VarBind{Type: agentx.Counter64, Name: v3StatsOID.Append(3, 0), Int: errs.vrid},
		agentx.Ticks(v3StatsOID.Append(4, 0), 0))
	sort.Slice(v, func(i, j int) bool { return v[i].Name.Compare(v[j].Name) < 0 })
	return v
}
