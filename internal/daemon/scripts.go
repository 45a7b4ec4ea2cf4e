package daemon

import (
	"errors"
	"net/netip"

	"gokeepalived/internal/config"
	"gokeepalived/internal/config/syntax"
	"gokeepalived/internal/notify"
)

// scriptCred resolves the user a script runs as (notify.ResolveUser).
func scriptCred(ref *config.ScriptRef, g *config.Global) (*notify.Credential, error) {
	var u, grp string
	if ref != nil {
		u, grp = ref.User, ref.Group
	}
	return notify.ResolveUser(u, grp, g.ScriptUser, g.ScriptGroup)
}

// makeScript builds the runnable script for a configured one.
func makeScript(ref *config.ScriptRef, g *config.Global) (*notify.Script, error) {
	if ref == nil || len(ref.Args) == 0 {
		return nil, nil
	}
	cred, err := scriptCred(ref, g)
	if err != nil {
		return nil, err
	}
	return &notify.Script{Argv: ref.Args, User: cred}, nil
}

// CheckScripts is the host pass for scripts, run by -t and before the
// daemon starts or reloads: every vrrp_script, notify script, FIFO script
// and MISC_CHECK misc_path must exist and be executable, and with
// enable_script_security be safe to run as root. keepalived disables such
// scripts at startup and runs on without them (so a weight-0 check that
// can never run silently stops protecting anything); gokeepalived refuses
// the configuration instead, naming the script and why.
func CheckScripts(cfg *config.Config) syntax.Diagnostics {
	var ds syntax.Diagnostics
	g := &cfg.Global
	check := func(pos syntax.Pos, what string, ref *config.ScriptRef) {
		s, err := makeScript(ref, g)
		if err != nil {
			ds.Errorf(pos, "%s: %v", what, err)
			return
		}
		if s == nil {
			return
		}
		err = notify.CheckScript(s)
		switch {
		case err == nil:
		case errors.Is(err, notify.ErrScriptInsecure) && !g.EnableScriptSecurity:
			ds.Warnf(pos, "%s: %v (enable_script_security would refuse it)", what, err)
		default:
			ds.Errorf(pos, "%s: %v", what, err)
		}
	}
	for kw, ref := range map[string]*config.ScriptRef{"startup_script": g.StartupScript, "shutdown_script": g.ShutdownScript} {
		if ref != nil {
			check(ref.Pos, kw, ref)
		}
	}
	for _, s := range cfg.Scripts {
		pos := s.Command.Pos // its script line, not the vrrp_script block's
		if pos.Line == 0 {
			pos = s.Pos
		}
		check(pos, "vrrp_script "+s.Name, &s.Command)
	}
	notifyRefs := func(pos syntax.Pos, owner string, n config.Notify) {
		for _, r := range []struct {
			kw  string
			ref *config.ScriptRef
		}{{"notify_master", n.Master}, {"notify_backup", n.Backup}, {"notify_fault", n.Fault}, {"notify_stop", n.Stop},
			{"notify", n.Any}, {"notify_master_rx_lower_pri", n.MasterRxLowerPri}, {"notify_deleted", n.Deleted}} {
			if r.ref != nil {
				check(r.ref.Pos, owner+" "+r.kw, r.ref)
			}
		}
	}
	for _, in := range cfg.Instances {
		notifyRefs(in.Pos, "vrrp_instance "+in.Name, in.Notify)
	}
	for _, sg := range cfg.SyncGroups {
		notifyRefs(sg.Pos, "vrrp_sync_group "+sg.Name, sg.Notify)
	}
	for _, r := range []*config.ScriptRef{g.NotifyFIFOScript, g.VRRPNotifyFIFOScript, g.LVSNotifyFIFOScript} {
		if r != nil {
			check(r.Pos, "notify_fifo_script", r)
		}
	}
	for _, vs := range cfg.VirtualServers {
		for kw, ref := range map[string]*config.ScriptRef{"quorum_up": vs.QuorumUp, "quorum_down": vs.QuorumDown} {
			if ref != nil {
				check(ref.Pos, "virtual_server "+vs.Name()+" "+kw, ref)
			}
		}
		for _, rs := range vs.RealServers {
			for kw, ref := range map[string]*config.ScriptRef{"notify_up": rs.NotifyUp, "notify_down": rs.NotifyDown} {
				if ref != nil {
					check(ref.Pos, "real_server of "+vs.Name()+" "+kw, ref)
				}
			}
			for _, c := range rs.Checkers {
				if c.Misc != nil {
					check(c.Pos, "MISC_CHECK misc_path of "+vs.Name(), &c.Misc.Command)
				}
			}
		}
	}
	return ds
}

// CheckHost is the daemon's host pass, run by -t and before start and
// reload, after config.CheckHost: scripts (CheckScripts), and everything
// the daemon would otherwise only discover when it starts the instance:
// virtual_routes/virtual_rules forms the adapter cannot program, and an
// interface without the address VRRP sends from.
func CheckHost(cfg *config.Config, primary func(ifname string, ipv6 bool) (netip.Addr, error)) syntax.Diagnostics {
	ds := CheckScripts(cfg)
	type key struct {
		ifname string
		ipv6   bool
	}
	asked := map[key]error{} // one question per interface and family
	for _, in := range cfg.Instances {
		if _, _, err := kernelRoutes(in); err != nil {
			ds.Errorf(in.Pos, "vrrp_instance %s: %v", in.Name, err)
		}
		if in.UnicastSrc.IsValid() || in.McastSrc.IsValid() || ipvlanSrc(in).IsValid() || in.Interface == "" || primary == nil {
			continue
		}
		k := key{in.Interface, in.Family == 6}
		err, ok := asked[k]
		if !ok {
			_, err = primary(in.Interface, in.Family == 6)
			asked[k] = err
		}
		if err != nil && !cfg.Global.DynamicInterfaces {
			// A warning: the address may still be coming (DHCP, a later
			// ifup); the daemon refuses to start the instance without it.
			ds.Warnf(in.Pos, "vrrp_instance %s: %v (VRRP needs it as the advert source: the daemon will not start without it; add one, or set unicast_src_ip/mcast_src_ip)", in.Name, err)
		}
	}
	return ds
}
