package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gokeepalived/internal/config/syntax"
)

// Root-level keywords and global_defs of keepalived 2.2.7
// (keepalived/core/global_parser.c init_global_keywords, checked against
// keepalived.conf(5) 2.2.7 and the strings of /usr/sbin/keepalived 2.2.7).

func rootBlock() *BlockSpec {
	return newBlock("top level",
		// Root keywords registered by init_global_keywords.
		// net_namespace NAME: the daemon runs in that network namespace
		// (internal/cli re-executes itself there; -s wins).
		strKw("net_namespace", func(c *Config) *string { return &c.Global.NetNamespace }),
		netnsIPVSKw(),
		// namespace_with_ipsets: keepalived's ipsets in a namespace before
		// Linux 3.13; the accept-mode firewall here is nftables, which is
		// namespace-aware: accepted, shown, warned (docs/migration.md).
		show(set(flag("namespace_with_ipsets"), func(b *builder, c *Config, n *syntax.Node) {
			c.Global.NamespaceWithIpsets = true
			b.ds.Warnf(n.Pos, "namespace_with_ipsets has no effect in gokeepalived: its accept-mode firewall is nftables, "+
				"which works in any network namespace on every kernel (keepalived needs this for ipsets before Linux 3.13)")
		}), func(d *dumper, i int, c *Config) {
			if c.Global.NamespaceWithIpsets {
				d.kv(i, "namespace_with_ipsets", true)
			}
		}),
		// instance NAME: pid files /run/keepalived/keepalived_NAME.pid etc.;
		// use_pid_dir: /run/keepalived/keepalived.pid (internal/cli).
		show(set(str("instance"), func(b *builder, c *Config, n *syntax.Node) { c.Global.InstanceName = n.Args[0].Text }),
			func(d *dumper, i int, c *Config) {
				if c.Global.InstanceName != "" {
					d.kv(i, "instance", c.Global.InstanceName)
				}
			}),
		show(set(flag("use_pid_dir"), func(b *builder, c *Config, n *syntax.Node) { c.Global.UsePidDir = true }),
			func(d *dumper, i int, c *Config) {
				if c.Global.UsePidDir {
					d.kv(i, "use_pid_dir", true)
				}
			}),
		linkbeatFlag(),
		// No child processes: kept for the dump only (docs/migration.md).
		show(set(kw("child_wait_time", 1, 1, tInt(0, 4294967295)), func(b *builder, c *Config, n *syntax.Node) {
			c.Global.ChildWaitTime = b.secs(n, 0)
		}), func(d *dumper, i int, c *Config) {
			if c.Global.ChildWaitTime > 0 {
				d.kv(i, "child_wait_time", c.Global.ChildWaitTime)
			}
		}),
		show(set(block("global_defs", 0, 0, globalDefsBlock()), func(b *builder, c *Config, n *syntax.Node) { b.global(n) }),
			func(d *dumper, i int, c *Config) { d.block(i, "global_defs", spec("global_defs"), &c.Global) }),

		// VRRP (vrrp_parser.c init_vrrp_keywords).
		show(set(block("vrrp_script", 1, 1, vrrpScriptBlock()).repeat(), func(b *builder, c *Config, n *syntax.Node) {
			c.Scripts = append(c.Scripts, b.script(n))
		}), func(d *dumper, i int, c *Config) {
			for _, s := range c.Scripts {
				d.block(i, "vrrp_script "+s.Name+"  # "+s.Pos.String(), spec("vrrp_script"), s)
			}
		}),
		trackFileKeyword("vrrp_track_file").alias("track_file", "'vrrp_track_file' is deprecated; use 'track_file'"),
		trackFileKeyword("track_file"),
		show(set(block("vrrp_track_process", 1, 1, trackProcessBlock()).repeat(), func(b *builder, c *Config, n *syntax.Node) {
			c.TrackProcesses = append(c.TrackProcesses, b.trackProcess(n))
		}), func(d *dumper, i int, c *Config) {
			for _, p := range c.TrackProcesses {
				d.block(i, "vrrp_track_process "+p.Name+"  # "+p.Pos.String(), spec("vrrp_track_process"), p)
			}
		}),
		show(set(block("vrrp_sync_group", 1, 1, syncGroupBlock()).repeat(), func(b *builder, c *Config, n *syntax.Node) {
			c.SyncGroups = append(c.SyncGroups, b.syncGroup(n))
		}), func(d *dumper, i int, c *Config) {
			for _, g := range c.SyncGroups {
				d.block(i, "vrrp_sync_group "+g.Name+"  # "+g.Pos.String(), spec("vrrp_sync_group"), g)
			}
		}),
		show(set(block("vrrp_instance", 1, 1, instanceBlock()).repeat(), func(b *builder, c *Config, n *syntax.Node) {
			c.Instances = append(c.Instances, b.instance(n))
		}), func(d *dumper, i int, c *Config) {
			for _, v := range c.Instances {
				d.instance(i, v)
			}
		}),
		// GARP/NA pacing and link watching (linkgarp.go; internal/daemon
		// garppace.go and linkwatch.go).
		garpGroupKeyword(),
		linkbeatInterfacesKeyword(),
		interfaceUpDownDelaysKeyword(),
		// Static entries and their track groups (vrrp_static_track.c,
		// internal/daemon/static.go). A track_group must come before the
		// static entries naming it, as in keepalived.
		show(set(block("track_group", 1, 1, newBlock("track_group",
			show(set(vblock("group"), func(b *builder, g *TrackGroup, n *syntax.Node) {
				for _, l := range n.Children {
					for _, a := range lineWords(l) {
						g.Members = append(g.Members, a.Text)
					}
				}
			}), func(d *dumper, i int, g *TrackGroup) { d.kv(i, "group", strings.Join(g.Members, " ")) }),
		)).repeat(), func(b *builder, c *Config, n *syntax.Node) {
			g := &TrackGroup{Pos: n.Pos, Name: n.Args[0].Text}
			b.apply(g, n)
			if hasName(c.TrackGroups, g.Name) {
				b.ds.Errorf(n.Pos, "track_group %s is defined twice", g.Name)
				return
			}
			c.TrackGroups = append(c.TrackGroups, g)
		}), func(d *dumper, i int, c *Config) {
			for _, g := range c.TrackGroups {
				d.block(i, "track_group "+g.Name+"  # "+g.Pos.String(), spec("track_group"), g)
			}
		}),
		show(set(vblock("static_ipaddress"), func(b *builder, c *Config, n *syntax.Node) {
			for _, v := range b.vips(n) {
				if v.Dev == "" {
					v.Dev = c.Global.DefaultInterface
				}
				if b.knownTrackGroup(n, v.Pos, v.TrackGroup) {
					c.StaticAddresses = append(c.StaticAddresses, v)
				}
			}
		}), func(d *dumper, i int, c *Config) {
			for _, v := range c.StaticAddresses {
				d.line(i, "static_ipaddress %s", vipString(v))
			}
		}),
		show(set(vblock("static_routes"), func(b *builder, c *Config, n *syntax.Node) {
			for _, r := range b.routes(n) {
				if r.Dev == "" && !r.NoTrack {
					// keepalived: "cannot track route ... with no
					// interface specified, not tracking".
					b.ds.Warnf(r.Pos, "static_routes: route %s has no dev: it cannot be tracked (put back when deleted); not tracking, as keepalived", r.Dst)
					r.NoTrack = true
				}
				if b.knownTrackGroup(n, r.Pos, r.TrackGroup) {
					c.StaticRoutes = append(c.StaticRoutes, r)
				}
			}
		}), func(d *dumper, i int, c *Config) {
			for _, r := range c.StaticRoutes {
				d.line(i, "static_route %s", r)
			}
		}),
		show(set(vblock("static_rules"), func(b *builder, c *Config, n *syntax.Node) {
			c.StaticRules = append(c.StaticRules, b.rules(n)...)
		}), func(d *dumper, i int, c *Config) {
			for _, r := range c.StaticRules {
				d.line(i, "static_rule %s", r)
			}
		}),

		// BFD (bfd_parser.c).
		show(set(block("bfd_instance", 1, 1, bfdInstanceBlock()).repeat(), func(b *builder, c *Config, n *syntax.Node) {
			if bi := b.bfdInstance(n); bi != nil {
				c.BFDInstances = append(c.BFDInstances, bi)
			}
		}), func(d *dumper, i int, c *Config) {
			for _, bi := range c.BFDInstances {
				d.block(i, "bfd_instance "+bi.Name+"  # "+bi.Pos.String(), spec("bfd_instance"), bi)
			}
		}),

		// gokeepalived only: the BGP speaker (keywords_bgp.go).
		bgpKeyword(),

		// LVS (check_parser.c).
		show(set(block("SSL", 0, 0, newBlock("SSL",
			strKw("password", func(s *SSLConfig) *string { return &s.Password }),
			pathKw("ca", func(s *SSLConfig) *string { return &s.CA }),
			pathKw("certificate", func(s *SSLConfig) *string { return &s.Certificate }),
			pathKw("key", func(s *SSLConfig) *string { return &s.KeyFile }),
		)), func(b *builder, c *Config, n *syntax.Node) {
			c.SSL = &SSLConfig{Pos: n.Pos}
			b.apply(c.SSL, n)
		}), func(d *dumper, i int, c *Config) {
			if c.SSL != nil {
				d.block(i, "SSL  # "+c.SSL.Pos.String(), spec("SSL"), c.SSL)
			}
		}),
		vsGroupKeyword(),
		show(set(block("virtual_server", 1, 2, virtualServerBlock()).repeat(), func(b *builder, c *Config, n *syntax.Node) {
			if vs := b.virtualServer(n); vs != nil {
				c.VirtualServers = append(c.VirtualServers, vs)
			}
		}), func(d *dumper, i int, c *Config) {
			for _, vs := range c.VirtualServers {
				d.block(i, "virtual_server "+vs.Name()+"  # "+vs.Pos.String(), spec("virtual_server"), vs)
			}
		}),
	)
}

