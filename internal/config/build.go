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
	bad, rows := schemaCheck(f.Nodes, &ds)
	b := &builder{ds: &ds, bad: bad, kw: rows, cfg: &Config{}}
	b.build(f.Nodes)
	validate(b.cfg, &ds)
	ds.Sort()
	return b.cfg, ds
}

type builder struct {
	ds  *Diagnostics
	bad map[*syntax.Node]bool
	kw  map[*syntax.Node]*Keyword // each node's row in the keyword table
	cfg *Config
	// fwmarkGroups names the virtual_server_groups made only of fwmark
	// entries: their virtual servers take no protocol and no ports.
	fwmarkGroups map[string]bool
	// early are the tracks naming a vrrp_script, track_file or
	// vrrp_track_process not defined yet where they are used
	// (noteEarlyTracks).
	early []earlyTrack
}

// earlyTrack is a track_* entry read before the object it names.
type earlyTrack struct {
	owner, kw, defKind string
	t                  Track
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
			b.kw[n].set(b, c, n)
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
		if k := b.kw[n]; k.set != nil && n.Keyword != "global_defs" {
			k.set(b, c, n)
		}
	}
	b.warnEarlyTracks()
}

// noteEarlyTracks remembers the track_script / track_file /
// track_process entries of owner (a vrrp_instance or vrrp_sync_group just
// built) that name an object not defined so far in the file. keepalived
// 2.2.7 resolves a track when it reads it, so it ignores these ("track
// script X not found, ignoring...") and the owner runs without them; we
// resolve after the whole file, attach them, and warn (warnEarlyTracks).
func (b *builder) noteEarlyTracks(owner string, scripts, files, procs []Track) {
	c := b.cfg
	note := func(kw, defKind string, tracks []Track, defined func(string) bool) {
		for _, t := range tracks {
			if !defined(t.Name) {
				b.early = append(b.early, earlyTrack{owner: owner, kw: kw, defKind: defKind, t: t})
			}
		}
	}
	note("track_script", "vrrp_script", scripts, func(n string) bool { return hasName(c.Scripts, n) })
	note("track_file", "track_file", files, func(n string) bool { return hasName(c.TrackFiles, n) })
	note("track_process", "vrrp_track_process", procs, func(n string) bool { return hasName(c.TrackProcesses, n) })
}

// warnEarlyTracks warns about each early track whose object was defined
// later in the file (an undefined one is an error in validate).
func (b *builder) warnEarlyTracks() {
	c := b.cfg
	for _, e := range b.early {
		var later bool
		switch e.defKind {
		case "vrrp_script":
			later = hasName(c.Scripts, e.t.Name)
		case "track_file":
			later = hasName(c.TrackFiles, e.t.Name)
		default:
			later = hasName(c.TrackProcesses, e.t.Name)
		}
		if later {
			b.ds.Warnf(e.t.Pos, "%s: %s %s is defined after it: gokeepalived attaches it, but keepalived 2.2.7 would ignore "+
				"this %s ('not found, ignoring'); define %s %s before %s for both to agree", e.owner, e.kw, e.t.Name, e.kw, e.defKind, e.t.Name, e.owner)
		}
	}
}

// named is a model object with a name (vrrp_script, track_file, ...).
type named interface{ name() string }

func (s *Script) name() string       { return s.Name }
func (s *TrackFile) name() string    { return s.Name }
func (s *TrackProcess) name() string { return s.Name }
func (g *TrackGroup) name() string   { return g.Name }

// knownTrackGroup checks the track_group of a static entry: keepalived
// resolves it when it reads the line, so the group must be defined
// before (an unknown one is a configuration error there too).
func (b *builder) knownTrackGroup(n *syntax.Node, pos Pos, name string) bool {
	if name == "" || hasName(b.cfg.TrackGroups, name) {
		return true
	}
	b.ds.Errorf(pos, "%s: track_group %s not found (a track_group must be defined before the static entries naming it)", n.Keyword, name)
	return false
}

