package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"gokeepalived/internal/config/syntax"
)

// Scope is an address or route scope (the kernel's RT_SCOPE_* number).
type Scope uint8

// Scopes, as named by iproute2 and keepalived.
const (
	ScopeGlobal  Scope = 0
	ScopeSite    Scope = 200
	ScopeLink    Scope = 253
	ScopeHost    Scope = 254
	ScopeNowhere Scope = 255
)

var scopeNames = []struct {
	s    Scope
	name string
}{{ScopeGlobal, "global"}, {ScopeSite, "site"}, {ScopeLink, "link"}, {ScopeHost, "host"}, {ScopeNowhere, "nowhere"}}

func (s Scope) String() string {
	for _, n := range scopeNames {
		if n.s == s {
			return n.name
		}
	}
	return strconv.Itoa(int(s))
}

// parseScope reads a scope name (global, site, link, host, nowhere; also
// "universe" for global) or a number 0-255.
func parseScope(s string) (Scope, bool) {
	if s == "universe" {
		return ScopeGlobal, true
	}
	for _, n := range scopeNames {
		if n.name == s {
			return n.s, true
		}
	}
	v, err := strconv.ParseUint(s, 10, 8)
	return Scope(v), err == nil
}

// RouteType is the kind of a route (the kernel's RTN_* number).
type RouteType uint8

// Route types virtual_routes accept.
const (
	RouteUnicast     RouteType = 1 // RTN_UNICAST
	RouteBlackhole   RouteType = 6 // RTN_BLACKHOLE
	RouteUnreachable RouteType = 7 // RTN_UNREACHABLE
	RouteProhibit    RouteType = 8 // RTN_PROHIBIT
)

var routeTypes = map[string]RouteType{"unicast": RouteUnicast, "blackhole": RouteBlackhole, "unreachable": RouteUnreachable, "prohibit": RouteProhibit}

func (t RouteType) String() string {
	for n, v := range routeTypes {
		if v == t {
			return n
		}
	}
	return "type" + strconv.Itoa(int(t))
}

// Route is one line of virtual_routes, parsed from keepalived's `ip route`
// syntax: [TYPE] [to] DEST [via|gw ADDR] [src ADDR] [dev|oif IF]
// [table N] [metric|priority|preference N] [scope S] [inet|inet6] [no_track].
type Route struct {
	Pos  Pos
	Type RouteType    // RouteUnicast unless blackhole, unreachable or prohibit
	Dst  netip.Prefix // 0.0.0.0/0 or ::/0 for default
	Via  netip.Addr   // gateway; zero for a device route
	Src  netip.Addr   // preferred source
	// Dev is the output device: the instance's interface unless set, and
	// "" for routes that have no device (blackhole, unreachable, prohibit).
	Dev    string
	Table  int // 0 = main
	Metric int
	// Scope as written; ScopeGlobal if not (the kernel adapter applies
	// iproute2's link scope to a device route without a gateway).
	Scope   Scope
	NoTrack bool
	// TrackGroup names the track_group whose instances track this static
	// route's device (static_routes only).
	TrackGroup string
}

// The names of the blocks parseRoute and parseRule read, as errors say them.
const (
	staticRoutes = "static_routes"
	staticRules  = "static_rules"
)

// String prints the route in `ip route` syntax (for the dump and logs).
func (r Route) String() string {
	var b strings.Builder
	if r.Type != RouteUnicast {
		b.WriteString(r.Type.String() + " ")
	}
	b.WriteString(r.Dst.String())
	for _, o := range []struct {
		k string
		v netip.Addr
	}{{"via", r.Via}, {"src", r.Src}} {
		if o.v.IsValid() {
			fmt.Fprintf(&b, " %s %s", o.k, o.v)
		}
	}
	if r.Dev != "" {
		b.WriteString(" dev " + r.Dev)
	}
	if r.Table != 0 {
		fmt.Fprintf(&b, " table %d", r.Table)
	}
	if r.Metric != 0 {
		fmt.Fprintf(&b, " metric %d", r.Metric)
	}
	if r.Scope != ScopeGlobal {
		b.WriteString(" scope " + r.Scope.String())
	}
	if r.TrackGroup != "" {
		b.WriteString(" track_group " + r.TrackGroup)
	}
	if r.NoTrack {
		b.WriteString(" no_track")
	}
	return b.String()
}

// Rule is one line of virtual_rules, parsed from keepalived's `ip rule`
// syntax: [from PREFIX] [to PREFIX] [fwmark N[/MASK]] table|lookup N
// [priority|pref|preference|order N] [inet|inet6] [no_track].
type Rule struct {
	Pos      Pos
	From, To netip.Prefix // zero for "all"
	Table    int          // always set (> 0)
	Priority int          // 0 lets the kernel choose
	// FWMark selects by firewall mark (0: any) under FWMask (0: all bits).
	FWMark, FWMask uint32
	IPv6           bool // the rule's family (from its addresses or inet6)
	NoTrack        bool
}

