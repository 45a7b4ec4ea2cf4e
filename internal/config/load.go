package config

import (
	"os/user"
	"runtime"
	"slices"
	"strings"

	"gokeepalived/internal/config/syntax"
)

// LoadOptions are the syntax options (config id, file system, environment,
// random seed, instance name) used to read the file.
type LoadOptions struct {
	Syntax syntax.Options
}

// Load reads the configuration at path and returns the model and every
// diagnostic from all passes: syntax, keyword table, values and cross
// references. Host checks are separate (CheckHost). The configuration
// must not be used if the diagnostics contain an error.
func Load(path string, opts LoadOptions) (*Config, Diagnostics) {
	f, ds := syntax.ParseFile(path, opts.Syntax)
	cfg, ds := finish(f, ds)
	if seed, again := reseed(cfg, opts); again {
		opts.Syntax.RandomSeed = seed
		return Load(path, opts)
	}
	return cfg, ds
}

// LoadBytes is Load for configuration text held in memory; name is used
// in positions.
func LoadBytes(name string, data []byte, opts LoadOptions) (*Config, Diagnostics) {
	f, ds := syntax.ParseBytes(name, data, opts.Syntax)
	cfg, ds := finish(f, ds)
	if seed, again := reseed(cfg, opts); again {
		opts.Syntax.RandomSeed = seed
		return LoadBytes(name, data, opts)
	}
	return cfg, ds
}

// reseed reports whether the file sets global_defs random_seed to another
// seed than the one it was read with: keepalived seeds ${_RANDOM} with it
// (parser.c set_std_definitions), so the file is read again with that seed,
// and ${_RANDOM} gives the same values for the same random_seed.
func reseed(cfg *Config, opts LoadOptions) (int64, bool) {
	if cfg == nil || !cfg.Global.RandomSeedSet || cfg.Global.RandomSeed == opts.Syntax.RandomSeed {
		return 0, false
	}
	return cfg.Global.RandomSeed, true
}

func finish(f *syntax.File, ds Diagnostics) (*Config, Diagnostics) {
	ds = repairMissingBrace(f, ds)
	cfg, more := FromAST(f)
	all := append(append(Diagnostics(nil), ds...), more...)
	all.Sort()
	return cfg, all
}

// CheckHost checks the model against the running host: every interface
// the configuration names must exist. ifaces, the host's interface names,
// is injected so that the check stays pure and testable; a missing one is
// reported with the names that exist and the nearest of them.
func CheckHost(cfg *Config, ifaces []string) Diagnostics {
	var ds Diagnostics
	exists := map[string]bool{}
	for _, n := range ifaces {
		exists[n] = true
	}
	// dynamic_interfaces: an interface of the VRRP side may appear later
	// (its instances wait in FAULT); a warning, as keepalived logs one.
	vrrpCheck := func(pos Pos, what, name string) {
		if name != "" && !exists[name] {
			if cfg.Global.DynamicInterfaces {
				ds.Warnf(pos, "%s: interface %s does not exist yet (dynamic_interfaces: waiting in FAULT until it appears)%s",
					what, name, ifaceHint(ifaces, name))
				return
			}
			ds.Errorf(pos, "%s: interface %s does not exist%s", what, name, ifaceHint(ifaces, name))
		}
	}
	check := func(pos Pos, what, name string) {
		if name != "" && !exists[name] {
			ds.Errorf(pos, "%s: interface %s does not exist%s", what, name, ifaceHint(ifaces, name))
		}
	}
	for _, v := range cfg.Instances {
		pos := v.InterfacePos
		if pos.Line == 0 {
			pos = v.Pos
		}
		vrrpCheck(pos, "vrrp_instance "+v.Name, v.Interface)
		for _, t := range v.TrackInterface {
			vrrpCheck(t.Pos, "vrrp_instance "+v.Name+" track_interface", t.Name)
		}
		for _, ip := range v.VIPs {
			vrrpCheck(ip.Pos, "vrrp_instance "+v.Name+" virtual_ipaddress "+ip.Prefix.String(), ip.Dev)
		}
		for _, ip := range v.ExcludedVIPs {
			vrrpCheck(ip.Pos, "vrrp_instance "+v.Name+" virtual_ipaddress_excluded "+ip.Prefix.String(), ip.Dev)
		}
	}
	for _, a := range cfg.StaticAddresses {
		vrrpCheck(a.Pos, "static_ipaddress "+a.Prefix.String(), a.Dev)
	}
	for _, r := range cfg.StaticRoutes {
		vrrpCheck(r.Pos, "static_routes "+r.Dst.String(), r.Dev)
	}
	for _, g := range cfg.GARPGroups {
		for _, n := range g.Interfaces {
			check(g.Pos, "garp_group", n)
		}
	}
	for _, l := range cfg.LinkbeatInterfaces {
		check(l.Pos, "linkbeat_interfaces", l.Name)
	}
	for _, x := range cfg.InterfaceDelays {
		check(x.Pos, "interface_up_down_delays", x.Name)
	}
	for _, g := range cfg.SyncGroups {
		for _, t := range g.TrackInterface {
			vrrpCheck(t.Pos, "vrrp_sync_group "+g.Name+" track_interface", t.Name)
		}
	}
	for _, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			for _, ck := range rs.Checkers {
				check(ck.Pos, ck.Type+" bind_if", ck.BindIf)
			}
		}
	}
	checkDefaultScriptUser(cfg, &ds, userExists)
	checkCPUs(cfg, &ds, runtime.NumCPU())
	ds.Sort()
	return ds
}