func globalDefsBlock() *BlockSpec {
	b := newBlock("global_defs",
		// process_names, process_name, vrrp_process_name,
		// checker_process_name (lvs_process_name): processNameRows.
		strKw("bfd_process_name", func(g *Global) *string { return &g.BFDProcessName }),

		// Email.
		strKw("notification_email_from", func(g *Global) *string { return &g.NotificationEmailFrom }),
		show(set(kw("smtp_server", 1, 2, tStr, tPort), func(b *builder, g *Global, n *syntax.Node) {
			g.SMTPServer = n.Args[0].Text
			if len(n.Args) > 1 {
				g.SMTPPort = uint16(b.int(n, 1))
			}
		}), func(d *dumper, i int, g *Global) {
			d.kv(i, "smtp_server", fmt.Sprintf("%s port %d", orDefault(g.SMTPServer, "(none)"), g.SMTPPort))
		}),
		strKw("smtp_helo_name", func(g *Global) *string { return &g.SMTPHeloName }),
		secsKw("smtp_connect_timeout", 1, 4294967295, func(g *Global) *time.Duration { return &g.SMTPConnectTimeout }),
		show(set(vblock("notification_email"), func(b *builder, g *Global, n *syntax.Node) {
			for _, l := range n.Children {
				for _, a := range lineWords(l) {
					g.NotificationEmail = append(g.NotificationEmail, a.Text)
				}
			}
		}), func(d *dumper, i int, g *Global) {
			if len(g.NotificationEmail) > 0 {
				d.kv(i, "notification_email", strings.Join(g.NotificationEmail, ", "))
			}
		}),
		alertKw("smtp_alert", func(g *Global) **bool { return &g.SMTPAlert }),
		alertKw("smtp_alert_vrrp", func(g *Global) **bool { return &g.SMTPAlertVRRP }),
		alertKw("smtp_alert_checker", func(g *Global) **bool { return &g.SMTPAlertChecker }),
		optBoolKw("checker_log_all_failures", func(g *Global) *bool { return &g.CheckerLogAllFailures }),
		flagKw("no_email_faults", func(g *Global) *bool { return &g.NoEmailFaults }, true),
		flagKw("no_checker_emails", func(g *Global) *bool { return &g.NoCheckerEmails }, true),

		// Run before the VRRP and LVS runtimes start / after they stopped,
		// bounded by their timeouts (default 10 s); see internal/daemon
		// startstop.go.
		scriptKw("startup_script", func(g *Global) **ScriptRef { return &g.StartupScript }),
		secsKw("startup_script_timeout", 1, 1000, func(g *Global) *time.Duration { return &g.StartupScriptTimeout }),
		scriptKw("shutdown_script", func(g *Global) **ScriptRef { return &g.ShutdownScript }),
		secsKw("shutdown_script_timeout", 1, 1000, func(g *Global) *time.Duration { return &g.ShutdownScriptTimeout }),

		show(set(str("router_id"), func(b *builder, g *Global, n *syntax.Node) { g.RouterID = n.Args[0].Text }),
			func(d *dumper, i int, g *Global) { d.kv(i, "router_id", orDefault(g.RouterID, "(host name)")) }),
		// max_auto_priority without a value is sched_get_priority_max(SCHED_RR).
		show(set(kw("max_auto_priority", 0, 1, tInt(-1, 99)), func(b *builder, g *Global, n *syntax.Node) {
			g.MaxAutoPriority = 99
			if len(n.Args) > 0 {
				g.MaxAutoPriority = b.int(n, 0)
			}
		}), func(d *dumper, i int, g *Global) { d.kv(i, "max_auto_priority", g.MaxAutoPriority) }),
		show(set(kw("min_auto_priority_delay", 1, 1, tInt(1, 10000000)), func(b *builder, g *Global, n *syntax.Node) {
			g.MinAutoPriorityDelay = time.Duration(b.int(n, 0)) * time.Microsecond
		}), func(d *dumper, i int, g *Global) { d.kv(i, "min_auto_priority_delay", g.MinAutoPriorityDelay) }),
		// dynamic_interfaces [allow_if_changes]: missing interfaces are a
		// warning at -t and start; their instances wait in FAULT until the
		// interface appears (internal/daemon relink.go).
		show(set(kw("dynamic_interfaces", 0, 1, tEnum("allow_if_changes")), func(b *builder, g *Global, n *syntax.Node) {
			g.DynamicInterfaces = true
			g.AllowIfChanges = len(n.Args) > 0
		}), func(d *dumper, i int, g *Global) {
			if g.DynamicInterfaces {
				d.kv(i, "dynamic_interfaces", map[bool]string{false: "true", true: "true (allow_if_changes)"}[g.AllowIfChanges])
			}
		}),
		strKw("default_interface", func(g *Global) *string { return &g.DefaultInterface }),
		// disable_local_igmp: net.ipv4.igmp_link_local_mcast_reports 0
		// while the daemon runs (internal/cli process.go).
		flagKw("disable_local_igmp", func(g *Global) *bool { return &g.DisableLocalIGMP }, true),

		// LVS globals.
		lvsTimeoutsKw(),
		flagKw("lvs_flush", func(g *Global) *bool { return &g.LVSFlush }, true),
		lvsFlushOnStop("lvs_flush_on_stop"),
		lvsFlushOnStop("lvs_flush_onstop").alias("lvs_flush_on_stop", "'lvs_flush_onstop' is deprecated; use 'lvs_flush_on_stop'"),
		lvsSyncDaemonKw(),
		scriptKw("lvs_notify_fifo", func(g *Global) **ScriptRef { return &g.LVSNotifyFIFO }),
		scriptKw("lvs_notify_fifo_script", func(g *Global) **ScriptRef { return &g.LVSNotifyFIFOScript }),

		// VRRP globals.
		mcastGroupKw("vrrp_mcast_group4", false, func(g *Global) *netip.Addr { return &g.MulticastGroup4 }),
		mcastGroupKw("vrrp_mcast_group6", true, func(g *Global) *netip.Addr { return &g.MulticastGroup6 }),
		secsKw("vrrp_garp_master_delay", 0, 86400, func(g *Global) *time.Duration { return &g.GARP.MasterDelay }),
		intKw("vrrp_garp_master_repeat", 1, 65535, func(g *Global) *int { return &g.GARP.MasterRepeat }),
		secsKw("vrrp_garp_master_refresh", 0, 4294967295, func(g *Global) *time.Duration { return &g.GARP.MasterRefresh }),
		intKw("vrrp_garp_master_refresh_repeat", 1, 65535, func(g *Global) *int { return &g.GARP.MasterRefreshRepeat }),
		secsKw("vrrp_garp_lower_prio_delay", 0, 86400, func(g *Global) *time.Duration { return &g.GARP.LowerPrioDelay }),
		intKw("vrrp_garp_lower_prio_repeat", 1, 65535, func(g *Global) *int { return &g.GARP.LowerPrioRepeat }),
		intKw("vrrp_down_timer_adverts", 1, 100, func(g *Global) *int { return &g.DownTimerAdverts }),
		// keepalived 2.2.7: "number '0' outside range [0.000001, 4294.967295]".
		timerKw("vrrp_garp_interval", 0.000001, 4294.967295, func(g *Global) *time.Duration { return &g.GARPInterval }),
		timerKw("vrrp_gna_interval", 0.000001, 4294.967295, func(g *Global) *time.Duration { return &g.GNAInterval }),
		optBoolKw("vrrp_min_garp", func(g *Global) *bool { return &g.MinGARP }),
		garpExtraIfKeyword("vrrp_garp_extra_if", 1, func(g *Global) *GARPExtraIf { return &g.GARPExtraIf }),
		garpExtraIfKeyword("vrrp_vmac_garp_intvl", 1, func(g *Global) *GARPExtraIf { return &g.GARPExtraIf }).alias("vrrp_garp_extra_if", "'vrrp_vmac_garp_intvl' is deprecated; use 'vrrp_garp_extra_if'"),
		optBoolKw("vrrp_lower_prio_no_advert", func(g *Global) *bool { return &g.LowerPrioNoAdvert }),
		optBoolKw("vrrp_higher_prio_send_advert", func(g *Global) *bool { return &g.HigherPrioSendAdvert }),
		intKw("vrrp_version", 2, 3, func(g *Global) *int { return &g.VRRPVersion }),
		// vrrp_iptables, vrrp_ipsets, nftables, nftables_priority,
		// nftables_ifindex, nftables_counters: firewallRows (firewall.go).
		nftablesIPVSRows()[0],
		nftablesIPVSRows()[1],
		nftablesIPVSRows()[2],
		flagKw("vrrp_check_unicast_src", func(g *Global) *bool { return &g.CheckUnicastSrc }, true),
		flagKw("vrrp_skip_check_adv_addr", func(g *Global) *bool { return &g.SkipCheckAdvAddr }, true),
		// keepalived >= 2.3 (not in 2.2.7): interop with RFC 9568 / Cisco / Juniper peers.
		optBoolKw("v3_checksum_as_v2", func(g *Global) *bool { return &g.V3ChecksumAsV2 }),
		flagKw("vrrp_strict", func(g *Global) *bool { return &g.Strict }, true),
		optBoolKw("vrrp_notify_priority_changes", func(g *Global) *bool { return &g.NotifyPriorityChanges }),
		timerKw("vrrp_startup_delay", 0, 3600, func(g *Global) *time.Duration { return &g.StartupDelay }),
		flagKw("log_unknown_vrids", func(g *Global) *bool { return &g.LogUnknownVRIDs }, true),
		strKw("vmac_prefix", func(g *Global) *string { return &g.VMACPrefix }),
		strKw("vmac_addr_prefix", func(g *Global) *string { return &g.VMACAddrPrefix }),

		// Process tuning: the VRRP threads (vrrp_*), the checkers (checker_*:
		// goroutines without threads of their own, so only checker_no_swap
		// has an effect; the others warn), the BFD threads (bfd_*).
		// (procKnobRows, added below)

		// SNMP and DBus.
		show(set(kw("snmp_socket", 1, 1, tStr), func(b *builder, g *Global, n *syntax.Node) {
			a := n.Args[0]
			if !strings.HasPrefix(a.Text, "unix:/") && !strings.HasPrefix(a.Text, "tcp:") && !strings.HasPrefix(a.Text, "/") {
				b.ds.Errorf(a.Pos, "snmp_socket '%s' is not an AgentX stream socket: use unix:/PATH, /PATH or tcp:HOST:PORT", a.Text)
				return
			}
			g.SNMPSocket = a.Text
		}), func(d *dumper, i int, g *Global) {
			if g.SNMPSocket != "" {
				d.kv(i, "snmp_socket", g.SNMPSocket)
			}
		}),
		flagKw("enable_traps", func(g *Global) *bool { return &g.EnableTraps }, true),
		flagKw("enable_snmp_vrrp", func(g *Global) *bool { return &g.EnableSNMPVRRP }, true),
		flagKw("enable_snmp_keepalived", func(g *Global) *bool { return &g.EnableSNMPVRRP }, true).alias("enable_snmp_vrrp", "'enable_snmp_keepalived' is deprecated; use 'enable_snmp_vrrp'"),
		set(flag("enable_snmp_rfc"), func(b *builder, g *Global, n *syntax.Node) { g.EnableSNMPRFCv2, g.EnableSNMPRFCv3 = true, true }),
		flagKw("enable_snmp_rfcv2", func(g *Global) *bool { return &g.EnableSNMPRFCv2 }, true),
		flagKw("enable_snmp_rfcv3", func(g *Global) *bool { return &g.EnableSNMPRFCv3 }, true),
		flagKw("enable_snmp_checker", func(g *Global) *bool { return &g.EnableSNMPChecker }, true),
		flagKw("enable_dbus", func(g *Global) *bool { return &g.EnableDBus }, true),
		show(set(str("dbus_service_name"), func(b *builder, g *Global, n *syntax.Node) {
			a := n.Args[0]
			if why := validBusName(a.Text); why != "" {
				b.ds.Errorf(a.Pos, "dbus_service_name '%s' is not a DBus bus name: %s", a.Text, why)
				return
			}
			g.DBusServiceName = a.Text
		}), func(d *dumper, i int, g *Global) {
			if g.EnableDBus || g.DBusServiceName != "" {
				d.kv(i, "dbus_service_name", orDefault(g.DBusServiceName, "org.keepalived.Vrrp1"))
			}
		}),

		// Scripts and FIFOs.
		show(set(kw("script_user", 1, 2, tStr, tStr), func(b *builder, g *Global, n *syntax.Node) {
			g.ScriptUser = n.Args[0].Text
			if len(n.Args) > 1 {
				g.ScriptGroup = n.Args[1].Text
			}
		}), func(d *dumper, i int, g *Global) {
			d.kv(i, "script_user", orDefault(strings.TrimSpace(g.ScriptUser+" "+g.ScriptGroup), "(keepalived_script or root)"))
		}),
		flagKw("enable_script_security", func(g *Global) *bool { return &g.EnableScriptSecurity }, true),
		scriptKw("notify_fifo", func(g *Global) **ScriptRef { return &g.NotifyFIFO }),
		scriptKw("notify_fifo_script", func(g *Global) **ScriptRef { return &g.NotifyFIFOScript }),
		scriptKw("vrrp_notify_fifo", func(g *Global) **ScriptRef { return &g.VRRPNotifyFIFO }),
		scriptKw("vrrp_notify_fifo_script", func(g *Global) **ScriptRef { return &g.VRRPNotifyFIFOScript }),
		flagKw("fifo_write_vrrp_states_on_reload", func(g *Global) *bool { return &g.FIFOWriteStatesOnReload }, true),

		// Netlink and socket buffers.
		// vrrp_netlink_cmd_rcv_bufs[_force], vrrp_netlink_monitor_rcv_bufs[_force]:
		// netlinkBufsKw rows, added below.
		rcvBufsKw("lvs_netlink_cmd_rcv_bufs", func(g *Global) *uint32 { return &g.LVSNetlinkCmdRcvBufs }),
		optBoolKw("lvs_netlink_cmd_rcv_bufs_force", func(g *Global) *bool { return &g.LVSNetlinkCmdRcvBufsForce }),
		rcvBufsKw("lvs_netlink_monitor_rcv_bufs", func(g *Global) *uint32 { return &g.LVSNetlinkMonitorRcvBufs }),
		optBoolKw("lvs_netlink_monitor_rcv_bufs_force", func(g *Global) *bool { return &g.LVSNetlinkMonitorRcvBufsForce }),
		// process_monitor_rcv_bufs[_force]: netlinkBufsKw rows, added
		// below (no process-event socket: vrrp_track_process scans /proc).
		rxBufsPolicyKw(),
		// vrrp_rx_bufs_multiplier N (>= 1): the MTU and ADVERT policies'
		// adverts per instance (internal/daemon conn.go bufferSize).
		intKw("vrrp_rx_bufs_multiplier", 1, 4294967295, func(g *Global) *int { return &g.RxBufsMultiplier }),

		optBoolKw("rs_init_notifies", func(g *Global) *bool { return &g.RSInitNotifies }),
		umaskKw(),
		show(set(kw("random_seed", 1, 1, tUint), func(b *builder, g *Global, n *syntax.Node) {
			g.RandomSeed, g.RandomSeedSet = int64(b.int(n, 0)), true
		}), func(d *dumper, i int, g *Global) {
			if g.RandomSeedSet {
				d.kv(i, "random_seed", g.RandomSeed)
			}
		}),
		// reload_check_config [LOG_FILE]: every reload is checked first
		// anyway; the check's diagnostics also go to LOG_FILE (default
		// /dev/null, as keepalived). internal/cli reload.
		show(set(kw("reload_check_config", 0, 1, tPath), func(b *builder, g *Global, n *syntax.Node) {
			g.ReloadCheckConfig = "/dev/null"
			if len(n.Args) > 0 {
				g.ReloadCheckConfig = n.Args[0].Text
			}
		}), func(d *dumper, i int, g *Global) {
			if g.ReloadCheckConfig != "" {
				d.kv(i, "reload_check_config", g.ReloadCheckConfig)
			}
		}),
		// reload_time_file FILE, reload_repeat: a reload scheduled by the
		// time in FILE (internal/cli reloadtime.go).
		pathKw("reload_time_file", func(g *Global) *string { return &g.ReloadTimeFile }),
		flagKw("reload_repeat", func(g *Global) *bool { return &g.ReloadRepeat }, true),
		// reload_file [FILE]: created before and removed after a reload
		// reads the configuration (internal/cli).
		show(set(kw("reload_file", 0, 1, tPath), func(b *builder, g *Global, n *syntax.Node) {
			g.ReloadFileSet, g.ReloadFile = true, ""
			if len(n.Args) > 0 {
				g.ReloadFile = n.Args[0].Text
			}
		}), func(d *dumper, i int, g *Global) {
			if g.ReloadFileSet {
				d.kv(i, "reload_file", orDefault(g.ReloadFile, "(keepalived.reload beside the pid files)"))
			}
		}),
		kw("include_check", 0, -1), // handled by the syntax preprocessor; never reaches the schema
		// config_save_dir DIR: the configuration before and after each
		// reload is saved there (internal/cli reload).
		pathKw("config_save_dir", func(g *Global) *string { return &g.ConfigSaveDir }),
		// tmp_config_directory DIR: keepalived writes the configuration
		// to an anonymous file there for its children; gokeepalived's one
		// process parses it once into memory: kept for the dump only
		// (docs/migration.md).
		pathKw("tmp_config_directory", func(g *Global) *string { return &g.TmpConfigDirectory }),
		optBoolKw("data_use_instance", func(g *Global) *bool { return &g.DataUseInstance }),
	)
	b.add(procKnobRows("vrrp", func(g *Global) *ProcessKnobs { return &g.VRRPProc })...)
	b.add(netlinkBufsKw("vrrp_netlink_cmd", func(g *Global) *NetlinkBufs { return &g.VRRPNetlinkCmdBufs }, "")...)
	b.add(netlinkBufsKw("vrrp_netlink_monitor", func(g *Global) *NetlinkBufs { return &g.VRRPNetlinkMonitorBufs }, "")...)
	b.add(netlinkBufsKw("process_monitor", func(g *Global) *NetlinkBufs { return &g.ProcessMonitorBufs },
		"gokeepalived has no process-event netlink socket (vrrp_track_process scans /proc): accepted and shown by -d only")...)
	b.add(firewallRows()...)
	b.add(processNameRows()...)
	b.add(procKnobRows("bfd", func(g *Global) *ProcessKnobs { return &g.BFDProc })...)
	return b.add(procKnobRows("checker", func(g *Global) *ProcessKnobs { return &g.CheckerProc })...)
}

