package config

import (
	"encoding/hex"
	"math/bits"
	"net"
	"net/netip"
	"strings"
	"time"

	"gokeepalived/internal/config/syntax"
)

func parseMAC(s string) (net.HardwareAddr, error) { return net.ParseMAC(s) }

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

// timing reads the connect_timeout/retry/delay_before_retry/warmup/delay_loop
// keywords shared by virtual servers, real servers and checkers.
func (b *builder) timing(t *Timing, n *syntax.Node) bool {
	switch n.Keyword {
	case "connect_timeout":
		t.ConnectTimeout, t.set = b.dur(n, 0), t.set|setConnectTimeout
	case "retry", "nb_get_retry":
		t.Retry, t.set = b.int(n, 0), t.set|setRetry
	case "delay_before_retry":
		t.DelayBeforeRetry, t.set = b.dur(n, 0), t.set|setDelayBeforeRetry
	case "warmup":
		t.Warmup, t.set = b.dur(n, 0), t.set|setWarmup
	case "delay_loop":
		t.DelayLoop, t.set = b.dur(n, 0), t.set|setDelayLoop
	default:
		return false
	}
	return true
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
	rest := argTexts(n.Args[1:])
	t := Tunnel{Type: TunnelIPIP, Checksum: TunnelNoCsum}
	if m != "TUN" && len(rest) > 0 {
		b.ds.Errorf(n.Args[1].Pos, "%s %s takes no options, got '%s'", n.Keyword, m, rest[0])
		return "", nil, t, false
	}
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case "type":
			if i+1 >= len(rest) {
				b.ds.Errorf(n.Args[i+1].Pos, "%s TUN: 'type' needs ipip, gue or gre", n.Keyword)
				return "", nil, t, false
			}
			i++
			switch rest[i] {
			case "ipip", "gre":
				t.Type = rest[i]
			case "gue":
				if i+1 >= len(rest) || rest[i+1] != "port" || i+2 >= len(rest) {
					b.ds.Errorf(n.Args[i+1].Pos, "%s TUN type gue needs 'port N'", n.Keyword)
					return "", nil, t, false
				}
				p, ok := parseInt(rest[i+2])
				if !ok || p < 1 || p > 65535 {
					b.ds.Errorf(n.Args[i+3].Pos, "%s TUN type gue: port '%s' is not in [1, 65535]", n.Keyword, rest[i+2])
					return "", nil, t, false
				}
				t.Type, t.Port = "gue", uint16(p)
				i += 2
			default:
				b.ds.Errorf(n.Args[i+1].Pos, "%s TUN: type '%s' is not ipip, gue or gre", n.Keyword, rest[i])
				return "", nil, t, false
			}
		case "nocsum", "csum", "remcsum":
			t.Checksum = rest[i]
		default:
			b.ds.Errorf(n.Args[i+1].Pos, "%s TUN: unexpected '%s'", n.Keyword, rest[i])
			return "", nil, t, false
		}
	}
	return m, rest, t, true
}

// granularity reads persistence_granularity: a dotted IPv4 netmask or a
// prefix length.
func (b *builder) granularity(n *syntax.Node) int {
	s := n.Args[0].Text
	if strings.Contains(s, ".") {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			b.ds.Errorf(n.Args[0].Pos, "persistence_granularity '%s' is not a netmask", s)
			return 0
		}
		v := a.As4()
		m := uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
		bitsSet := bits.LeadingZeros32(^m)
		if m<<bitsSet != 0 {
			b.ds.Errorf(n.Args[0].Pos, "persistence_granularity '%s' is not a contiguous netmask", s)
			return 0
		}
		return bitsSet
	}
	v, ok := parseInt(s)
	if !ok || v < 1 || v > 128 {
		b.ds.Errorf(n.Args[0].Pos, "persistence_granularity '%s' is not a netmask or prefix length", s)
		return 0
	}
	return int(v)
}

