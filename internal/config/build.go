package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gokeepalived/internal/config/syntax"
)

// FromAST checks a parsed configuration against the keyword table, builds
// the typed model with keepalived's defaults and runs the semantic checks.
// The model is returned even when there are errors, so that callers (and
// -t) can report everything at once; it must not be run if
// Diagnostics.HasErrors().
func FromAST(f *syntax.File) (*Config, Diagnostics) {
	var ds Diagnostics
	bad := schemaCheck(f.Nodes, &ds)
	b := &builder{ds: &ds, bad: bad, cfg: &Config{}}
	b.build(f.Nodes)
	validate(b.cfg, &ds)
	ds.Sort()
	return b.cfg, ds
}

type builder struct {
	ds  *Diagnostics
	bad map[*syntax.Node]bool
	cfg *Config
	// fwmarkGroups names the virtual_server_groups made only of fwmark
	// entries: their virtual servers take no protocol and no ports.
	fwmarkGroups map[string]bool
}

// good returns the nodes that passed the schema check.
func (b *builder) good(nodes []*syntax.Node) []*syntax.Node {
	out := make([]*syntax.Node, 0, len(nodes))
	for _, n := range nodes {
		if !b.bad[n] {
			out = append(out, n)
		}
	}
	return out
}

func (b *builder) build(nodes []*syntax.Node) {
	c := b.cfg
	c.Global = defaultGlobal()
	// global_defs first: instance defaults depend on it wherever it is.
	for _, n := range b.good(nodes) {
		if n.Keyword == "global_defs" {
			b.global(n)
		}
	}
	b.finishGlobal()
	b.fwmarkGroups = map[string]bool{}
	for _, n := range b.good(nodes) {
		if n.Keyword != "virtual_server_group" || len(n.Args) != 1 {
			continue
		}
		only := len(n.Children) > 0
		for _, l := range n.Children {
			only = only && l.Keyword == "fwmark"
		}
		b.fwmarkGroups[n.Args[0].Text] = only
	}
	for _, n := range b.good(nodes) {
		switch n.Keyword {
		case "vrrp_script":
			c.Scripts = append(c.Scripts, b.script(n))
		case "track_file", "vrrp_track_file":
			c.TrackFiles = append(c.TrackFiles, b.trackFile(n))
		case "vrrp_track_process":
			c.TrackProcesses = append(c.TrackProcesses, b.trackProcess(n))
		case "vrrp_sync_group":
			c.SyncGroups = append(c.SyncGroups, b.syncGroup(n))
		case "vrrp_instance":
			c.Instances = append(c.Instances, b.instance(n))
		case "virtual_server_group":
			c.VirtualServerGroups = append(c.VirtualServerGroups, b.vsGroup(n))
		case "virtual_server":
			if vs := b.virtualServer(n); vs != nil {
				c.VirtualServers = append(c.VirtualServers, vs)
			}
		case "SSL":
			c.SSL = b.ssl(n)
		}
	}
}

// ---- argument helpers (the schema check has validated types) -----------

func (b *builder) int(n *syntax.Node, i int) int {
	v, _ := parseInt(n.Args[i].Text)
	return int(v)
}

func (b *builder) dur(n *syntax.Node, i int) time.Duration {
	v, _ := parseSeconds(n.Args[i].Text)
	return seconds(v)
}

// secs reads an integer number of seconds.
func (b *builder) secs(n *syntax.Node, i int) time.Duration {
	return time.Duration(b.int(n, i)) * time.Second
}

// optBool reads `keyword [<BOOL>]`: no argument means true.
func (b *builder) optBool(n *syntax.Node) bool {
	if len(n.Args) == 0 {
		return true
	}
	v, _ := parseBool(n.Args[0].Text)
	return v
}

func boolPtr(v bool) *bool { return &v }

func (b *builder) ip(n *syntax.Node, i int) netip.Addr {
	a, _ := parseIP(n.Args[i].Text)
	return a
}

// argv splits script arguments: a quoted word is split on blanks, as
// keepalived does for "path arg arg".
func argv(args []syntax.Arg) []string {
	var out []string
	for _, a := range args {
		if a.Quoted {
			out = append(out, strings.Fields(a.Text)...)
		} else {
			out = append(out, a.Text)
		}
	}
	return out
}

