package cli

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"gokeepalived/internal/bfd"
	"gokeepalived/internal/bgp"
	"gokeepalived/internal/bgprun"
	"gokeepalived/internal/bgpspeaker"
	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
)

// bgpHost runs the BGP announcement loop (the bgp block) beside the
// others: it hears VRRP state changes and BFD session changes as events,
// reads the virtual servers' quorum from the load balancer's published
// status, and owns the embedded GoBGP speaker. The runtime exists from
// the start, so that it knows every state when a reload adds a bgp block.
type bgpHost struct {
	log     *slog.Logger
	rt      *bgprun.Runtime
	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

func newBGPHost(log *slog.Logger, servers func() []ctl.VirtualServerStatus) *bgpHost {
	h := &bgpHost{log: log}
	h.rt = bgprun.New(bgprun.Options{Speaker: &bgpspeaker.GoBGP{Logger: log}, Logger: log,
		Servers: func() []bgp.Server { return bgpServers(servers) }})
	return h
}

// bgpServers reads the virtual servers' address, port and quorum from
// the load balancer's status ("ADDR:PORT/PROTO" names; fwmark and group
// virtual servers have no single address and are not announced).
func bgpServers(servers func() []ctl.VirtualServerStatus) []bgp.Server {
	if servers == nil {
		return nil
	}
	var out []bgp.Server
	for _, vs := range servers() {
		name, _, _ := strings.Cut(vs.Name, "/")
		ap, err := netip.ParseAddrPort(name)
		if err != nil {
			continue
		}
		out = append(out, bgp.Server{Addr: ap.Addr().Unmap(), Port: ap.Port(), Quorum: vs.Quorum})
	}
	return out
}

// bgpConfig translates the bgp block into the core's types.
func bgpConfig(cfg *config.Config) (bgp.Config, bool) {
	g := cfg.BGP
	if g == nil {
		return bgp.Config{}, false
	}
	c := bgp.Config{RouterID: g.RouterID, LocalAS: g.LocalAS, ListenPort: g.ListenPort, DrainDelay: g.GracefulShutdownDelay}
	for _, n := range g.Neighbors {
		c.Neighbors = append(c.Neighbors, bgp.Neighbor{Address: n.Address, RemoteAS: n.RemoteAS, Port: n.Port,
			LocalAddress: n.LocalAddress, Password: n.Password, HoldTime: n.HoldTime, KeepaliveTime: n.KeepaliveTime,
			Multihop: n.Multihop, TTLSecurity: n.TTLSecurity, Passive: n.Passive, BFD: n.TrackBFD})
	}
	attrs := func(a *config.BGPAnnounce) bgp.Attrs {
		return bgp.Attrs{LocalPref: a.LocalPref, MED: a.MED, Communities: a.Communities, LargeCommunities: a.LargeCommunities}
	}
	for _, a := range g.VRRP {
		va := bgp.VRRPAnnounce{Instance: a.Instance, BackupValue: a.BackupValue, Attrs: attrs(a)}
		switch a.Backup {
		case config.BGPBackupPrepend:
			va.Backup = bgp.BackupPrepend
		case config.BGPBackupLocalPref:
			va.Backup = bgp.BackupLocalPref
		case config.BGPBackupMED:
			va.Backup = bgp.BackupMED
		}
		for _, in := range cfg.Instances {
			if in.Name == a.Instance {
				for _, v := range in.VIPs {
					va.VIPs = append(va.VIPs, v.Prefix.Addr())
				}
			}
		}
		c.VRRP = append(c.VRRP, va)
	}
	for _, a := range g.VirtualServers {
		c.Servers = append(c.Servers, bgp.ServerAnnounce{Addr: a.Addr, Port: uint16(a.Port), Attrs: attrs(a)})
	}
	return c, true
}

// VRRPState passes a VRRP state change on (never blocks).
func (h *bgpHost) VRRPState(ev vrrp.StateEvent) { h.rt.VRRPState(ev) }

// BFDState passes a BFD session change on (never blocks).
func (h *bgpHost) BFDState(ev bfd.StateEvent) { h.rt.BFDState(ev) }

// apply starts the speaker with the first configuration that has a bgp
// block, or hands the new one to the running loop. A bgp block removed
// by a reload withdraws every path and stops the speaker.
func (h *bgpHost) apply(cfg *config.Config) error {
	c, ok := bgpConfig(cfg)
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.started && ok:
		h.rt.Reload(c)
		return nil
	case h.started:
		h.stopLocked()
		return nil
	case !ok:
		return nil
	}
	if err := h.rt.Start(time.Now(), c); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.started, h.cancel, h.done = true, cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		h.rt.Run(ctx)
	}()
	return nil
}

// drain announces GRACEFUL_SHUTDOWN, waits graceful_shutdown_delay and
// withdraws every path (on SIGTERM, before the VRRP loop and the load
// balancer stop), waiting at most the delay and a margin.
func (h *bgpHost) drain(why string, limit time.Duration) {
	h.mu.Lock()
	started := h.started
	h.mu.Unlock()
	if !started {
		return
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-h.rt.Drain(why):
	case <-t.C:
		h.log.Warn("bgp: drain did not finish in time; stopping anyway", "limit", limit)
	}
}

// drainLimit is how long a stop waits for the drain.
func drainLimit(cfg *config.Config) time.Duration {
	if cfg.BGP == nil {
		return 0
	}
	return cfg.BGP.GracefulShutdownDelay + 5*time.Second
}

// maintenance drains (on) or announces again (off).
func (h *bgpHost) maintenance(on bool) { h.rt.Maintenance(on) }

// status is the speaker's status, nil without a bgp block.
func (h *bgpHost) status() *ctl.BGPStatus {
	h.mu.Lock()
	started := h.started
	h.mu.Unlock()
	if !started {
		return nil
	}
	return h.rt.Status()
}

// stop withdraws every path and stops the speaker.
func (h *bgpHost) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopLocked()
}

func (h *bgpHost) stopLocked() {
	if !h.started {
		return
	}
	h.cancel()
	<-h.done
	h.started = false
}
