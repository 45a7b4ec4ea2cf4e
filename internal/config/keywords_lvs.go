package config

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"gokeepalived/internal/config/syntax"
)

// LVS blocks of keepalived 2.2.7 (keepalived/check/check_parser.c,
// check_api.c install_checker_common_keywords and check_*.c). Which common
// keywords each checker accepts was checked with `keepalived -t` 2.2.7:
// MISC_CHECK rejects connect_timeout and connect_port, FILE_CHECK rejects
// alpha, only HTTP_GET/SSL_GET know nb_get_retry, HTTP_GET accepts enable_sni.

var (
	schedulers  = []string{"rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"}
	lvsMethods  = []string{"NAT", "DR", "TUN"}
	tDelayTimer = tTimer(0.000001, 4294967)
)

// maxPersistence is keepalived's LVS_MAX_TIMEOUT (31 days, in seconds).
const maxPersistence = 2678400

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

// timed is the model of a block with checker timing keywords (virtual
// server, real server, checker).
type timed interface{ timing() *Timing }

func (vs *VirtualServer) timing() *Timing { return &vs.Timing }
func (rs *RealServer) timing() *Timing    { return &rs.Timing }
func (c *Checker) timing() *Timing        { return &c.Timing }

// timingKw is one checker timing keyword; it records that the value was
// set at this level (for inheritance, Timing.inherit).
// It dumps the value in effect (inherited or default).
func timingKw(k *Keyword, bit uint8, f func(t *Timing) any, set func(b *builder, t *Timing, n *syntax.Node)) *Keyword {
	k.set = func(b *builder, obj any, n *syntax.Node) {
		tm := obj.(timed).timing()
		set(b, tm, n)
		tm.set |= bit
	}
	return show(k, func(d *dumper, i int, t timed) { d.kv(i, k.Name, f(t.timing())) })
}

func retryKw(name string) *Keyword {
	return timingKw(kw(name, 1, 1, tUint), setRetry, func(t *Timing) any { return t.Retry },
		func(b *builder, t *Timing, n *syntax.Node) { t.Retry = b.int(n, 0) })
}

func delayBeforeRetryKw() *Keyword {
	return timingKw(kw("delay_before_retry", 1, 1, tTimer(0, 4294967)), setDelayBeforeRetry, func(t *Timing) any { return t.DelayBeforeRetry },
		func(b *builder, t *Timing, n *syntax.Node) { t.DelayBeforeRetry = b.dur(n, 0) })
}

func warmupKw() *Keyword {
	return timingKw(kw("warmup", 1, 1, tTimer(0, 4294967)), setWarmup, func(t *Timing) any { return t.Warmup },
		func(b *builder, t *Timing, n *syntax.Node) { t.Warmup = b.dur(n, 0) })
}

func delayLoopKw() *Keyword {
	return timingKw(kw("delay_loop", 1, 1, tDelayTimer), setDelayLoop, func(t *Timing) any { return t.DelayLoop },
		func(b *builder, t *Timing, n *syntax.Node) { t.DelayLoop = b.dur(n, 0) })
}

// vsTimingKeywords are the checker defaults a virtual or real server may set.
func vsTimingKeywords() []*Keyword {
	return []*Keyword{
		timingKw(kw("connect_timeout", 1, 1, tTimer(0.000001, 4294967)), setConnectTimeout, func(t *Timing) any { return t.ConnectTimeout },
			func(b *builder, t *Timing, n *syntax.Node) { t.ConnectTimeout = b.dur(n, 0) }),
		retryKw("retry"),
		delayBeforeRetryKw(),
		warmupKw(),
		delayLoopKw(),
	}
}

// forwarder is the model of a block with a forwarding method (virtual
// and real server).
type forwarder interface {
	forwarding() (method *string, args *[]string, tun *Tunnel)
}

func (vs *VirtualServer) forwarding() (*string, *[]string, *Tunnel) {
	return &vs.Method, &vs.TunnelArgs, &vs.Tunnel
}
func (rs *RealServer) forwarding() (*string, *[]string, *Tunnel) {
	return &rs.Method, &rs.TunnelArgs, &rs.Tunnel
}