// ifaceHint lists the host's interfaces (at most 8, loopback last) and the
// nearest to name: "; this host has eth0, lo; did you mean eth0?".
func ifaceHint(ifaces []string, name string) string {
	if len(ifaces) == 0 {
		return ""
	}
	list := slices.Clone(ifaces)
	slices.SortFunc(list, func(a, b string) int {
		if (a == "lo") != (b == "lo") {
			if a == "lo" {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	more := ""
	if len(list) > 8 {
		list, more = list[:8], ", ..."
	}
	h := "; this host has " + strings.Join(list, ", ") + more
	if s := suggestFrom(ifaces, name); s != "" {
		h += "; did you mean " + s + "?"
	}
	return h
}

// checkCPUs refuses a vrrp_/checker_cpu_affinity naming a CPU this host
// does not have (keepalived 2.2.7: "Invalid cpu_id", the whole set
// dropped).
func checkCPUs(cfg *Config, ds *Diagnostics, ncpu int) {
	g := &cfg.Global
	for _, p := range []struct {
		name string
		cpus []int
	}{{"vrrp_cpu_affinity", g.VRRPProc.CPUs}, {"checker_cpu_affinity", g.CheckerProc.CPUs}, {"bfd_cpu_affinity", g.BFDProc.CPUs}} {
		for _, c := range p.cpus {
			if c >= ncpu {
				ds.Errorf(g.Pos, "global_defs %s: CPU %d does not exist (this host has CPUs 0-%d)", p.name, c, ncpu-1)
				break
			}
		}
	}
}

// userExists reports whether a user of that name exists (files, NSS).
func userExists(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}

// checkDefaultScriptUser refuses enable_script_security with neither
// script_user nor a keepalived_script user when a script names no user of
// its own. keepalived 2.2.7 reports "Unable to set default user
// keepalived_script for script", disables every such script, and runs on
// without that tracking and those notifications; the fix is to name the
// user.
func checkDefaultScriptUser(cfg *Config, ds *Diagnostics, exists func(string) bool) {
	g := &cfg.Global
	if !g.EnableScriptSecurity || g.ScriptUser != "" {
		return
	}
	refs := append(scriptRefs(cfg), g.NotifyFIFOScript, g.VRRPNotifyFIFOScript)
	for _, r := range refs {
		if r == nil || r.User != "" {
			continue
		}
		if exists("keepalived_script") {
			return
		}
		ds.Errorf(r.Pos, "script '%s': enable_script_security is set but global_defs has no script_user and the user keepalived_script "+
			"does not exist; keepalived would disable this and every script without its own user (no tracking, no notifications). "+
			"Add 'script_user root' to global_defs (or create the user keepalived_script)", strings.Join(r.Args, " "))
		return
	}
}
