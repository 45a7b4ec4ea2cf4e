package config

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Dump writes a readable, normalised view of the model (every default
// applied) for `gokeepalived -d`. The layout is stable so that it can be
// compared in tests and between runs.
func Dump(w io.Writer, c *Config) error {
	d := &dumper{w: w}
	g := c.Global
	d.line(0, "global_defs")
	d.kv(1, "router_id", orDefault(g.RouterID, "(host name)"))
	d.kv(1, "vrrp_version", g.VRRPVersion)
	d.kv(1, "vrrp_mcast_group4", g.MulticastGroup4)
	d.kv(1, "vrrp_mcast_group6", g.MulticastGroup6)
	d.kv(1, "vrrp_strict", g.Strict)
	d.kv(1, "default_interface", g.DefaultInterface)
	d.kv(1, "vrrp_garp_interval", fmtDur(g.GARPInterval))
	d.kv(1, "vrrp_gna_interval", fmtDur(g.GNAInterval))
	d.garp(1, g.GARP)
	d.kv(1, "script_user", orDefault(strings.TrimSpace(g.ScriptUser+" "+g.ScriptGroup), "(keepalived_script or root)"))
	d.kv(1, "enable_script_security", g.EnableScriptSecurity)
	if len(g.NotificationEmail) > 0 {
		d.kv(1, "notification_email", strings.Join(g.NotificationEmail, ", "))
		d.kv(1, "notification_email_from", orDefault(g.NotificationEmailFrom, "keepalived@(host name)"))
		d.kv(1, "smtp_server", fmt.Sprintf("%s port %d", orDefault(g.SMTPServer, "(none)"), g.SMTPPort))
		d.kv(1, "smtp_connect_timeout", fmtDur(g.SMTPConnectTimeout))
	}
	for _, s := range c.Scripts {
		d.line(0, "vrrp_script %s  # %s", s.Name, s.Pos)
		d.kv(1, "script", strings.Join(s.Command.Args, " "))
		d.kv(1, "interval", fmtDur(s.Interval))
		d.kv(1, "timeout", fmtDur(s.Timeout))
		d.kv(1, "weight", weightStr(s.Weight, s.Reverse))
		d.kv(1, "rise/fall", fmt.Sprintf("%d/%d", s.Rise, s.Fall))
	}
	for _, f := range c.TrackFiles {
		d.line(0, "track_file %s  # %s", f.Name, f.Pos)
		d.kv(1, "file", f.Path)
		d.kv(1, "weight", weightStr(f.Weight, f.Reverse))
	}
	for _, p := range c.TrackProcesses {
		d.line(0, "vrrp_track_process %s  # %s", p.Name, p.Pos)
		d.kv(1, "process", strings.Join(p.Process, " "))
		d.kv(1, "weight", weightStr(p.Weight, p.Reverse))
		d.kv(1, "quorum", fmt.Sprintf("%d..%d", p.Quorum, p.QuorumMax))
	}
	for _, s := range c.SyncGroups {
		d.line(0, "vrrp_sync_group %s  # %s", s.Name, s.Pos)
		d.kv(1, "group", strings.Join(s.Members, " "))
		d.tracks(1, "track_script", s.TrackScript)
		d.notify(1, s.Notify)
	}
	for _, v := range c.Instances {
		d.instance(v)
	}
	for _, g := range c.VirtualServerGroups {
		d.line(0, "virtual_server_group %s  # %s", g.Name, g.Pos)
		for _, e := range g.Entries {
			if e.FWMark != 0 {
				d.line(1, "fwmark %d %s", e.FWMark, e.Family)
			} else {
				d.line(1, "%s-%s port %d", e.First, e.Last, e.Port)
			}
		}
	}
	for _, vs := range c.VirtualServers {
		d.virtualServer(vs)
	}
	return d.err
}

type dumper struct {
	w   io.Writer
	err error
}

func (d *dumper) line(indent int, format string, args ...any) {
	if d.err != nil {
		return
	}
	_, d.err = fmt.Fprintf(d.w, "%s%s\n", strings.Repeat("  ", indent), strings.TrimRight(fmt.Sprintf(format, args...), " "))
}

func (d *dumper) kv(indent int, k string, v any) {
	if dd, ok := v.(time.Duration); ok {
		v = fmtDur(dd)
	}
	d.line(indent, "%s %v", k, v)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func weightStr(w int, rev bool) string {
	if rev {
		return fmt.Sprintf("%d reverse", w)
	}
	return fmt.Sprint(w)
}

func (d *dumper) garp(i int, g GARP) {
	d.kv(i, "garp_master_delay", g.MasterDelay)
	d.kv(i, "garp_master_repeat", g.MasterRepeat)
	d.kv(i, "garp_master_refresh", g.MasterRefresh)
	d.kv(i, "garp_master_refresh_repeat", g.MasterRefreshRepeat)
	d.kv(i, "garp_lower_prio_delay", g.LowerPrioDelay)
	d.kv(i, "garp_lower_prio_repeat", g.LowerPrioRepeat)
}

func (d *dumper) tracks(i int, name string, ts []Track) {
	for _, t := range ts {
		w := "(default)"
		if t.HasWeight {
			w = weightStr(t.Weight, t.Reverse)
		}
		d.line(i, "%s %s weight %s", name, t.Name, w)
	}
}

func (d *dumper) notify(i int, n Notify) {
	for _, s := range []struct {
		k string
		r *ScriptRef
	}{{"notify_master", n.Master}, {"notify_backup", n.Backup}, {"notify_fault", n.Fault}, {"notify_stop", n.Stop}, {"notify", n.Any}, {"notify_master_rx_lower_pri", n.MasterRxLowerPri}} {
		if s.r != nil {
			d.kv(i, s.k, strings.TrimSpace(strings.Join(s.r.Args, " ")+" "+s.r.User+" "+s.r.Group))
		}
	}
}

func (d *dumper) instance(v *Instance) {
	d.line(0, "vrrp_instance %s  # %s", v.Name, v.Pos)
	d.kv(1, "state", v.State)
	d.kv(1, "interface", orDefault(v.Interface, "(none)"))
	d.kv(1, "virtual_router_id", v.VRID)
	d.kv(1, "priority", v.Priority)
	d.kv(1, "advert_int", v.AdvertInt)
	d.kv(1, "version", v.Version)
	d.kv(1, "family", fmt.Sprintf("IPv%d", v.Family))
	if v.Auth != nil {
		d.kv(1, "authentication", v.Auth.Type+" "+v.Auth.Pass)
	}
	for _, ip := range v.VIPs {
		d.line(1, "virtual_ipaddress %s", vipString(ip))
	}
	for _, ip := range v.ExcludedVIPs {
		d.line(1, "virtual_ipaddress_excluded %s", vipString(ip))
	}
	for _, r := range v.Routes {
		d.line(1, "virtual_route %s", r)
	}
	for _, r := range v.Rules {
		d.line(1, "virtual_rule %s", r)
	}
	if v.UnicastSrc.IsValid() {
		d.kv(1, "unicast_src_ip", v.UnicastSrc)
	}
	if v.McastSrc.IsValid() {
		d.kv(1, "mcast_src_ip", v.McastSrc)
	}
	for _, p := range v.UnicastPeers {
		d.line(1, "unicast_peer %s min_ttl %d max_ttl %d", p.Addr, p.MinTTL, p.MaxTTL)
	}
	d.kv(1, "preempt", v.Preempt)
	d.kv(1, "preempt_delay", v.PreemptDelay)
	d.kv(1, "accept", v.Accept)
	d.kv(1, "strict_mode", v.Strict)
	d.kv(1, "lower_prio_no_advert", v.LowerPrioNoAdvert)
	d.kv(1, "higher_prio_send_advert", v.HigherPrioSendAdvert)
	d.kv(1, "down_timer_adverts", v.DownTimerAdverts)
	d.garp(1, v.GARP)
	d.tracks(1, "track_interface", v.TrackInterface)
	d.tracks(1, "track_script", v.TrackScript)
	d.tracks(1, "track_file", v.TrackFile)
	d.tracks(1, "track_process", v.TrackProcess)
	d.notify(1, v.Notify)
	if v.UseVMAC {
		d.kv(1, "use_vmac", strings.TrimSpace(v.VMACName+" "+v.VMACAddr))
	}
	if v.SyncGroup != "" {
		d.kv(1, "sync_group", v.SyncGroup)
	}
}

func vipString(ip VIP) string {
	var b strings.Builder
	b.WriteString(ip.Prefix.String())
	if ip.Broadcast.IsValid() {
		fmt.Fprintf(&b, " brd %s", ip.Broadcast)
	}
	scope := ""
	if ip.Scope != ScopeGlobal {
		scope = ip.Scope.String()
	}
	for _, o := range []struct{ k, v string }{{"dev", ip.Dev}, {"scope", scope}, {"label", ip.Label}, {"preferred_lft", ip.PreferredLft}} {
		if o.v != "" {
			fmt.Fprintf(&b, " %s %s", o.k, o.v)
		}
	}
	if ip.Peer.IsValid() {
		fmt.Fprintf(&b, " peer %s", ip.Peer)
	}
	for _, f := range []struct {
		k string
		v bool
	}{{"home", ip.Home}, {"-nodad", ip.NoDAD}, {"mngtmpaddr", ip.MngTmpAddr}, {"noprefixroute", ip.NoPrefixRoute}, {"autojoin", ip.AutoJoin}, {"no_track", ip.NoTrack}, {"use_vmac", ip.UseVMAC}} {
		if f.v {
			b.WriteString(" " + f.k)
		}
	}
	return b.String()
}

func (d *dumper) timing(i int, t Timing) {
	d.line(i, "connect_timeout %s retry %d delay_before_retry %s warmup %s delay_loop %s",
		fmtDur(t.ConnectTimeout), t.Retry, fmtDur(t.DelayBeforeRetry), fmtDur(t.Warmup), fmtDur(t.DelayLoop))
}

func (d *dumper) virtualServer(vs *VirtualServer) {
	d.line(0, "virtual_server %s  # %s", vs.Name(), vs.Pos)
	d.kv(1, "lvs_sched", vs.Scheduler)
	d.kv(1, "lvs_method", strings.TrimSpace(vs.Method+" "+joinWords(vs.TunnelArgs)))
	d.kv(1, "protocol", vs.Protocol)
	d.kv(1, "persistence_timeout", vs.Persistence)
	d.kv(1, "quorum", vs.Quorum)
	d.kv(1, "hysteresis", vs.Hysteresis)
	d.timing(1, vs.Timing)
	if vs.Sorry != nil {
		d.line(1, "sorry_server %s port %d", vs.Sorry.Addr, vs.Sorry.Port)
	}
	for _, rs := range vs.RealServers {
		d.line(1, "real_server %s port %d  # %s", rs.Addr, rs.Port, rs.Pos)
		d.kv(2, "weight", rs.Weight)
		d.kv(2, "lvs_method", rs.Method)
		d.kv(2, "inhibit_on_failure", rs.InhibitOnFailure)
		for _, c := range rs.Checkers {
			d.line(2, "%s  # %s", c.Type, c.Pos)
			d.line(3, "connect %s port %d", orDefault(addrString(c.ConnectIP), "(real server)"), c.ConnectPort)
			d.timing(3, c.Timing)
			d.checkerDetails(3, c)
		}
	}
}

func addrString(a interface{ IsValid() bool }) string {
	if !a.IsValid() {
		return ""
	}
	return fmt.Sprint(a)
}

func (d *dumper) checkerDetails(i int, c *Checker) {
	switch {
	case c.HTTP != nil:
		d.kv(i, "http_protocol", c.HTTP.Protocol)
		if c.HTTP.VirtualHost != "" {
			d.kv(i, "virtualhost", c.HTTP.VirtualHost)
		}
		for _, u := range c.HTTP.URLs {
			var codes []string
			for _, s := range u.StatusCodes {
				codes = append(codes, fmt.Sprintf("%d-%d", s.From, s.To))
			}
			d.line(i, "url path %s digest %s status_code %s", u.Path, orDefault(u.Digest, "-"), strings.Join(codes, ","))
		}
	case c.Misc != nil:
		d.kv(i, "misc_path", joinWords(c.Misc.Command.Args))
		d.kv(i, "misc_timeout", c.Misc.Timeout)
		d.kv(i, "misc_dynamic", c.Misc.Dynamic)
	case c.DNS != nil:
		d.line(i, "type %s name %s", c.DNS.Type, c.DNS.Name)
	case c.File != nil:
		d.line(i, "track_file %s weight %s", c.File.TrackFile, weightStr(c.File.Weight, c.File.Reverse))
	case c.UDP != nil:
		d.line(i, "payload %x require_reply %v %s length %d..%d", c.UDP.Payload, c.UDP.RequireReply, c.UDP.ReplyPattern, c.UDP.MinReplyLength, c.UDP.MaxReplyLength)
	case c.SMTP != nil:
		d.kv(i, "helo_name", orDefault(c.SMTP.HeloName, "(host name)"))
	}
}