func (b *builder) virtualServer(vn *syntax.Node) *VirtualServer {
	vs := &VirtualServer{Pos: vn.Pos, Scheduler: "wlc", Method: "NAT", Quorum: 1,
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
	var protoSet, persistSet, schedSet, methodSet bool
	var protoNode *syntax.Node
	for _, n := range b.good(vn.Children) {
		if b.timing(&vs.Timing, n) {
			continue
		}
		switch n.Keyword {
		case "lvs_sched", "lb_algo":
			vs.Scheduler, schedSet = n.Args[0].Text, true
		case "lvs_method", "lb_kind":
			methodSet = true
			if m, args, t, ok := b.method(n); ok {
				vs.Method, vs.TunnelArgs, vs.Tunnel = m, args, t
			}
		case "protocol":
			vs.Protocol, protoSet, protoNode = n.Args[0].Text, true, n
		case "persistence_timeout":
			persistSet = true
			vs.Persistence = 360 * time.Second
			if len(n.Args) == 1 {
				vs.Persistence = b.secs(n, 0)
			}
		case "persistence_granularity":
			vs.PersistenceBits = b.granularity(n)
		case "ip_family":
			vs.IPFamily = n.Args[0].Text
		case "sorry_server":
			rs := &RealServer{Pos: n.Pos, Addr: b.ip(n, 0), Weight: 1}
			if len(n.Args) > 1 {
				rs.Port = uint16(b.int(n, 1))
			}
			vs.Sorry = rs
		case "ha_suspend":
			vs.HASuspend = true
		case "smtp_alert":
			vs.SMTPAlert = boolPtr(b.optBool(n))
		case "virtualhost":
			vs.VirtualHost = n.Args[0].Text
		case "alpha":
			vs.Alpha = b.optBool(n)
		case "omega":
			vs.Omega = b.optBool(n)
		case "quorum":
			vs.Quorum = b.int(n, 0)
		case "hysteresis":
			vs.Hysteresis = b.int(n, 0)
		case "quorum_up":
			vs.QuorumUp = b.scriptRef(n)
		case "quorum_down":
			vs.QuorumDown = b.scriptRef(n)
		case "inhibit_on_failure":
			vs.InhibitOnFailure = b.optBool(n)
		case "real_server":
			if rs := b.realServer(vs, n); rs != nil {
				vs.RealServers = append(vs.RealServers, rs)
			}
		}
	}
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
		vs.Sorry.Method = vs.Method
		vs.Sorry.Timing = vs.Timing
	}
	return vs
}

func (b *builder) realServer(vs *VirtualServer, rn *syntax.Node) *RealServer {
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
	for _, n := range b.good(rn.Children) {
		if b.timing(&rs.Timing, n) {
			continue
		}
		switch n.Keyword {
		case "weight":
			rs.Weight = b.int(n, 0)
		case "lvs_method":
			if m, args, t, ok := b.method(n); ok {
				rs.Method, rs.TunnelArgs, rs.Tunnel = m, args, t
			}
		case "notify_up":
			rs.NotifyUp = b.scriptRef(n)
		case "notify_down":
			rs.NotifyDown = b.scriptRef(n)
		case "smtp_alert":
			rs.SMTPAlert = boolPtr(b.optBool(n))
		case "virtualhost":
			rs.VirtualHost = n.Args[0].Text
		case "alpha":
			rs.Alpha = b.optBool(n)
		case "inhibit_on_failure":
			rs.InhibitOnFailure = b.optBool(n)
		default:
			if c := b.checker(n); c != nil {
				rs.Checkers = append(rs.Checkers, c)
			}
		}
	}
	return rs
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
		switch c.Type {
		case "MISC_CHECK":
			if above&setRetry == 0 {
				c.Timing.Retry = 0
			}
		case "FILE_CHECK":
			// keepalived's file checker has no retry: it acts on each
			// change of the file, whatever retry is inherited.
			c.Timing.Retry = 0
		case "DNS_CHECK":
			if above&setRetry == 0 {
				c.Timing.Retry = 3
			}
			if above&setDelayBeforeRetry == 0 {
				c.Timing.DelayBeforeRetry = c.Timing.DelayLoop
			}
		case "HTTP_GET", "SSL_GET":
			if above&setDelayBeforeRetry == 0 {
				c.Timing.DelayBeforeRetry = 3 * time.Second
			}
			if c.HTTP.VirtualHost == "" {
				c.HTTP.VirtualHost = rs.VirtualHost
			}
		}
		if above&setWarmup == 0 {
			c.Timing.Warmup = c.Timing.DelayLoop
		}
		if c.Misc != nil && c.Misc.Timeout == 0 {
			c.Misc.Timeout = c.Timing.DelayLoop
		}
		if c.ConnectPort == 0 {
			c.ConnectPort = rs.Port
		}
	}
}