func hasName[T named](list []T, name string) bool {
	for _, o := range list {
		if o.name() == name {
			return true
		}
	}
	return false
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
		Firewall:           Firewall{Priority: -1},
		// keepalived 2.2.7: RT_RLIMIT_DEFAULT 10000 us, 1 s auto-priority delay.
		VRRPProc:             ProcessKnobs{RLimitRTTime: 10000},
		CheckerProc:          ProcessKnobs{RLimitRTTime: 10000},
		BFDProc:              ProcessKnobs{RLimitRTTime: 10000},
		MinAutoPriorityDelay: time.Second,
		DownTimerAdverts:     3,
		RxBufsMultiplier:     3, // keepalived 2.2.7 global_data.c
		Umask:                -1,
		// keepalived 2.2.7: startup/shutdown_script_timeout default 10 s.
		StartupScriptTimeout:  10 * time.Second,
		ShutdownScriptTimeout: 10 * time.Second,
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
	b.cfg.Global.Pos = gn.Pos
	b.apply(&b.cfg.Global, gn)
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
	b.apply(s, sn)
	if len(s.Command.Args) == 0 {
		b.ds.Errorf(sn.Pos, "vrrp_script %s has no 'script' (keepalived removes it)", s.Name)
	}
	return s
}

func (b *builder) trackFile(fn *syntax.Node) *TrackFile {
	t := &TrackFile{Pos: fn.Pos, Name: fn.Args[0].Text, Weight: 1}
	b.apply(t, fn)
	if t.Path == "" {
		b.ds.Errorf(fn.Pos, "track_file %s has no 'file'", t.Name)
	}
	return t
}

func (b *builder) trackProcess(pn *syntax.Node) *TrackProcess {
	t := &TrackProcess{Pos: pn.Pos, Name: pn.Args[0].Text, Weight: 1, Quorum: 1}
	b.apply(t, pn)
	if len(t.Process) == 0 {
		b.ds.Errorf(pn.Pos, "vrrp_track_process %s has no 'process'", t.Name)
	}
	if t.QuorumMax != 0 && t.QuorumMax < t.Quorum {
		b.ds.Errorf(pn.Pos, "vrrp_track_process %s: quorum_max %d is below quorum %d", t.Name, t.QuorumMax, t.Quorum)
	}
	return t
}

// bfdInstance builds a bfd_instance block with keepalived's defaults and
// checks (bfd_parser.c bfd_complete_init / bfd_check_block).
func (b *builder) bfdInstance(pn *syntax.Node) *BFDInstance {
	bi := &BFDInstance{Pos: pn.Pos, Name: pn.Args[0].Text, MinRx: BFDDefaultMinRx, MinTx: BFDDefaultMinTx,
		IdleTx: BFDDefaultIdleTx, Multiplier: BFDDefaultMultiplier}
	if len(bi.Name) > 31 {
		b.ds.Errorf(pn.Pos, "bfd_instance %s: the name is longer than keepalived's 31 characters", bi.Name)
	}
	b.apply(bi, pn)
	if !bi.Neighbor.IsValid() {
		b.ds.Errorf(pn.Pos, "bfd_instance %s has no 'neighbor_ip'", bi.Name)
		return nil
	}
	if bi.Source.IsValid() && bi.Source.Is4() != bi.Neighbor.Is4() {
		b.ds.Errorf(pn.Pos, "bfd_instance %s: source_ip %s and neighbor_ip %s are of different families", bi.Name, bi.Source, bi.Neighbor)
	}
	if bi.TTL == 0 {
		bi.TTL = 255
		if bi.Neighbor.Is6() {
			bi.TTL = 64 // keepalived's BFD_CONTROL_HOPLIMIT
		}
	}
	if bi.MaxHops > bi.TTL {
		b.ds.Warnf(pn.Pos, "bfd_instance %s: max_hops %d exceeds ttl/hoplimit %d - setting to ttl/hoplimit", bi.Name, bi.MaxHops, bi.TTL)
		bi.MaxHops = bi.TTL
	}
	return bi
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

func (b *builder) syncGroup(gn *syntax.Node) *SyncGroup {
	g := &SyncGroup{Pos: gn.Pos, Name: gn.Args[0].Text}
	b.apply(g, gn)
	b.noteEarlyTracks("vrrp_sync_group "+g.Name, g.TrackScript, g.TrackFile, g.TrackProcess)
	return g
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%gs", d.Seconds())
}