// scriptRef reads `keyword SCRIPT [username [groupname]]`.
func (b *builder) scriptRef(n *syntax.Node) *ScriptRef {
	r := &ScriptRef{Pos: n.Pos, Args: argv(n.Args[:1])}
	if len(n.Args) > 1 {
		r.User = n.Args[1].Text
	}
	if len(n.Args) > 2 {
		r.Group = n.Args[2].Text
	}
	if len(r.Args) == 0 {
		b.ds.Errorf(n.Args[0].Pos, "%s: empty script", n.Keyword)
		return nil
	}
	if !strings.HasPrefix(r.Args[0], "/") {
		b.ds.Warnf(n.Args[0].Pos, "%s: script '%s' is not an absolute path", n.Keyword, r.Args[0])
	}
	return r
}

// ---- global_defs --------------------------------------------------------

func defaultGlobal() Global {
	return Global{
		SMTPPort:           25,
		SMTPConnectTimeout: 30 * time.Second,
		DefaultInterface:   "eth0",
		MulticastGroup4:    netip.MustParseAddr("224.0.0.18"),
		MulticastGroup6:    netip.MustParseAddr("ff02::12"),
		VRRPVersion:        2,
		GARP: GARP{
			MasterDelay:         5 * time.Second,
			MasterRepeat:        5,
			MasterRefreshRepeat: 1,
			LowerPrioDelay:      -1, // resolved below
			LowerPrioRepeat:     -1,
		},
	}
}

func (b *builder) global(gn *syntax.Node) {
	g := &b.cfg.Global
	g.Pos = gn.Pos
	for _, n := range b.good(gn.Children) {
		switch n.Keyword {
		case "router_id":
			g.RouterID = n.Args[0].Text
		case "notification_email":
			for _, l := range n.Children {
				g.NotificationEmail = append(g.NotificationEmail, l.Keyword)
				for _, a := range l.Args {
					g.NotificationEmail = append(g.NotificationEmail, a.Text)
				}
			}
		case "notification_email_from":
			g.NotificationEmailFrom = n.Args[0].Text
		case "smtp_server":
			g.SMTPServer = n.Args[0].Text
			if len(n.Args) > 1 {
				g.SMTPPort = uint16(b.int(n, 1))
			}
		case "smtp_helo_name":
			g.SMTPHeloName = n.Args[0].Text
		case "smtp_connect_timeout":
			g.SMTPConnectTimeout = b.secs(n, 0)
		case "smtp_alert":
			g.SMTPAlert = boolPtr(b.optBool(n))
		case "smtp_alert_vrrp":
			g.SMTPAlertVRRP = boolPtr(b.optBool(n))
		case "smtp_alert_checker":
			g.SMTPAlertChecker = boolPtr(b.optBool(n))
		case "no_email_faults":
			g.NoEmailFaults = true
		case "checker_log_all_failures":
			g.CheckerLogAllFailures = b.optBool(n)
		case "lvs_flush":
			g.LVSFlush = true
		case "lvs_flush_on_stop", "lvs_flush_onstop":
			g.LVSFlushOnStop = "ALL"
			if len(n.Args) > 0 {
				g.LVSFlushOnStop = n.Args[0].Text
			}
		case "default_interface":
			g.DefaultInterface = n.Args[0].Text
		case "vrrp_mcast_group4":
			a := b.ip(n, 0)
			if !a.Is4() || !a.IsMulticast() {
				b.ds.Errorf(n.Args[0].Pos, "vrrp_mcast_group4 '%s' is not an IPv4 multicast address", a)
				continue
			}
			g.MulticastGroup4 = a
		case "vrrp_mcast_group6":
			a := b.ip(n, 0)
			if !a.Is6() || !a.IsMulticast() {
				b.ds.Errorf(n.Args[0].Pos, "vrrp_mcast_group6 '%s' is not an IPv6 multicast address", a)
				continue
			}
			g.MulticastGroup6 = a
		case "vrrp_version":
			g.VRRPVersion = b.int(n, 0)
		case "vrrp_strict":
			g.Strict = true
		case "v3_checksum_as_v2":
			g.V3ChecksumAsV2 = b.optBool(n)
		case "vrrp_skip_check_adv_addr":
			g.SkipCheckAdvAddr = true
		case "vrrp_check_unicast_src":
			g.CheckUnicastSrc = true
		case "vrrp_lower_prio_no_advert":
			g.LowerPrioNoAdvert = b.optBool(n)
		case "vrrp_higher_prio_send_advert":
			g.HigherPrioSendAdvert = b.optBool(n)
		case "vrrp_garp_master_delay":
			g.GARP.MasterDelay = b.secs(n, 0)
		case "vrrp_garp_master_repeat":
			g.GARP.MasterRepeat = b.int(n, 0)
		case "vrrp_garp_master_refresh":
			g.GARP.MasterRefresh = b.secs(n, 0)
		case "vrrp_garp_master_refresh_repeat":
			g.GARP.MasterRefreshRepeat = b.int(n, 0)
		case "vrrp_garp_lower_prio_delay":
			g.GARP.LowerPrioDelay = b.secs(n, 0)
		case "vrrp_garp_lower_prio_repeat":
			g.GARP.LowerPrioRepeat = b.int(n, 0)
		case "vrrp_garp_interval":
			g.GARPInterval = b.dur(n, 0)
		case "vrrp_gna_interval":
			g.GNAInterval = b.dur(n, 0)
		case "vrrp_min_garp":
			g.MinGARP = b.optBool(n)
		case "script_user":
			g.ScriptUser = n.Args[0].Text
			if len(n.Args) > 1 {
				g.ScriptGroup = n.Args[1].Text
			}
		case "enable_script_security":
			g.EnableScriptSecurity = true
		case "notify_fifo":
			g.NotifyFIFO = b.scriptRef(n)
		case "notify_fifo_script":
			g.NotifyFIFOScript = b.scriptRef(n)
		case "vrrp_notify_fifo":
			g.VRRPNotifyFIFO = b.scriptRef(n)
		case "vrrp_notify_fifo_script":
			g.VRRPNotifyFIFOScript = b.scriptRef(n)
		}
	}
}

