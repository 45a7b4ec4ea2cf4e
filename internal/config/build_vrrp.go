package config

import (
	"fmt"
	"math"
	"net/netip"
	"time"

	"gokeepalived/internal/config/syntax"
)

// instance builds one vrrp_instance and runs the checks that need only
// the instance itself; cross-object checks are in validate.go.
func (b *builder) instance(in *syntax.Node) *Instance {
	g := &b.cfg.Global
	v := &Instance{
		Pos: in.Pos, Name: in.Args[0].Text,
		State: "BACKUP", Priority: 100, AdvertInt: time.Second,
		Version: g.VRRPVersion, Preempt: true, Accept: true,
		Strict: g.Strict, SkipCheckAdvAddr: g.SkipCheckAdvAddr, V3ChecksumAsV2: g.V3ChecksumAsV2,
		CheckUnicastSrc:   g.CheckUnicastSrc,
		LowerPrioNoAdvert: g.LowerPrioNoAdvert, HigherPrioSendAdvert: g.HigherPrioSendAdvert,
		DownTimerAdverts: g.DownTimerAdverts, UnicastTTL: 255, GARP: g.GARP, GARPExtraIf: g.GARPExtraIf,
	}
	errsBefore := len(*b.ds)
	nodes := b.apply(v, in) // last node of each keyword, for positions
	b.noteEarlyTracks("vrrp_instance "+v.Name, v.TrackScript, v.TrackFile, v.TrackProcess)
	lowerDelaySet, lowerRepeatSet := nodes["garp_lower_prio_delay"] != nil, nodes["garp_lower_prio_repeat"] != nil
	acceptSet := nodes["accept"] != nil || nodes["no_accept"] != nil
	versionNode := nodes["version"]
	// Instance-level garp_master_* also move the lower-priority defaults.
	if !lowerDelaySet && nodes["garp_master_delay"] != nil {
		v.GARP.LowerPrioDelay = v.GARP.MasterDelay
	}
	if !lowerRepeatSet && nodes["garp_master_repeat"] != nil {
		v.GARP.LowerPrioRepeat = v.GARP.MasterRepeat
	}

	for i := range v.Routes {
		if r := &v.Routes[i]; r.Type == RouteUnicast && r.Dev == "" {
			r.Dev = v.Interface
			if !r.NoTrack {
				// keepalived 2.2.7 leaves such a route to the kernel's
				// choice of device and does not track it ("cannot track
				// route ... with no interface specified"; -t exits 5).
				b.ds.Warnf(r.Pos, "vrrp_instance %s: virtual_routes route %s has no dev: gokeepalived uses the instance's interface %s and tracks it; keepalived 2.2.7 lets the kernel choose the device and does not track it: write 'dev IFNAME'", v.Name, r.Dst, v.Interface)
			}
		}
	}

	// Family from the first VIP; IPv6 always runs VRRPv3.
	v.Family = 4
	if len(v.VIPs) > 0 && v.VIPs[0].Prefix.Addr().Is6() {
		v.Family = 6
	} else if len(v.VIPs) == 0 && len(v.UnicastPeers) > 0 && v.UnicastPeers[0].Addr.Is6() {
		v.Family = 6
	} else if len(v.VIPs) == 0 && v.McastDst.Is6() {
		v.Family = 6
	}
	if v.NativeIPv6 {
		if v.Family == 4 && len(v.VIPs) > 0 {
			b.ds.Errorf(nodes["native_ipv6"].Pos, "vrrp_instance %s: native_ipv6 with IPv4 virtual addresses", v.Name)
		}
		v.Family = 6
	}
	v.VIPs = b.sameFamily(v, v.VIPs)
	b.checkMcastDst(v, nodes["mcast_dst_ip"])
	b.checkUnicastFamily(v, nodes["unicast_src_ip"])
	b.checkTrackOwnInterface(v)
	if v.Family == 6 && v.Version == 2 {
		if versionNode != nil {
			b.ds.Errorf(versionNode.Args[0].Pos, "vrrp_instance %s: VRRP version 2 cannot carry IPv6 addresses; IPv6 instances use version 3", v.Name)
		}
		v.Version = 3
	}

	b.checkRequired(v, in, nodes)
	b.checkVMAC(v, nodes)
	b.checkAdvertInt(v, nodes["advert_int"])
	b.checkAuth(v, nodes["authentication"])
	b.checkStrict(v, in, nodes)
	if !acceptSet && v.Strict {
		v.Accept = v.Priority == 255
	}
	if n := nodes["no_accept"]; n != nil && !v.Accept && !b.errorsSince(errsBefore) {
		b.warnRefusingVIPs(v, n.Pos, false)
	} else if !v.Accept && !b.errorsSince(errsBefore) {
		b.warnRefusingVIPs(v, in.Pos, v.Strict)
	}
	if v.State == "MASTER" && !v.Preempt && nodes["nopreempt"] != nil {
		b.ds.Warnf(nodes["nopreempt"].Pos, "vrrp_instance %s: nopreempt has no effect with state MASTER; use state BACKUP on every node", v.Name)
	}
	if v.OldUnicastChecksum == "on" && (v.Version != 3 || v.Family != 4 || len(v.UnicastPeers) == 0) {
		b.ds.Warnf(nodes["old_unicast_checksum"].Pos, "vrrp_instance %s: old_unicast_checksum applies only to unicast VRRPv3 over IPv4; it changes nothing here", v.Name)
	}
	if v.TrackSrcIP && !v.UnicastSrc.IsValid() && !v.McastSrc.IsValid() {
		// keepalived clears it silently.
		b.ds.Warnf(nodes["track_src_ip"].Pos, "vrrp_instance %s: track_src_ip without unicast_src_ip or mcast_src_ip tracks nothing (the source is the interface's own address)", v.Name)
	}
	if v.PromoteSecondaries && v.UseVMAC {
		// keepalived reports a configuration error and drops it.
		b.ds.Errorf(nodes["promote_secondaries"].Pos, "vrrp_instance %s: promote_secondaries is set automatically for use_vmac interfaces; remove it", v.Name)
	}
	if v.PreemptDelay > 0 && !v.Preempt {
		b.ds.Warnf(nodes["preempt_delay"].Pos, "vrrp_instance %s: preempt_delay has no effect with nopreempt", v.Name)
	}
	return v
}

