package config

import (
	"encoding/hex"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
	"time"

	"gokeepalived/internal/config/syntax"
)

func joinWords(w []string) string { return strings.Join(w, " ") }

// vsGroup parses virtual_server_group lines: IP|RANGE [PORT] or fwmark N [inet|inet6].
func (b *builder) vsGroup(gn *syntax.Node) *VirtualServerGroup {
	g := &VirtualServerGroup{Pos: gn.Pos}
	if len(gn.Args) != 1 {
		b.ds.Errorf(gn.Pos, "virtual_server_group needs a name")
	} else {
		g.Name = gn.Args[0].Text
	}
	for _, l := range gn.Children {
		if b.bad[l] {
			continue
		}
		e := VSGroupEntry{Pos: l.Pos}
		if l.Keyword == "fwmark" {
			if len(l.Args) < 1 || len(l.Args) > 2 {
				b.ds.Errorf(l.Pos, "virtual_server_group %s: expected 'fwmark N [inet|inet6]'", g.Name)
				continue
			}
			v, ok := parseInt(l.Args[0].Text)
			if !ok || v < 1 || v > 4294967295 {
				b.ds.Errorf(l.Args[0].Pos, "virtual_server_group %s: fwmark '%s' is out of range [1, 4294967295]", g.Name, l.Args[0].Text)
				continue
			}
			e.FWMark = uint32(v)
			if len(l.Args) == 2 {
				if f := l.Args[1].Text; f != "inet" && f != "inet6" {
					b.ds.Errorf(l.Args[1].Pos, "virtual_server_group %s: family '%s' is not inet or inet6", g.Name, f)
					continue
				}
				e.Family = l.Args[1].Text
			}
			g.Entries = append(g.Entries, e)
			continue
		}
		first, last, ok := parseRange(l.Keyword)
		if !ok {
			b.ds.Errorf(l.Pos, "virtual_server_group %s: '%s' is not an address, range (A.B.C.D-E, A-B) or prefix", g.Name, l.Keyword)
			continue
		}
		e.First, e.Last = first, last
		if len(l.Args) > 1 {
			b.ds.Errorf(l.Args[1].Pos, "virtual_server_group %s: unexpected '%s' after the port", g.Name, l.Args[1].Text)
			continue
		}
		if len(l.Args) == 1 {
			if msg := checkArg("port", tPort, l.Args[0].Text); msg != "" {
				b.ds.Errorf(l.Args[0].Pos, "virtual_server_group %s: %s", g.Name, msg)
				continue
			}
			e.Port = uint16(mustInt(l.Args[0].Text))
		}
		g.Entries = append(g.Entries, e)
	}
	return g
}

func mustInt(s string) int64 { v, _ := parseInt(s); return v }

// parseRange reads ADDR, ADDR/LEN, A.B.C.D-E or ADDR-ADDR.
func parseRange(s string) (netip.Addr, netip.Addr, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Addr{}, netip.Addr{}, false
		}
		p = p.Masked()
		first := p.Addr()
		last := first
		for a := first; p.Contains(a); a = a.Next() {
			last = a
			if !a.Next().IsValid() {
				break
			}
		}
		return first, last, true
	}
	lo, hi, isRange := strings.Cut(s, "-")
	first, ok := parseIP(lo)
	if !ok {
		return first, first, false
	}
	if !isRange {
		return first, first, true
	}
	if last, ok := parseIP(hi); ok {
		return first, last, first.BitLen() == last.BitLen() && !last.Less(first)
	}
	// A.B.C.D-E: E replaces the last octet (IPv4) or group (IPv6).
	b := first.AsSlice()
	if first.Is4() {
		v, ok := parseInt(hi)
		if !ok || v < 0 || v > 255 || byte(v) < b[3] {
			return first, first, false
		}
		b[3] = byte(v)
	} else {
		v, err := parseHex16(hi)
		if err != nil || v < uint16(b[14])<<8|uint16(b[15]) {
			return first, first, false
		}
		b[14], b[15] = byte(v>>8), byte(v)
	}
	last, _ := netip.AddrFromSlice(b)
	return first, last, true
}

func parseHex16(s string) (uint16, error) {
	if len(s) == 0 || len(s) > 4 {
		return 0, hex.InvalidByteError(0)
	}
	var v uint16
	for _, c := range []byte(strings.ToLower(s)) {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint16(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint16(c-'a'+10)
		default:
			return 0, hex.InvalidByteError(c)
		}
	}
	return v, nil
}