// methodKw is `lvs_method NAT|DR|TUN [TUN options]` (and its old name).
func methodKw(name string) *Keyword {
	k := set(kw(name, 1, 6, tEnum(lvsMethods...)), func(b *builder, t forwarder, n *syntax.Node) {
		if m, args, tun, ok := b.method(n); ok {
			mp, ap, tp := t.forwarding()
			*mp, *ap, *tp = m, args, tun
		}
	})
	return show(k, func(d *dumper, i int, t forwarder) {
		m, args, _ := t.forwarding()
		d.kv(i, name, strings.TrimSpace(*m+" "+joinWords(*args)))
	})
}

func virtualServerBlock() *BlockSpec {
	type vs = *VirtualServer
	sched := func(v vs) *string { return &v.Scheduler }
	b := newBlock("virtual_server",
		schedKw(enumKw("lvs_sched", sched, schedulers...)),
		schedKw(enumKw("lb_algo", sched, schedulers...).alias("lvs_sched", "")),
		methodKw("lvs_method"),
		methodKw("lb_kind").alias("lvs_method", ""),
		enumKw("protocol", func(v vs) *string { return &v.Protocol }, "TCP", "UDP", "SCTP"),
		show(set(kw("persistence_timeout", 0, 1, tUint), func(b *builder, v vs, n *syntax.Node) {
			if len(n.Args) == 0 {
				v.Persistence = 360 * time.Second
				return
			}
			// keepalived 2.2.7 (pto_handler): a value outside
			// 1..2678400 is refused ("persistence_timeout invalid") and
			// the virtual server keeps what it had.
			if t := b.int(n, 0); t < 1 || t > maxPersistence {
				b.ds.Warnf(n.Args[0].Pos, "persistence_timeout %s is outside keepalived's range 1..%d: ignored, as keepalived 2.2.7 does (the virtual server keeps persistence_timeout %v)",
					n.Args[0].Text, maxPersistence, v.Persistence)
				return
			}
			v.Persistence = b.secs(n, 0)
		}), func(d *dumper, i int, v vs) { d.kv(i, "persistence_timeout", v.Persistence) }),
		show(set(kw("persistence_granularity", 1, 1, tStr), func(b *builder, v vs, n *syntax.Node) {
			bits, ok := granularity(n.Args[0].Text)
			if !ok {
				b.ds.Errorf(n.Args[0].Pos, "persistence_granularity '%s' is not a netmask (255.255.255.0) or a prefix length [1, 128]", n.Args[0].Text)
				return
			}
			v.PersistenceGranularity, v.PersistenceBits = n.Args[0].Text, bits
		}), func(d *dumper, i int, v vs) {
			if v.PersistenceBits != 0 {
				d.kv(i, "persistence_granularity", fmt.Sprintf("/%d", v.PersistenceBits))
			}
		}),
		enumKw("ip_family", func(v vs) *string { return &v.IPFamily }, "inet", "inet6"),
		show(set(kw("sorry_server", 1, 2, tIP, tPort), func(b *builder, v vs, n *syntax.Node) {
			rs := &RealServer{Pos: n.Pos, Addr: b.ip(n, 0), Weight: 1}
			if len(n.Args) > 1 {
				rs.Port = uint16(b.int(n, 1))
			}
			v.Sorry = rs
		}), func(d *dumper, i int, v vs) {
			if v.Sorry != nil {
				d.line(i, "sorry_server %s port %d", v.Sorry.Addr, v.Sorry.Port)
			}
		}),
		flagKw("ha_suspend", func(v vs) *bool { return &v.HASuspend }, true),
		alertKw("smtp_alert", func(v vs) **bool { return &v.SMTPAlert }),
		strKw("virtualhost", func(v vs) *string { return &v.VirtualHost }),
		optBoolKw("alpha", func(v vs) *bool { return &v.Alpha }),
		optBoolKw("omega", func(v vs) *bool { return &v.Omega }),
		intKw("quorum", 0, 4294967295, func(v vs) *int { return &v.Quorum }),
		intKw("hysteresis", 0, 4294967295, func(v vs) *int { return &v.Hysteresis }),
		scriptKw("quorum_up", func(v vs) **ScriptRef { return &v.QuorumUp }),
		scriptKw("quorum_down", func(v vs) **ScriptRef { return &v.QuorumDown }),
		optBoolKw("inhibit_on_failure", func(v vs) *bool { return &v.InhibitOnFailure }),
		show(set(block("real_server", 1, 2, realServerBlock()).repeat(), func(b *builder, v vs, n *syntax.Node) {
			if rs := b.realServer(n); rs != nil {
				v.RealServers = append(v.RealServers, rs)
			}
		}), func(d *dumper, i int, v vs) {
			for _, rs := range v.RealServers {
				d.block(i, fmt.Sprintf("real_server %s port %d  # %s", rs.Addr, rs.Port, rs.Pos), spec("virtual_server", "real_server"), rs)
			}
		}),

		show(set(str("persistence_engine"), func(b *builder, v vs, n *syntax.Node) {
			// keepalived 2.2.7 truncates a name longer than 15 characters
			// (and -t reports it); the kernel knows only "sip".
			if len(n.Args[0].Text) > 15 {
				b.ds.Errorf(n.Args[0].Pos, "persistence_engine '%s' is longer than 15 characters (IPVS persistence engine names are at most 15)", n.Args[0].Text)
				return
			}
			v.PersistenceEngine = n.Args[0].Text
		}), func(d *dumper, i int, v vs) {
			if v.PersistenceEngine != "" {
				d.kv(i, "persistence_engine", v.PersistenceEngine)
			}
		}),
		vsFlagKw("hashed"),
		show(set(flag("sorry_server_inhibit"), func(b *builder, v vs, n *syntax.Node) {
			if v.Sorry == nil {
				// keepalived 2.2.7: "Ignoring sorry_server inhibit used before or without sorry_server".
				b.ds.Errorf(n.Pos, "sorry_server_inhibit before or without sorry_server (keepalived ignores it and -t refuses it); put it after sorry_server")
				return
			}
			v.Sorry.InhibitOnFailure = true
		}), func(d *dumper, i int, v vs) {
			if v.Sorry != nil && v.Sorry.InhibitOnFailure {
				d.kv(i, "sorry_server_inhibit", true)
			}
		}),
		show(set(kw("sorry_server_lvs_method", 1, 6, tEnum(lvsMethods...)), func(b *builder, v vs, n *syntax.Node) {
			if v.Sorry == nil {
				// keepalived 2.2.7: "sorry_server forwarding used without sorry_server".
				b.ds.Errorf(n.Pos, "sorry_server_lvs_method before or without sorry_server (keepalived ignores it and -t refuses it); put it after sorry_server")
				return
			}
			if m, args, tun, ok := b.method(n); ok {
				v.Sorry.Method, v.Sorry.TunnelArgs, v.Sorry.Tunnel = m, args, tun
			}
		}), func(d *dumper, i int, v vs) {
			if v.Sorry != nil && v.Sorry.Method != "" {
				d.kv(i, "sorry_server_lvs_method", strings.TrimSpace(v.Sorry.Method+" "+joinWords(v.Sorry.TunnelArgs)))
			}
		}),
		vsFlagKw("flag-1"),
		vsFlagKw("flag-2"),
		vsFlagKw("flag-3"),
		vsFlagKw("sh-port"),
		vsFlagKw("sh-fallback"),
		vsFlagKw("mh-port"),
		vsFlagKw("mh-fallback"),
		vsFlagKw("ops"),
		strKw("snmp_name", func(v vs) *string { return &v.SNMPName }),
		// keepalived 2.2.7: "Virtual server weight %s is outside range 1-65535".
		intKw("weight", 1, 65535, func(v vs) *int { return &v.Weight }),
	)
	return b.add(vsTimingKeywords()...)
}

