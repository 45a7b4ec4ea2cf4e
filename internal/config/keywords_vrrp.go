package config

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"gokeepalived/internal/config/syntax"
)

// VRRP and BFD blocks of keepalived 2.2.7 (keepalived/vrrp/vrrp_parser.c
// init_vrrp_keywords, keepalived/bfd/bfd_parser.c). Ranges were checked
// against `keepalived -t` 2.2.7 where noted.

// weightArgs is `weight N [reverse]`.
func weightKw(min, max float64) *Keyword {
	return kw("weight", 1, 2, tInt(min, max), tEnum("reverse"))
}

func vrrpScriptBlock() *BlockSpec {
	return newBlock("vrrp_script",
		show(set(kw("script", 1, -1, tPath), func(b *builder, s *Script, n *syntax.Node) {
			s.Command.Pos, s.Command.Args = n.Pos, argv(n.Args)
		}), func(d *dumper, i int, s *Script) { d.kv(i, "script", strings.Join(s.Command.Args, " ")) }),
		// 2.2.7 reads interval/timeout as whole seconds: "vrrp script
		// interval '0.5' must be between 1 and 4294".
		secsKw("interval", 1, 4294, func(s *Script) *time.Duration { return &s.Interval }),
		secsKw("timeout", 1, 4294, func(s *Script) *time.Duration { return &s.Timeout }),
		weightRow(-253, 253, func(s *Script) (*int, *bool) { return &s.Weight, &s.Reverse }),
		intKw("rise", 1, 2147483647, func(s *Script) *int { return &s.Rise }),
		intKw("fall", 1, 2147483647, func(s *Script) *int { return &s.Fall }),
		userKw(func(s *Script) *ScriptRef { return &s.Command }),
		flagKw("init_fail", func(s *Script) *bool { return &s.InitFail }, true),
	)
}

func trackFileBlock() *BlockSpec {
	return newBlock("track_file",
		pathKw("file", func(t *TrackFile) *string { return &t.Path }),
		weightRow(-2147483647, 2147483647, func(t *TrackFile) (*int, *bool) { return &t.Weight, &t.Reverse }),
		show(set(kw("init_file", 0, 2), func(b *builder, t *TrackFile, n *syntax.Node) {
			t.InitFile = true
			for _, a := range n.Args {
				if a.Text == "overwrite" {
					t.InitOverwrite = true
				} else if v, ok := parseInt(a.Text); ok {
					t.InitValue = v
				} else {
					b.ds.Errorf(a.Pos, "init_file '%s' is neither a number nor 'overwrite'", a.Text)
				}
			}
		}), func(d *dumper, i int, t *TrackFile) {
			if t.InitFile {
				d.line(i, "init_file %d%s", t.InitValue, map[bool]string{true: " overwrite"}[t.InitOverwrite])
			}
		}),
	)
}

func trackProcessBlock() *BlockSpec {
	return newBlock("vrrp_track_process",
		show(set(kw("process", 1, -1, tStr), func(b *builder, t *TrackProcess, n *syntax.Node) {
			t.Process = argTexts(n.Args)
		}), func(d *dumper, i int, t *TrackProcess) { d.kv(i, "process", strings.Join(t.Process, " ")) }),
		enumKw("param_match", func(t *TrackProcess) *string { return &t.ParamMatch }, "initial", "partial"),
		weightRow(-254, 254, func(t *TrackProcess) (*int, *bool) { return &t.Weight, &t.Reverse }),
		intKw("quorum", 0, 65535, func(t *TrackProcess) *int { return &t.Quorum }),
		intKw("quorum_max", 0, 65535, func(t *TrackProcess) *int { return &t.QuorumMax }),
		// delay sets both delays; they are dumped under their own names.
		set(kw("delay", 1, 1, tTimer(0, 3600)), func(b *builder, t *TrackProcess, n *syntax.Node) {
			t.ForkDelay, t.TerminateDelay = b.dur(n, 0), b.dur(n, 0)
		}),
		timerKw("fork_delay", 0, 3600, func(t *TrackProcess) *time.Duration { return &t.ForkDelay }),
		timerKw("terminate_delay", 0, 3600, func(t *TrackProcess) *time.Duration { return &t.TerminateDelay }),
		flagKw("full_command", func(t *TrackProcess) *bool { return &t.FullCommand }, true),
	)
}