// String prints the rule in `ip rule` syntax (for the dump and logs).
func (r Rule) String() string {
	var b strings.Builder
	if r.Priority != 0 {
		fmt.Fprintf(&b, "%d: ", r.Priority)
	}
	if r.IPv6 {
		b.WriteString("inet6 ")
	}
	b.WriteString("from ")
	if r.From.IsValid() {
		b.WriteString(r.From.String())
	} else {
		b.WriteString("all")
	}
	if r.To.IsValid() {
		b.WriteString(" to " + r.To.String())
	}
	if r.FWMark != 0 || r.FWMask != 0 {
		fmt.Fprintf(&b, " fwmark %#x", r.FWMark)
		if r.FWMask != 0 {
			fmt.Fprintf(&b, "/%#x", r.FWMask)
		}
	}
	fmt.Fprintf(&b, " table %d", r.Table)
	if r.NoTrack {
		b.WriteString(" no_track")
	}
	return b.String()
}

// lineWords returns a value-block line as words with positions: the line's
// first word (its keyword) and its arguments.
func lineWords(l *syntax.Node) []syntax.Arg {
	return append([]syntax.Arg{{Pos: l.Pos, Text: l.Keyword}}, l.Args...)
}

// wordErr is a parse error at one word of a line.
type wordErr struct {
	pos Pos
	msg string
}

func errAt(a syntax.Arg, format string, args ...any) *wordErr {
	return &wordErr{pos: a.Pos, msg: fmt.Sprintf(format, args...)}
}

// family tracks the address family a route or rule line settles on; the
// first address (or inet/inet6) fixes it.
type family struct{ v4, v6 bool }

func (f *family) set(is6 bool, w syntax.Arg) *wordErr {
	if (is6 && f.v4) || (!is6 && f.v6) {
		return errAt(w, "'%s' mixes IPv4 and IPv6", w.Text)
	}
	f.v4, f.v6 = !is6, is6
	return nil
}

// parseDest reads a destination or selector: ADDR[/LEN] (a host prefix
// without a length), or default, any or all (no family: zero prefix).
func parseDest(w syntax.Arg) (netip.Prefix, bool, *wordErr) {
	switch w.Text {
	case "default", "any", "all":
		return netip.Prefix{}, true, nil
	}
	p, ok := parsePrefix(w.Text)
	if !ok {
		return p, false, errAt(w, "'%s' is not an address, ADDR/LEN or default", w.Text)
	}
	return p, false, nil
}

// parseTable reads a routing table: a number 1-4294967295 or main, local
// or default.
func parseTable(w syntax.Arg) (int, *wordErr) {
	switch w.Text {
	case "main":
		return 254, nil
	case "local":
		return 255, nil
	case "default":
		return 253, nil
	}
	v, err := strconv.ParseUint(w.Text, 10, 32)
	if err != nil || v == 0 {
		return 0, errAt(w, "table '%s' is not a number in [1, 4294967295] or main, local, default (named tables are not supported)", w.Text)
	}
	return int(v), nil
}

func parseUint32(w syntax.Arg, what string) (int, *wordErr) {
	v, err := strconv.ParseUint(w.Text, 10, 32)
	if err != nil {
		return 0, errAt(w, "%s '%s' is not a number in [0, 4294967295]", what, w.Text)
	}
	return int(v), nil
}

// options walks the "key value" pairs of w: fn gets the key and its value
// word. no_track, inet and inet6 take no value and are handled here.
func options(w []syntax.Arg, fam *family, noTrack *bool, fn func(key, val syntax.Arg) *wordErr) *wordErr {
	for i := 0; i < len(w); i++ {
		key := w[i]
		switch key.Text {
		case "no_track":
			*noTrack = true
			continue
		case "inet", "inet6":
			if err := fam.set(key.Text == "inet6", key); err != nil {
				return err
			}
			continue
		}
		if i+1 >= len(w) {
			return errAt(key, "'%s' needs a value", key.Text)
		}
		if err := fn(key, w[i+1]); err != nil {
			return err
		}
		i++
	}
	return nil
}

