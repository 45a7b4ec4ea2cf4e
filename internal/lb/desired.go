package lb

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gokeepalived/internal/config"
)

// Health is the current state of one real server, as internal/check
// reports it (check.Change.ServerUp and .Weight).
type Health struct {
	Up bool
	// Weight is a dynamic weight (MISC_CHECK misc_dynamic, FILE_CHECK);
	// nil keeps the configured one.
	Weight *int
}

// HealthMap maps a real server (address and port) to its health. A real
// server with no entry counts as up: it has no checkers, and keepalived
// keeps such servers in the table.
type HealthMap map[netip.AddrPort]Health

// Quorum is a virtual server's quorum state, carried from one Desired call
// to the next because hysteresis makes it sticky.
type Quorum struct {
	Known bool // false before the first evaluation
	Up    bool
}

// Result is the desired state of one virtual_server.
type Result struct {
	// Services holds one service, or one per address (and fwmark) of a
	// virtual_server_group.
	Services []Service
	Quorum   Quorum
	// QuorumChanged is set on a transition (not on the first evaluation
	// unless quorum is lost there): the caller runs quorum_up/quorum_down.
	QuorumChanged bool
	// WeightSum is the sum of the live real servers' weights.
	WeightSum int
	Reason    string
}

// MaxGroupAddrs bounds how many services one virtual_server_group range may
// expand to.
const MaxGroupAddrs = 65536

// Desired computes what the kernel table must hold for vs, given the health
// of its real servers and its previous quorum state. It follows keepalived
// 2.2's check/ipwrapper.c:
//   - a live real server is in the table with its weight (a dynamic weight
//     wins); a dead one is removed, or kept with weight 0 when
//     inhibit_on_failure is set (on the real or the virtual server);
//   - quorum is the sum of the live servers' weights compared with quorum:
//     it is gained at >= quorum+hysteresis and lost below quorum-hysteresis;
//   - when quorum is lost and there is a sorry_server, the sorry server is
//     added and the live real servers are taken out (weight 0 if
//     inhibit_on_failure); when quorum returns the sorry server goes.
//
// groups resolves `virtual_server group NAME`.
func Desired(vs *config.VirtualServer, groups []*config.VirtualServerGroup, health HealthMap, prev Quorum) (Result, error) {
	keys, err := serviceKeys(vs, groups)
	if err != nil {
		return Result{}, err
	}
	method, err := ParseMethod(vs.Method)
	if err != nil {
		return Result{}, fmt.Errorf("virtual_server %s: %w", vs.Name(), err)
	}
	tun, err := parseTunnel(vs.TunnelArgs)
	if err != nil {
		return Result{}, fmt.Errorf("virtual_server %s: %w", vs.Name(), err)
	}
	persist := vs.Persistence.Round(time.Second)
	if vs.Persistence > 0 && persist == 0 {
		persist = time.Second
	}
	var pbits int
	if vs.PersistenceGranularity != "" {
		if pbits, err = parseGranularity(vs.PersistenceGranularity); err != nil {
			return Result{}, fmt.Errorf("virtual_server %s: %w", vs.Name(), err)
		}
	}

	type rsState struct {
		d       Dest
		alive   bool
		inhibit bool
	}
	var rss []rsState
	sum := 0
	for _, rs := range vs.RealServers {
		d, err := destOf(rs, method, tun)
		if err != nil {
			return Result{}, fmt.Errorf("virtual_server %s: %w", vs.Name(), err)
		}
		h, ok := health[netip.AddrPortFrom(rs.Addr, rs.Port)]
		alive := !ok || h.Up
		if ok && h.Weight != nil {
			d.Weight = *h.Weight
		}
		if alive {
			sum += d.Weight
		}
		rss = append(rss, rsState{d: d, alive: alive, inhibit: rs.InhibitOnFailure || vs.InhibitOnFailure})
	}

	res := Result{WeightSum: sum}
	q := prev
	switch {
	case !prev.Known:
		q = Quorum{Known: true, Up: sum >= vs.Quorum}
		res.QuorumChanged = !q.Up
	case prev.Up && sum < vs.Quorum-vs.Hysteresis:
		q.Up = false
		res.QuorumChanged = true
	case !prev.Up && sum >= vs.Quorum+vs.Hysteresis:
		q.Up = true
		res.QuorumChanged = true
	}
	res.Quorum = q
	if q.Up {
		res.Reason = fmt.Sprintf("quorum up: live weight %d >= quorum %d", sum, vs.Quorum)
	} else {
		res.Reason = fmt.Sprintf("quorum down: live weight %d < quorum %d", sum, vs.Quorum)
	}

	sorry := !q.Up && vs.Sorry != nil
	var dests []Dest
	for _, r := range rss {
		switch {
		case r.alive && !sorry:
			dests = append(dests, r.d)
		case r.inhibit:
			r.d.Weight = 0
			dests = append(dests, r.d)
		}
	}
	if sorry {
		d, err := destOf(vs.Sorry, method, tun)
		if err != nil {
			return Result{}, fmt.Errorf("virtual_server %s sorry_server: %w", vs.Name(), err)
		}
		if d.Weight == 0 {
			d.Weight = 1
		}
		dests = append(dests, d)
		res.Reason += "; sorry_server " + d.AddrPort().String()
	}

	for _, k := range keys {
		s := Service{Key: k, Scheduler: vs.Scheduler, Persistence: persist, PersistenceBits: pbits}
		for _, d := range dests {
			if d.Port == 0 && k.FWMark == 0 {
				d.Port = k.Port
			}
			s.Dests = append(s.Dests, d)
		}
		s.Dests = dedupDests(s.Dests)
		res.Services = append(res.Services, s)
	}
	SortServices(res.Services)
	return res, nil
}