// notifier is the model of a block with notify scripts (vrrp_instance,
// vrrp_sync_group).
type notifier interface{ notifyScripts() *Notify }

func (v *Instance) notifyScripts() *Notify  { return &v.Notify }
func (g *SyncGroup) notifyScripts() *Notify { return &g.Notify }

// notifyKw is a notify script of an instance or sync group.
func notifyKw(name string, f func(*Notify) **ScriptRef) *Keyword {
	return scriptKw(name, func(t notifier) **ScriptRef { return f(t.notifyScripts()) })
}

// notifyRows are the notify keywords instances and sync groups share.
func notifyRows() []*Keyword {
	return []*Keyword{
		notifyKw("notify_master", func(n *Notify) **ScriptRef { return &n.Master }),
		notifyKw("notify_backup", func(n *Notify) **ScriptRef { return &n.Backup }),
		notifyKw("notify_fault", func(n *Notify) **ScriptRef { return &n.Fault }),
		notifyKw("notify_stop", func(n *Notify) **ScriptRef { return &n.Stop }),
		notifyKw("notify", func(n *Notify) **ScriptRef { return &n.Any }),
	}
}

func syncGroupBlock() *BlockSpec {
	b := newBlock("vrrp_sync_group",
		show(set(vblock("group"), func(b *builder, g *SyncGroup, n *syntax.Node) {
			for _, l := range n.Children {
				for _, a := range lineWords(l) {
					g.Members = append(g.Members, a.Text)
					g.MemberPos = append(g.MemberPos, a.Pos)
				}
			}
		}), func(d *dumper, i int, g *SyncGroup) { d.kv(i, "group", strings.Join(g.Members, " ")) }),
		tracksKw("track_interface", -253, 253, func(g *SyncGroup) *[]Track { return &g.TrackInterface }),
		tracksKw("track_script", -253, 253, func(g *SyncGroup) *[]Track { return &g.TrackScript }),
		tracksKw("track_file", -254, 254, func(g *SyncGroup) *[]Track { return &g.TrackFile }),
		tracksKw("track_process", -254, 254, func(g *SyncGroup) *[]Track { return &g.TrackProcess }),
		tracksKw("track_bfd", -253, 253, func(g *SyncGroup) *[]Track { return &g.TrackBFD }),
	)
	b.add(notifyRows()...)
	return b.add(
		alertKw("notify_priority_changes", func(t notifier) **bool { return &t.notifyScripts().PriorityChanges }),
		alertKw("smtp_alert", func(t notifier) **bool { return &t.notifyScripts().SMTPAlert }),
		// Both keep the weights of the members' own tracked objects
		// (SyncGroup.TrackingWeight, syncTrackingWeights in validate.go).
		set(flag("global_tracking"), func(b *builder, g *SyncGroup, n *syntax.Node) { g.TrackingWeight = true }).
			alias("sync_group_tracking_weight", "'global_tracking' is deprecated; use track_* blocks on the vrrp_sync_group (it works as sync_group_tracking_weight)"),
		flagKw("sync_group_tracking_weight", func(g *SyncGroup) *bool { return &g.TrackingWeight }, true),
	)
}