func (b *builder) checkRequired(v *Instance, in *syntax.Node, nodes map[string]*syntax.Node) {
	if nodes["virtual_router_id"] == nil {
		b.ds.Errorf(in.Pos, "vrrp_instance %s has no virtual_router_id", v.Name)
	}
	if v.Interface == "" {
		linkLocal := false
		for _, p := range v.UnicastPeers {
			linkLocal = linkLocal || p.Addr.IsLinkLocalUnicast()
		}
		switch {
		case len(v.UnicastPeers) == 0:
			b.ds.Errorf(in.Pos, "vrrp_instance %s has no interface (only unicast instances may omit it)", v.Name)
		case linkLocal:
			b.ds.Errorf(in.Pos, "vrrp_instance %s has link-local unicast peers and so needs an interface", v.Name)
		}
	}
	if len(v.VIPs) == 0 && !v.Strict {
		b.ds.Warnf(in.Pos, "vrrp_instance %s has no virtual_ipaddress", v.Name)
	}
}

// checkAdvertInt applies RFC 3768 (whole seconds 1..255) or RFC 5798
// (centiseconds 1..4095) to advert_int.
func (b *builder) checkAdvertInt(v *Instance, n *syntax.Node) {
	if n == nil {
		return
	}
	pos := n.Args[0].Pos
	secs := v.AdvertInt.Seconds()
	if v.Version == 2 {
		if secs != math.Trunc(secs) || secs < 1 || secs > 255 {
			b.ds.Errorf(pos, "vrrp_instance %s: VRRPv2 advert_int must be whole seconds in [1, 255], got %s; use 'version 3' for sub-second intervals", v.Name, n.Args[0].Text)
		}
		return
	}
	cs := v.AdvertInt / (10 * time.Millisecond)
	switch {
	case v.AdvertInt%(10*time.Millisecond) != 0:
		b.ds.Errorf(pos, "vrrp_instance %s: VRRPv3 advert_int is in centiseconds; %s is not a multiple of 0.01", v.Name, n.Args[0].Text)
	case cs < 1 || cs > 4095:
		b.ds.Errorf(pos, "vrrp_instance %s: VRRPv3 advert_int must be in [0.01, 40.95] seconds, got %s", v.Name, n.Args[0].Text)
	}
}