// procKnobRows are a role's process knobs (role "vrrp" or "checker"):
// <role>_priority, _rt_priority, _no_swap, _cpu_affinity, _rlimit_rttime
// and the deprecated _rlimit_rtime, with keepalived 2.2.7's ranges.
func procKnobRows(role string, f func(*Global) *ProcessKnobs) []*Keyword {
	// checker_* other than no_swap name threads gokeepalived does not
	// have: the checkers are goroutines on the Go scheduler's threads.
	noThread := func(b *builder, n *syntax.Node) {
		if role == "checker" {
			b.ds.Warnf(n.Pos, "%s has no effect in gokeepalived: the checkers run as goroutines on shared threads, "+
				"not in a process of their own (see docs/migration.md, Process knobs)", n.Keyword)
		}
	}
	rttime := func(name string) *Keyword {
		k := set(kw(name, 1, 1, tInt(1, 4294967295)), func(b *builder, g *Global, n *syntax.Node) {
			noThread(b, n)
			f(g).RLimitRTTime = int64(max(b.int(n, 0), 2)) // keepalived: "minimum value of 2"
		})
		return show(k, func(d *dumper, i int, g *Global) { d.kv(i, role+"_rlimit_rttime", f(g).RLimitRTTime) })
	}
	return []*Keyword{
		show(set(kw(role+"_priority", 1, 1, tInt(-20, 19)), func(b *builder, g *Global, n *syntax.Node) {
			noThread(b, n)
			f(g).Nice = b.int(n, 0)
		}), func(d *dumper, i int, g *Global) { d.kv(i, role+"_priority", f(g).Nice) }),
		show(set(kw(role+"_rt_priority", 1, 1, tInt(1, 99)), func(b *builder, g *Global, n *syntax.Node) {
			noThread(b, n)
			f(g).RTPriority = b.int(n, 0)
		}), func(d *dumper, i int, g *Global) { d.kv(i, role+"_rt_priority", f(g).RTPriority) }),
		show(set(flag(role+"_no_swap"), func(b *builder, g *Global, n *syntax.Node) { f(g).NoSwap = true }),
			func(d *dumper, i int, g *Global) { d.kv(i, role+"_no_swap", f(g).NoSwap) }),
		show(set(kw(role+"_cpu_affinity", 1, -1), func(b *builder, g *Global, n *syntax.Node) {
			noThread(b, n)
			var cpus []int
			for _, a := range n.Args {
				v, ok := parseInt(a.Text)
				if !ok || v < 0 || v > 1023 {
					b.ds.Errorf(a.Pos, "%s: '%s' is not a CPU number", n.Keyword, a.Text)
					return
				}
				cpus = append(cpus, int(v))
			}
			f(g).CPUs = cpus
		}), func(d *dumper, i int, g *Global) {
			if c := f(g).CPUs; len(c) > 0 {
				d.kv(i, role+"_cpu_affinity", strings.Trim(fmt.Sprint(c), "[]"))
			}
		}),
		rttime(role + "_rlimit_rttime"),
		rttime(role+"_rlimit_rtime").alias(role+"_rlimit_rttime", "'"+role+"_rlimit_rtime' is deprecated; use '"+role+"_rlimit_rttime'"),
	}
}

