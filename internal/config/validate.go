package config

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
)

// validate runs the checks that span objects: unique names, references,
// VRID clashes, sync-group membership.
func validate(c *Config, ds *Diagnostics) {
	scripts := uniqueNames(ds, "vrrp_script", c.Scripts, func(s *Script) (string, Pos) { return s.Name, s.Pos })
	files := uniqueNames(ds, "track_file", c.TrackFiles, func(s *TrackFile) (string, Pos) { return s.Name, s.Pos })
	procs := uniqueNames(ds, "vrrp_track_process", c.TrackProcesses, func(s *TrackProcess) (string, Pos) { return s.Name, s.Pos })
	insts := uniqueNames(ds, "vrrp_instance", c.Instances, func(s *Instance) (string, Pos) { return s.Name, s.Pos })
	uniqueNames(ds, "vrrp_sync_group", c.SyncGroups, func(s *SyncGroup) (string, Pos) { return s.Name, s.Pos })
	bfds := uniqueNames(ds, "bfd_instance", c.BFDInstances, func(s *BFDInstance) (string, Pos) { return s.Name, s.Pos })
	type bfdKey struct{ nbr, src netip.Addr }
	bfdPeers := map[bfdKey]*BFDInstance{}
	for _, bi := range c.BFDInstances {
		k := bfdKey{bi.Neighbor, bi.Source}
		if o := bfdPeers[k]; o != nil {
			ds.Errorf(bi.Pos, "bfd_instance %s: same neighbor_ip and source_ip as bfd_instance %s (at %s)", bi.Name, o.Name, o.Pos)
			continue
		}
		bfdPeers[k] = bi
	}
	if sd := c.Global.LVSSyncDaemon; sd != nil && sd.Instance != "" {
		if _, ok := insts[sd.Instance]; !ok {
			// keepalived 2.2.7: "Unable to find vrrp instance %s for lvs_syncd - clearing lvs_syncd config".
			msg := fmt.Sprintf("lvs_sync_daemon: vrrp_instance %s is not defined (keepalived would run no sync daemon)", sd.Instance)
			if s := nearestName(insts, sd.Instance); s != "" {
				msg += fmt.Sprintf("; did you mean '%s'?", s)
			}
			ds.Errorf(sd.Pos, "%s", msg)
		}
	}
	vsgs := uniqueNames(ds, "virtual_server_group", c.VirtualServerGroups, func(s *VirtualServerGroup) (string, Pos) { return s.Name, s.Pos })

	checkRefs := func(kind, defKind string, tracks []Track, defined map[string]Pos) {
		for _, t := range tracks {
			if _, ok := defined[t.Name]; ok {
				continue
			}
			msg := fmt.Sprintf("%s '%s' is not defined (no %s %s)", kind, t.Name, defKind, t.Name)
			if s := nearestName(defined, t.Name); s != "" {
				msg += fmt.Sprintf("; did you mean '%s'?", s)
			}
			ds.Errorf(t.Pos, "%s", msg)
		}
	}
	bfdByName := map[string]*BFDInstance{}
	for _, bi := range c.BFDInstances {
		bfdByName[bi.Name] = bi
	}
	// A bfd_instance with 'checker' and not 'vrrp' is not told to the VRRP
	// side (keepalived frees it in its VRRP process: "BFD ... not found").
	checkBFDForVRRP := func(tracks []Track) {
		for _, t := range tracks {
			if bi := bfdByName[t.Name]; bi != nil && !bi.TellsVRRP() {
				ds.Errorf(t.Pos, "track_bfd '%s': bfd_instance %s (at %s) has 'checker' and not 'vrrp': only BFD_CHECK hears it", t.Name, bi.Name, bi.Pos)
			}
		}
	}
	for _, v := range c.Instances {
		checkBFDForVRRP(v.TrackBFD)
	}
	for _, g := range c.SyncGroups {
		checkBFDForVRRP(g.TrackBFD)
	}
	for _, v := range c.Instances {
		checkRefs("track_script", "vrrp_script", v.TrackScript, scripts)
		checkRefs("track_file", "track_file", v.TrackFile, files)
		checkRefs("track_process", "vrrp_track_process", v.TrackProcess, procs)
		checkRefs("track_bfd", "bfd_instance", v.TrackBFD, bfds)
	}
	for _, g := range c.SyncGroups {
		checkRefs("track_script", "vrrp_script", g.TrackScript, scripts)
		checkRefs("track_file", "track_file", g.TrackFile, files)
		checkRefs("track_process", "vrrp_track_process", g.TrackProcess, procs)
		checkRefs("track_bfd", "bfd_instance", g.TrackBFD, bfds)
	}

	validateTrackGroups(c, insts, ds)

	// Sync groups: members defined, in at most one group, groups of >= 2.
	member := map[string]string{}
	for _, g := range c.SyncGroups {
		if len(g.Members) == 0 {
			ds.Errorf(g.Pos, "vrrp_sync_group %s has no 'group { ... }' members", g.Name)
		} else if len(g.Members) == 1 {
			ds.Warnf(g.Pos, "vrrp_sync_group %s has only 1 vrrp_instance; a sync group needs at least 2 to do anything", g.Name)
		}
		for i, m := range g.Members {
			if _, ok := insts[m]; !ok {
				msg := fmt.Sprintf("vrrp_sync_group %s: vrrp_instance '%s' is not defined", g.Name, m)
				if s := nearestName(insts, m); s != "" {
					msg += fmt.Sprintf("; did you mean '%s'?", s)
				}
				ds.Errorf(g.MemberPos[i], "%s", msg)
				continue
			}
			if other, dup := member[m]; dup {
				ds.Errorf(g.MemberPos[i], "vrrp_instance %s is already in vrrp_sync_group %s", m, other)
				continue
			}
			member[m] = g.Name
		}
	}
	groups := map[string]*SyncGroup{}
	for _, g := range c.SyncGroups {
		groups[g.Name] = g
	}
	for _, v := range c.Instances {
		v.SyncGroup = member[v.Name]
		// keepalived 2.2.7 (vrrp.c): the instance's notify_priority_changes,
		// else its sync group's, else the global one.
		v.NotifyPriorityChanges = c.Global.NotifyPriorityChanges
		if g := groups[v.SyncGroup]; g != nil && g.Notify.PriorityChanges != nil {
			v.NotifyPriorityChanges = *g.Notify.PriorityChanges
		}
		if p := v.Notify.PriorityChanges; p != nil {
			v.NotifyPriorityChanges = *p
		}
	}

	syncTrackingWeights(c, groups, ds)
	checkVRIDs(c, ds)

	// Scripts run as root without enable_script_security: keepalived -t
	// exits 6 ("SECURITY VIOLATION"); we warn.
	if !c.Global.EnableScriptSecurity && c.Global.ScriptUser == "" && usesScripts(c) {
		pos := c.Global.Pos
		if pos.Line == 0 && len(c.Instances) > 0 {
			pos = c.Instances[0].Pos
		}
		ds.Warnf(pos, "scripts are configured but enable_script_security is not set (keepalived -t reports a SECURITY VIOLATION)")
	}

	for _, vs := range c.VirtualServers {
		if vs.Group != "" {
			if _, ok := vsgs[vs.Group]; !ok {
				msg := fmt.Sprintf("virtual_server group '%s' is not defined (no virtual_server_group %s)", vs.Group, vs.Group)
				if s := nearestName(vsgs, vs.Group); s != "" {
					msg += fmt.Sprintf("; did you mean '%s'?", s)
				}
				ds.Errorf(vs.Pos, "%s", msg)
			}
		}
		for _, rs := range vs.RealServers {
			followed := map[string]bool{}
			for _, ck := range rs.Checkers {
				if ck.BFD != nil && ck.BFD.Name != "" {
					checkBFDCheck(ds, ck, bfds, bfdByName, followed)
				}
				if ck.File != nil && ck.File.TrackFile != "" {
					if _, ok := files[ck.File.TrackFile]; !ok {
						ds.Errorf(ck.Pos, "FILE_CHECK track_file '%s' is not defined (no track_file %s)", ck.File.TrackFile, ck.File.TrackFile)
					}
				}
			}
		}
	}
	checkDuplicateVS(c, ds)
	validateBGP(c, ds)
}