func (b *builder) checkAuth(v *Instance, n *syntax.Node) {
	if v.Auth == nil {
		return
	}
	if v.Auth.Type == "" {
		b.ds.Errorf(n.Pos, "vrrp_instance %s: authentication has no auth_type", v.Name)
	}
	if v.Auth.Type == "PASS" && v.Auth.Pass == "" {
		b.ds.Errorf(n.Pos, "vrrp_instance %s: authentication has no auth_pass", v.Name)
	}
	if v.Version == 3 && !v.Strict {
		b.ds.Errorf(n.Pos, "vrrp_instance %s: authentication exists only in VRRPv2, this instance runs version 3", v.Name)
	}
}

// checkStrict applies what vrrp_strict / strict_mode enforce (keepalived.conf(5)).
func (b *builder) checkStrict(v *Instance, in *syntax.Node, nodes map[string]*syntax.Node) {
	if !v.Strict {
		return
	}
	if n := nodes["state"]; n != nil && v.State == "MASTER" && v.Priority != 255 {
		b.ds.Errorf(n.Args[0].Pos, "vrrp_instance %s: state MASTER under vrrp_strict requires priority 255 (address owner), priority is %d", v.Name, v.Priority)
	}
	if n := nodes["authentication"]; n != nil {
		b.ds.Errorf(n.Pos, "vrrp_instance %s: authentication is not allowed under vrrp_strict (keepalived ignores it)", v.Name)
	}
	if len(v.VIPs) == 0 {
		b.ds.Errorf(in.Pos, "vrrp_instance %s: vrrp_strict requires at least one virtual_ipaddress", v.Name)
	}
	if n := nodes["unicast_peer"]; n != nil {
		b.ds.Errorf(n.Pos, "vrrp_instance %s: unicast_peer is not allowed under vrrp_strict", v.Name)
	}
	if n := nodes["preempt_delay"]; n != nil {
		b.ds.Errorf(n.Pos, "vrrp_instance %s: preempt_delay is not allowed under vrrp_strict", v.Name)
	}
	if n := nodes["accept"]; n != nil && v.Version == 2 && v.Accept {
		b.ds.Errorf(n.Pos, "vrrp_instance %s: accept mode is not allowed for VRRPv2 under vrrp_strict", v.Name)
	}
	if n := nodes["higher_prio_send_advert"]; n != nil && v.HigherPrioSendAdvert {
		b.ds.Errorf(n.Pos, "vrrp_instance %s: higher_prio_send_advert is not allowed under vrrp_strict", v.Name)
	}
	if n := nodes["lower_prio_no_advert"]; n != nil && !v.LowerPrioNoAdvert {
		b.ds.Errorf(n.Pos, "vrrp_instance %s: lower_prio_no_advert cannot be cleared under vrrp_strict", v.Name)
	}
	v.LowerPrioNoAdvert = true
	if n := nodes["vmac_xmit_base"]; n != nil {
		b.ds.Errorf(n.Pos, "vrrp_instance %s: vmac_xmit_base is not allowed under vrrp_strict", v.Name)
	}
	if v.Family == 6 && len(v.VIPs) > 0 && !v.VIPs[0].Prefix.Addr().IsLinkLocalUnicast() {
		b.ds.Errorf(v.VIPs[0].Pos, "vrrp_instance %s: under vrrp_strict the first IPv6 virtual address must be link-local", v.Name)
	}
}

