package config

import "gokeepalived/internal/config/syntax"

// LVS blocks of keepalived 2.2.7 (keepalived/check/check_parser.c,
// check_api.c install_checker_common_keywords and check_*.c). Which common
// keywords each checker accepts was checked with `keepalived -t` 2.2.7:
// MISC_CHECK rejects connect_timeout and connect_port, FILE_CHECK rejects
// alpha, DNS_CHECK rejects nb_get_retry, HTTP_GET accepts enable_sni.

var (
	schedulers  = []string{"rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"}
	lvsMethods  = []string{"NAT", "DR", "TUN"}
	tDelayTimer = tTimer(0.000001, 4294967)
)

func vsGroupKeyword() *Keyword {
	k := vblock("virtual_server_group").repeat()
	k.MinArgs, k.MaxArgs, k.Args = 1, 1, []ArgSpec{tStr}
	set(k, func(b *builder, c *Config, n *syntax.Node) {
		c.VirtualServerGroups = append(c.VirtualServerGroups, b.vsGroup(n))
	})
	return show(k, func(d *dumper, i int, c *Config) {
		for _, g := range c.VirtualServerGroups {
			d.vsGroup(i, g)
		}
	})
}

// vsTimingKeywords are the checker defaults a virtual or real server may set.
func vsTimingKeywords() []*Keyword {
	return []*Keyword{
		kw("connect_timeout", 1, 1, tTimer(0.000001, 4294967)),
		kw("retry", 1, 1, tUint),
		kw("delay_before_retry", 1, 1, tTimer(0, 4294967)),
		kw("warmup", 1, 1, tTimer(0, 4294967)),
		kw("delay_loop", 1, 1, tDelayTimer),
	}
}

func virtualServerBlock() *BlockSpec {
	b := newBlock("virtual_server",
		kw("lvs_sched", 1, 1, tEnum(schedulers...)),
		kw("lb_algo", 1, 1, tEnum(schedulers...)).alias("lvs_sched", ""),
		kw("lvs_method", 1, 6, tEnum(lvsMethods...)),
		kw("lb_kind", 1, 6, tEnum(lvsMethods...)).alias("lvs_method", ""),
		kw("protocol", 1, 1, tEnum("TCP", "UDP", "SCTP")),
		kw("persistence_timeout", 0, 1, tUint),
		kw("persistence_granularity", 1, 1, tStr),
		kw("ip_family", 1, 1, tEnum("inet", "inet6")),
		kw("sorry_server", 1, 2, tIP, tPort),
		flag("ha_suspend"),
		optBool("smtp_alert"),
		str("virtualhost"),
		optBool("alpha"),
		optBool("omega"),
		kw("quorum", 1, 1, tUint),
		kw("hysteresis", 1, 1, tUint),
		script("quorum_up"),
		script("quorum_down"),
		optBool("inhibit_on_failure"),
		block("real_server", 1, 2, realServerBlock()).repeat(),

		str("persistence_engine").unimpl(),
		flag("hashed").unimpl(),
		flag("sorry_server_inhibit").unimpl(),
		kw("sorry_server_lvs_method", 1, 6, tEnum(lvsMethods...)).unimpl(),
		flag("flag-1").unimpl(),
		flag("flag-2").unimpl(),
		flag("flag-3").unimpl(),
		flag("sh-port").unimpl(),
		flag("sh-fallback").unimpl(),
		flag("mh-port").unimpl(),
		flag("mh-fallback").unimpl(),
		flag("ops").unimpl(),
		str("snmp_name").unimpl(),
		kw("weight", 1, 1, tInt(0, 65535)).unimpl(),
	)
	return b.add(vsTimingKeywords()...)
}