// schedKw records that the scheduler was written (for the flags that
// depend on it, vsFlagKw).
func schedKw(k *Keyword) *Keyword {
	inner := k.set
	k.set = func(b *builder, obj any, n *syntax.Node) {
		inner(b, obj, n)
		obj.(*VirtualServer).schedSet = true
	}
	return k
}

// vsFlagKw is one of the flag keywords of a virtual server, read as
// keepalived 2.2.7's lbflags_handler reads it: ops and flag-1..3 always
// take effect; the others only with lb_algo sh or mh written before them:
// sh-port/sh-fallback under sh, mh-port/mh-fallback under mh, and with
// either scheduler every other flag of the list (hashed, the other
// scheduler's pair) silently does nothing. Under any other scheduler (or
// none yet) keepalived reports "... only applies to sh scheduler -
// ignoring" and -t fails. hashed is never set by keepalived: the kernel
// marks every service it has hashed into its table itself.
func vsFlagKw(name string) *Keyword {
	k := set(flag(name), func(b *builder, v *VirtualServer, n *syntax.Node) {
		switch {
		case name == "ops" || strings.HasPrefix(name, "flag-"):
		case v.Scheduler == "sh" && v.schedSet:
			if name != "sh-port" && name != "sh-fallback" {
				return
			}
		case v.Scheduler == "mh" && v.schedSet:
			if name != "mh-port" && name != "mh-fallback" {
				return
			}
		default:
			what := "lb_algo " + v.Scheduler
			if !v.schedSet {
				what = "no lb_algo yet"
			}
			b.ds.Errorf(n.Pos, "%s applies only after lb_algo sh or mh (here: %s; keepalived ignores it and -t refuses it)", name, what)
			return
		}
		if !slices.Contains(v.Flags, name) {
			v.Flags = append(v.Flags, name)
		}
	})
	return show(k, func(d *dumper, i int, v *VirtualServer) {
		if slices.Contains(v.Flags, name) {
			d.kv(i, name, true)
		}
	})
}