// trackFileKeyword is the top-level track_file block (and its old name).
func trackFileKeyword(name string) *Keyword {
	k := set(block(name, 1, 1, trackFileBlock()).repeat(), func(b *builder, c *Config, n *syntax.Node) {
		c.TrackFiles = append(c.TrackFiles, b.trackFile(n))
	})
	return show(k, func(d *dumper, i int, c *Config) {
		for _, f := range c.TrackFiles {
			d.block(i, "track_file "+f.Name+"  # "+f.Pos.String(), spec("track_file"), f)
		}
	})
}

// lvsFlushOnStop is `lvs_flush_on_stop [VS]`: no argument clears the
// whole table ("ALL").
func lvsFlushOnStop(name string) *Keyword {
	k := set(kw(name, 0, 1, tEnum("VS")), func(b *builder, g *Global, n *syntax.Node) {
		g.LVSFlushOnStop = "ALL"
		if len(n.Args) > 0 {
			g.LVSFlushOnStop = n.Args[0].Text
		}
	})
	return show(k, func(d *dumper, i int, g *Global) {
		if g.LVSFlushOnStop != "" {
			d.kv(i, name, g.LVSFlushOnStop)
		}
	})
}

// mcastGroupKw is vrrp_mcast_group4/6: a multicast address of the family.
func mcastGroupKw(name string, v6 bool, f func(*Global) *netip.Addr) *Keyword {
	k := set(kw(name, 1, 1, tIP), func(b *builder, g *Global, n *syntax.Node) {
		a := b.ip(n, 0)
		if a.Is6() != v6 || !a.IsMulticast() {
			b.ds.Errorf(n.Args[0].Pos, "%s '%s' is not an IPv%s multicast address", name, a, map[bool]string{false: "4", true: "6"}[v6])
			return
		}
		*f(g) = a
	})
	return show(k, func(d *dumper, i int, g *Global) { d.kv(i, name, *f(g)) })
}

