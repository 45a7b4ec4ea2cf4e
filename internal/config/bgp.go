package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gokeepalived/internal/config/syntax"
)

// The bgp block is gokeepalived's own (keepalived 2.2.7 has no BGP): an
// embedded BGP speaker (GoBGP as a library, internal/bgprun) announces
// VRRP instances' VIPs and virtual servers' addresses as host routes to
// routers (docs/bgp.md). It may stand in keepalived.conf or in a file
// of its own (--bgp-config), so that keepalived.conf stays readable by
// keepalived.

// BGP is the bgp block.
type BGP struct {
	Pos      Pos
	RouterID netip.Addr // router_id (required, IPv4)
	LocalAS  uint32     // local_as (required)
	// ListenPort is listen_port: 0 (the default) does not listen, the
	// speaker only connects to its neighbors.
	ListenPort int
	// GracefulShutdownDelay is how long routes are announced with the
	// GRACEFUL_SHUTDOWN community (RFC 8326) and local-pref 0 before
	// they are withdrawn, on stop and on maintenance; 0 withdraws at once.
	GracefulShutdownDelay time.Duration
	Neighbors             []*BGPNeighbor
	VRRP                  []*BGPAnnounce // announce_vrrp
	VirtualServers        []*BGPAnnounce // announce_virtual_server
}

// BGPNeighbor is one neighbor ADDR { } block.
type BGPNeighbor struct {
	Pos           Pos
	Address       netip.Addr
	RemoteAS      uint32
	Port          int // remote TCP port (default 179)
	LocalAddress  netip.Addr
	Password      string // TCP MD5 (RFC 2385)
	HoldTime      time.Duration
	KeepaliveTime time.Duration
	Multihop      int // eBGP multihop TTL; 0: directly connected
	TTLSecurity   int // GTSM (RFC 5082) hops; 0: off
	Passive       bool
	// TrackBFD names the bfd_instance whose session guards this one:
	// while it is down the BGP session is held down and its routes gone.
	TrackBFD string
}

// BGP defaults (RFC 4271's suggested hold time; keepalive a third of it).
const (
	BGPDefaultHoldTime  = 90 * time.Second
	BGPDefaultKeepalive = 30 * time.Second
)

// Backup policies of announce_vrrp: what a BACKUP instance announces.
const (
	BGPBackupWithdraw  = "withdraw"
	BGPBackupPrepend   = "prepend"
	BGPBackupLocalPref = "local_pref"
	BGPBackupMED       = "med"
)

// BGPAnnounce is an announce_vrrp NAME or announce_virtual_server ADDR
// PORT block: what to announce and with which attributes.
type BGPAnnounce struct {
	Pos Pos
	// Instance is announce_vrrp's vrrp_instance.
	Instance string
	// Addr and Port name announce_virtual_server's virtual server; Port 0
	// matches every virtual server on Addr.
	Addr netip.Addr
	Port int
	// Backup is what a BACKUP instance announces (announce_vrrp only):
	// withdraw (default), prepend N, local_pref N or med N.
	Backup      string
	BackupValue int
	// Communities are RFC 1997 communities (high<<16 | low).
	Communities      []uint32
	LargeCommunities [][3]uint32
	LocalPref        int // -1: not set
	MED              int // -1: not set
}

// Name is how logs and status name the announcement.
func (a *BGPAnnounce) Name() string {
	if a.Instance != "" {
		return "vrrp " + a.Instance
	}
	if a.Port == 0 {
		return "virtual_server " + a.Addr.String()
	}
	return "virtual_server " + netip.AddrPortFrom(a.Addr, uint16(a.Port)).String()
}

func (b *builder) bgp(n *syntax.Node) *BGP {
	g := &BGP{Pos: n.Pos}
	nodes := b.apply(g, n)
	if _, given := nodes["router_id"]; !given && !g.RouterID.IsValid() {
		b.ds.Errorf(n.Pos, "bgp: 'router_id' is required")
	}
	if _, given := nodes["local_as"]; !given && g.LocalAS == 0 {
		b.ds.Errorf(n.Pos, "bgp: 'local_as' is required")
	}
	if _, given := nodes["neighbor"]; !given && len(g.Neighbors) == 0 {
		b.ds.Errorf(n.Pos, "bgp: no 'neighbor' to announce to")
	}
	seen := map[netip.Addr]*BGPNeighbor{}
	for _, nb := range g.Neighbors {
		if o := seen[nb.Address]; o != nil {
			b.ds.Errorf(nb.Pos, "bgp: neighbor %s is already defined at %s", nb.Address, o.Pos)
		}
		seen[nb.Address] = nb
	}
	inst := map[string]*BGPAnnounce{}
	for _, a := range g.VRRP {
		if o := inst[a.Instance]; o != nil {
			b.ds.Errorf(a.Pos, "bgp: announce_vrrp %s is already defined at %s", a.Instance, o.Pos)
		}
		inst[a.Instance] = a
	}
	return g
}