// inherit fills the fields of t not set at its level from parent.
func (t *Timing) inherit(parent Timing) {
	if t.set&setConnectTimeout == 0 {
		t.ConnectTimeout = parent.ConnectTimeout
	}
	if t.set&setRetry == 0 {
		t.Retry = parent.Retry
	}
	if t.set&setDelayBeforeRetry == 0 {
		t.DelayBeforeRetry = parent.DelayBeforeRetry
	}
	if t.set&setWarmup == 0 {
		t.Warmup = parent.Warmup
	}
	if t.set&setDelayLoop == 0 {
		t.DelayLoop = parent.DelayLoop
	}
	t.set |= parent.set
}

// method reads `lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`.
func (b *builder) method(n *syntax.Node) (string, []string, Tunnel, bool) {
	m := n.Args[0].Text
	args := n.Args[1:]
	var t Tunnel
	fail := func(a syntax.Arg, format string, v ...any) (string, []string, Tunnel, bool) {
		b.ds.Errorf(a.Pos, format, v...)
		return "", nil, Tunnel{}, false
	}
	if m != "TUN" && len(args) > 0 {
		return fail(args[0], "%s %s takes no options, got '%s'", n.Keyword, m, args[0].Text)
	}
	for i := 0; i < len(args); i++ {
		switch args[i].Text {
		case "type":
			if i+1 >= len(args) {
				return fail(args[i], "%s TUN: 'type' needs ipip, gue or gre", n.Keyword)
			}
			i++
			switch t.Type = args[i].Text; t.Type {
			case "ipip":
				t.Type = ""
			case "gre":
			case "gue":
				if i+2 >= len(args) || args[i+1].Text != "port" {
					return fail(args[i], "%s TUN type gue needs 'port N'", n.Keyword)
				}
				if msg := checkArg("gue port", ArgSpec{Kind: ArgPort, Min: 1, Max: 65535}, args[i+2].Text); msg != "" {
					return fail(args[i+2], "%s TUN: %s", n.Keyword, msg)
				}
				t.Port = uint16(mustInt(args[i+2].Text))
				i += 2
			default:
				return fail(args[i], "%s TUN: type '%s' is not ipip, gue or gre", n.Keyword, args[i].Text)
			}
		case "nocsum":
			t.Checksum = ""
		case "csum", "remcsum":
			t.Checksum = args[i].Text
		default:
			return fail(args[i], "%s TUN: unexpected '%s'", n.Keyword, args[i].Text)
		}
	}
	return m, argTexts(args), t, true
}

// granularity reads persistence_granularity: a dotted IPv4 netmask or a
// prefix length 1-128.
func granularity(s string) (int, bool) {
	if strings.Contains(s, ".") {
		a, ok := parseIP(s)
		if !ok || !a.Is4() {
			return 0, false
		}
		b := a.As4()
		m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		n := bits.LeadingZeros32(^m)
		return n, m<<n == 0
	}
	n, ok := parseInt(s)
	return int(n), ok && n >= 1 && n <= 128
}