// checkMcastDst applies keepalived's checks of mcast_dst_ip (each a
// configuration error there): the instance's family, a multicast group
// (link-local scope for IPv6), and no unicast peers.
func (b *builder) checkMcastDst(v *Instance, n *syntax.Node) {
	a := v.McastDst
	if n == nil || !a.IsValid() {
		return
	}
	pos := n.Args[0].Pos
	switch {
	case a.Is6() != (v.Family == 6):
		b.ds.Errorf(pos, "vrrp_instance %s: mcast_dst_ip %s must be of the instance's family (IPv%d)", v.Name, a, v.Family)
	case a.Is4() && !a.IsMulticast():
		b.ds.Errorf(pos, "vrrp_instance %s: mcast_dst_ip %s is not a multicast address", v.Name, a)
	case a.Is6() && !a.IsLinkLocalMulticast():
		b.ds.Errorf(pos, "vrrp_instance %s: mcast_dst_ip %s is not a link-local multicast address (ff02::/16)", v.Name, a)
	case len(v.UnicastPeers) > 0:
		b.ds.Errorf(pos, "vrrp_instance %s: mcast_dst_ip has no meaning with unicast_peer (adverts go to the peers)", v.Name)
	}
}

// sameFamily drops (with an error) VIPs whose family differs from the
// instance's; keepalived 2.2.7 logs "address family must match VRRP
// instance" and ignores them.
func (b *builder) sameFamily(v *Instance, vips []VIP) []VIP {
	out := vips[:0]
	for _, ip := range vips {
		is6 := ip.Prefix.Addr().Is6()
		if is6 != (v.Family == 6) {
			b.ds.Errorf(ip.Pos, "vrrp_instance %s: %s is IPv%s but the instance is IPv%d (from its first virtual address); move it to virtual_ipaddress_excluded",
				v.Name, ip.Prefix.Addr(), map[bool]string{true: "6", false: "4"}[is6], v.Family)
			continue
		}
		out = append(out, ip)
	}
	return out
}

var vipOptions = []string{"brd", "broadcast", "dev", "scope", "label", "peer", "home", "-nodad", "nodad", "mngtmpaddr", "noprefixroute", "autojoin", "no_track", "preferred_lft", "use_vmac", "track_group"}

// vips parses the lines of virtual_ipaddress(_excluded).
func (b *builder) vips(n *syntax.Node) []VIP {
	var out []VIP
	for _, l := range n.Children {
		if b.bad[l] {
			continue
		}
		p, ok := parsePrefix(l.Keyword)
		if !ok {
			b.ds.Errorf(l.Pos, "%s: '%s' is not an IP address or ADDR/LEN", n.Keyword, l.Keyword)
			continue
		}
		if p.Bits() < 0 || (p.Addr().Is4() && p.Bits() > 32) {
			b.ds.Errorf(l.Pos, "%s: bad prefix length in '%s'", n.Keyword, l.Keyword)
			continue
		}
		vip := VIP{Pos: l.Pos, Prefix: p}
		if ok := b.vipOptions(n.Keyword, l, &vip); ok {
			out = append(out, vip)
		}
	}
	return out
}

