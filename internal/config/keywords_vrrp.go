package config

// VRRP and BFD blocks of keepalived 2.2.7 (keepalived/vrrp/vrrp_parser.c
// init_vrrp_keywords, keepalived/bfd/bfd_parser.c). Ranges were checked
// against `keepalived -t` 2.2.7 where noted.

// weightArgs is `weight N [reverse]`.
func weightKw(min, max float64) *Keyword {
	return kw("weight", 1, 2, tInt(min, max), tEnum("reverse"))
}

func vrrpScriptBlock() *BlockSpec {
	return newBlock("vrrp_script",
		kw("script", 1, -1, tPath),
		// 2.2.7 reads interval/timeout as whole seconds: "vrrp script
		// interval '0.5' must be between 1 and 4294".
		kw("interval", 1, 1, tInt(1, 4294)),
		kw("timeout", 1, 1, tInt(1, 4294)),
		weightKw(-253, 253),
		kw("rise", 1, 1, tInt(1, 2147483647)),
		kw("fall", 1, 1, tInt(1, 2147483647)),
		kw("user", 1, 2, tStr, tStr),
		flag("init_fail"),
	)
}

func trackFileBlock() *BlockSpec {
	return newBlock("track_file",
		kw("file", 1, 1, tPath),
		weightKw(-2147483647, 2147483647),
		kw("init_file", 0, 2),
	)
}

func trackProcessBlock() *BlockSpec {
	return newBlock("vrrp_track_process",
		kw("process", 1, -1, tStr),
		kw("param_match", 1, 1, tEnum("initial", "partial")),
		weightKw(-254, 254),
		kw("quorum", 1, 1, tInt(0, 65535)),
		kw("quorum_max", 1, 1, tInt(0, 65535)),
		kw("delay", 1, 1, tTimer(0, 3600)),
		kw("fork_delay", 1, 1, tTimer(0, 3600)),
		kw("terminate_delay", 1, 1, tTimer(0, 3600)),
		flag("full_command"),
	)
}

func syncGroupBlock() *BlockSpec {
	return newBlock("vrrp_sync_group",
		vblock("group"),
		vblock("track_interface"),
		vblock("track_script"),
		vblock("track_file"),
		vblock("track_process"),
		vblock("track_bfd").unimpl(),
		script("notify_backup"),
		script("notify_master"),
		script("notify_fault"),
		script("notify_stop"),
		script("notify"),
		optBool("notify_priority_changes").unimpl(),
		optBool("smtp_alert"),
		flag("global_tracking").unimpl().alias("", "'global_tracking' is deprecated; use track_* blocks on the vrrp_sync_group"),
		flag("sync_group_tracking_weight").unimpl(),
	)
}