func (b *builder) virtualServer(vn *syntax.Node) *VirtualServer {
	vs := &VirtualServer{Pos: vn.Pos, Scheduler: "wlc", Method: "NAT", Quorum: 1, Weight: 1,
		Timing: Timing{ConnectTimeout: 5 * time.Second, Retry: 1, DelayBeforeRetry: time.Second, DelayLoop: 60 * time.Second}}
	a := vn.Args
	switch a[0].Text {
	case "fwmark":
		if len(a) != 2 {
			b.ds.Errorf(vn.Pos, "virtual_server fwmark needs a mark number")
			return nil
		}
		if msg := checkArg("fwmark", tInt(1, 4294967295), a[1].Text); msg != "" {
			b.ds.Errorf(a[1].Pos, "virtual_server %s", msg)
			return nil
		}
		vs.FWMark = uint32(mustInt(a[1].Text))
	case "group":
		if len(a) != 2 {
			b.ds.Errorf(vn.Pos, "virtual_server group needs a virtual_server_group name")
			return nil
		}
		vs.Group = a[1].Text
	default:
		ip, ok := parseIP(a[0].Text)
		if !ok {
			b.ds.Errorf(a[0].Pos, "virtual_server '%s' is not an IP address, 'fwmark N' or 'group NAME'", a[0].Text)
			return nil
		}
		vs.Addr = ip
		if len(a) == 2 {
			if msg := checkArg("virtual_server port", tPort, a[1].Text); msg != "" {
				b.ds.Errorf(a[1].Pos, "%s", msg)
				return nil
			}
			vs.Port = uint16(mustInt(a[1].Text))
		}
	}
	nodes := b.apply(vs, vn)
	vs.KeywordPos = keywordPos(nodes)
	protoNode := nodes["protocol"]
	protoSet, persistSet := protoNode != nil, nodes["persistence_timeout"] != nil
	schedSet := nodes["lvs_sched"] != nil || nodes["lb_algo"] != nil
	methodSet := nodes["lvs_method"] != nil || nodes["lb_kind"] != nil
	if vs.Timing.set&setWarmup == 0 {
		vs.Timing.Warmup = vs.Timing.DelayLoop
	}
	// keepalived 2.2.7 -t: "no scheduler set, setting default 'wlc'" and
	// "no forwarding method set, setting default NAT" (exit 5). Same
	// defaults here; say so.
	if !schedSet {
		b.ds.Warnf(vn.Pos, "virtual_server %s has no lvs_sched (lb_algo); using wlc, as keepalived does", joinWords(argTexts(a)))
	}
	if !methodSet {
		b.ds.Warnf(vn.Pos, "virtual_server %s has no lvs_method (lb_kind); using NAT, as keepalived does", joinWords(argTexts(a)))
	}
	fwmarkOnly := vs.FWMark != 0 || (vs.Group != "" && b.fwmarkGroups[vs.Group])
	switch {
	case fwmarkOnly && protoSet:
		// keepalived 2.2.7 -t: "protocol specified for fwmark - protocol will be ignored" (exit 5).
		b.ds.Errorf(protoNode.Pos, "virtual_server %s: protocol has no meaning for a fwmark service (keepalived ignores it and -t refuses it); remove it", joinWords(argTexts(a)))
	case !fwmarkOnly && !protoSet:
		// keepalived 2.2.7 -t: "no protocol set - defaulting to UDP" (exit 5).
		b.ds.Errorf(vn.Pos, "virtual_server %s has no protocol; keepalived 2.2.7 would default to UDP: write 'protocol TCP' (or UDP, SCTP)", joinWords(argTexts(a)))
	}
	if !protoSet {
		vs.Protocol = "UDP"
	}
	if fwmarkOnly {
		for _, rs := range vs.RealServers {
			if rs.Port != 0 {
				// keepalived 2.2.7 -t: "fwmark virtual server ..., real server ... has port specified" (exit 5).
				b.ds.Errorf(rs.Pos, "real_server %s: a fwmark service forwards every port, so a real_server port has no meaning (keepalived ignores it and -t refuses it); remove it", rs.Addr)
			}
		}
	}
	if vs.Addr.IsValid() && len(a) == 1 && !persistSet {
		b.ds.Errorf(vn.Pos, "virtual_server %s: the port may be omitted only with persistence_timeout", a[0].Text)
	}
	if vs.Hysteresis >= vs.Quorum && vs.Hysteresis > 0 {
		b.ds.Errorf(vn.Pos, "virtual_server %s: hysteresis %d must be below quorum %d", joinWords(argTexts(a)), vs.Hysteresis, vs.Quorum)
	}
	for _, rs := range vs.RealServers {
		b.resolveRS(vs, rs)
	}
	if vs.Sorry != nil {
		if vs.Sorry.Method == "" { // sorry_server_lvs_method wins
			vs.Sorry.Method, vs.Sorry.TunnelArgs, vs.Sorry.Tunnel = vs.Method, vs.TunnelArgs, vs.Tunnel
		}
		vs.Sorry.Timing = vs.Timing
	}
	if slices.Contains(vs.Flags, "ops") && !fwmarkOnly && vs.Protocol != "UDP" {
		// keepalived 2.2.7: "one packet scheduling requires UDP - resetting" (-t fails).
		b.ds.Errorf(nodes["ops"].Pos, "virtual_server %s: ops (one-packet scheduling) needs protocol UDP or a fwmark service; keepalived turns it off and -t refuses it", joinWords(argTexts(a)))
		vs.Flags = slices.DeleteFunc(vs.Flags, func(f string) bool { return f == "ops" })
	}
	if vs.PersistenceEngine != "" && vs.Persistence == 0 {
		// The kernel applies a persistence engine to persistent services
		// only; keepalived passes it on silently.
		b.ds.Warnf(nodes["persistence_engine"].Pos, "virtual_server %s: persistence_engine %s has no effect without persistence_timeout", joinWords(argTexts(a)), vs.PersistenceEngine)
	}
	return vs
}

