package backend

import (
	"fmt"
	"net/netip"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/nft"
)

// Capabilities: what each backend can program. -t, start and reload judge
// the configuration with Problems against the backend that will run it, so
// that nothing is left for a run-time log line; the backend's Check (and
// so the runtime) uses the same rows.
//
// To teach it a new service feature, add a row to capabilityRows: a
// function that names, for a backend, what of a service it cannot do.

// Problem is something a backend cannot program.
type Problem struct {
	Backend string
	// Keyword is the configuration keyword that asks for it (lb_algo,
	// lb_kind, ...), for the position of the diagnostic.
	Keyword string
	// Dest is set when the problem is one real server's.
	Dest   netip.AddrPort
	Reason string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s backend: %s", p.Backend, p.Reason)
}

// capabilityRows are the checks, in order.
var capabilityRows = []func(backend string, s lb.Service) []Problem{
	nftMethod,
	nftScheduler,
	nftFeatures,
}

// nftFeatures: the IPVS-only parts of a service (scheduler flags, a
// persistence engine, connection thresholds).
func nftFeatures(backend string, s lb.Service) []Problem {
	if backend != NFT {
		return nil
	}
	if err := nft.CheckFeatures(s); err != nil {
		kw := "ops"
		switch {
		case s.PEName != "":
			kw = "persistence_engine"
		case s.Flags == 0:
			kw = "uthreshold"
		}
		return []Problem{{Keyword: kw, Reason: err.Error()}}
	}
	return nil
}

// Problems lists what backend (ipvs or nft) cannot program of s.
func Problems(backend string, s lb.Service) []Problem {
	var out []Problem
	for _, row := range capabilityRows {
		for _, p := range row(backend, s) {
			p.Backend = backend
			out = append(out, p)
		}
	}
	return out
}

// nftMethod: nftables load-balances by DNAT only.
func nftMethod(backend string, s lb.Service) []Problem {
	if backend != NFT {
		return nil
	}
	var out []Problem
	for _, d := range s.Dests {
		if d.Method != lb.NAT {
			out = append(out, Problem{Keyword: "lb_kind", Dest: d.AddrPort(),
				Reason: fmt.Sprintf("%s real server %s has lb_kind %s; nftables load-balances by DNAT only: use lb_kind NAT, or the ipvs backend", s.Key, d.AddrPort(), d.Method)})
		}
	}
	return out
}

// nftScheduler: the schedulers nftables can do (nft.Schedulers).
func nftScheduler(backend string, s lb.Service) []Problem {
	if backend != NFT {
		return nil
	}
	for _, sup := range nft.Schedulers {
		if sup.Scheduler != s.Scheduler {
			continue
		}
		if sup.OK {
			return nil
		}
		return []Problem{{Keyword: "lb_algo", Reason: fmt.Sprintf("%s: scheduler %s %s; nearest that works: lb_algo %s (or use the ipvs backend)", s.Key, s.Scheduler, sup.How, sup.Nearest)}}
	}
	return []Problem{{Keyword: "lb_algo", Reason: fmt.Sprintf("%s: unknown scheduler %q", s.Key, s.Scheduler)}}
}