func instanceBlock() *BlockSpec {
	return newBlock("vrrp_instance",
		// Core protocol.
		kw("state", 1, 1, tEnum("MASTER", "BACKUP")),
		str("interface"),
		kw("virtual_router_id", 1, 1, tInt(1, 255)),
		kw("priority", 1, 1, tInt(1, 255)),
		// Range depends on the version; checked semantically.
		kw("advert_int", 1, 1, tTimer(0.01, 255)),
		kw("version", 1, 1, tInt(2, 3)),
		block("authentication", 0, 0, newBlock("authentication",
			kw("auth_type", 1, 1, tEnum("PASS", "AH")),
			kw("auth_pass", 1, 1, tStr),
		)),
		vblock("virtual_ipaddress"),
		vblock("virtual_ipaddress_excluded"),
		vblock("virtual_routes"),
		vblock("virtual_rules"),

		// Unicast and sources.
		kw("mcast_src_ip", 1, 1, tIP),
		kw("unicast_src_ip", 1, 1, tIP),
		vblock("unicast_peer"),
		flag("unicast_fault_no_peer"),
		kw("unicast_ttl", 1, 1, tInt(0, 255)),
		flag("check_unicast_src"),
		kw("mcast_dst_ip", 1, 1, tIP).unimpl(),
		flag("track_src_ip").unimpl(),
		kw("old_unicast_checksum", 0, 1, tEnum("never")).unimpl(),

		// Preemption and accept mode.
		flag("nopreempt"),
		flag("preempt"),
		kw("preempt_delay", 1, 1, tTimer(0, 1000)),
		flag("accept"),
		flag("no_accept"),
		optBool("strict_mode"),
		optBool("skip_check_adv_addr"),
		optBool("v3_checksum_as_v2"), // keepalived >= 2.3 (not in 2.2.7)
		optBool("lower_prio_no_advert"),
		optBool("higher_prio_send_advert"),
		kw("down_timer_adverts", 1, 1, tInt(1, 100)),

		// Gratuitous ARP / NA.
		kw("garp_master_delay", 1, 1, tInt(0, 4294)),
		kw("garp_master_repeat", 1, 1, tInt(1, 65535)),
		kw("garp_master_refresh", 1, 1, tInt(0, 4294)),
		kw("garp_master_refresh_repeat", 1, 1, tInt(1, 65535)),
		kw("garp_lower_prio_delay", 1, 1, tInt(0, 4294)),
		kw("garp_lower_prio_repeat", 1, 1, tInt(1, 65535)),
		kw("garp_extra_if", 1, 2).unimpl(),
		kw("vmac_garp_intvl", 1, 2).unimpl().alias("garp_extra_if", "'vmac_garp_intvl' is deprecated; use 'garp_extra_if'"),

		// Tracking.
		flag("dont_track_primary"),
		vblock("track_interface"),
		vblock("track_script"),
		vblock("track_file"),
		vblock("track_process"),
		vblock("track_bfd").unimpl(),

		// Notification.
		script("notify_master"),
		script("notify_backup"),
		script("notify_fault"),
		script("notify_stop"),
		script("notify"),
		script("notify_master_rx_lower_pri"),
		kw("notify_deleted", 0, 3, tPath).unimpl(),
		optBool("notify_priority_changes").unimpl(),
		optBool("smtp_alert"),

		// Interfaces.
		kw("use_vmac", 0, 2),
		flag("vmac_xmit_base"),
		flag("use_vmac_addr").unimpl(),
		kw("use_ipvlan", 0, 3).unimpl(),
		str("vrf").unimpl(),
		flag("promote_secondaries").unimpl(),
		flag("native_ipv6").unimpl().alias("", "'native_ipv6' is deprecated; the virtual addresses select the family"),
		flag("linkbeat_use_polling").unimpl().alias("", "'linkbeat_use_polling' in vrrp_instance is deprecated; use linkbeat_interfaces"),
		kw("kernel_rx_buf_size", 1, 1, tUint).unimpl(),
		kw("debug", 0, 1, tInt(0, 4)).unimpl(),
		str("lvs_sync_daemon_interface").unimpl().alias("lvs_sync_daemon", "'lvs_sync_daemon_interface' is deprecated; use global_defs 'lvs_sync_daemon'"),
	)
}

func bfdInstanceBlock() *BlockSpec {
	return newBlock("bfd_instance",
		kw("neighbor_ip", 1, 1, tIP),
		kw("neighbour_ip", 1, 1, tIP),
		kw("source_ip", 1, 1, tIP),
		kw("min_rx", 1, 1, tTimer(0, 1000000)),
		kw("min_tx", 1, 1, tTimer(0, 1000000)),
		kw("idle_tx", 1, 1, tTimer(0, 1000000)),
		kw("multiplier", 1, 1, tInt(1, 255)),
		flag("passive"),
		kw("ttl", 1, 1, tInt(1, 255)),
		kw("hoplimit", 1, 1, tInt(1, 255)),
		kw("max_hops", 1, 1, tInt(-1, 255)),
		weightKw(-253, 253),
		flag("vrrp"),
		flag("checker"),
	)
}