// umaskKw is `umask MODE`: a number (0022, octal with a leading 0) or
// keepalived's symbolic form IWGRP|IWOTH (the bits may be split over
// words). The -u/--umask option wins over it.
func umaskKw() *Keyword {
	k := set(kw("umask", 1, -1), func(b *builder, g *Global, n *syntax.Node) {
		if m, err := parseUmask(argTexts(n.Args)); err != nil {
			b.ds.Errorf(n.Args[0].Pos, "umask: %v", err)
		} else {
			g.Umask = m
		}
	})
	return show(k, func(d *dumper, i int, g *Global) {
		if g.Umask >= 0 {
			d.kv(i, "umask", fmt.Sprintf("%#o", g.Umask))
		}
	})
}

// parseUmask reads keepalived's umask forms (global_parser.c umask_handler).
func parseUmask(words []string) (int, error) {
	if c := words[0][0]; c >= '0' && c <= '9' {
		if len(words) != 1 {
			return 0, fmt.Errorf("extra parameter(s) after %s", words[0])
		}
		v, err := strconv.ParseInt(words[0], 0, 32)
		if err != nil || v < 0 || v&^0o777 != 0 {
			return 0, fmt.Errorf("invalid umask value %s", words[0])
		}
		return int(v), nil
	}
	bits := map[string]int{"IRUSR": 0o400, "IWUSR": 0o200, "IXUSR": 0o100, "IRGRP": 0o40, "IWGRP": 0o20, "IXGRP": 0o10,
		"IROTH": 0o4, "IWOTH": 0o2, "IXOTH": 0o1}
	m, needOr := 0, false
	for _, w := range words {
		for p := w; p != ""; {
			if needOr {
				if p[0] != '|' {
					return 0, fmt.Errorf("invalid umask syntax %s", w)
				}
				p, needOr = p[1:], false
				continue
			}
			if len(p) < 5 || bits[p[:5]] == 0 {
				return 0, fmt.Errorf("unknown umask bit %s (use IRUSR, IWGRP, ... joined by '|', or a number)", p)
			}
			m |= bits[p[:5]]
			p, needOr = p[5:], true
		}
	}
	if !needOr {
		return 0, fmt.Errorf("umask missing bit value")
	}
	return m, nil
}