// finishGlobal resolves global defaults that depend on other globals; it
// runs whether or not there is a global_defs block.
func (b *builder) finishGlobal() {
	g := &b.cfg.Global
	if g.MinGARP {
		// vrrp_min_garp: one message, no second burst.
		g.GARP.MasterRepeat, g.GARP.MasterDelay = 1, 0
	}
	if g.GARP.LowerPrioDelay < 0 {
		g.GARP.LowerPrioDelay = g.GARP.MasterDelay
	}
	if g.GARP.LowerPrioRepeat < 0 {
		g.GARP.LowerPrioRepeat = g.GARP.MasterRepeat
	}
	if g.Strict {
		g.LowerPrioNoAdvert = true
	}
}

// ---- vrrp_script, track_file, vrrp_track_process -------------------------

func (b *builder) weight(n *syntax.Node) (int, bool) {
	w := b.int(n, 0)
	return w, len(n.Args) > 1 // the only valid second word is "reverse"
}

func (b *builder) script(sn *syntax.Node) *Script {
	s := &Script{Pos: sn.Pos, Name: sn.Args[0].Text, Interval: time.Second, Rise: 1, Fall: 1}
	for _, n := range b.good(sn.Children) {
		switch n.Keyword {
		case "script":
			s.Command.Pos = n.Pos
			s.Command.Args = argv(n.Args)
		case "interval":
			s.Interval = b.secs(n, 0)
		case "timeout":
			s.Timeout = b.secs(n, 0)
		case "weight":
			s.Weight, s.Reverse = b.weight(n)
		case "rise":
			s.Rise = b.int(n, 0)
		case "fall":
			s.Fall = b.int(n, 0)
		case "user":
			s.Command.User = n.Args[0].Text
			if len(n.Args) > 1 {
				s.Command.Group = n.Args[1].Text
			}
		case "init_fail":
			s.InitFail = true
		}
	}
	if len(s.Command.Args) == 0 {
		b.ds.Errorf(sn.Pos, "vrrp_script %s has no 'script' (keepalived removes it)", s.Name)
	}
	return s
}

func (b *builder) trackFile(fn *syntax.Node) *TrackFile {
	t := &TrackFile{Pos: fn.Pos, Name: fn.Args[0].Text, Weight: 1}
	for _, n := range b.good(fn.Children) {
		switch n.Keyword {
		case "file":
			t.Path = n.Args[0].Text
		case "weight":
			t.Weight, t.Reverse = b.weight(n)
		case "init_file":
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
		}
	}
	if t.Path == "" {
		b.ds.Errorf(fn.Pos, "track_file %s has no 'file'", t.Name)
	}
	return t
}

