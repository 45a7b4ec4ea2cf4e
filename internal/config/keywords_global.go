package config

// Root-level keywords and global_defs of keepalived 2.2.7
// (keepalived/core/global_parser.c init_global_keywords, checked against
// keepalived.conf(5) 2.2.7 and the strings of /usr/sbin/keepalived 2.2.7).

func rootBlock() *BlockSpec {
	return newBlock("top level",
		// Root keywords registered by init_global_keywords.
		str("net_namespace").unimpl(),
		kw("net_namespace_ipvs", 0, 1, tStr).unimpl(),
		flag("namespace_with_ipsets").unimpl(),
		str("instance").unimpl(),
		flag("use_pid_dir").unimpl(),
		flag("linkbeat_use_polling").unimpl(),
		kw("child_wait_time", 1, 1, tInt(0, 4294967295)).unimpl(),
		block("global_defs", 0, 0, globalDefsBlock()),

		// VRRP (vrrp_parser.c init_vrrp_keywords).
		block("vrrp_script", 1, 1, vrrpScriptBlock()).repeat(),
		block("vrrp_track_file", 1, 1, trackFileBlock()).repeat().alias("track_file", "'vrrp_track_file' is deprecated; use 'track_file'"),
		block("track_file", 1, 1, trackFileBlock()).repeat(),
		block("vrrp_track_process", 1, 1, trackProcessBlock()).repeat(),
		block("vrrp_sync_group", 1, 1, syncGroupBlock()).repeat(),
		block("vrrp_instance", 1, 1, instanceBlock()).repeat(),
		block("garp_group", 0, 0, newBlock("garp_group",
			kw("garp_interval", 1, 1, tTimer(0, 4294)),
			kw("gna_interval", 1, 1, tTimer(0, 4294)),
			str("interface"),
			vblock("interfaces"),
		)).repeat().unimpl(),
		vblock("linkbeat_interfaces").unimpl(),
		vblock("interface_up_down_delays").unimpl(),
		block("track_group", 1, 1, newBlock("track_group", vblock("group"))).repeat().unimpl(),
		vblock("static_ipaddress").unimpl(),
		vblock("static_routes").unimpl(),
		vblock("static_rules").unimpl(),

		// BFD (bfd_parser.c).
		block("bfd_instance", 1, 1, bfdInstanceBlock()).repeat().unimpl(),

		// LVS (check_parser.c).
		block("SSL", 0, 0, newBlock("SSL",
			str("password"),
			kw("ca", 1, 1, tPath),
			kw("certificate", 1, 1, tPath),
			kw("key", 1, 1, tPath),
		)),
		vsGroupKeyword(),
		block("virtual_server", 1, 2, virtualServerBlock()).repeat(),
	)
}

