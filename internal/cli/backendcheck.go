package cli

import (
	"net/netip"

	"gokeepalived/internal/config"
	"gokeepalived/internal/config/syntax"
	"gokeepalived/internal/director"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/backend"
)

// CheckBackend judges cfg's virtual servers against the backend that will
// run them (backend.Problems): each thing it cannot program is an error at
// the keyword that asks for it. -t, start and reload call it, so that no
// virtual server is left unprogrammed with only a run-time log line.
func CheckBackend(cfg *config.Config, backendName string) syntax.Diagnostics {
	var ds syntax.Diagnostics
	var marks director.GroupMarks
	if g := &cfg.Global; g.NFTablesIPVS != "" {
		if backendName == backend.IPVS {
			marks = director.Marks(cfg)
		} else {
			ds.Warnf(g.Pos, "nftables_ipvs: the %s backend matches virtual_server_group addresses itself: no marks are written (they are for IPVS fwmark services)", backendName)
		}
	}
	for _, vs := range cfg.VirtualServers {
		lvs, err := director.VirtualServer(vs, cfg.VirtualServerGroups, marks)
		if err != nil {
			continue // the configuration's own checks report it
		}
		reals := map[netip.AddrPort]*config.RealServer{}
		var dests []lb.Dest
		for i, rs := range vs.RealServers {
			reals[lvs.Reals[i].AddrPort()] = rs
			dests = append(dests, lvs.Reals[i].Dest)
		}
		if lvs.Sorry != nil {
			reals[lvs.Sorry.AddrPort()] = vs.Sorry
			dests = append(dests, *lvs.Sorry)
		}
		seen := map[string]bool{}
		for _, k := range lvs.Keys {
			s := lb.Service{Key: k, Scheduler: lvs.Scheduler, Persistence: lvs.Persistence, PersistenceBits: lvs.PersistenceBits, Dests: dests}
			for _, p := range backend.Problems(backendName, s) {
				pos := problemPos(vs, reals, p)
				msg := "virtual_server " + vs.Name() + ": cannot run on the " + p.String()
				if seen[msg] {
					continue
				}
				seen[msg] = true
				ds.Errorf(pos, "%s", msg)
			}
		}
	}
	return ds
}

// problemPos is where the keyword a problem names was written: in the real
// server it concerns, else in the virtual server, else the block itself.
func problemPos(vs *config.VirtualServer, reals map[netip.AddrPort]*config.RealServer, p backend.Problem) config.Pos {
	alts := map[string][]string{"lb_algo": {"lvs_sched"}, "lb_kind": {"lvs_method"}}[p.Keyword]
	if rs := reals[p.Dest]; rs != nil && p.Dest.IsValid() {
		if pos, ok := rs.KeywordPos[p.Keyword]; ok {
			return pos
		}
		for _, a := range alts {
			if pos, ok := rs.KeywordPos[a]; ok {
				return pos
			}
		}
		if _, set := vs.KeywordPos[p.Keyword]; !set {
			return rs.Pos
		}
	}
	return vs.PosOf(p.Keyword, alts...)
}