func (b *builder) vipOptions(block string, l *syntax.Node, vip *VIP) bool {
	args := l.Args
	ok, scopeSet := true, false
	value := func(i int) (string, bool) {
		if i+1 >= len(args) {
			b.ds.Errorf(args[i].Pos, "%s %s: '%s' needs a value", block, l.Keyword, args[i].Text)
			ok = false
			return "", false
		}
		return args[i+1].Text, true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch a.Text {
		case "brd", "broadcast", "dev", "scope", "label", "peer", "preferred_lft", "track_group":
			val, has := value(i)
			if !has {
				return false
			}
			i++
			switch a.Text {
			case "brd", "broadcast":
				ok = b.vipBroadcast(block, l, args[i], vip) && ok
			case "dev":
				vip.Dev = val
			case "scope":
				s, valid := parseScope(val)
				if !valid {
					b.ds.Errorf(args[i].Pos, "%s %s: scope '%s' is not one of global|site|link|host|nowhere or a number", block, l.Keyword, val)
					ok = false
				}
				vip.Scope, scopeSet = s, true
			case "label":
				vip.Label = val
			case "peer":
				pa, isIP := parseIP(val)
				if !isIP {
					b.ds.Errorf(args[i].Pos, "%s %s: peer '%s' is not an IP address", block, l.Keyword, val)
					ok = false
				}
				vip.Peer = pa
			case "preferred_lft":
				if _, isNum := parseInt(val); !isNum && val != "forever" {
					b.ds.Errorf(args[i].Pos, "%s %s: preferred_lft '%s' is not a number or 'forever'", block, l.Keyword, val)
					ok = false
				}
				vip.PreferredLft = val
			case "track_group":
				switch {
				case block != "static_ipaddress":
					b.ds.Errorf(a.Pos, "%s %s: track_group applies only to static_ipaddress", block, l.Keyword)
					ok = false
				case vip.TrackGroup != "":
					b.ds.Errorf(args[i].Pos, "%s %s: track_group %s is a duplicate", block, l.Keyword, val)
					ok = false
				default:
					vip.TrackGroup = val
				}
			}
		case "home":
			vip.Home = true
		case "-nodad", "nodad":
			vip.NoDAD = true
		case "mngtmpaddr":
			vip.MngTmpAddr = true
		case "noprefixroute":
			vip.NoPrefixRoute = true
		case "autojoin":
			vip.AutoJoin = true
		case "no_track":
			vip.NoTrack = true
		case "use_vmac":
			if block == "static_ipaddress" {
				b.ds.Errorf(a.Pos, "%s %s: use_vmac applies only to virtual addresses", block, l.Keyword)
				ok = false
			}
			vip.UseVMAC = true
		default:
			msg := fmt.Sprintf("%s %s: unknown option '%s'", block, l.Keyword, a.Text)
			if s := suggestFrom(vipOptions, a.Text); s != "" {
				msg += fmt.Sprintf("; did you mean '%s'?", s)
			}
			b.ds.Errorf(a.Pos, "%s", msg)
			ok = false
		}
	}
	if !scopeSet && vip.Prefix.Addr().Is6() && vip.Prefix.Addr().IsLinkLocalUnicast() {
		vip.Scope = ScopeLink
	}
	return ok
}

// vipBroadcast reads the value of brd: an IPv4 address, '+' (the prefix's
// last address) or '-' (none). keepalived refuses brd on IPv6 addresses.
func (b *builder) vipBroadcast(block string, l *syntax.Node, val syntax.Arg, vip *VIP) bool {
	p := vip.Prefix
	if p.Addr().Is6() {
		b.ds.Errorf(val.Pos, "%s %s: brd applies only to IPv4 addresses", block, l.Keyword)
		return false
	}
	switch val.Text {
	case "-":
	case "+":
		if p.Bits() < 31 {
			vip.Broadcast = lastAddr(p)
		}
	default:
		a, isIP := parseIP(val.Text)
		if !isIP || !a.Is4() {
			b.ds.Errorf(val.Pos, "%s %s: brd '%s' is not an IPv4 address, '+' or '-'", block, l.Keyword, val.Text)
			return false
		}
		vip.Broadcast = a
	}
	return true
}

// lastAddr is the last address of an IPv4 prefix (its broadcast address).
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// suggestFrom returns the word of list nearest to s, or "".
func suggestFrom(list []string, s string) string {
	return suggest(newBlock("", wordsAsKeywords(list)...), s)
}

func wordsAsKeywords(list []string) []*Keyword {
	out := make([]*Keyword, len(list))
	for i, w := range list {
		out[i] = flag(w)
	}
	return out
}

// routes parses virtual_routes lines (routes.go); a unicast route without
// dev goes on the instance's interface, set by instance once it is known.
func (b *builder) routes(n *syntax.Node) []Route {
	var out []Route
	for _, l := range n.Children {
		if b.bad[l] {
			continue
		}
		r, err := parseRoute(l, n.Keyword)
		if err != nil {
			b.ds.Errorf(err.pos, "%s", err.msg)
			continue
		}
		out = append(out, r)
	}
	return out
}

// rules parses virtual_rules lines (routes.go).
func (b *builder) rules(n *syntax.Node) []Rule {
	var out []Rule
	for _, l := range n.Children {
		if b.bad[l] {
			continue
		}
		r, err := parseRule(l, n.Keyword)
		if err != nil {
			b.ds.Errorf(err.pos, "%s", err.msg)
			continue
		}
		out = append(out, r)
	}
	return out
}

