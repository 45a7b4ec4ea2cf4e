package lb

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
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

// VirtualServer is one virtual_server in the load balancer's own terms:
// typed, its services already expanded (internal/director translates the
// configuration into it).
type VirtualServer struct {
	Name string
	// Keys holds one service key, or one per address (and fwmark) of a
	// virtual_server_group.
	Keys      []Key
	Scheduler string
	// Persistence is persistence_timeout (0 = not persistent); Desired
	// rounds it to whole seconds, at least one.
	Persistence time.Duration
	// PersistenceBits is persistence_granularity as a prefix length (0 =
	// one client address).
	PersistenceBits    int
	Quorum, Hysteresis int
	Reals              []Real
	// Sorry is the sorry_server, if any (weight 0 counts as 1).
	Sorry *Dest
	// SorryInhibit is sorry_server_inhibit: the sorry server stays in the
	// table at weight 0 while quorum is up, instead of being removed.
	SorryInhibit bool
	// Flags and PEName are copied to every service (hashed, ops, flag-N,
	// sh-/mh- flags; persistence_engine).
	Flags  SvcFlags
	PEName string
}

// Real is one real_server: its destination at its configured weight, and
// whether it stays in the table at weight 0 when it fails
// (inhibit_on_failure on the real or the virtual server).
type Real struct {
	Dest
	InhibitOnFailure bool
}

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
//     inhibit_on_failure); when quorum returns the sorry server goes, or,
//     with sorry_server_inhibit, stays at weight 0 (as it is from the start).
func Desired(vs *VirtualServer, health HealthMap, prev Quorum) Result {
	persist := vs.Persistence.Round(time.Second)
	if vs.Persistence > 0 && persist == 0 {
		persist = time.Second
	}

	type rsState struct {
		d       Dest
		alive   bool
		inhibit bool
	}
	var rss []rsState
	sum := 0
	for _, r := range vs.Reals {
		d := r.Dest
		h, ok := health[d.AddrPort()]
		alive := !ok || h.Up
		if ok && h.Weight != nil {
			d.Weight = *h.Weight
		}
		if alive {
			sum += d.Weight
		}
		rss = append(rss, rsState{d: d, alive: alive, inhibit: r.InhibitOnFailure})
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
		d := *vs.Sorry
		if d.Weight == 0 {
			d.Weight = 1
		}
		dests = append(dests, d)
		res.Reason += "; sorry_server " + d.AddrPort().String()
	} else if vs.Sorry != nil && vs.SorryInhibit {
		d := *vs.Sorry
		d.Weight = 0
		if !slices.ContainsFunc(vs.Reals, func(r Real) bool { return r.Addr == d.Addr && (d.Port == 0 || r.Port == d.Port) }) {
			dests = append(dests, d)
		}
	}

	for _, k := range vs.Keys {
		s := Service{Key: k, Scheduler: vs.Scheduler, Persistence: persist, PersistenceBits: vs.PersistenceBits,
			Flags: vs.Flags, PEName: vs.PEName}
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
	return res
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
