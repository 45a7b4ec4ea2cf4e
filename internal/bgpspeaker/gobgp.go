// Package bgpspeaker fits GoBGP (github.com/osrg/gobgp/v4, used as a
// library: no gobgpd process, no gRPC listener) to internal/bgprun's
// Speaker port. It is a thin adapter: what to announce, to whom and when
// is decided by internal/bgp and internal/bgprun.
package bgpspeaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	gbgp "github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"

	"gokeepalived/internal/bgp"
	"gokeepalived/internal/bgprun"
)

// GoBGP is a Speaker backed by an embedded GoBGP server.
type GoBGP struct {
	Logger *slog.Logger

	mu sync.Mutex
	s  *server.BgpServer
	g  bgprun.Global
}

var _ bgprun.Speaker = (*GoBGP)(nil)

func (b *GoBGP) srv() (*server.BgpServer, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.s == nil {
		return nil, bgprun.ErrStopped
	}
	return b.s, nil
}

// Start creates and starts the server.
func (b *GoBGP) Start(g bgprun.Global) error {
	log := b.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lvl := &slog.LevelVar{}
	lvl.Set(slog.LevelInfo)
	// GoBGP's own log, from INFO (peer up/down, notifications): its DEBUG
	// lines (every UPDATE) would flood a -D log; our loop logs every decision.
	glog := slog.New(minLevel{log.Handler(), slog.LevelInfo}).With("component", "gobgp")
	s := server.NewBgpServer(server.LoggerOption(glog, lvl))
	go s.Serve()
	port := int32(g.ListenPort)
	if port == 0 {
		port = -1 // do not listen
	}
	if err := s.StartBgp(context.Background(), &api.StartBgpRequest{Global: &api.Global{
		Asn: g.LocalAS, RouterId: g.RouterID.String(), ListenPort: port}}); err != nil {
		s.Stop()
		return fmt.Errorf("starting BGP: %w", err)
	}
	b.mu.Lock()
	b.s, b.g = s, g
	b.mu.Unlock()
	return nil
}

// Stop closes every session (a Cease NOTIFICATION) and stops the server.
func (b *GoBGP) Stop() {
	b.mu.Lock()
	s := b.s
	b.s = nil
	b.mu.Unlock()
	if s != nil {
		s.Stop()
	}
}

func family(a netip.Addr) *api.Family {
	if a.Is4() {
		return &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	}
	return &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
}

// AddPeer adds a neighbor with IPv4 and IPv6 unicast.
func (b *GoBGP) AddPeer(n bgp.Neighbor) error {
	s, err := b.srv()
	if err != nil {
		return err
	}
	p := &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: n.Address.String(), PeerAsn: n.RemoteAS, AuthPassword: n.Password},
		Timers: &api.Timers{Config: &api.TimersConfig{HoldTime: uint64(n.HoldTime.Seconds()),
			KeepaliveInterval: uint64(n.KeepaliveTime.Seconds()), ConnectRetry: 1, IdleHoldTimeAfterReset: 1}},
		Transport: &api.Transport{PassiveMode: n.Passive, RemotePort: uint32(n.Port)},
		AfiSafis: []*api.AfiSafi{
			{Config: &api.AfiSafiConfig{Family: family(netip.IPv4Unspecified()), Enabled: true}},
			{Config: &api.AfiSafiConfig{Family: family(netip.IPv6Unspecified()), Enabled: true}},
		},
	}
	if n.LocalAddress.IsValid() {
		p.Transport.LocalAddress = n.LocalAddress.String()
	}
	if n.Multihop > 0 {
		p.EbgpMultihop = &api.EbgpMultihop{Enabled: true, MultihopTtl: uint32(n.Multihop)}
	}
	if n.TTLSecurity > 0 {
		p.TtlSecurity = &api.TtlSecurity{Enabled: true, TtlMin: uint32(256 - n.TTLSecurity)}
	}
	return s.AddPeer(context.Background(), &api.AddPeerRequest{Peer: p})
}

// DeletePeer removes a neighbor.
func (b *GoBGP) DeletePeer(addr netip.Addr) error {
	s, err := b.srv()
	if err != nil {
		return err
	}
	return s.DeletePeer(context.Background(), &api.DeletePeerRequest{Address: addr.String()})
}

// DisablePeer closes the session with an administrative shutdown and
// keeps it down.
func (b *GoBGP) DisablePeer(addr netip.Addr, why string) error {
	s, err := b.srv()
	if err != nil {
		return err
	}
	return s.DisablePeer(context.Background(), &api.DisablePeerRequest{Address: addr.String(), Communication: why})
}

// EnablePeer lets a disabled neighbor connect again.
func (b *GoBGP) EnablePeer(addr netip.Addr) error {
	s, err := b.srv()
	if err != nil {
		return err
	}
	return s.EnablePeer(context.Background(), &api.EnablePeerRequest{Address: addr.String()})
}