// checkBFDCheck is keepalived's check_bfd.c bfd_name_handler: the
// bfd_instance exists and is told to the checkers, and the real server
// does not follow it twice.
func checkBFDCheck(ds *Diagnostics, ck *Checker, bfds map[string]Pos, byName map[string]*BFDInstance, followed map[string]bool) {
	name := ck.BFD.Name
	bi := byName[name]
	switch {
	case bi == nil:
		msg := fmt.Sprintf("BFD_CHECK name '%s' is not defined (no bfd_instance %s)", name, name)
		if s := nearestName(bfds, name); s != "" {
			msg += fmt.Sprintf("; did you mean '%s'?", s)
		}
		ds.Errorf(ck.Pos, "%s", msg)
	case !bi.TellsCheckers():
		ds.Errorf(ck.Pos, "BFD_CHECK name '%s': bfd_instance %s (at %s) has 'vrrp' and not 'checker': only track_bfd hears it", name, name, bi.Pos)
	case followed[name]:
		ds.Errorf(ck.Pos, "BFD_CHECK name '%s': the real server already follows bfd_instance %s", name, name)
	}
	followed[name] = true
}

func usesScripts(c *Config) bool { return len(scriptRefs(c)) > 0 }

// scriptRefs returns the scripts the configuration runs (startup and
// shutdown scripts, vrrp_script, notify scripts, quorum and real-server notifies, MISC_CHECK), without
// the FIFO scripts.
func scriptRefs(c *Config) []*ScriptRef {
	var out []*ScriptRef
	add := func(rs ...*ScriptRef) {
		for _, r := range rs {
			if r != nil {
				out = append(out, r)
			}
		}
	}
	add(c.Global.StartupScript, c.Global.ShutdownScript)
	for _, s := range c.Scripts {
		add(&s.Command)
	}
	for _, v := range c.Instances {
		n := v.Notify
		add(n.Master, n.Backup, n.Fault, n.Stop, n.Any, n.MasterRxLowerPri, n.Deleted)
	}
	for _, g := range c.SyncGroups {
		n := g.Notify
		add(n.Master, n.Backup, n.Fault, n.Stop, n.Any)
	}
	for _, vs := range c.VirtualServers {
		add(vs.QuorumUp, vs.QuorumDown)
		for _, rs := range vs.RealServers {
			add(rs.NotifyUp, rs.NotifyDown)
			for _, ck := range rs.Checkers {
				if ck.Misc != nil {
					add(&ck.Misc.Command)
				}
			}
		}
	}
	return out
}