func instanceBlock() *BlockSpec {
	type inst = *Instance
	b := newBlock("vrrp_instance",
		// Core protocol.
		enumKw("state", func(v inst) *string { return &v.State }, "MASTER", "BACKUP"),
		show(set(str("interface"), func(b *builder, v inst, n *syntax.Node) { v.Interface, v.InterfacePos = n.Args[0].Text, n.Args[0].Pos }),
			func(d *dumper, i int, v inst) { d.kv(i, "interface", orDefault(v.Interface, "(none)")) }),
		intKw("virtual_router_id", 1, 255, func(v inst) *int { return &v.VRID }),
		intKw("priority", 1, 255, func(v inst) *int { return &v.Priority }),
		// Range depends on the version; checked semantically.
		timerKw("advert_int", 0.01, 255, func(v inst) *time.Duration { return &v.AdvertInt }),
		show(intKw("version", 2, 3, func(v inst) *int { return &v.Version }), func(d *dumper, i int, v inst) {
			d.kv(i, "version", v.Version)
			d.kv(i, "family", fmt.Sprintf("IPv%d", v.Family))
		}),
		show(set(block("authentication", 0, 0, newBlock("authentication",
			set(kw("auth_type", 1, 1, tEnum("PASS", "AH")), func(b *builder, a *Auth, n *syntax.Node) {
				a.Type = n.Args[0].Text
				if a.Type == "AH" {
					b.ds.Errorf(n.Args[0].Pos, "auth_type AH is known to keepalived but not implemented by gokeepalived yet")
				}
			}),
			set(kw("auth_pass", 1, 1, tStr), func(b *builder, a *Auth, n *syntax.Node) {
				p := n.Args[0].Text
				if len(p) > 8 {
					b.ds.Warnf(n.Args[0].Pos, "auth_pass is longer than 8 characters; only '%s' is used, as in keepalived", p[:8])
					p = p[:8]
				}
				a.Pass = p
			}),
		)), func(b *builder, v inst, n *syntax.Node) {
			v.Auth = &Auth{Pos: n.Pos}
			b.apply(v.Auth, n)
		}), func(d *dumper, i int, v inst) {
			if v.Auth != nil {
				d.kv(i, "authentication", v.Auth.Type+" "+v.Auth.Pass)
			}
		}),
		vipsKw("virtual_ipaddress", func(v inst) *[]VIP { return &v.VIPs }),
		vipsKw("virtual_ipaddress_excluded", func(v inst) *[]VIP { return &v.ExcludedVIPs }),
		show(set(vblock("virtual_routes"), func(b *builder, v inst, n *syntax.Node) { v.Routes = b.routes(n) }),
			func(d *dumper, i int, v inst) {
				for _, r := range v.Routes {
					d.line(i, "virtual_route %s", r)
				}
			}),
		show(set(vblock("virtual_rules"), func(b *builder, v inst, n *syntax.Node) { v.Rules = b.rules(n) }),
			func(d *dumper, i int, v inst) {
				for _, r := range v.Rules {
					d.line(i, "virtual_rule %s", r)
				}
			}),

		// Unicast and sources.
		srcIPKw("mcast_src_ip", func(v inst) *netip.Addr { return &v.McastSrc }),
		srcIPKw("unicast_src_ip", func(v inst) *netip.Addr { return &v.UnicastSrc }),
		show(set(vblock("unicast_peer"), func(b *builder, v inst, n *syntax.Node) {
			v.UnicastPeers = append(v.UnicastPeers, b.peers(n)...)
		}), func(d *dumper, i int, v inst) {
			for _, p := range v.UnicastPeers {
				d.line(i, "unicast_peer %s min_ttl %d max_ttl %d", p.Addr, p.MinTTL, p.MaxTTL)
			}
		}),
		flagKw("unicast_fault_no_peer", func(v inst) *bool { return &v.UnicastFaultNoPeer }, true),
		intKw("unicast_ttl", 0, 255, func(v inst) *int { return &v.UnicastTTL }),
		flagKw("check_unicast_src", func(v inst) *bool { return &v.CheckUnicastSrc }, true),
		// The instance's multicast group (instead of vrrp_mcast_group4/6):
		// its adverts go there and it hears only adverts sent there.
		ipKw("mcast_dst_ip", func(v inst) *netip.Addr { return &v.McastDst }),
		// FAULT while the configured source address is missing
		// (internal/daemon/srcip.go).
		flagKw("track_src_ip", func(v inst) *bool { return &v.TrackSrcIP }, true),
		// keepalived before 1.3.6's unicast VRRPv3 IPv4 checksum (the
		// pseudo-header names the multicast group), sent and expected;
		// "never": the current form only (gokeepalived's default too: it
		// does not switch forms on its own as keepalived does).
		show(set(kw("old_unicast_checksum", 0, 1, tEnum("never")), func(b *builder, v inst, n *syntax.Node) {
			v.OldUnicastChecksum = "on"
			if len(n.Args) > 0 {
				v.OldUnicastChecksum = n.Args[0].Text
			}
		}), func(d *dumper, i int, v inst) {
			if v.OldUnicastChecksum != "" {
				d.kv(i, "old_unicast_checksum", v.OldUnicastChecksum)
			}
		}),

		// Preemption and accept mode.
		flagKw("nopreempt", func(v inst) *bool { return &v.Preempt }, false),
		flagKw("preempt", func(v inst) *bool { return &v.Preempt }, true),
		timerKw("preempt_delay", 0, 1000, func(v inst) *time.Duration { return &v.PreemptDelay }),
		flagKw("accept", func(v inst) *bool { return &v.Accept }, true),
		flagKw("no_accept", func(v inst) *bool { return &v.Accept }, false),
		optBoolKw("strict_mode", func(v inst) *bool { return &v.Strict }),
		optBoolKw("skip_check_adv_addr", func(v inst) *bool { return &v.SkipCheckAdvAddr }),
		optBoolKw("v3_checksum_as_v2", func(v inst) *bool { return &v.V3ChecksumAsV2 }), // keepalived >= 2.3 (not in 2.2.7)
		optBoolKw("lower_prio_no_advert", func(v inst) *bool { return &v.LowerPrioNoAdvert }),
		optBoolKw("higher_prio_send_advert", func(v inst) *bool { return &v.HigherPrioSendAdvert }),
		intKw("down_timer_adverts", 1, 100, func(v inst) *int { return &v.DownTimerAdverts }),

		// Gratuitous ARP / NA.
		secsKw("garp_master_delay", 0, 4294, func(v inst) *time.Duration { return &v.GARP.MasterDelay }),
		intKw("garp_master_repeat", 1, 65535, func(v inst) *int { return &v.GARP.MasterRepeat }),
		// 2.2.7 reads the refresh as unsigned seconds up to UINT_MAX (the
		// delays are read in microseconds, hence 4294).
		secsKw("garp_master_refresh", 0, 4294967295, func(v inst) *time.Duration { return &v.GARP.MasterRefresh }),
		intKw("garp_master_refresh_repeat", 1, 65535, func(v inst) *int { return &v.GARP.MasterRefreshRepeat }),
		secsKw("garp_lower_prio_delay", 0, 4294, func(v inst) *time.Duration { return &v.GARP.LowerPrioDelay }),
		intKw("garp_lower_prio_repeat", 1, 65535, func(v inst) *int { return &v.GARP.LowerPrioRepeat }),
		garpExtraIfKeyword("garp_extra_if", 0, func(v inst) *GARPExtraIf { return &v.GARPExtraIf }),
		garpExtraIfKeyword("vmac_garp_intvl", 0, func(v inst) *GARPExtraIf { return &v.GARPExtraIf }).alias("garp_extra_if", "'vmac_garp_intvl' is deprecated; use 'garp_extra_if'"),

		// Tracking.
		flagKw("dont_track_primary", func(v inst) *bool { return &v.DontTrackPrimary }, true),
		tracksKw("track_interface", -253, 253, func(v inst) *[]Track { return &v.TrackInterface }),
		tracksKw("track_script", -253, 253, func(v inst) *[]Track { return &v.TrackScript }),
		tracksKw("track_file", -254, 254, func(v inst) *[]Track { return &v.TrackFile }),
		tracksKw("track_process", -254, 254, func(v inst) *[]Track { return &v.TrackProcess }),
		tracksKw("track_bfd", -253, 253, func(v inst) *[]Track { return &v.TrackBFD }),
	)
	// Notification.
	b.add(notifyRows()...)
	return b.add(
		scriptKw("notify_master_rx_lower_pri", func(v inst) **ScriptRef { return &v.Notify.MasterRxLowerPri }),
		// notify_deleted [SCRIPT [user [group]]]: DELETED instead of FAULT
		// for an instance a reload removes (vrrp.c clear_diff_vrrp).
		show(set(kw("notify_deleted", 0, 3, tPath), func(b *builder, v inst, n *syntax.Node) {
			v.NotifyDeleted = true
			if len(n.Args) > 0 {
				v.Notify.Deleted = b.scriptRef(n)
			}
		}), func(d *dumper, i int, v inst) {
			switch {
			case v.Notify.Deleted != nil:
				d.script(i, "notify_deleted", v.Notify.Deleted)
			case v.NotifyDeleted:
				d.kv(i, "notify_deleted", true)
			}
		}),
		alertKw("notify_priority_changes", func(t notifier) **bool { return &t.notifyScripts().PriorityChanges }),
		alertKw("smtp_alert", func(t notifier) **bool { return &t.notifyScripts().SMTPAlert }),

		// Interfaces.
		// use_vmac [NAME] [MAC]: a word with ':' is the MAC (5 octets: the
		// VRID is the 6th), as keepalived's vrrp_vmac_handler reads it.
		show(set(kw("use_vmac", 0, 2), func(b *builder, v inst, n *syntax.Node) {
			v.UseVMAC = true
			for _, a := range n.Args {
				if !strings.Contains(a.Text, ":") {
					if v.VMACName != "" {
						b.ds.Errorf(a.Pos, "use_vmac: the interface name is already given (%s)", v.VMACName)
						continue
					}
					if msg := ifNameProblem(a.Text); msg != "" {
						b.ds.Errorf(a.Pos, "use_vmac: interface name '%s' %s", a.Text, msg)
						continue
					}
					v.VMACName = a.Text
					continue
				}
				if v.VMACAddr != "" {
					b.ds.Errorf(a.Pos, "use_vmac: the MAC address is already given (%s)", v.VMACAddr)
					continue
				}
				if _, _, err := parseVMACAddr(a.Text); err != nil {
					b.ds.Errorf(a.Pos, "use_vmac: %v", err)
					continue
				}
				v.VMACAddr = a.Text
			}
		}), func(d *dumper, i int, v inst) {
			if v.UseVMAC {
				d.kv(i, "use_vmac", strings.TrimSpace(v.VMACName+" "+v.VMACAddr))
			}
		}),
		flagKw("vmac_xmit_base", func(v inst) *bool { return &v.VMACXmitBase }, true),
		flagKw("use_vmac_addr", func(v inst) *bool { return &v.UseVMACAddr }, true),
		// use_ipvlan [NAME] [ADDRESS[/LEN]] [bridge|private|vepa], in any
		// order (keepalived's vrrp_ipvlan_handler).
		show(set(kw("use_ipvlan", 0, 3), func(b *builder, v inst, n *syntax.Node) {
			if v.IPVLAN != nil {
				b.ds.Errorf(n.Pos, "use_ipvlan is already given for vrrp_instance %s", v.Name)
				return
			}
			iv := &IPVLAN{Mode: "bridge"}
			modeSet := false
			for _, a := range n.Args {
				switch a.Text {
				case "bridge", "private", "vepa":
					if modeSet {
						b.ds.Errorf(a.Pos, "use_ipvlan: the ipvlan mode is already given (%s)", iv.Mode)
						continue
					}
					iv.Mode, modeSet = a.Text, true
					continue
				}
				if p, ok := parsePrefix(a.Text); ok {
					if iv.Addr.IsValid() {
						b.ds.Errorf(a.Pos, "use_ipvlan: the address is already given (%s)", iv.Addr)
						continue
					}
					iv.Addr = p
					continue
				}
				if iv.Name != "" {
					b.ds.Errorf(a.Pos, "use_ipvlan: '%s' is neither an address nor bridge/private/vepa, and the interface name is already given (%s)", a.Text, iv.Name)
					continue
				}
				if msg := ifNameProblem(a.Text); msg != "" {
					b.ds.Errorf(a.Pos, "use_ipvlan: interface name '%s' %s", a.Text, msg)
					continue
				}
				iv.Name = a.Text
			}
			v.IPVLAN = iv
		}), func(d *dumper, i int, v inst) {
			if iv := v.IPVLAN; iv != nil {
				s := iv.Name
				if iv.Addr.IsValid() {
					s += " " + iv.Addr.String()
				}
				d.kv(i, "use_ipvlan", strings.TrimSpace(s+" "+iv.Mode))
			}
		}),
		// vrf VRF_IF: only for a unicast instance without interface
		// (checkVMAC), as keepalived 2.2.7's vrrp_vrf_handler and
		// vrrp_complete_instance require.
		show(set(str("vrf"), func(b *builder, v inst, n *syntax.Node) {
			if v.VRF != "" {
				b.ds.Errorf(n.Pos, "vrrp_instance %s: vrf is already given (%s)", v.Name, v.VRF)
				return
			}
			if msg := ifNameProblem(n.Args[0].Text); msg != "" {
				b.ds.Errorf(n.Args[0].Pos, "vrf: interface name '%s' %s", n.Args[0].Text, msg)
				return
			}
			v.VRF = n.Args[0].Text
		}), func(d *dumper, i int, v inst) {
			if v.VRF != "" {
				d.kv(i, "vrf", v.VRF)
			}
		}),
		// Sets net.ipv4.conf.IF.promote_secondaries while the instance runs
		// (internal/daemon/promote.go).
		flagKw("promote_secondaries", func(v inst) *bool { return &v.PromoteSecondaries }, true),
		// Forces the instance to IPv6 (keepalived's vrrp->family); IPv4
		// addresses are then an error.
		flagKw("native_ipv6", func(v inst) *bool { return &v.NativeIPv6 }, true).
			alias("", "'native_ipv6' is deprecated; the virtual addresses select the family"),
		flagKw("linkbeat_use_polling", func(v inst) *bool { return &v.LinkbeatUsePolling }, true).
			alias("", "'linkbeat_use_polling' in vrrp_instance is deprecated; use linkbeat_interfaces"),
		// The instance's share of its socket's receive buffer
		// (internal/daemon/conn.go bufferSize).
		intKw("kernel_rx_buf_size", 0, 4294967295, func(v inst) *int { return &v.KernelRxBufSize }),
		// keepalived 2.2.7 stores debug and only prints it in its dump.
		show(set(kw("debug", 0, 1, tInt(0, 4)), func(b *builder, v inst, n *syntax.Node) {
			v.Debug = 0
			if len(n.Args) > 0 {
				v.Debug = b.int(n, 0)
			}
		}), func(d *dumper, i int, v inst) {
			if v.Debug > 0 {
				d.kv(i, "debug", v.Debug)
			}
		}),
		// keepalived 2.2.7 reports the deprecation as a configuration
		// error (-t exits 5) but runs it: so do we, with a warning.
		set(kw("lvs_sync_daemon_interface", 1, 1, tStr), func(b *builder, v inst, n *syntax.Node) {
			b.ds.Warnf(n.Pos, "'lvs_sync_daemon_interface' is deprecated; use global_defs 'lvs_sync_daemon %s inst %s'", n.Args[0].Text, v.Name)
			g := &b.cfg.Global
			if g.LVSSyncDaemon != nil {
				b.ds.Errorf(n.Pos, "lvs_sync_daemon_interface: the sync daemon is already given (at %s)", g.LVSSyncDaemon.Pos)
				return
			}
			if len(n.Args[0].Text) >= 16 {
				b.ds.Errorf(n.Args[0].Pos, "lvs_sync_daemon_interface '%s' is longer than 15 characters", n.Args[0].Text)
				return
			}
			g.LVSSyncDaemon = &LVSSyncDaemon{Pos: n.Pos, Interface: n.Args[0].Text, Instance: v.Name, SyncID: -1}
		}),
	)
}