func (b *GoBGP) path(p netip.Prefix, a *bgp.Attrs) (*apiutil.Path, error) {
	nlri, err := gbgp.NewIPAddrPrefix(p)
	if err != nil {
		return nil, err
	}
	attrs := []gbgp.PathAttributeInterface{gbgp.NewPathAttributeOrigin(0)}
	fam := gbgp.RF_IPv4_UC
	if p.Addr().Is4() {
		nh, err := gbgp.NewPathAttributeNextHop(netip.IPv4Unspecified())
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, nh)
	} else {
		fam = gbgp.RF_IPv6_UC
		mp, err := gbgp.NewPathAttributeMpReachNLRI(fam, []gbgp.PathNLRI{{NLRI: nlri}}, netip.IPv6Unspecified())
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, mp)
	}
	if a != nil {
		if a.Prepend > 0 {
			// GoBGP puts the local AS in front once more towards eBGP peers.
			as := make([]uint32, a.Prepend)
			for i := range as {
				as[i] = b.g.LocalAS
			}
			attrs = append(attrs, gbgp.NewPathAttributeAsPath([]gbgp.AsPathParamInterface{gbgp.NewAs4PathParam(gbgp.BGP_ASPATH_ATTR_TYPE_SEQ, as)}))
		}
		if a.LocalPref >= 0 {
			attrs = append(attrs, gbgp.NewPathAttributeLocalPref(uint32(a.LocalPref)))
		}
		if a.MED >= 0 {
			attrs = append(attrs, gbgp.NewPathAttributeMultiExitDisc(uint32(a.MED)))
		}
		if len(a.Communities) > 0 {
			attrs = append(attrs, gbgp.NewPathAttributeCommunities(a.Communities))
		}
		if len(a.LargeCommunities) > 0 {
			lc := make([]*gbgp.LargeCommunity, len(a.LargeCommunities))
			for i, c := range a.LargeCommunities {
				lc[i] = gbgp.NewLargeCommunity(c[0], c[1], c[2])
			}
			attrs = append(attrs, gbgp.NewPathAttributeLargeCommunities(lc))
		}
	}
	return &apiutil.Path{Family: fam, Nlri: nlri, Attrs: attrs}, nil
}

// Announce adds (or replaces) the path for p.Prefix.
func (b *GoBGP) Announce(p bgp.Path) error {
	s, err := b.srv()
	if err != nil {
		return err
	}
	ap, err := b.path(p.Prefix, &p.Attrs)
	if err != nil {
		return err
	}
	_, err = s.AddPath(apiutil.AddPathRequest{Paths: []*apiutil.Path{ap}})
	return err
}

// Withdraw removes the path for prefix.
func (b *GoBGP) Withdraw(prefix netip.Prefix) error {
	s, err := b.srv()
	if err != nil {
		return err
	}
	ap, err := b.path(prefix, nil)
	if err != nil {
		return err
	}
	return s.DeletePath(apiutil.DeletePathRequest{Paths: []*apiutil.Path{ap}})
}

var sessionStates = map[api.PeerState_SessionState]string{
	api.PeerState_SESSION_STATE_IDLE: "idle", api.PeerState_SESSION_STATE_CONNECT: "connect",
	api.PeerState_SESSION_STATE_ACTIVE: "active", api.PeerState_SESSION_STATE_OPENSENT: "opensent",
	api.PeerState_SESSION_STATE_OPENCONFIRM: "openconfirm", api.PeerState_SESSION_STATE_ESTABLISHED: "established",
}

// Peers reports every neighbor's session.
func (b *GoBGP) Peers() []bgprun.PeerState {
	s, err := b.srv()
	if err != nil {
		return nil
	}
	var out []bgprun.PeerState
	err = s.ListPeer(context.Background(), &api.ListPeerRequest{EnableAdvertised: true}, func(p *api.Peer) {
		addr, perr := netip.ParseAddr(p.GetConf().GetNeighborAddress())
		if perr != nil {
			return
		}
		ps := bgprun.PeerState{Address: addr.Unmap(), State: sessionStates[p.GetState().GetSessionState()]}
		if ps.State == "established" {
			if up := p.GetTimers().GetState().GetUptime(); up != nil {
				ps.UpSince = up.AsTime()
			}
		}
		if m := p.GetState().GetDisconnectMessage(); m != "" {
			ps.LastError = m
		} else if r := p.GetState().GetDisconnectReason(); r != api.PeerState_DISCONNECT_REASON_UNSPECIFIED {
			ps.LastError = r.String()
		}
		for _, af := range p.GetAfiSafis() {
			ps.Sent += af.GetState().GetAdvertised()
			ps.Received += af.GetState().GetReceived()
		}
		out = append(out, ps)
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return out
	}
	return out
}

// minLevel drops records below its level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}
func (h minLevel) WithGroup(g string) slog.Handler { return minLevel{h.Handler.WithGroup(g), h.min} }