// peers parses unicast_peer lines: IP [min_ttl N] [max_ttl N].
func (b *builder) peers(n *syntax.Node) []UnicastPeer {
	if len(n.Children) == 0 {
		b.ds.Errorf(n.Pos, "unicast_peer block is empty; list at least one peer (keepalived 2.2.7 would silently fall back to multicast)")
		return nil
	}
	var out []UnicastPeer
	for _, l := range n.Children {
		if b.bad[l] {
			continue
		}
		a, cut, ok := parseIPDropLen(l.Keyword)
		if !ok {
			b.ds.Errorf(l.Pos, "unicast_peer: '%s' is not an IP address", l.Keyword)
			continue
		}
		if cut != "" {
			b.ds.Warnf(l.Pos, "unicast_peer '%s': '%s' is ignored (as keepalived does); the peer is %s", l.Keyword, cut, a)
		}
		p := UnicastPeer{Pos: l.Pos, Addr: a, MinTTL: -1, MaxTTL: -1}
		for i := 0; i < len(l.Args); i++ {
			w := l.Args[i]
			if (w.Text != "min_ttl" && w.Text != "max_ttl") || i+1 >= len(l.Args) {
				b.ds.Errorf(w.Pos, "unicast_peer %s: unexpected '%s' (expected: IP [min_ttl N] [max_ttl N])", l.Keyword, w.Text)
				ok = false
				break
			}
			v, isInt := parseInt(l.Args[i+1].Text)
			if !isInt || v < 0 || v > 255 {
				b.ds.Errorf(l.Args[i+1].Pos, "unicast_peer %s: %s '%s' is out of range [0, 255]", l.Keyword, w.Text, l.Args[i+1].Text)
				ok = false
				break
			}
			if w.Text == "min_ttl" {
				p.MinTTL = int(v)
			} else {
				p.MaxTTL = int(v)
			}
			i++
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

func argTexts(args []syntax.Arg) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a.Text
	}
	return out
}

// checkUnicastFamily refuses unicast peers (and a unicast_src_ip) of the
// other address family than the instance's. keepalived 2.2.7 logs "VRRP
// instance and unicast peer address MUST be of the same family !!!
// Skipping...", drops the peer, may fall back to multicast, and -t exits 5.
func (b *builder) checkUnicastFamily(v *Instance, src *syntax.Node) {
	is6 := v.Family == 6
	if src != nil && v.UnicastSrc.IsValid() && v.UnicastSrc.Is6() != is6 {
		b.ds.Errorf(src.Args[0].Pos, "vrrp_instance %s: unicast_src_ip %s is IPv%s but the instance is IPv%d",
			v.Name, v.UnicastSrc, map[bool]string{true: "6", false: "4"}[v.UnicastSrc.Is6()], v.Family)
	}
	peers := v.UnicastPeers[:0]
	for _, p := range v.UnicastPeers {
		if p.Addr.Is6() != is6 {
			b.ds.Errorf(p.Pos, "vrrp_instance %s: unicast_peer %s is IPv%s but the instance is IPv%d; an instance's peers are all of its family",
				v.Name, p.Addr, map[bool]string{true: "6", false: "4"}[p.Addr.Is6()], v.Family)
			continue
		}
		peers = append(peers, p)
	}
	v.UnicastPeers = peers
}

// checkTrackOwnInterface warns about a track_interface entry naming the
// instance's own interface, which is tracked anyway (a failure of it is a
// FAULT). keepalived 2.2.7 logs "Ignoring track_interface IF since own
// interface", drops the entry with its weight (also with
// dont_track_primary), and -t exits 5; we drop it too but only warn.
func (b *builder) checkTrackOwnInterface(v *Instance) {
	if v.Interface == "" {
		return
	}
	kept := v.TrackInterface[:0]
	for _, t := range v.TrackInterface {
		if t.Name == v.Interface {
			b.ds.Warnf(t.Pos, "vrrp_instance %s: track_interface %s is the instance's own interface, tracked by itself unless dont_track_primary; this line and its weight are ignored, as keepalived does", v.Name, t.Name)
			continue
		}
		kept = append(kept, t)
	}
	v.TrackInterface = kept
}