func realServerBlock() *BlockSpec {
	type rs = *RealServer
	b := newBlock("real_server",
		intKw("weight", 0, 65535, func(r rs) *int { return &r.Weight }),
		methodKw("lvs_method"),
		scriptKw("notify_up", func(r rs) **ScriptRef { return &r.NotifyUp }),
		scriptKw("notify_down", func(r rs) **ScriptRef { return &r.NotifyDown }),
		alertKw("smtp_alert", func(r rs) **bool { return &r.SMTPAlert }),
		strKw("virtualhost", func(r rs) *string { return &r.VirtualHost }),
		optBoolKw("alpha", func(r rs) *bool { return &r.Alpha }),
		optBoolKw("inhibit_on_failure", func(r rs) *bool { return &r.InhibitOnFailure }),
		intKw("uthreshold", 0, 4294967295, func(r rs) *int { return &r.UThreshold }),
		intKw("lthreshold", 0, 4294967295, func(r rs) *int { return &r.LThreshold }),
		strKw("snmp_name", func(r rs) *string { return &r.SNMPName }),
	)
	b.add(vsTimingKeywords()...)
	for _, ck := range checkerKinds {
		k := block(ck.name, 0, 0, ck.block()).repeat()
		if ck.init == nil {
			b.add(k.unimpl())
			continue
		}
		b.add(show(set(k, func(b *builder, r rs, n *syntax.Node) {
			r.Checkers = append(r.Checkers, b.checkers(ck, n)...)
		}), func(d *dumper, i int, r rs) {
			for _, c := range r.Checkers {
				if c.Type == ck.name {
					d.block(i, c.Type+"  # "+c.Pos.String(), k.Block, c)
				}
			}
		}))
	}
	return b
}

// ---- the checker registry ------------------------------------------------

// checkerKind is one kind of health checker: its block schema (each row
// with its setter), the specifics a new checker of the kind starts with,
// the checks of a whole block and its timing defaults.
type checkerKind struct {
	name  string
	block func() *BlockSpec
	// init gives a new checker its kind's specifics with their defaults;
	// nil for a kind gokeepalived does not implement yet.
	init func(c *Checker)
	// check reports what is missing once the block is read.
	check func(b *builder, c *Checker, n *syntax.Node)
	// defaults applies the kind's own timing defaults to what neither the
	// checker, its real server nor its virtual server set (the bits in
	// above), and fills values inherited from the real server.
	defaults func(c *Checker, above uint8, rs *RealServer)
}