// uniqueNames reports duplicate names and returns name → first position.
func uniqueNames[T any](ds *Diagnostics, kind string, list []T, key func(T) (string, Pos)) map[string]Pos {
	seen := map[string]Pos{}
	for _, x := range list {
		name, pos := key(x)
		if first, dup := seen[name]; dup {
			ds.Errorf(pos, "%s %s is defined twice (first at %s)", kind, name, first)
			continue
		}
		seen[name] = pos
	}
	return seen
}

func nearestName(defined map[string]Pos, name string) string {
	list := make([]string, 0, len(defined))
	for n := range defined {
		list = append(list, n)
	}
	sortStrings(list)
	return suggestFrom(list, name)
}

// checkVRIDs: two instances may not share a VRID on the same interface and
// address family (keepalived: "X and Y both use VRID 3 with IPv4 on
// interface ens33"), unless both are unicast with disjoint peers.
func checkVRIDs(c *Config, ds *Diagnostics) {
	type key struct {
		ifname string
		family int
		vrid   int
	}
	seen := map[key]*Instance{}
	for _, v := range c.Instances {
		if v.VRID == 0 {
			continue
		}
		k := key{v.Interface, v.Family, v.VRID}
		prev, dup := seen[k]
		if !dup {
			seen[k] = v
			continue
		}
		if len(v.UnicastPeers) > 0 && len(prev.UnicastPeers) > 0 && !peersOverlap(v.UnicastPeers, prev.UnicastPeers) {
			continue
		}
		where := "interface " + v.Interface
		if v.Interface == "" {
			where = "no interface"
		}
		ds.Errorf(v.Pos, "vrrp_instance %s uses VRID %d with IPv%d on %s, like vrrp_instance %s at %s", v.Name, v.VRID, v.Family, where, prev.Name, prev.Pos)
	}
}

func peersOverlap(a, b []UnicastPeer) bool {
	set := map[netip.Addr]bool{}
	for _, p := range a {
		set[p.Addr] = true
	}
	for _, p := range b {
		if set[p.Addr] {
			return true
		}
	}
	return false
}

func checkDuplicateVS(c *Config, ds *Diagnostics) {
	seen := map[string]*VirtualServer{}
	for _, vs := range c.VirtualServers {
		k := vs.Name()
		if prev, dup := seen[k]; dup {
			ds.Errorf(vs.Pos, "virtual_server %s is defined twice (first at %s)", k, prev.Pos)
			continue
		}
		seen[k] = vs
		rs := map[netip.AddrPort]Pos{}
		for _, r := range vs.RealServers {
			ap := netip.AddrPortFrom(r.Addr, r.Port)
			if first, dup := rs[ap]; dup {
				ds.Errorf(r.Pos, "real_server %s is defined twice in virtual_server %s (first at %s)", ap, k, first)
				continue
			}
			rs[ap] = r.Pos
		}
	}
}