func (b *builder) realServer(rn *syntax.Node) *RealServer {
	rs := &RealServer{Pos: rn.Pos, Addr: b.ip(rn, 0), Weight: 1}
	if !rs.Addr.IsValid() {
		b.ds.Errorf(rn.Args[0].Pos, "real_server '%s' is not an IP address", rn.Args[0].Text)
		return nil
	}
	if len(rn.Args) > 1 {
		if msg := checkArg("real_server port", tPort, rn.Args[1].Text); msg != "" {
			b.ds.Errorf(rn.Args[1].Pos, "%s", msg)
			return nil
		}
		rs.Port = uint16(mustInt(rn.Args[1].Text))
	}
	applied := b.apply(rs, rn)
	rs.KeywordPos = keywordPos(applied)
	rs.weightSet = applied["weight"] != nil
	return rs
}

// keywordPos keeps where each keyword of a block was written.
func keywordPos(nodes map[string]*syntax.Node) map[string]Pos {
	m := make(map[string]Pos, len(nodes))
	for k, n := range nodes {
		m[k] = n.Pos
	}
	return m
}

// resolveRS applies inheritance: virtual server → real server → checker,
// then each checker type's own defaults for what nobody set.
func (b *builder) resolveRS(vs *VirtualServer, rs *RealServer) {
	if rs.Method == "" {
		rs.Method, rs.TunnelArgs, rs.Tunnel = vs.Method, vs.TunnelArgs, vs.Tunnel
	}
	if vs.Addr.IsValid() && rs.Method != "TUN" && vs.Addr.Is4() != rs.Addr.Is4() {
		b.ds.Errorf(rs.Pos, "real_server %s: address family differs from virtual_server %s (only TUN real servers may differ)", rs.Addr, vs.Addr)
	}
	if rs.Port == 0 {
		rs.Port = vs.Port
	}
	if !rs.weightSet { // keepalived 2.2.7: the virtual server's weight
		rs.Weight = vs.Weight
	}
	rs.InhibitOnFailure = rs.InhibitOnFailure || vs.InhibitOnFailure
	if rs.VirtualHost == "" {
		rs.VirtualHost = vs.VirtualHost
	}
	rsSet := rs.Timing.set
	rs.Timing.inherit(vs.Timing)
	for _, c := range rs.Checkers {
		own := c.Timing.set
		c.Timing.inherit(rs.Timing)
		// Per-type defaults apply where neither the checker, the real
		// server nor the virtual server set the value.
		above := rsSet | vs.Timing.set | own
		if k := checkerKindOf(c.Type); k.defaults != nil {
			k.defaults(c, above, rs)
		}
		if above&setWarmup == 0 {
			c.Timing.Warmup = c.Timing.DelayLoop
		}
		if c.ConnectPort == 0 {
			c.ConnectPort = rs.Port
		}
	}
}

// checkerNodes builds one checker of kind k (the registry,
// keywords_lvs.go) and returns the block's nodes by keyword.
func (b *builder) checkerNodes(k *checkerKind, cn *syntax.Node) (*Checker, map[string]*syntax.Node) {
	c := &Checker{Pos: cn.Pos, Type: k.name}
	k.init(c)
	nodes := b.apply(c, cn)
	if k.check != nil {
		k.check(b, c, cn)
	}
	return c, nodes
}

