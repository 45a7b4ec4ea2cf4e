package nft

import (
	"fmt"

	"gokeepalived/internal/lb"
)

// Support says what this backend can do with a scheduler (for the docs'
// table and for early config checks).
type Support struct {
	Scheduler string
	OK        bool
	// How it is done, or why not and what to use instead.
	How     string
	Nearest string // for unsupported schedulers: the nearest one that works
}

// Schedulers is the nftables backend's answer for every IPVS scheduler.
var Schedulers = []Support{
	{"rr", true, "numgen inc over one slot per server with weight > 0", ""},
	{"wrr", true, "numgen inc over a slot table in IPVS wrr order (weights divided by their gcd; at most 1024 slots)", ""},
	{"sh", true, "jhash of the source address over a weighted slot table", ""},
	{"dh", true, "jhash of the destination address over a weighted slot table", ""},
	{"fo", true, "the first server with the highest weight (weighted failover)", ""},
	{"lc", true, "approximate: least connections from conntrack counts, refreshed every BalanceInterval (see docs/migration.md)", ""},
	{"wlc", true, "approximate: weighted least connections from conntrack counts, refreshed every BalanceInterval", ""},
	{"sed", true, "approximate: shortest expected delay from conntrack counts, refreshed every BalanceInterval", ""},
	{"nq", true, "approximate: never queue from conntrack counts, refreshed every BalanceInterval", ""},
	{"twos", false, "picks the lighter of two random servers for each connection, which a rule cannot do from counts refreshed periodically", "wlc"},
	{"ovf", false, "admits a connection only while the server's active connections stay below its weight, a per-connection limit that counts refreshed periodically cannot enforce", "fo"},
	{"lblc", false, "keeps a server per destination address and moves it on that server's load (locality tables), which is not implemented", "dh"},
	{"lblcr", false, "keeps a server set per destination address and moves it on load (locality tables), which is not implemented", "dh"},
	{"mh", false, "maglev hashing is not implemented; source hashing is", "sh"},
}

// Check reports whether the nftables backend can program s, with an error
// that names what to use instead.
func Check(s lb.Service) error {
	for _, d := range s.Dests {
		if d.Method != lb.NAT {
			return fmt.Errorf("nftables backend: %s real server %s has lb_kind %s; nftables load-balances by DNAT only: use lb_kind NAT, or the ipvs backend", s.Key, d.AddrPort(), d.Method)
		}
	}
	for _, sup := range Schedulers {
		if sup.Scheduler != s.Scheduler {
			continue
		}
		if sup.OK {
			return nil
		}
		return fmt.Errorf("nftables backend: %s: scheduler %s %s; nearest that works: lb_algo %s (or use the ipvs backend)", s.Key, s.Scheduler, sup.How, sup.Nearest)
	}
	return fmt.Errorf("nftables backend: %s: unknown scheduler %q", s.Key, s.Scheduler)
}

// maxSlots bounds a slot table; larger weight sums are scaled down.
const maxSlots = 1024

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// slots returns the destination index for each slot of the scheduler's
// table. Destinations with weight <= 0 get none (no new connections).
func slots(sched string, ds []lb.Dest) []int {
	var idx, w []int
	for i, d := range ds {
		if d.Weight > 0 {
			idx = append(idx, i)
			w = append(w, d.Weight)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	if connSched(sched) {
		return loadSlots(sched, ds, nil)
	}
	switch sched {
	case "rr":
		return idx
	case "fo":
		best := 0
		for i := range w {
			if w[i] > w[best] {
				best = i
			}
		}
		return []int{idx[best]}
	}
	g, sum := 0, 0
	for _, x := range w {
		g = gcd(g, x)
	}
	for i := range w {
		w[i] /= g
		sum += w[i]
	}
	if sum > maxSlots {
		orig := sum
		sum = 0
		for i := range w {
			w[i] = max(1, w[i]*maxSlots/orig)
		}
		for _, x := range w {
			sum += x
		}
	}
	if sched == "wrr" {
		return wrrOrder(idx, w, sum)
	}
	var out []int
	for i := range w {
		for range w[i] {
			out = append(out, idx[i])
		}
	}
	return out
}

// wrrOrder is one period of IPVS's weighted round-robin
// (net/netfilter/ipvs/ip_vs_wrr.c): the current weight steps down by the gcd
// from the maximum, and each server whose weight reaches it is picked.
func wrrOrder(idx, w []int, total int) []int {
	mw, g := 0, 0
	for _, x := range w {
		mw = max(mw, x)
		g = gcd(g, x)
	}
	out := make([]int, 0, total)
	i, cw := -1, 0
	for len(out) < total {
		i = (i + 1) % len(w)
		if i == 0 {
			cw -= g
			if cw <= 0 {
				cw = mw
			}
		}
		if w[i] >= cw {
			out = append(out, idx[i])
		}
	}
	return out
}

// CheckFeatures reports the IPVS-only parts of a service that nftables
// cannot program: service flags (ops, flag-1..3, sh-/mh-port and
// -fallback), a persistence engine, and real-server connection thresholds.
func CheckFeatures(s lb.Service) error {
	if s.Flags != 0 {
		return fmt.Errorf("nftables backend: %s: IPVS scheduler flags (ops, flag-1..3, sh-/mh-port, sh-/mh-fallback) have no nftables equivalent; remove them or use the ipvs backend", s.Key)
	}
	if s.PEName != "" {
		return fmt.Errorf("nftables backend: %s: persistence_engine %s is an IPVS persistence engine (SIP Call-ID affinity) with no nftables equivalent; use the ipvs backend", s.Key, s.PEName)
	}
	for _, d := range s.Dests {
		if d.UThreshold != 0 || d.LThreshold != 0 {
			return fmt.Errorf("nftables backend: %s real server %s: uthreshold/lthreshold need IPVS's per-server connection counts; remove them or use the ipvs backend", s.Key, d.AddrPort())
		}
	}
	return nil
}