// srcIPKw is mcast_src_ip / unicast_src_ip: ADDR, or ADDR/LEN whose length
// keepalived 2.2.7 drops on purpose (inet_stosockaddr strips "/len"): we
// accept it too and warn that the length is ignored.
func srcIPKw(name string, f func(*Instance) *netip.Addr) *Keyword {
	k := set(kw(name, 1, 1, tStr), func(b *builder, v *Instance, n *syntax.Node) {
		a, cut, ok := parseIPDropLen(n.Args[0].Text)
		switch {
		case !ok:
			b.ds.Errorf(n.Args[0].Pos, "%s '%s' is not an IP address", name, n.Args[0].Text)
			return
		case cut != "":
			b.ds.Warnf(n.Args[0].Pos, "%s '%s': '%s' is ignored (as keepalived does); the address is %s", name, n.Args[0].Text, cut, a)
		}
		*f(v) = a
	})
	return show(k, func(d *dumper, i int, v *Instance) {
		if f(v).IsValid() {
			d.kv(i, name, *f(v))
		}
	})
}

// vipsKw is virtual_ipaddress(_excluded): ADDR[/LEN] [options] lines.
func vipsKw(name string, f func(*Instance) *[]VIP) *Keyword {
	k := set(vblock(name), func(b *builder, v *Instance, n *syntax.Node) { *f(v) = b.vips(n) })
	return show(k, func(d *dumper, i int, v *Instance) {
		for _, ip := range *f(v) {
			d.line(i, "%s %s", name, vipString(ip))
		}
	})
}