// checkers builds the checkers one block of kind k stands for: one, or
// for a SMTP_CHECK with host blocks one per host (check_smtp.c 2.2.7,
// smtp_check_end_handler), plus its own connection when the block set any
// connection keyword. A host connects to the real server unless it says
// otherwise and takes its connect_timeout from the real or virtual server,
// not from the SMTP_CHECK; every other setting is the SMTP_CHECK's.
func (b *builder) checkers(k *checkerKind, cn *syntax.Node) []*Checker {
	c, nodes := b.checkerNodes(k, cn)
	if c.SMTP == nil || len(c.SMTP.hosts) == 0 {
		return []*Checker{c}
	}
	hosts := c.SMTP.hosts
	c.SMTP.hosts = nil
	var out []*Checker
	for name := range smtpConnKeywords {
		if nodes[name] != nil {
			out = append(out, c)
			break
		}
	}
	for _, h := range hosts {
		n := *c
		smtp := *c.SMTP
		smtp.Host = h.Pos
		n.SMTP = &smtp
		n.Pos = h.Pos
		n.ConnectIP, n.ConnectPort, n.BindTo, n.BindIf, n.BindPort, n.FWMark = h.ConnectIP, h.ConnectPort, h.BindTo, h.BindIf, h.BindPort, h.FWMark
		n.Timing.ConnectTimeout, n.Timing.set = h.Timing.ConnectTimeout, c.Timing.set&^setConnectTimeout|h.Timing.set&setConnectTimeout
		out = append(out, &n)
	}
	return out
}

// hexPayload normalises keepalived's free-format hex: groups of one or
// more digits, an odd-length group gets a leading 0 ("3" → "03").
func hexPayload(words []string, wildcards bool) (string, string) {
	var sb strings.Builder
	for _, w := range words {
		for _, ch := range w {
			ok := (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') || (wildcards && (ch == 'x' || ch == 'X'))
			if !ok {
				return "", "'" + w + "' is not hexadecimal"
			}
		}
		if len(w)%2 == 1 {
			w = w[:len(w)-1] + "0" + w[len(w)-1:]
		}
		sb.WriteString(strings.ToUpper(w))
	}
	return sb.String(), ""
}

func (b *builder) url(un *syntax.Node) (URL, bool) {
	u := URL{Pos: un.Pos, RegexMaxOffset: -1}
	nodes := b.apply(&u, un)
	// keepalived 2.2.7 url_check: regex settings without a regex, and
	// a min offset beyond the max offset, are ignored (logged).
	if nodes["regex"] == nil {
		for _, k := range []string{"regex_no_match", "regex_options", "regex_stack", "regex_min_offset", "regex_max_offset"} {
			if n := nodes[k]; n != nil {
				b.ds.Warnf(n.Pos, "%s without regex in this url block: ignored, as keepalived does", k)
			}
		}
		u.RegexNoMatch, u.RegexOptions, u.RegexStackMax, u.RegexMinOffset, u.RegexMaxOffset = false, nil, 0, 0, -1
	}
	if u.RegexMaxOffset >= 0 && u.RegexMinOffset > u.RegexMaxOffset {
		b.ds.Warnf(nodes["regex_min_offset"].Pos, "regex_min_offset %d is beyond regex_max_offset %d: both ignored, as keepalived does", u.RegexMinOffset, u.RegexMaxOffset)
		u.RegexMinOffset, u.RegexMaxOffset = 0, -1
	}
	if u.Path == "" {
		b.ds.Errorf(un.Pos, "url has no path")
		return u, false
	}
	if len(u.StatusCodes) == 0 {
		u.StatusCodes = []StatusRange{{200, 299}}
	}
	return u, true
}

// hexPattern turns a normalised hexPayload (even length, X wildcards) into
// value and mask bytes.
func hexPattern(p string) (value, mask []byte) {
	nibble := func(c byte) (v, m byte) {
		switch {
		case c == 'X':
			return 0, 0
		case c >= 'A':
			return c - 'A' + 10, 0xf
		}
		return c - '0', 0xf
	}
	for i := 0; i+1 < len(p); i += 2 {
		hv, hm := nibble(p[i])
		lv, lm := nibble(p[i+1])
		value = append(value, hv<<4|lv)
		mask = append(mask, hm<<4|lm)
	}
	return value, mask
}

// Configured reports which of the timing values were written at this
// level or one it inherits from.
func (t Timing) Configured() (connectTimeout, retry, delayBeforeRetry, warmup, delayLoop bool) {
	return t.set&setConnectTimeout != 0, t.set&setRetry != 0, t.set&setDelayBeforeRetry != 0,
		t.set&setWarmup != 0, t.set&setDelayLoop != 0
}