// checkerKinds are the checkers of a real_server, in keepalived's order.
var checkerKinds = []*checkerKind{
	{name: "TCP_CHECK", block: func() *BlockSpec { return checkerBlock("TCP_CHECK", false) }, init: func(*Checker) {}},
	httpKind("HTTP_GET"),
	httpKind("SSL_GET"),
	{name: "MISC_CHECK", block: miscCheckBlock,
		init: func(c *Checker) { c.Misc = &MiscCheck{} },
		check: func(b *builder, c *Checker, n *syntax.Node) {
			if len(c.Misc.Command.Args) == 0 {
				b.ds.Errorf(n.Pos, "MISC_CHECK has no misc_path")
			}
		},
		defaults: func(c *Checker, above uint8, rs *RealServer) {
			if above&setRetry == 0 {
				c.Timing.Retry = 0
			}
			if c.Misc.Timeout == 0 {
				c.Misc.Timeout = c.Timing.DelayLoop
			}
		},
	},
	{name: "SMTP_CHECK",
		block: func() *BlockSpec {
			return checkerBlock("SMTP_CHECK", false).add(
				strKw("helo_name", func(c *Checker) *string { return &c.SMTP.HeloName }),
				smtpHostKw(),
			)
		},
		init: func(c *Checker) { c.SMTP = &SMTPCheck{} },
	},
	{name: "DNS_CHECK",
		block: func() *BlockSpec {
			return checkerBlock("DNS_CHECK", false).add(
				enumKw("type", func(c *Checker) *string { return &c.DNS.Type }, "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"),
				strKw("name", func(c *Checker) *string { return &c.DNS.Name }),
			)
		},
		init: func(c *Checker) { c.DNS = &DNSCheck{Type: "SOA", Name: "."} },
		defaults: func(c *Checker, above uint8, rs *RealServer) {
			if above&setRetry == 0 {
				c.Timing.Retry = 3
			}
			if above&setDelayBeforeRetry == 0 {
				c.Timing.DelayBeforeRetry = c.Timing.DelayLoop
			}
		},
	},
	{name: "UDP_CHECK",
		block: func() *BlockSpec {
			return checkerBlock("UDP_CHECK", false).add(
				show(set(kw("payload", 1, -1), func(b *builder, c *Checker, n *syntax.Node) {
					p, err := hexPayload(argTexts(n.Args), false)
					if err != "" {
						b.ds.Errorf(n.Args[0].Pos, "payload: %s", err)
						return
					}
					c.UDP.Payload, _ = hex.DecodeString(p)
				}), func(d *dumper, i int, c *Checker) {
					if len(c.UDP.Payload) > 0 {
						d.line(i, "payload %x", c.UDP.Payload)
					}
				}),
				show(set(kw("require_reply", 0, -1), func(b *builder, c *Checker, n *syntax.Node) {
					c.UDP.RequireReply = true
					if len(n.Args) > 0 {
						p, err := hexPayload(argTexts(n.Args), true)
						if err != "" {
							b.ds.Errorf(n.Args[0].Pos, "require_reply: %s", err)
							return
						}
						c.UDP.ReplyPattern = p
						c.UDP.ReplyValue, c.UDP.ReplyMask = hexPattern(p)
					}
				}), func(d *dumper, i int, c *Checker) {
					if c.UDP.RequireReply {
						d.kv(i, "require_reply", orDefault(c.UDP.ReplyPattern, "(any)"))
					}
				}),
				intKw("min_reply_length", 0, 65535, func(c *Checker) *int { return &c.UDP.MinReplyLength }),
				intKw("max_reply_length", 0, 65535, func(c *Checker) *int { return &c.UDP.MaxReplyLength }),
			)
		},
		init: func(c *Checker) { c.UDP = &UDPCheck{MaxReplyLength: 255} },
		check: func(b *builder, c *Checker, n *syntax.Node) {
			if c.UDP.MinReplyLength > c.UDP.MaxReplyLength {
				b.ds.Errorf(n.Pos, "UDP_CHECK: min_reply_length %d is above max_reply_length %d", c.UDP.MinReplyLength, c.UDP.MaxReplyLength)
			}
		},
	},
	{name: "PING_CHECK", block: func() *BlockSpec { return checkerBlock("PING_CHECK", false) }, init: func(*Checker) {}},
	{name: "FILE_CHECK",
		block: func() *BlockSpec {
			return newBlock("FILE_CHECK",
				strKw("track_file", func(c *Checker) *string { return &c.File.TrackFile }),
				flagKw("dynamic", func(c *Checker) *bool { return &c.File.Dynamic }, true),
				weightRow(-2147483647, 2147483647, func(c *Checker) (*int, *bool) { return &c.File.Weight, &c.File.Reverse }),
			)
		},
		init: func(c *Checker) { c.File = &FileCheck{Weight: 1} },
		check: func(b *builder, c *Checker, n *syntax.Node) {
			if c.File.TrackFile == "" {
				b.ds.Errorf(n.Pos, "FILE_CHECK has no track_file")
			}
		},
		// keepalived's file checker has no retry: it acts on each change
		// of the file, whatever retry is inherited.
		defaults: func(c *Checker, _ uint8, _ *RealServer) { c.Timing.Retry = 0 },
	},
	// keepalived's check_bfd.c: name (a bfd_instance) and alpha; no
	// timing, the real server follows the session's state changes.
	{name: "BFD_CHECK",
		block: func() *BlockSpec {
			return newBlock("BFD_CHECK",
				strKw("name", func(c *Checker) *string { return &c.BFD.Name }),
				optBoolKw("alpha", func(c *Checker) *bool { return &c.Alpha }),
			)
		},
		init: func(c *Checker) { c.BFD = &BFDCheck{} },
		check: func(b *builder, c *Checker, n *syntax.Node) {
			if c.BFD.Name == "" {
				b.ds.Errorf(n.Pos, "BFD_CHECK has no name (the bfd_instance to follow)")
			}
		},
	},
}