func realServerBlock() *BlockSpec {
	b := newBlock("real_server",
		kw("weight", 1, 1, tInt(0, 65535)),
		kw("lvs_method", 1, 6, tEnum(lvsMethods...)),
		script("notify_up"),
		script("notify_down"),
		optBool("smtp_alert"),
		str("virtualhost"),
		optBool("alpha"),
		optBool("inhibit_on_failure"),
		kw("uthreshold", 1, 1, tUint).unimpl(),
		kw("lthreshold", 1, 1, tUint).unimpl(),
		str("snmp_name").unimpl(),
	)
	b.add(vsTimingKeywords()...)
	http := httpCheckBlock("HTTP_GET")
	ssl := httpCheckBlock("SSL_GET")
	return b.add(
		block("TCP_CHECK", 0, 0, checkerBlock("TCP_CHECK", true)).repeat(),
		block("HTTP_GET", 0, 0, http).repeat(),
		block("SSL_GET", 0, 0, ssl).repeat(),
		block("MISC_CHECK", 0, 0, miscCheckBlock()).repeat(),
		block("SMTP_CHECK", 0, 0, checkerBlock("SMTP_CHECK", true).add(
			kw("helo_name", 1, 1, tStr),
			block("host", 0, 0, checkerBlock("SMTP_CHECK host", false)).repeat().unimpl(),
		)).repeat(),
		block("DNS_CHECK", 0, 0, checkerBlock("DNS_CHECK", false).add(
			kw("type", 1, 1, tEnum("A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA")),
			str("name"),
		)).repeat(),
		block("UDP_CHECK", 0, 0, checkerBlock("UDP_CHECK", true).add(
			kw("payload", 1, -1),
			kw("require_reply", 0, -1),
			kw("min_reply_length", 1, 1, tInt(0, 65535)),
			kw("max_reply_length", 1, 1, tInt(0, 65535)),
		)).repeat(),
		block("PING_CHECK", 0, 0, checkerBlock("PING_CHECK", true)).repeat(),
		block("FILE_CHECK", 0, 0, newBlock("FILE_CHECK",
			str("track_file"),
			flag("dynamic"),
			weightKw(-2147483647, 2147483647),
		)).repeat(),
		block("BFD_CHECK", 0, 0, newBlock("BFD_CHECK", str("name"), optBool("alpha"))).repeat().unimpl(),
	)
}

// checkerBlock holds the common checker keywords (check_api.c). withRetryAlias
// adds the deprecated nb_get_retry, which 2.2.7 accepts in every checker with
// the common keywords except DNS_CHECK.
func checkerBlock(name string, withRetryAlias bool) *BlockSpec {
	b := newBlock(name,
		kw("connect_ip", 1, 1, tIP),
		kw("connect_port", 1, 1, ArgSpec{Kind: ArgPort, Min: 1, Max: 65535}),
		kw("bindto", 1, 1, tIP),
		str("bind_if"),
		kw("bind_port", 1, 1, ArgSpec{Kind: ArgPort, Min: 1, Max: 65535}),
		kw("fwmark", 1, 1, tUint),
		optBool("alpha"),
		optBool("log_all_failures"),
	)
	b.add(vsTimingKeywords()...)
	if withRetryAlias {
		b.add(kw("nb_get_retry", 1, 1, tUint).alias("retry", "'nb_get_retry' is deprecated; use 'retry'"))
	}
	return b
}

func miscCheckBlock() *BlockSpec {
	return newBlock("MISC_CHECK",
		kw("misc_path", 1, -1, tPath),
		kw("misc_timeout", 1, 1, tInt(1, 4294967)),
		flag("misc_dynamic"),
		kw("user", 1, 2, tStr, tStr),
		optBool("alpha"),
		optBool("log_all_failures"),
		kw("retry", 1, 1, tUint),
		kw("nb_get_retry", 1, 1, tUint).alias("retry", "'nb_get_retry' is deprecated; use 'retry'"),
		kw("delay_before_retry", 1, 1, tTimer(0, 4294967)),
		kw("warmup", 1, 1, tTimer(0, 4294967)),
		kw("delay_loop", 1, 1, tDelayTimer),
	)
}

func httpCheckBlock(name string) *BlockSpec {
	b := checkerBlock(name, true)
	return b.add(
		kw("http_protocol", 1, 1, tEnum("1.0", "1.0C", "1.0c", "1.1")),
		optBool("fast_recovery"),
		str("virtualhost"),
		flag("enable_sni"),
		block("url", 0, 0, newBlock(name+" url",
			kw("path", 1, 1, tStr),
			kw("digest", 1, 1, tStr),
			kw("status_code", 1, -1),
			str("virtualhost"),
			kw("regex", 1, 1, tStr).unimpl(),
			flag("regex_no_match").unimpl(),
			kw("regex_options", 1, -1).unimpl(),
			kw("regex_stack", 2, 2, tUint, tUint).unimpl(),
			kw("regex_min_offset", 1, 1, tUint).unimpl(),
			kw("regex_max_offset", 1, 1, tUint).unimpl(),
		)).repeat(),
	)
}