// dedupDests sorts and keeps the first of equal address:port pairs (a
// sorry server that is also a real server).
func dedupDests(ds []Dest) []Dest {
	SortDests(ds)
	out := ds[:0]
	for i, d := range ds {
		if i > 0 && d.AddrPort() == out[len(out)-1].AddrPort() {
			continue
		}
		out = append(out, d)
	}
	return out
}

func destOf(rs *config.RealServer, vsMethod Method, vsTun Tunnel) (Dest, error) {
	d := Dest{Addr: rs.Addr.Unmap(), Port: rs.Port, Weight: rs.Weight, Method: vsMethod, Tunnel: vsTun}
	if rs.Method != "" {
		m, err := ParseMethod(rs.Method)
		if err != nil {
			return Dest{}, fmt.Errorf("real_server %s: %w", d.AddrPort(), err)
		}
		t, err := parseTunnel(rs.TunnelArgs)
		if err != nil {
			return Dest{}, fmt.Errorf("real_server %s: %w", d.AddrPort(), err)
		}
		d.Method, d.Tunnel = m, t
	}
	if d.Method != TUN {
		d.Tunnel = Tunnel{}
	}
	return d, nil
}

// parseTunnel reads the words after `lvs_method TUN`.
func parseTunnel(args []string) (Tunnel, error) {
	var t Tunnel
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "type":
			if i+1 >= len(args) {
				return t, fmt.Errorf("TUN: 'type' needs ipip, gue or gre")
			}
			i++
			t.Type = args[i]
			if t.Type == "gue" {
				if i+2 >= len(args) || args[i+1] != "port" {
					return t, fmt.Errorf("TUN type gue needs 'port N'")
				}
				p, err := strconv.ParseUint(args[i+2], 10, 16)
				if err != nil || p == 0 {
					return t, fmt.Errorf("TUN type gue: bad port %q", args[i+2])
				}
				t.Port = uint16(p)
				i += 2
			}
		case "nocsum", "csum", "remcsum":
			t.Checksum = args[i]
		default:
			return t, fmt.Errorf("TUN: unexpected %q", args[i])
		}
	}
	// Normalise to what the kernel reports back: ipip and nocsum are
	// the defaults.
	if t.Type == "ipip" {
		t.Type = ""
	}
	if t.Checksum == "nocsum" {
		t.Checksum = ""
	}
	return t, nil
}

// parseGranularity reads persistence_granularity: a dotted IPv4 netmask
// or a prefix length.
func parseGranularity(s string) (int, error) {
	if strings.Contains(s, ".") {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return 0, fmt.Errorf("persistence_granularity %q is not a netmask", s)
		}
		b := a.As4()
		m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		n := bits.LeadingZeros32(^m)
		if m<<n != 0 {
			return 0, fmt.Errorf("persistence_granularity %q is not a contiguous netmask", s)
		}
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 128 {
		return 0, fmt.Errorf("persistence_granularity %q is not a netmask or prefix length", s)
	}
	return n, nil
}

// serviceKeys expands a virtual_server (or its group) into service keys.
func serviceKeys(vs *config.VirtualServer, groups []*config.VirtualServerGroup) ([]Key, error) {
	proto, err := ParseProto(vs.Protocol)
	if err != nil {
		return nil, fmt.Errorf("virtual_server %s: %w", vs.Name(), err)
	}
	fam := Inet
	if vs.IPFamily == "inet6" {
		fam = Inet6
	}
	switch {
	case vs.FWMark != 0:
		if vs.IPFamily == "" && len(vs.RealServers) > 0 && vs.RealServers[0].Addr.Unmap().Is6() {
			fam = Inet6
		}
		return []Key{{FWMark: vs.FWMark, Family: fam}}, nil
	case vs.Group == "":
		a := vs.Addr.Unmap()
		return []Key{{Addr: a, Port: vs.Port, Proto: proto, Family: familyOf(a)}}, nil
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
	var keys []Key
	for _, e := range g.Entries {
		if e.FWMark != 0 {
			f := fam
			switch e.Family {
			case "inet6":
				f = Inet6
			case "inet":
				f = Inet
			}
			keys = append(keys, Key{FWMark: e.FWMark, Family: f})
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
			keys = append(keys, Key{Addr: a, Port: e.Port, Proto: proto, Family: familyOf(a)})
		}
	}
	return keys, nil
}

func familyOf(a netip.Addr) Family {
	if a.Is6() {
		return Inet6
	}
	return Inet
}