func (b *builder) checker(cn *syntax.Node) *Checker {
	c := &Checker{Pos: cn.Pos, Type: cn.Keyword}
	switch c.Type {
	case "HTTP_GET", "SSL_GET":
		c.HTTP = &HTTPCheck{Protocol: "1.0"}
	case "MISC_CHECK":
		c.Misc = &MiscCheck{}
	case "SMTP_CHECK":
		c.SMTP = &SMTPCheck{}
	case "DNS_CHECK":
		c.DNS = &DNSCheck{Type: "SOA", Name: "."}
	case "UDP_CHECK":
		c.UDP = &UDPCheck{MaxReplyLength: 255}
	case "FILE_CHECK":
		c.File = &FileCheck{Weight: 1}
	case "TCP_CHECK", "PING_CHECK":
	default:
		return nil
	}
	for _, n := range b.good(cn.Children) {
		if b.timing(&c.Timing, n) {
			continue
		}
		switch n.Keyword {
		case "connect_ip":
			c.ConnectIP = b.ip(n, 0)
		case "connect_port":
			c.ConnectPort = uint16(b.int(n, 0))
		case "bindto":
			c.BindTo = b.ip(n, 0)
		case "bind_if":
			c.BindIf = n.Args[0].Text
		case "bind_port":
			c.BindPort = uint16(b.int(n, 0))
		case "fwmark":
			c.FWMark = uint32(b.int(n, 0))
		case "alpha":
			c.Alpha = b.optBool(n)
		case "log_all_failures":
			c.LogAllFailures = b.optBool(n)
		// HTTP_GET / SSL_GET
		case "http_protocol":
			c.HTTP.Protocol = strings.ToUpper(n.Args[0].Text)
		case "fast_recovery":
			c.HTTP.FastRecovery = b.optBool(n)
		case "virtualhost":
			c.HTTP.VirtualHost = n.Args[0].Text
		case "enable_sni":
			c.HTTP.EnableSNI = true
		case "url":
			if u, ok := b.url(n); ok {
				c.HTTP.URLs = append(c.HTTP.URLs, u)
			}
		// MISC_CHECK
		case "misc_path":
			c.Misc.Command = ScriptRef{Pos: n.Pos, Args: argv(n.Args), User: c.Misc.Command.User, Group: c.Misc.Command.Group}
		case "misc_timeout":
			c.Misc.Timeout = b.secs(n, 0)
		case "misc_dynamic":
			c.Misc.Dynamic = true
		case "user":
			c.Misc.Command.User = n.Args[0].Text
			if len(n.Args) > 1 {
				c.Misc.Command.Group = n.Args[1].Text
			}
		case "helo_name":
			c.SMTP.HeloName = n.Args[0].Text
		case "type":
			c.DNS.Type = n.Args[0].Text
		case "name":
			c.DNS.Name = n.Args[0].Text
		case "payload":
			p, err := hexPayload(argTexts(n.Args), false)
			if err != "" {
				b.ds.Errorf(n.Args[0].Pos, "payload: %s", err)
				continue
			}
			c.UDP.Payload, _ = hex.DecodeString(p)
		case "require_reply":
			c.UDP.RequireReply = true
			if len(n.Args) > 0 {
				p, err := hexPayload(argTexts(n.Args), true)
				if err != "" {
					b.ds.Errorf(n.Args[0].Pos, "require_reply: %s", err)
					continue
				}
				c.UDP.ReplyPattern = p
				c.UDP.ReplyValue, c.UDP.ReplyMask = hexPattern(p)
			}
		case "min_reply_length":
			c.UDP.MinReplyLength = b.int(n, 0)
		case "max_reply_length":
			c.UDP.MaxReplyLength = b.int(n, 0)
		case "track_file":
			c.File.TrackFile = n.Args[0].Text
		case "dynamic":
			c.File.Dynamic = true
		case "weight":
			c.File.Weight, c.File.Reverse = b.weight(n)
		}
	}
	switch {
	case c.HTTP != nil && len(c.HTTP.URLs) == 0:
		b.ds.Errorf(cn.Pos, "%s has no url block", c.Type)
	case c.Misc != nil && len(c.Misc.Command.Args) == 0:
		b.ds.Errorf(cn.Pos, "MISC_CHECK has no misc_path")
	case c.File != nil && c.File.TrackFile == "":
		b.ds.Errorf(cn.Pos, "FILE_CHECK has no track_file")
	case c.UDP != nil && c.UDP.MinReplyLength > c.UDP.MaxReplyLength:
		b.ds.Errorf(cn.Pos, "UDP_CHECK: min_reply_length %d is above max_reply_length %d", c.UDP.MinReplyLength, c.UDP.MaxReplyLength)
	}
	return c
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

func (b *builder) url(un *syntax.Node) (URL, bool) {
	u := URL{Pos: un.Pos}
	for _, n := range b.good(un.Children) {
		switch n.Keyword {
		case "path":
			u.Path = n.Args[0].Text
		case "digest":
			d := strings.ToLower(n.Args[0].Text)
			if _, err := hex.DecodeString(d); err != nil || len(d) != 32 {
				b.ds.Errorf(n.Args[0].Pos, "digest '%s' is not an MD5 sum (32 hexadecimal digits)", n.Args[0].Text)
				continue
			}
			u.Digest = d
		case "status_code":
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
		case "virtualhost":
			u.VirtualHost = n.Args[0].Text
		}
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

func (b *builder) ssl(sn *syntax.Node) *SSLConfig {
	s := &SSLConfig{Pos: sn.Pos}
	for _, n := range b.good(sn.Children) {
		switch n.Keyword {
		case "password":
			s.Password = n.Args[0].Text
		case "ca":
			s.CA = n.Args[0].Text
		case "certificate":
			s.Certificate = n.Args[0].Text
		case "key":
			s.KeyFile = n.Args[0].Text
		}
	}
	return s
}