// validBusName says why name cannot be a DBus well-known bus name, or ""
// when it can (the DBus specification: two or more dot-separated elements
// of [A-Za-z0-9_-], none empty or starting with a digit, at most 255
// bytes). keepalived passes any name to GLib, which refuses it at run time.
func validBusName(name string) string {
	if len(name) > 255 {
		return "longer than 255 characters"
	}
	elems := strings.Split(name, ".")
	if len(elems) < 2 {
		return "it needs at least two elements separated by '.', such as org.keepalived.Vrrp1"
	}
	for _, e := range elems {
		if e == "" {
			return "it has an empty element"
		}
		if e[0] >= '0' && e[0] <= '9' {
			return fmt.Sprintf("element '%s' starts with a digit", e)
		}
		for _, c := range e {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return fmt.Sprintf("element '%s' has the character '%c' (only A-Z a-z 0-9 _ - are allowed)", e, c)
			}
		}
	}
	return ""
}

// lvsMaxTimeout is keepalived's LVS_MAX_TIMEOUT (31 days).
const lvsMaxTimeout = 86400 * 31

// lvsTimeoutsKw is `lvs_timeouts [tcp N] [tcpfin N] [udp N]` (seconds,
// 0..2678400), as keepalived 2.2.7's global_parser.c reads it.
func lvsTimeoutsKw() *Keyword {
	k := set(kw("lvs_timeouts", 2, 6), func(b *builder, g *Global, n *syntax.Node) {
		for i := 0; i < len(n.Args); i++ {
			opt := n.Args[i]
			var f *time.Duration
			switch opt.Text {
			case "tcp":
				f = &g.LVSTimeouts.TCP
			case "tcpfin":
				f = &g.LVSTimeouts.TCPFin
			case "udp":
				f = &g.LVSTimeouts.UDP
			default:
				b.ds.Errorf(opt.Pos, "lvs_timeouts: unknown option '%s' (want tcp, tcpfin or udp)", opt.Text)
				continue
			}
			if i == len(n.Args)-1 {
				b.ds.Errorf(opt.Pos, "lvs_timeouts %s has no value", opt.Text)
				continue
			}
			i++
			v, ok := parseInt(n.Args[i].Text)
			if !ok || v < 0 || v > lvsMaxTimeout {
				b.ds.Errorf(n.Args[i].Pos, "lvs_timeouts %s '%s' is not a number of seconds in [0, %d]", opt.Text, n.Args[i].Text, lvsMaxTimeout)
				continue
			}
			*f = time.Duration(v) * time.Second
		}
	})
	return show(k, func(d *dumper, i int, g *Global) {
		t := g.LVSTimeouts
		if t == (LVSTimeouts{}) {
			return
		}
		var w []string
		for _, o := range []struct {
			name string
			v    time.Duration
		}{{"tcp", t.TCP}, {"tcpfin", t.TCPFin}, {"udp", t.UDP}} {
			if o.v != 0 {
				w = append(w, fmt.Sprintf("%s %d", o.name, int64(o.v/time.Second)))
			}
		}
		d.kv(i, "lvs_timeouts", strings.Join(w, " "))
	})
}