func sortStrings(s []string) { sort.Strings(s) }

// validateTrackGroups warns where keepalived ignores part of a
// track_group or a static entry's track_group (vrrp_static_track.c logs
// these and carries on).
func validateTrackGroups[T any](c *Config, insts map[string]T, ds *Diagnostics) {
	for _, g := range c.TrackGroups {
		if len(g.Members) == 0 {
			ds.Warnf(g.Pos, "track_group %s has no 'group { ... }' members: it tracks nothing", g.Name)
		}
		for _, m := range g.Members {
			if _, ok := insts[m]; !ok {
				ds.Warnf(g.Pos, "track_group %s: vrrp_instance %s does not exist; ignored, as keepalived does", g.Name, m)
			}
		}
	}
	both := func(pos Pos, what string) {
		ds.Warnf(pos, "%s has both track_group and no_track: not tracked, as in keepalived", what)
	}
	for _, a := range c.StaticAddresses {
		if a.TrackGroup != "" && a.NoTrack {
			both(a.Pos, "static address "+a.Prefix.String())
		}
	}
	for _, r := range c.StaticRoutes {
		if r.TrackGroup != "" && r.NoTrack {
			both(r.Pos, "static route "+r.Dst.String())
		}
	}
}

// syncTrackingWeights applies keepalived 2.2.7's rule for the tracked
// objects of the members of a sync group without sync_group_tracking_weight
// (vrrp.c vrrp_complete_instance): a weight on one instance would change
// its priority alone and desynchronise the group, so a weighted
// track_interface becomes weight 0 (FAULT while down), a weighted
// track_script or track_bfd is dropped, a track_file with the default
// weight 1 becomes weight 0 and one with another weight is dropped. Each is
// warned about (keepalived reports each as a configuration error and runs
// with the change, so its -t fails where we warn).
func syncTrackingWeights(c *Config, groups map[string]*SyncGroup, ds *Diagnostics) {
	scriptW := map[string]int{}
	for _, s := range c.Scripts {
		scriptW[s.Name] = s.Weight
	}
	fileW := map[string]int{}
	for _, f := range c.TrackFiles {
		fileW[f.Name] = f.Weight
	}
	bfdW := map[string]int{}
	for _, b := range c.BFDInstances {
		bfdW[b.Name] = b.Weight
	}
	weight := func(t Track, def map[string]int) int {
		if t.HasWeight {
			return t.Weight
		}
		return def[t.Name]
	}
	for _, v := range c.Instances {
		g := groups[v.SyncGroup]
		if g == nil || g.TrackingWeight {
			continue
		}
		why := fmt.Sprintf("vrrp_instance %s is in vrrp_sync_group %s without sync_group_tracking_weight", v.Name, g.Name)
		for i, t := range v.TrackInterface {
			if t.Weight != 0 {
				ds.Warnf(t.Pos, "%s: track_interface %s weight %d counts as weight 0 (FAULT while down), as in keepalived", why, t.Name, t.Weight)
				v.TrackInterface[i].Weight, v.TrackInterface[i].HasWeight = 0, true
			}
		}
		v.TrackScript = slices.DeleteFunc(v.TrackScript, func(t Track) bool {
			if w := weight(t, scriptW); w != 0 {
				ds.Warnf(t.Pos, "%s: track_script %s with weight %d is ignored, as in keepalived", why, t.Name, w)
				return true
			}
			return false
		})
		v.TrackBFD = slices.DeleteFunc(v.TrackBFD, func(t Track) bool {
			if w := weight(t, bfdW); w != 0 {
				ds.Warnf(t.Pos, "%s: track_bfd %s with weight %d is ignored, as in keepalived", why, t.Name, w)
				return true
			}
			return false
		})
		var files []Track
		for _, t := range v.TrackFile {
			switch w := weight(t, fileW); w {
			case 0:
				files = append(files, t)
			case 1:
				ds.Warnf(t.Pos, "%s: track_file %s with the default weight 1 counts as weight 0; write weight 0", why, t.Name)
				t.Weight, t.HasWeight = 0, true
				files = append(files, t)
			default:
				ds.Warnf(t.Pos, "%s: track_file %s with weight %d is ignored, as in keepalived", why, t.Name, w)
			}
		}
		v.TrackFile = files
	}
}