// bfdInstanceBlock is keepalived's bfd_instance (bfd_parser.c). Timers
// are milliseconds with up to three decimals, as keepalived reads them.
// weight is track_bfd's default weight; vrrp and checker choose which of
// track_bfd and BFD_CHECK hear the session (neither: both).
func bfdInstanceBlock() *BlockSpec {
	return newBlock("bfd_instance",
		ipKw("neighbor_ip", func(b *BFDInstance) *netip.Addr { return &b.Neighbor }),
		ipKw("neighbour_ip", func(b *BFDInstance) *netip.Addr { return &b.Neighbor }).alias("neighbor_ip", ""),
		ipKw("source_ip", func(b *BFDInstance) *netip.Addr { return &b.Source }),
		bfdMillisKw("min_rx", 1, func(b *BFDInstance) *time.Duration { return &b.MinRx }),
		bfdMillisKw("min_tx", 1, func(b *BFDInstance) *time.Duration { return &b.MinTx }),
		bfdMillisKw("idle_tx", 1000, func(b *BFDInstance) *time.Duration { return &b.IdleTx }),
		intKw("multiplier", 1, 255, func(b *BFDInstance) *int { return &b.Multiplier }),
		flagKw("passive", func(b *BFDInstance) *bool { return &b.Passive }, true),
		intKw("ttl", 1, 255, func(b *BFDInstance) *int { return &b.TTL }),
		intKw("hoplimit", 1, 255, func(b *BFDInstance) *int { return &b.TTL }).alias("ttl", ""),
		intKw("max_hops", -1, 255, func(b *BFDInstance) *int { return &b.MaxHops }),
		weightRow(-253, 253, func(b *BFDInstance) (*int, *bool) { return &b.Weight, &b.Reverse }),
		flagKw("vrrp", func(b *BFDInstance) *bool { return &b.VRRP }, true),
		flagKw("checker", func(b *BFDInstance) *bool { return &b.Checker }, true),
	)
}

// bfdMillisKw is a bfd_instance timer: milliseconds (three decimals) from
// min up to keepalived's UINT32_MAX / 1000.
func bfdMillisKw(name string, min float64, f func(*BFDInstance) *time.Duration) *Keyword {
	k := set(kw(name, 1, 1, tTimer(min, 4294967)), func(b *builder, t *BFDInstance, n *syntax.Node) {
		v, _ := parseSeconds(n.Args[0].Text)
		*f(t) = time.Duration(math.Round(v*1000)) * time.Microsecond
	})
	return show(k, func(d *dumper, i int, t *BFDInstance) { d.kv(i, name, *f(t)) })
}
