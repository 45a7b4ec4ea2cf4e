package director

import (
	"fmt"
	"net/netip"

	"gokeepalived/internal/config"
	"gokeepalived/internal/lb"
)

// MaxGroupAddrs bounds how many services one virtual_server_group range may
// expand to.
const MaxGroupAddrs = 65536

// The configuration's enumerated values (its schema refuses any other) in
// the load balancer's terms.
var (
	lbMethods  = map[string]lb.Method{config.MethodNAT: lb.NAT, config.MethodDR: lb.DR, config.MethodTUN: lb.TUN}
	lbProtos   = map[string]lb.Proto{config.ProtoTCP: lb.TCP, config.ProtoUDP: lb.UDP, config.ProtoSCTP: lb.SCTP}
	lbFamilies = map[string]lb.Family{config.FamilyInet: lb.Inet, config.FamilyInet6: lb.Inet6}
	// vsFlags are the IPVS flags of the flag keywords that took effect
	// (linux/ip_vs.h: SH/MH_FALLBACK = SCHED1, SH/MH_PORT = SCHED2).
	vsFlags = map[string]lb.SvcFlags{"ops": lb.FlagOnePacket, "flag-1": lb.FlagSched1, "flag-2": lb.FlagSched2,
		"flag-3": lb.FlagSched3, "sh-fallback": lb.FlagSched1, "sh-port": lb.FlagSched2,
		"mh-fallback": lb.FlagSched1, "mh-port": lb.FlagSched2}
)

// VirtualServer translates a configured virtual_server (and the groups
// that `virtual_server group NAME` refers to) into the load balancer's
// desired-state input. It reads only typed values of the configuration.
//
// marks (Marks; nil without nftables_ipvs) turns a marked group into its
// fwmark services.
func VirtualServer(vs *config.VirtualServer, groups []*config.VirtualServerGroup, marks GroupMarks) (*lb.VirtualServer, error) {
	keys, marked := markedKeys(vs, groups, marks)
	if !marked {
		var err error
		if keys, err = serviceKeys(vs, groups); err != nil {
			return nil, err
		}
	}
	out := &lb.VirtualServer{Name: vs.Name(), Keys: keys, Scheduler: vs.Scheduler, Persistence: vs.Persistence,
		PersistenceBits: vs.PersistenceBits, Quorum: vs.Quorum, Hysteresis: vs.Hysteresis,
		PEName: vs.PersistenceEngine}
	for _, f := range vs.Flags {
		out.Flags |= vsFlags[f]
	}
	for _, rs := range vs.RealServers {
		d, err := dest(rs)
		if err != nil {
			return nil, fmt.Errorf("virtual_server %s: %w", vs.Name(), err)
		}
		out.Reals = append(out.Reals, lb.Real{Dest: d, InhibitOnFailure: rs.InhibitOnFailure || vs.InhibitOnFailure})
	}
	if vs.Sorry != nil {
		d, err := dest(vs.Sorry)
		if err != nil {
			return nil, fmt.Errorf("virtual_server %s sorry_server: %w", vs.Name(), err)
		}
		out.Sorry = &d
		out.SorryInhibit = vs.Sorry.InhibitOnFailure
	}
	return out, nil
}

// dest is a real server (or the sorry server) as the kernel sees it. The
// configuration has already given it its virtual server's method when it
// has none of its own.
func dest(rs *config.RealServer) (lb.Dest, error) {
	d := lb.Dest{Addr: rs.Addr.Unmap(), Port: rs.Port, Weight: rs.Weight,
		UThreshold: uint32(rs.UThreshold), LThreshold: uint32(rs.LThreshold)}
	m, ok := lbMethods[rs.Method]
	if !ok && rs.Method != "" {
		return lb.Dest{}, fmt.Errorf("real_server %s: lvs_method %q is not NAT, DR or TUN", d.AddrPort(), rs.Method)
	}
	d.Method = m
	if m == lb.TUN {
		// The configuration normalises it as the kernel reports it back:
		// "" for the defaults ipip and nocsum.
		d.Tunnel = lb.Tunnel{Type: rs.Tunnel.Type, Port: rs.Tunnel.Port, Checksum: rs.Tunnel.Checksum}
	}
	return d, nil
}

// serviceKeys expands a virtual_server (or its group) into service keys.
func serviceKeys(vs *config.VirtualServer, groups []*config.VirtualServerGroup) ([]lb.Key, error) {
	proto, ok := lbProtos[vs.Protocol]
	if !ok && vs.Protocol != "" {
		return nil, fmt.Errorf("virtual_server %s: protocol %q is not TCP, UDP or SCTP", vs.Name(), vs.Protocol)
	}
	if proto == 0 {
		proto = lb.TCP
	}
	fam := lb.Inet
	if f, ok := lbFamilies[vs.IPFamily]; ok {
		fam = f
	}
	switch {
	case vs.FWMark != 0:
		if vs.IPFamily == "" && len(vs.RealServers) > 0 && vs.RealServers[0].Addr.Unmap().Is6() {
			fam = lb.Inet6
		}
		return []lb.Key{{FWMark: vs.FWMark, Family: fam}}, nil
	case vs.Group == "":
		a := vs.Addr.Unmap()
		return []lb.Key{{Addr: a, Port: vs.Port, Proto: proto, Family: familyOf(a)}}, nil
	}
	var g *config.VirtualServerGroup
	for _, c := range groups {
		if c.Name == vs.Group {
			g = c
		}
	}
	if g == nil {
		return nil, fmt.Errorf("virtual_server group %s: no such virtual_server_group", vs.Group)
	}
	var keys []lb.Key
	for _, e := range g.Entries {
		if e.FWMark != 0 {
			f := fam
			if ef, ok := lbFamilies[e.Family]; ok {
				f = ef
			}
			keys = append(keys, lb.Key{FWMark: e.FWMark, Family: f})
			continue
		}
		first, last := e.First.Unmap(), e.Last.Unmap()
		if !last.IsValid() {
			last = first
		}
		n := 0
		for a := first; a.IsValid() && a.Compare(last) <= 0; a = a.Next() {
			if n++; n > MaxGroupAddrs {
				return nil, fmt.Errorf("virtual_server_group %s: range %s-%s has more than %d addresses", g.Name, first, last, MaxGroupAddrs)
			}
			keys = append(keys, lb.Key{Addr: a, Port: e.Port, Proto: proto, Family: familyOf(a)})
		}
	}
	return keys, nil
}

func familyOf(a netip.Addr) lb.Family {
	if a.Is6() {
		return lb.Inet6
	}
	return lb.Inet
}