// parseRoute reads one virtual_routes line. A unicast route without dev
// gets the instance's interface later (routeDevs).
func parseRoute(l *syntax.Node, block string) (Route, *wordErr) {
	w := lineWords(l)
	r := Route{Pos: l.Pos, Type: RouteUnicast}
	var fam family
	var isDefault, haveDst bool
	addr := func(key, val syntax.Arg) (netip.Addr, *wordErr) {
		a, ok := parseIP(val.Text)
		if !ok {
			return a, errAt(val, "%s '%s' is not an IP address", key.Text, val.Text)
		}
		return a, fam.set(a.Is6(), val)
	}
	var rest []syntax.Arg
	for i := 0; i < len(w); i++ {
		// The destination is the word that is neither an option nor its
		// value, optionally after "to" and a route type.
		switch w[i].Text {
		case "no_track", "inet", "inet6":
			rest = append(rest, w[i])
			continue
		case "src", "via", "gw", "dev", "oif", "table", "metric", "priority", "preference", "scope",
			"protocol", "proto", "tos", "dsfield", "mtu", "realms", "encap", "onlink", "from", "expires",
			"hoplimit", "advmss", "rtt", "rttvar", "reordering", "window", "cwnd", "ssthresh", "rto_min",
			"initcwnd", "initrwnd", "features", "quickack", "congctl", "pref", "ttl-propagate",
			"fastopen_no_cookie", "as", "vrf", "track_group", "or":
			rest = append(rest, w[i])
			if i+1 < len(w) {
				rest = append(rest, w[i+1])
			}
			i++
			continue
		case "nexthop", "add", "prepend", "append":
			return r, errAt(w[i], "%s: '%s' is not supported yet (via, src, dev, table, metric, scope are)", block, w[i].Text)
		}
		if haveDst {
			return r, errAt(w[i], "%s: unexpected '%s' after the destination", block, w[i].Text)
		}
		if w[i].Text == "to" && i+1 < len(w) {
			i++
		}
		if t, ok := routeTypes[w[i].Text]; ok && i+1 < len(w) {
			r.Type = t
			i++
		}
		p, def, err := parseDest(w[i])
		if err != nil {
			err.msg = block + ": " + err.msg
			return r, err
		}
		r.Dst, isDefault, haveDst = p, def, true
		if !def {
			if err := fam.set(p.Addr().Is6(), w[i]); err != nil {
				return r, err
			}
		}
	}
	if !haveDst {
		return r, errAt(w[0], "%s: no destination in '%s'", block, joinWords(argTexts(w)))
	}
	devSet := false
	err := options(rest, &fam, &r.NoTrack, func(key, val syntax.Arg) *wordErr {
		var err *wordErr
		switch key.Text {
		case "via", "gw":
			r.Via, err = addr(key, val)
		case "src":
			r.Src, err = addr(key, val)
		case "dev", "oif":
			r.Dev, devSet = val.Text, true
		case "table":
			r.Table, err = parseTable(val)
		case "metric", "priority", "preference":
			r.Metric, err = parseUint32(val, key.Text)
		case "scope":
			s, ok := parseScope(val.Text)
			if !ok {
				err = errAt(val, "scope '%s' is not one of global|site|link|host|nowhere or a number 0-255", val.Text)
			}
			r.Scope = s
		case "track_group":
			if block != staticRoutes {
				return errAt(key, "track_group applies only to static_routes")
			}
			r.TrackGroup = val.Text
		default:
			err = errAt(key, "route option '%s' is not supported yet (via, src, dev, table, metric, scope are)", key.Text)
		}
		return err
	})
	if err != nil {
		err.msg = block + ": " + err.msg
		return r, err
	}
	if isDefault {
		r.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if fam.v6 {
			r.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
	}
	if r.Type != RouteUnicast && (r.Via.IsValid() || devSet) {
		return r, errAt(w[0], "%s: a %s route has no gateway or device", block, r.Type)
	}
	return r, nil
}

// parseRule reads one virtual_rules line.
func parseRule(l *syntax.Node, block string) (Rule, *wordErr) {
	w := lineWords(l)
	r := Rule{Pos: l.Pos}
	var fam family
	err := options(w, &fam, &r.NoTrack, func(key, val syntax.Arg) *wordErr {
		var err *wordErr
		switch key.Text {
		case "from", "to":
			p, def, e := parseDest(val)
			if e != nil {
				return e
			}
			if !def {
				if e := fam.set(p.Addr().Is6(), val); e != nil {
					return e
				}
			}
			if key.Text == "from" {
				r.From = p
			} else {
				r.To = p
			}
		case "table", "lookup":
			r.Table, err = parseTable(val)
		case "priority", "pref", "preference", "order":
			r.Priority, err = parseUint32(val, key.Text)
		case "fwmark":
			r.FWMark, r.FWMask, err = parseFWMark(val)
		case "track_group":
			// keepalived tracks a static rule through its input interface
			// (iif/dev), which gokeepalived's rules do not support yet;
			// without one keepalived refuses track_group too.
			if block != staticRules {
				return errAt(key, "track_group applies only to static_rules")
			}
			return errAt(key, "a static rule cannot have track_group without dev/iif (which are not supported yet)")
		default:
			err = errAt(key, "rule selector '%s' is not supported yet (from, to, fwmark, table, priority are)", key.Text)
		}
		return err
	})
	if err != nil {
		err.msg = block + ": " + err.msg
		return r, err
	}
	if r.Table == 0 {
		return r, errAt(w[0], "%s: '%s' has no table (only table/lookup rules are supported)", block, joinWords(argTexts(w)))
	}
	r.IPv6 = fam.v6
	return r, nil
}

// parseFWMark reads N[/MASK], each decimal, 0x hexadecimal or 0 octal.
func parseFWMark(w syntax.Arg) (uint32, uint32, *wordErr) {
	markS, maskS, hasMask := strings.Cut(w.Text, "/")
	mark, err := strconv.ParseUint(markS, 0, 32)
	var mask uint64
	if err == nil && hasMask {
		mask, err = strconv.ParseUint(maskS, 0, 32)
	}
	if err != nil {
		return 0, 0, errAt(w, "fwmark '%s' is not N or N/MASK (32-bit numbers)", w.Text)
	}
	return uint32(mark), uint32(mask), nil
}