// lvsSyncDaemonKw is `lvs_sync_daemon IFNAME [inst NAME] [id N] [maxlen N]
// [port N] [ttl N] [group ADDR]`, and keepalived's older positional form
// `lvs_sync_daemon IFNAME INSTANCE [SYNCID]`, as keepalived 2.2.7's
// global_parser.c reads them. Every complaint keepalived makes fails its
// -t, so each is an error here.
func lvsSyncDaemonKw() *Keyword {
	k := set(kw("lvs_sync_daemon", 1, 13), func(b *builder, g *Global, n *syntax.Node) {
		if g.LVSSyncDaemon != nil {
			b.ds.Errorf(n.Pos, "lvs_sync_daemon already given (at %s)", g.LVSSyncDaemon.Pos)
			return
		}
		ifn := n.Args[0]
		if len(ifn.Text) >= 16 {
			b.ds.Errorf(ifn.Pos, "lvs_sync_daemon interface name '%s' is longer than 15 characters", ifn.Text)
			return
		}
		sd := &LVSSyncDaemon{Pos: n.Pos, Interface: ifn.Text, SyncID: -1}
		num := func(i int, what string, min, max int64) (int, bool) {
			v, ok := parseInt(n.Args[i].Text)
			if !ok || v < min || v > max {
				b.ds.Errorf(n.Args[i].Pos, "lvs_sync_daemon %s '%s' is not a number in [%d, %d]", what, n.Args[i].Text, min, max)
				return 0, false
			}
			return int(v), true
		}
		for i := 1; i < len(n.Args); i++ {
			opt := n.Args[i]
			var dst *int
			var min, max int64
			switch opt.Text {
			case "inst":
				dst = nil
			case "id":
				dst, min, max = &sd.SyncID, 0, 255
			case "maxlen":
				dst, min, max = &sd.MaxLen, 1, 65535-20-8
			case "port":
				dst, min, max = &sd.Port, 1, 65535
			case "ttl":
				dst, min, max = &sd.TTL, 1, 255
			case "group":
			default:
				switch i {
				case 1: // old form: lvs_sync_daemon IFNAME INSTANCE [SYNCID]
					sd.Instance = opt.Text
					continue
				case 2:
					if v, ok := num(i, "sync id", 0, 255); ok {
						// keepalived 2.2.7: "Please use keyword \"id\" before lvs_sync_daemon SYNCID" (-t fails).
						b.ds.Errorf(opt.Pos, "lvs_sync_daemon: write 'id %d' for the sync id (keepalived 2.2.7 takes the bare number but -t refuses it)", v)
					}
					continue
				}
				b.ds.Errorf(opt.Pos, "lvs_sync_daemon: unknown option '%s' (want inst, id, maxlen, port, ttl or group)", opt.Text)
				continue
			}
			if i == len(n.Args)-1 {
				b.ds.Errorf(opt.Pos, "lvs_sync_daemon %s has no value", opt.Text)
				continue
			}
			i++
			switch opt.Text {
			case "inst":
				if sd.Instance != "" {
					b.ds.Errorf(opt.Pos, "lvs_sync_daemon instance already given as %s", sd.Instance)
					continue
				}
				sd.Instance = n.Args[i].Text
			case "group":
				a, ok := parseIP(n.Args[i].Text)
				if !ok || !a.IsMulticast() {
					b.ds.Errorf(n.Args[i].Pos, "lvs_sync_daemon group '%s' is not a multicast address", n.Args[i].Text)
					continue
				}
				sd.Group = a
			default:
				if v, ok := num(i, opt.Text, min, max); ok {
					*dst = v
				}
			}
		}
		g.LVSSyncDaemon = sd
	})
	return show(k, func(d *dumper, i int, g *Global) {
		sd := g.LVSSyncDaemon
		if sd == nil {
			return
		}
		w := []string{sd.Interface}
		if sd.Instance != "" {
			w = append(w, "inst", sd.Instance)
		}
		for _, o := range []struct {
			name string
			v    int
		}{{"id", sd.SyncID}, {"maxlen", sd.MaxLen}, {"port", sd.Port}, {"ttl", sd.TTL}} {
			if o.v > 0 || (o.name == "id" && o.v == 0) {
				w = append(w, o.name, strconv.Itoa(o.v))
			}
		}
		if sd.Group.IsValid() {
			w = append(w, "group", sd.Group.String())
		}
		d.kv(i, "lvs_sync_daemon", strings.Join(w, " "))
	})
}

// netlinkBufsKw are `<kind>_rcv_bufs BYTES` and `<kind>_rcv_bufs_force
// [<BOOL>]` (keepalived 2.2.7 global_parser.c: a size of 0 is ignored).
// noEffect, when set, is the warning that the socket does not exist.
func netlinkBufsKw(kind string, f func(*Global) *NetlinkBufs, noEffect string) []*Keyword {
	warn := func(b *builder, n *syntax.Node) {
		if noEffect != "" {
			b.ds.Warnf(n.Pos, "%s: %s", n.Keyword, noEffect)
		}
	}
	size := set(kw(kind+"_rcv_bufs", 1, 1, tUint), func(b *builder, g *Global, n *syntax.Node) {
		warn(b, n)
		if v := b.int(n, 0); v > 0 {
			f(g).Bytes = v
		}
	})
	force := set(optBool(kind+"_rcv_bufs_force"), func(b *builder, g *Global, n *syntax.Node) {
		warn(b, n)
		f(g).Force = b.optBool(n)
	})
	return []*Keyword{
		show(size, func(d *dumper, i int, g *Global) {
			if v := f(g).Bytes; v > 0 {
				d.kv(i, kind+"_rcv_bufs", v)
			}
		}),
		show(force, func(d *dumper, i int, g *Global) {
			if f(g).Force {
				d.kv(i, kind+"_rcv_bufs_force", true)
			}
		}),
	}
}