func globalDefsBlock() *BlockSpec {
	nice := tInt(-20, 19)
	rt := tInt(1, 99)
	bufs := tUint
	return newBlock("global_defs",
		kw("process_names", 0, 0).unimpl(),
		str("process_name").unimpl(),
		str("vrrp_process_name").unimpl(),
		str("checker_process_name").unimpl(),
		str("lvs_process_name").unimpl().alias("checker_process_name", "'lvs_process_name' is deprecated; use 'checker_process_name'"),
		str("bfd_process_name").unimpl(),

		// Email.
		str("notification_email_from"),
		kw("smtp_server", 1, 2, tStr, tPort),
		str("smtp_helo_name"),
		kw("smtp_connect_timeout", 1, 1, tInt(1, 4294967295)),
		vblock("notification_email"),
		optBool("smtp_alert"),
		optBool("smtp_alert_vrrp"),
		optBool("smtp_alert_checker"),
		optBool("checker_log_all_failures"),
		flag("no_email_faults"),
		flag("no_checker_emails").unimpl(),

		kw("startup_script", 1, 3, tPath).unimpl(),
		kw("startup_script_timeout", 1, 1, tInt(1, 1000)).unimpl(),
		kw("shutdown_script", 1, 3, tPath).unimpl(),
		kw("shutdown_script_timeout", 1, 1, tInt(1, 1000)).unimpl(),

		str("router_id"),
		kw("max_auto_priority", 0, 1, tInt(-1, 99)).unimpl(),
		kw("min_auto_priority_delay", 1, 1, tInt(1, 10000000)).unimpl(),
		kw("dynamic_interfaces", 0, 1, tEnum("allow_if_changes")).unimpl(),
		str("default_interface"),
		flag("disable_local_igmp").unimpl(),

		// LVS globals.
		kw("lvs_timeouts", 2, 6).unimpl(),
		flag("lvs_flush"),
		kw("lvs_flush_on_stop", 0, 1, tEnum("VS")),
		kw("lvs_flush_onstop", 0, 1, tEnum("VS")).alias("lvs_flush_on_stop", "'lvs_flush_onstop' is deprecated; use 'lvs_flush_on_stop'"),
		kw("lvs_sync_daemon", 1, 13).unimpl(),
		kw("lvs_notify_fifo", 1, 3, tPath).unimpl(),
		kw("lvs_notify_fifo_script", 1, 3, tPath).unimpl(),

		// VRRP globals.
		kw("vrrp_mcast_group4", 1, 1, tIP),
		kw("vrrp_mcast_group6", 1, 1, tIP),
		kw("vrrp_garp_master_delay", 1, 1, tInt(0, 86400)),
		kw("vrrp_garp_master_repeat", 1, 1, tInt(1, 65535)),
		kw("vrrp_garp_master_refresh", 1, 1, tInt(0, 86400)),
		kw("vrrp_garp_master_refresh_repeat", 1, 1, tInt(1, 65535)),
		kw("vrrp_garp_lower_prio_delay", 1, 1, tInt(0, 86400)),
		kw("vrrp_garp_lower_prio_repeat", 1, 1, tInt(1, 65535)),
		kw("vrrp_down_timer_adverts", 1, 1, tInt(1, 100)).unimpl(),
		// keepalived 2.2.7: "number '0' outside range [0.000001, 4294.967295]".
		kw("vrrp_garp_interval", 1, 1, tTimer(0.000001, 4294.967295)),
		kw("vrrp_gna_interval", 1, 1, tTimer(0.000001, 4294.967295)),
		optBool("vrrp_min_garp"),
		kw("vrrp_garp_extra_if", 1, 2).unimpl(),
		kw("vrrp_vmac_garp_intvl", 1, 2).unimpl().alias("vrrp_garp_extra_if", "'vrrp_vmac_garp_intvl' is deprecated; use 'vrrp_garp_extra_if'"),
		optBool("vrrp_lower_prio_no_advert"),
		optBool("vrrp_higher_prio_send_advert"),
		kw("vrrp_version", 1, 1, tInt(2, 3)),
		kw("vrrp_iptables", 0, 2).unimpl(),
		kw("vrrp_ipsets", 0, 5).unimpl(),
		kw("nftables", 0, 1, tStr).unimpl(),
		kw("nftables_priority", 1, 1, tInt(-2147483648, 2147483647)).unimpl(),
		flag("nftables_ifindex").unimpl(),
		kw("nftables_ipvs", 0, 1, tStr).unimpl(),
		kw("nftables_ipvs_priority", 1, 1, tInt(-2147483648, 2147483647)).unimpl(),
		kw("nftables_ipvs_start_fwmark", 1, 1, tUint).unimpl(),
		flag("nftables_counters").unimpl(),
		flag("vrrp_check_unicast_src"),
		flag("vrrp_skip_check_adv_addr"),
		optBool("v3_checksum_as_v2"), // keepalived >= 2.3 (not in 2.2.7): interop with RFC 9568 / Cisco / Juniper peers
		flag("vrrp_strict"),
		optBool("vrrp_notify_priority_changes").unimpl(),
		kw("vrrp_startup_delay", 1, 1, tTimer(0, 3600)).unimpl(),
		flag("log_unknown_vrids").unimpl(),
		str("vmac_prefix").unimpl(),
		str("vmac_addr_prefix").unimpl(),

		// Process tuning.
		kw("vrrp_priority", 1, 1, nice).unimpl(),
		kw("checker_priority", 1, 1, nice).unimpl(),
		kw("bfd_priority", 1, 1, nice).unimpl(),
		flag("vrrp_no_swap").unimpl(),
		flag("checker_no_swap").unimpl(),
		flag("bfd_no_swap").unimpl(),
		kw("vrrp_cpu_affinity", 1, -1).unimpl(),
		kw("checker_cpu_affinity", 1, -1).unimpl(),
		kw("bfd_cpu_affinity", 1, -1).unimpl(),
		kw("vrrp_rt_priority", 1, 1, rt).unimpl(),
		kw("checker_rt_priority", 1, 1, rt).unimpl(),
		kw("bfd_rt_priority", 1, 1, rt).unimpl(),
		kw("vrrp_rlimit_rttime", 1, 1, tUint).unimpl(),
		kw("checker_rlimit_rttime", 1, 1, tUint).unimpl(),
		kw("bfd_rlimit_rttime", 1, 1, tUint).unimpl(),
		kw("vrrp_rlimit_rtime", 1, 1, tUint).unimpl().alias("vrrp_rlimit_rttime", "'vrrp_rlimit_rtime' is deprecated; use 'vrrp_rlimit_rttime'"),
		kw("checker_rlimit_rtime", 1, 1, tUint).unimpl().alias("checker_rlimit_rttime", "'checker_rlimit_rtime' is deprecated; use 'checker_rlimit_rttime'"),
		kw("bfd_rlimit_rtime", 1, 1, tUint).unimpl().alias("bfd_rlimit_rttime", "'bfd_rlimit_rtime' is deprecated; use 'bfd_rlimit_rttime'"),

		// SNMP and DBus.
		kw("snmp_socket", 1, 1, tStr).unimpl(),
		flag("enable_traps").unimpl(),
		flag("enable_snmp_vrrp").unimpl(),
		flag("enable_snmp_keepalived").unimpl().alias("enable_snmp_vrrp", "'enable_snmp_keepalived' is deprecated; use 'enable_snmp_vrrp'"),
		flag("enable_snmp_rfc").unimpl(),
		flag("enable_snmp_rfcv2").unimpl(),
		flag("enable_snmp_rfcv3").unimpl(),
		flag("enable_snmp_checker").unimpl(),
		flag("enable_dbus").unimpl(),
		str("dbus_service_name").unimpl(),

		// Scripts and FIFOs.
		kw("script_user", 1, 2, tStr, tStr),
		flag("enable_script_security"),
		kw("notify_fifo", 1, 3, tPath),
		kw("notify_fifo_script", 1, 3, tPath),
		kw("vrrp_notify_fifo", 1, 3, tPath),
		kw("vrrp_notify_fifo_script", 1, 3, tPath),
		flag("fifo_write_vrrp_states_on_reload").unimpl(),

		// Netlink and socket buffers.
		kw("vrrp_netlink_cmd_rcv_bufs", 1, 1, bufs).unimpl(),
		optBool("vrrp_netlink_cmd_rcv_bufs_force").unimpl(),
		kw("vrrp_netlink_monitor_rcv_bufs", 1, 1, bufs).unimpl(),
		optBool("vrrp_netlink_monitor_rcv_bufs_force").unimpl(),
		kw("lvs_netlink_cmd_rcv_bufs", 1, 1, bufs).unimpl(),
		optBool("lvs_netlink_cmd_rcv_bufs_force").unimpl(),
		kw("lvs_netlink_monitor_rcv_bufs", 1, 1, bufs).unimpl(),
		optBool("lvs_netlink_monitor_rcv_bufs_force").unimpl(),
		kw("process_monitor_rcv_bufs", 1, 1, bufs).unimpl(),
		optBool("process_monitor_rcv_bufs_force").unimpl(),
		kw("vrrp_rx_bufs_policy", 1, 1).unimpl(),
		kw("vrrp_rx_bufs_multiplier", 1, 1, tUint).unimpl(),

		flag("rs_init_notifies").unimpl(),
		kw("umask", 1, -1).unimpl(),
		kw("random_seed", 1, 1, tUint).unimpl(),
		kw("reload_check_config", 0, 1, tPath).unimpl(),
		kw("reload_time_file", 1, 1, tPath).unimpl(),
		flag("reload_repeat").unimpl(),
		kw("reload_file", 0, 1, tPath).unimpl(),
		kw("include_check", 0, -1), // handled by the syntax preprocessor; never reaches the schema
		kw("config_save_dir", 1, 1, tPath).unimpl(),
		kw("tmp_config_directory", 1, 1, tPath).unimpl(),
		optBool("data_use_instance").unimpl(),
	)
}