func (b *builder) bgpNeighbor(n *syntax.Node) *BGPNeighbor {
	nb := &BGPNeighbor{Pos: n.Pos, HoldTime: BGPDefaultHoldTime, Port: 179}
	addr, err := netip.ParseAddr(n.Args[0].Text)
	if err != nil {
		b.ds.Errorf(n.Args[0].Pos, "bgp neighbor: '%s' is not an IP address", n.Args[0].Text)
		return nil
	}
	nb.Address = addr.Unmap()
	nodes := b.apply(nb, n)
	if nb.RemoteAS == 0 {
		b.ds.Errorf(n.Pos, "bgp neighbor %s: 'remote_as' is required", nb.Address)
	}
	if _, set := nodes["keepalive_time"]; !set {
		nb.KeepaliveTime = nb.HoldTime / 3
	}
	if nb.HoldTime != 0 && nb.KeepaliveTime >= nb.HoldTime {
		b.ds.Errorf(nodes["keepalive_time"].Pos, "bgp neighbor %s: keepalive_time %s must be less than hold_time %s", nb.Address, fmtDur(nb.KeepaliveTime), fmtDur(nb.HoldTime))
	}
	if nb.Multihop != 0 && nb.TTLSecurity != 0 {
		b.ds.Errorf(nodes["ttl_security"].Pos, "bgp neighbor %s: 'multihop' and 'ttl_security' exclude each other", nb.Address)
	}
	if nb.LocalAddress.IsValid() && nb.LocalAddress.Is4() != nb.Address.Is4() {
		b.ds.Errorf(nodes["local_address"].Pos, "bgp neighbor %s: local_address %s is of another family", nb.Address, nb.LocalAddress)
	}
	return nb
}

func (b *builder) bgpAnnounceVRRP(n *syntax.Node) *BGPAnnounce {
	a := &BGPAnnounce{Pos: n.Pos, Instance: n.Args[0].Text, Backup: BGPBackupWithdraw, LocalPref: -1, MED: -1}
	b.apply(a, n)
	return a
}

func (b *builder) bgpAnnounceVS(n *syntax.Node) *BGPAnnounce {
	a := &BGPAnnounce{Pos: n.Pos, LocalPref: -1, MED: -1}
	addr, err := netip.ParseAddr(n.Args[0].Text)
	if err != nil {
		b.ds.Errorf(n.Args[0].Pos, "bgp announce_virtual_server: '%s' is not an IP address", n.Args[0].Text)
		return nil
	}
	a.Addr = addr.Unmap()
	if len(n.Args) > 1 {
		p, err := strconv.Atoi(n.Args[1].Text)
		if err != nil || p < 1 || p > 65535 {
			b.ds.Errorf(n.Args[1].Pos, "bgp announce_virtual_server %s: port '%s' is not in [1, 65535]", a.Addr, n.Args[1].Text)
			return nil
		}
		a.Port = p
	}
	nodes := b.apply(a, n)
	if bn := nodes["backup"]; bn != nil {
		b.ds.Errorf(bn.Pos, "bgp %s: 'backup' is for announce_vrrp; a virtual server is announced while its quorum is up", a.Name())
	}
	return a
}

// parseCommunity reads ASN:VALUE (each 0-65535) or a well-known name.
func parseCommunity(s string) (uint32, bool) {
	switch strings.ToLower(s) {
	case "no-export", "no_export":
		return 0xFFFFFF01, true
	case "no-advertise", "no_advertise":
		return 0xFFFFFF02, true
	case "blackhole":
		return 0xFFFF029A, true
	}
	hi, lo, ok := strings.Cut(s, ":")
	if !ok {
		return 0, false
	}
	h, err1 := strconv.ParseUint(hi, 10, 16)
	l, err2 := strconv.ParseUint(lo, 10, 16)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return uint32(h)<<16 | uint32(l), true
}

// CommunityString formats a community as ASN:VALUE.
func CommunityString(c uint32) string { return fmt.Sprintf("%d:%d", c>>16, c&0xFFFF) }

// parseLargeCommunity reads GLOBAL:DATA1:DATA2 (RFC 8092, each 0-4294967295).
func parseLargeCommunity(s string) ([3]uint32, bool) {
	parts := strings.Split(s, ":")
	var out [3]uint32
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return out, false
		}
		out[i] = uint32(v)
	}
	return out, true
}

// validateBGP checks the references of the bgp block against the rest.
func validateBGP(c *Config, ds *Diagnostics) {
	g := c.BGP
	if g == nil {
		return
	}
	for _, nb := range g.Neighbors {
		if nb.TrackBFD != "" && !hasBFD(c, nb.TrackBFD) {
			ds.Errorf(nb.Pos, "bgp neighbor %s: track_bfd %s names no bfd_instance", nb.Address, nb.TrackBFD)
		}
	}
	for _, a := range g.VRRP {
		found := false
		for _, v := range c.Instances {
			found = found || v.Name == a.Instance
		}
		if !found {
			ds.Errorf(a.Pos, "bgp: announce_vrrp %s names no vrrp_instance", a.Instance)
		}
	}
	for _, a := range g.VirtualServers {
		found := false
		for _, vs := range c.VirtualServers {
			found = found || (vs.Addr == a.Addr && (a.Port == 0 || int(vs.Port) == a.Port))
		}
		if !found {
			ds.Errorf(a.Pos, "bgp: announce_%s names no virtual_server", a.Name())
		}
	}
}

func hasBFD(c *Config, name string) bool {
	for _, b := range c.BFDInstances {
		if b.Name == name {
			return true
		}
	}
	return false
}