func (b *builder) trackProcess(pn *syntax.Node) *TrackProcess {
	t := &TrackProcess{Pos: pn.Pos, Name: pn.Args[0].Text, Weight: 1, Quorum: 1}
	for _, n := range b.good(pn.Children) {
		switch n.Keyword {
		case "process":
			t.Process = nil
			for _, a := range n.Args {
				t.Process = append(t.Process, a.Text)
			}
		case "param_match":
			t.ParamMatch = n.Args[0].Text
		case "weight":
			t.Weight, t.Reverse = b.weight(n)
		case "quorum":
			t.Quorum = b.int(n, 0)
		case "quorum_max":
			t.QuorumMax = b.int(n, 0)
		case "delay":
			t.ForkDelay, t.TerminateDelay = b.dur(n, 0), b.dur(n, 0)
		case "fork_delay":
			t.ForkDelay = b.dur(n, 0)
		case "terminate_delay":
			t.TerminateDelay = b.dur(n, 0)
		case "full_command":
			t.FullCommand = true
		}
	}
	if len(t.Process) == 0 {
		b.ds.Errorf(pn.Pos, "vrrp_track_process %s has no 'process'", t.Name)
	}
	if t.QuorumMax != 0 && t.QuorumMax < t.Quorum {
		b.ds.Errorf(pn.Pos, "vrrp_track_process %s: quorum_max %d is below quorum %d", t.Name, t.QuorumMax, t.Quorum)
	}
	return t
}

// trackList reads the lines of a track_* block: NAME [weight N [reverse|noreverse]].
func (b *builder) trackList(n *syntax.Node, min, max int) []Track {
	var out []Track
	for _, l := range n.Children {
		if b.bad[l] {
			continue
		}
		t := Track{Pos: l.Pos, Name: l.Keyword}
		args := l.Args
		if len(args) > 0 && args[0].Text == "weight" {
			if len(args) < 2 {
				b.ds.Errorf(args[0].Pos, "%s %s: 'weight' needs a value", n.Keyword, t.Name)
				continue
			}
			v, ok := parseInt(args[1].Text)
			if !ok || v < int64(min) || v > int64(max) {
				b.ds.Errorf(args[1].Pos, "%s %s: weight '%s' is out of range [%d, %d]", n.Keyword, t.Name, args[1].Text, min, max)
				continue
			}
			t.Weight, t.HasWeight = int(v), true
			args = args[2:]
		}
		if len(args) > 0 {
			switch args[0].Text {
			case "reverse":
				t.Reverse = true
				args = args[1:]
			case "noreverse", "no_reverse":
				args = args[1:]
			}
		}
		if len(args) > 0 {
			b.ds.Errorf(args[0].Pos, "%s %s: unexpected '%s' (expected: NAME [weight N [reverse|noreverse]])", n.Keyword, t.Name, args[0].Text)
			continue
		}
		out = append(out, t)
	}
	return out
}

// ---- vrrp_sync_group ----------------------------------------------------

func (b *builder) notify(nt *Notify, n *syntax.Node) bool {
	switch n.Keyword {
	case "notify_master":
		nt.Master = b.scriptRef(n)
	case "notify_backup":
		nt.Backup = b.scriptRef(n)
	case "notify_fault":
		nt.Fault = b.scriptRef(n)
	case "notify_stop":
		nt.Stop = b.scriptRef(n)
	case "notify":
		nt.Any = b.scriptRef(n)
	case "notify_master_rx_lower_pri":
		nt.MasterRxLowerPri = b.scriptRef(n)
	case "smtp_alert":
		nt.SMTPAlert = boolPtr(b.optBool(n))
	default:
		return false
	}
	return true
}

func (b *builder) syncGroup(gn *syntax.Node) *SyncGroup {
	g := &SyncGroup{Pos: gn.Pos, Name: gn.Args[0].Text}
	for _, n := range b.good(gn.Children) {
		if b.notify(&g.Notify, n) {
			continue
		}
		switch n.Keyword {
		case "group":
			for _, l := range n.Children {
				names := append([]syntax.Arg{{Pos: l.Pos, Text: l.Keyword}}, l.Args...)
				for _, a := range names {
					g.Members = append(g.Members, a.Text)
					g.MemberPos = append(g.MemberPos, a.Pos)
				}
			}
		case "track_interface":
			g.TrackInterface = b.trackList(n, -253, 253)
		case "track_script":
			g.TrackScript = b.trackList(n, -253, 253)
		case "track_file":
			g.TrackFile = b.trackList(n, -254, 254)
		case "track_process":
			g.TrackProcess = b.trackList(n, -254, 254)
		}
	}
	return g
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%gs", d.Seconds())
}