// rxBufsPolicyKw is `vrrp_rx_bufs_policy MTU|ADVERT|BYTES` (case does not
// matter for the names): how the VRRP sockets' receive buffers are sized.
func rxBufsPolicyKw() *Keyword {
	k := set(kw("vrrp_rx_bufs_policy", 1, 1), func(b *builder, g *Global, n *syntax.Node) {
		a := n.Args[0]
		switch strings.ToUpper(a.Text) {
		case RxBufsMTU, RxBufsAdvert:
			g.RxBufsPolicy, g.RxBufsBytes = strings.ToUpper(a.Text), 0
			return
		}
		v, ok := parseInt(a.Text)
		if !ok || v < 0 || v > 4294967295 {
			b.ds.Errorf(a.Pos, "vrrp_rx_bufs_policy '%s' is not MTU, ADVERT or a number of bytes", a.Text)
			return
		}
		g.RxBufsPolicy, g.RxBufsBytes = RxBufsSize, int(v)
	})
	return show(k, func(d *dumper, i int, g *Global) {
		switch g.RxBufsPolicy {
		case RxBufsSize:
			d.kv(i, "vrrp_rx_bufs_policy", g.RxBufsBytes)
		case "":
			d.kv(i, "vrrp_rx_bufs_policy", "(gokeepalived default: 8 kB per instance, 256 kB to 32 MB per socket)")
		default:
			d.kv(i, "vrrp_rx_bufs_policy", g.RxBufsPolicy)
		}
	})
}

// netnsIPVSKw is the top-level `net_namespace_ipvs [NAME]` (keepalived
// 2.2.7 global_parser.c): the load-balancer table lives in namespace NAME
// (/var/run/netns/NAME), or, without NAME, in the default namespace
// (/proc/1/ns/net); checks stay in the daemon's. A second one is ignored
// with a warning, as keepalived does.
func netnsIPVSKw() *Keyword {
	k := set(kw("net_namespace_ipvs", 0, 1, tStr), func(b *builder, c *Config, n *syntax.Node) {
		if c.Global.NetNamespaceIPVS != nil {
			b.ds.Warnf(n.Pos, "Duplicate net_namespace_ipvs definition - ignoring")
			return
		}
		name := ""
		if len(n.Args) > 0 {
			name = n.Args[0].Text
			if strings.ContainsRune(name, '/') || name == "." || name == ".." {
				b.ds.Errorf(n.Args[0].Pos, "net_namespace_ipvs '%s' is not a namespace name (a name under /var/run/netns)", name)
				return
			}
		}
		c.Global.NetNamespaceIPVS = &name
	})
	return show(k, func(d *dumper, i int, c *Config) {
		if p := c.Global.NetNamespaceIPVS; p != nil {
			d.kv(i, "net_namespace_ipvs", orDefault(*p, "(default namespace)"))
		}
	})
}

// rcvBufsKw is `NAME BYTES` for a netlink receive buffer: 0 leaves it
// unset, as keepalived's get_netlink_rcv_bufs_size does.
func rcvBufsKw(name string, f func(*Global) *uint32) *Keyword {
	k := set(kw(name, 1, 1, tUint), func(b *builder, g *Global, n *syntax.Node) {
		if v := b.int(n, 0); v > 0 {
			*f(g) = uint32(v)
		}
	})
	return show(k, func(d *dumper, i int, g *Global) {
		if *f(g) > 0 {
			d.kv(i, name, *f(g))
		}
	})
}

// Defaults of nftables_ipvs (keepalived 2.2.7 check_nftables.h and
// global_parser.c).
const (
	NFTablesIPVSDefaultTable    = "keepalived_ipvs"
	NFTablesIPVSDefaultPriority = -1
	NFTablesIPVSDefaultFWMark   = 1000
	// nftTableNameMax is NFT_TABLE_MAXNAMELEN (with its NUL).
	nftTableNameMax = 256
)

// nftablesIPVSRows are nftables_ipvs [TABLE], nftables_ipvs_priority N
// and nftables_ipvs_start_fwmark N. As in keepalived, nftables_ipvs sets
// the priority and the first mark back to their defaults, so those two
// take effect only after it; a second nftables_ipvs is ignored.
func nftablesIPVSRows() []*Keyword {
	table := set(kw("nftables_ipvs", 0, 1, tStr), func(b *builder, g *Global, n *syntax.Node) {
		if g.NFTablesIPVS != "" {
			b.ds.Warnf(n.Pos, "ipvs nftables already specified - ignoring")
			return
		}
		name := NFTablesIPVSDefaultTable
		if len(n.Args) > 0 {
			name = n.Args[0].Text
			if len(name) >= nftTableNameMax {
				b.ds.Warnf(n.Args[0].Pos, "ipvs nftables table name too long - ignoring")
				return
			}
		}
		g.NFTablesIPVS = name
		g.NFTablesIPVSPriority = NFTablesIPVSDefaultPriority
		g.NFTablesIPVSStartFWMark = NFTablesIPVSDefaultFWMark
	})
	prio := set(kw("nftables_ipvs_priority", 1, 1, tInt(-2147483648, 2147483647)), func(b *builder, g *Global, n *syntax.Node) {
		g.NFTablesIPVSPriority = int32(b.int(n, 0))
	})
	mark := set(kw("nftables_ipvs_start_fwmark", 1, 1, tInt(1, 4294967295)), func(b *builder, g *Global, n *syntax.Node) {
		g.NFTablesIPVSStartFWMark = uint32(b.int(n, 0))
	})
	return []*Keyword{
		show(table, func(d *dumper, i int, g *Global) {
			if g.NFTablesIPVS != "" {
				d.kv(i, "nftables_ipvs", g.NFTablesIPVS)
			}
		}),
		show(prio, func(d *dumper, i int, g *Global) {
			if g.NFTablesIPVS != "" {
				d.kv(i, "nftables_ipvs_priority", g.NFTablesIPVSPriority)
			}
		}),
		show(mark, func(d *dumper, i int, g *Global) {
			if g.NFTablesIPVS != "" {
				d.kv(i, "nftables_ipvs_start_fwmark", g.NFTablesIPVSStartFWMark)
			}
		}),
	}
}