// checkerKindOf returns the registry entry of a checker type name.
func checkerKindOf(name string) *checkerKind {
	for _, k := range checkerKinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

// checkerBlock holds the common checker keywords (check_api.c). withRetryAlias
// (HTTP_GET, SSL_GET) adds the deprecated nb_get_retry as an alias of retry;
// keepalived 2.2.7 knows it nowhere else, and other checkers ignore it.
func checkerBlock(name string, withRetryAlias bool) *BlockSpec {
	type ck = *Checker
	port := ArgSpec{Kind: ArgPort, Min: 1, Max: 65535}
	b := newBlock(name,
		ipKw("connect_ip", func(c ck) *netip.Addr { return &c.ConnectIP }),
		show(set(kw("connect_port", 1, 1, port), func(b *builder, c ck, n *syntax.Node) { c.ConnectPort = uint16(b.int(n, 0)) }),
			func(d *dumper, i int, c ck) { d.kv(i, "connect_port", c.ConnectPort) }),
		ipKw("bindto", func(c ck) *netip.Addr { return &c.BindTo }),
		strKw("bind_if", func(c ck) *string { return &c.BindIf }),
		show(set(kw("bind_port", 1, 1, port), func(b *builder, c ck, n *syntax.Node) { c.BindPort = uint16(b.int(n, 0)) }),
			func(d *dumper, i int, c ck) {
				if c.BindPort != 0 {
					d.kv(i, "bind_port", c.BindPort)
				}
			}),
		show(set(kw("fwmark", 1, 1, tUint), func(b *builder, c ck, n *syntax.Node) { c.FWMark = uint32(b.int(n, 0)) }),
			func(d *dumper, i int, c ck) {
				if c.FWMark != 0 {
					d.kv(i, "fwmark", c.FWMark)
				}
			}),
		optBoolKw("alpha", func(c ck) *bool { return &c.Alpha }),
		optBoolKw("log_all_failures", func(c ck) *bool { return &c.LogAllFailures }),
	)
	b.add(vsTimingKeywords()...)
	if withRetryAlias {
		b.add(retryKw("nb_get_retry").alias("retry", "'nb_get_retry' is deprecated; use 'retry'"))
	} else {
		b.add(ignoredNbGetRetry(name))
	}
	return b
}

// ignoredNbGetRetry is nb_get_retry in a checker other than HTTP_GET and
// SSL_GET: keepalived 2.2.7 registers it only there (check_http.c) and
// says "Unknown keyword 'nb_get_retry'" elsewhere, so the checker runs with
// the retry it would have without the line. Same here, with a warning.
func ignoredNbGetRetry(block string) *Keyword {
	k := set(kw("nb_get_retry", 1, 1, tUint), func(b *builder, _ *Checker, n *syntax.Node) {
		b.ds.Warnf(n.Pos, "%s: 'nb_get_retry' is ignored: keepalived 2.2.7 knows it only in HTTP_GET and SSL_GET (\"Unknown keyword\" here), so it does not set the retry count; use 'retry'", block)
	})
	// Nothing to dump: the line changes nothing.
	return show(k, func(*dumper, int, *Checker) {})
}

func miscCheckBlock() *BlockSpec {
	type ck = *Checker
	return newBlock("MISC_CHECK",
		show(set(kw("misc_path", 1, -1, tPath), func(b *builder, c ck, n *syntax.Node) {
			c.Misc.Command.Pos, c.Misc.Command.Args = n.Pos, argv(n.Args)
		}), func(d *dumper, i int, c ck) { d.kv(i, "misc_path", joinWords(c.Misc.Command.Args)) }),
		secsKw("misc_timeout", 1, 4294967, func(c ck) *time.Duration { return &c.Misc.Timeout }),
		flagKw("misc_dynamic", func(c ck) *bool { return &c.Misc.Dynamic }, true),
		userKw(func(c ck) *ScriptRef { return &c.Misc.Command }),
		optBoolKw("alpha", func(c ck) *bool { return &c.Alpha }),
		optBoolKw("log_all_failures", func(c ck) *bool { return &c.LogAllFailures }),
		retryKw("retry"),
		ignoredNbGetRetry("MISC_CHECK"),
		delayBeforeRetryKw(),
		warmupKw(),
		delayLoopKw(),
	)
}

// httpKind is HTTP_GET or SSL_GET.
func httpKind(name string) *checkerKind {
	return &checkerKind{name: name,
		block: func() *BlockSpec { return httpCheckBlock(name) },
		init:  func(c *Checker) { c.HTTP = &HTTPCheck{Protocol: "1.0"} },
		check: func(b *builder, c *Checker, n *syntax.Node) {
			if len(c.HTTP.URLs) == 0 {
				b.ds.Errorf(n.Pos, "%s has no url block", c.Type)
			}
		},
		defaults: func(c *Checker, above uint8, rs *RealServer) {
			if above&setDelayBeforeRetry == 0 {
				c.Timing.DelayBeforeRetry = 3 * time.Second
			}
			if c.HTTP.VirtualHost == "" {
				c.HTTP.VirtualHost = rs.VirtualHost
			}
		},
	}
}

func httpCheckBlock(name string) *BlockSpec {
	type ck = *Checker
	b := checkerBlock(name, true)
	b.add(
		show(set(kw("http_protocol", 1, 1, tEnum("1.0", "1.0C", "1.0c", "1.1")), func(b *builder, c ck, n *syntax.Node) {
			c.HTTP.Protocol = strings.ToUpper(n.Args[0].Text)
		}), func(d *dumper, i int, c ck) { d.kv(i, "http_protocol", c.HTTP.Protocol) }),
		optBoolKw("fast_recovery", func(c ck) *bool { return &c.HTTP.FastRecovery }),
		strKw("virtualhost", func(c ck) *string { return &c.HTTP.VirtualHost }),
		flagKw("enable_sni", func(c ck) *bool { return &c.HTTP.EnableSNI }, true),
		set(block("url", 0, 0, newBlock(name+" url",
			strKw("path", func(u *URL) *string { return &u.Path }),
			set(kw("digest", 1, 1, tStr), func(b *builder, u *URL, n *syntax.Node) {
				d := strings.ToLower(n.Args[0].Text)
				if _, err := hex.DecodeString(d); err != nil || len(d) != 32 {
					b.ds.Errorf(n.Args[0].Pos, "digest '%s' is not an MD5 sum (32 hexadecimal digits)", n.Args[0].Text)
					return
				}
				u.Digest = d
			}),
			set(kw("status_code", 1, -1), func(b *builder, u *URL, n *syntax.Node) {
				for _, a := range n.Args {
					lo, hi, isRange := strings.Cut(a.Text, "-")
					from, ok1 := parseInt(lo)
					to := from
					ok2 := true
					if isRange {
						to, ok2 = parseInt(hi)
					}
					if !ok1 || !ok2 || from < 100 || to > 599 || to < from {
						b.ds.Errorf(a.Pos, "status_code '%s' is not a code or range in 100-599", a.Text)
						continue
					}
					u.StatusCodes = append(u.StatusCodes, StatusRange{int(from), int(to)})
				}
			}),
			strKw("virtualhost", func(u *URL) *string { return &u.VirtualHost }),
			set(kw("regex", 1, 1, tStr), func(b *builder, u *URL, n *syntax.Node) {
				if pos, why := checkRegex(n.Args[0]); why != "" {
					b.ds.Errorf(pos, "regex: %s", why)
					return
				}
				u.Regex = n.Args[0].Text
			}),
			set(flag("regex_no_match"), func(b *builder, u *URL, n *syntax.Node) { u.RegexNoMatch = true }),
			set(kw("regex_options", 1, -1), func(b *builder, u *URL, n *syntax.Node) {
				for _, a := range n.Args {
					use, why := regexOption(a.Text)
					switch {
					case use:
						u.RegexOptions = append(u.RegexOptions, a.Text)
					case why == "":
						b.ds.Warnf(a.Pos, "regex_options: '%s' is not a keepalived 2.2.7 regex option; ignored, as keepalived does", a.Text)
					case strings.HasPrefix(why, "no effect"):
						b.ds.Warnf(a.Pos, "regex_options %s: %s", a.Text, why)
					default:
						b.ds.Errorf(a.Pos, "regex_options %s: %s", a.Text, why)
					}
				}
			}),
			set(kw("regex_stack", 2, 2, tUint, tUint), func(b *builder, u *URL, n *syntax.Node) {
				start, max := b.int(n, 0), b.int(n, 1)
				if start > max {
					b.ds.Warnf(n.Pos, "regex_stack: start %d exceeds max %d; ignored, as keepalived does", start, max)
					return
				}
				u.RegexStackMax = max
			}),
			set(kw("regex_min_offset", 1, 1, tUint), func(b *builder, u *URL, n *syntax.Node) { u.RegexMinOffset = b.int(n, 0) }),
			set(kw("regex_max_offset", 1, 1, tUint), func(b *builder, u *URL, n *syntax.Node) { u.RegexMaxOffset = b.int(n, 0) }),
		)).repeat(), func(b *builder, c ck, n *syntax.Node) {
			if u, ok := b.url(n); ok {
				c.HTTP.URLs = append(c.HTTP.URLs, u)
			}
		}),
	)
	show(b.Lookup("url"), func(d *dumper, i int, c ck) {
		for _, u := range c.HTTP.URLs {
			var codes []string
			for _, s := range u.StatusCodes {
				codes = append(codes, fmt.Sprintf("%d-%d", s.From, s.To))
			}
			line := fmt.Sprintf("url path %s digest %s status_code %s", u.Path, orDefault(u.Digest, "-"), strings.Join(codes, ","))
			if u.VirtualHost != "" {
				line += " virtualhost " + u.VirtualHost
			}
			if u.Regex != "" {
				line += fmt.Sprintf(" regex %q no_match %v options %s min_offset %d max_offset %d", u.Regex, u.RegexNoMatch,
					orDefault(strings.Join(u.RegexOptions, ","), "-"), u.RegexMinOffset, u.RegexMaxOffset)
				if u.RegexStackMax > 0 {
					line += fmt.Sprintf(" stack_max %d", u.RegexStackMax)
				}
			}
			d.line(i, "%s", line)
		}
	})
	return b
}

// smtpConnKeywords are the connection keywords a SMTP_CHECK host block
// sets for its own connection; the others of the block (retry, delays,
// alpha, ...) set the enclosing SMTP_CHECK's, as in keepalived 2.2.7.
var smtpConnKeywords = map[string]bool{"connect_ip": true, "connect_port": true, "bindto": true, "bind_port": true,
	"bind_if": true, "fwmark": true, "connect_timeout": true}

// smtpHostKw is SMTP_CHECK's deprecated `host { ... }` block
// (check_smtp.c, WITH_HOST_ENTRIES): each host becomes a checker of its own
// (see builder.checkers), so the real server is up only while every host
// answers.
func smtpHostKw() *Keyword {
	k := set(block("host", 0, 0, checkerBlock("SMTP_CHECK host", false)).repeat(), func(b *builder, c *Checker, n *syntax.Node) {
		h := &Checker{Pos: n.Pos, Type: c.Type}
		for _, ch := range b.good(n.Children) {
			k := b.kw[ch]
			if k == nil || k.set == nil {
				continue
			}
			if smtpConnKeywords[ch.Keyword] {
				k.set(b, h, ch)
			} else {
				k.set(b, c, ch)
			}
		}
		c.SMTP.hosts = append(c.SMTP.hosts, h)
	})
	// Each host dumps as the SMTP_CHECK it became.
	return show(k, func(*dumper, int, *Checker) {})
}
