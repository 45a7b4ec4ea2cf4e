// Package bgprun is the BGP announcement loop: it feeds the pure core
// (internal/bgp) with the VRRP instances' states, the virtual servers'
// quorum, BFD session states, maintenance and the drain on stop, and
// carries its decisions out through the Speaker port (a GoBGP server,
// internal/bgpspeaker): paths announced and withdrawn by difference,
// peers added, replaced, removed, held down while their BFD session is
// down. It reads time from its injected clock; only real.go sleeps.
package bgprun

import (
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gokeepalived/internal/bfd"
	"gokeepalived/internal/bgp"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
)

// Global is the speaker-wide part of the configuration; a change of it
// restarts the speaker.
type Global struct {
	RouterID   netip.Addr
	LocalAS    uint32
	ListenPort int
}

// PeerState is what the speaker reports of one peer.
type PeerState struct {
	Address   netip.Addr
	State     string // idle, connect, active, opensent, openconfirm, established
	UpSince   time.Time
	Sent      uint64
	Received  uint64
	LastError string
}

// Speaker is the BGP speaker port.
type Speaker interface {
	Start(g Global) error
	Stop()
	AddPeer(n bgp.Neighbor) error
	DeletePeer(addr netip.Addr) error
	// DisablePeer closes the session (a NOTIFICATION Cease, administrative
	// shutdown) and keeps it down; EnablePeer lets it connect again.
	DisablePeer(addr netip.Addr, why string) error
	EnablePeer(addr netip.Addr) error
	Announce(p bgp.Path) error
	Withdraw(prefix netip.Prefix) error
	Peers() []PeerState
}

// Clock is the time source of Run.
type Clock interface{ Now() time.Time }

// Options configure a Runtime.
type Options struct {
	Speaker Speaker
	Clock   Clock // for Run; nil: the wall clock
	Logger  *slog.Logger
	// Servers returns the virtual servers' state (quorum); it is read at
	// each step, and at least every PollInterval.
	Servers      func() []bgp.Server
	PollInterval time.Duration // default 100 ms
}

// Runtime owns the speaker. Its inputs (VRRPState, BFDState, Maintenance,
// Drain, Reload) never block; Step applies them.
type Runtime struct {
	opts Options
	log  *slog.Logger
	wake chan struct{}

	mu        sync.Mutex
	states    map[string]vrrp.State
	bfdUp     map[string]bool
	bfdAlive  map[string]bool // false after a detection failure only
	maint     *bool
	drainReq  string
	drainDone []chan struct{}
	reloadQ   *bgp.Config

	// loop-owned
	started   bool
	cfg       bgp.Config
	announced []bgp.Path
	desired   []bgp.Path
	disabled  map[netip.Addr]string
	drain     bgp.Drain
	drainWhy  string
	drainAt   time.Time
	waiters   []chan struct{}
	lingerTo  time.Time // a stop waits until then after the withdrawal (WithdrawLinger)
	lastErr   string
	peerSeen  map[netip.Addr]*peerTrack

	status atomic.Pointer[ctl.BGPStatus]
}

type peerTrack struct {
	state      string
	flaps      uint64
	lastChange time.Time
}

// New returns a runtime; Start it with the first configuration.
func New(opts Options) *Runtime {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	return &Runtime{opts: opts, log: opts.Logger, wake: make(chan struct{}, 1), states: map[string]vrrp.State{},
		bfdUp: map[string]bool{}, bfdAlive: map[string]bool{}, disabled: map[netip.Addr]string{}, peerSeen: map[netip.Addr]*peerTrack{}}
}

func (r *Runtime) kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// VRRPState takes a VRRP instance's state change; it never blocks.
func (r *Runtime) VRRPState(ev vrrp.StateEvent) {
	r.mu.Lock()
	r.states[ev.Instance] = ev.State
	r.mu.Unlock()
	r.kick()
}

// BFDState takes a BFD session's state change; it never blocks.
func (r *Runtime) BFDState(ev bfd.StateEvent) {
	r.mu.Lock()
	r.bfdUp[ev.Session] = ev.Up()
	// Only a failure of the path (no packets for the detection time)
	// holds the BGP session down. A neighbor that takes its own session
	// down (FRR's bgpd re-registers its BFD session when the BGP session
	// comes up; AdminDown) is not a dead path: its BGP session decides.
	switch {
	case ev.Up():
		r.bfdAlive[ev.Session] = true
	case ev.Diag == bfd.DiagControlDetectionExpired || ev.Diag == bfd.DiagPathDown || ev.Diag == bfd.DiagEchoFailed:
		r.bfdAlive[ev.Session] = false
	}
	r.mu.Unlock()
	r.kick()
}

// Maintenance drains every announcement (on) or announces again (off).
func (r *Runtime) Maintenance(on bool) {
	r.mu.Lock()
	r.maint = &on
	r.mu.Unlock()
	r.kick()
}

// Drain starts the graceful shutdown: GRACEFUL_SHUTDOWN for the drain
// delay, then every path withdrawn. The channel closes once withdrawn.
func (r *Runtime) Drain(why string) <-chan struct{} {
	done := make(chan struct{})
	r.mu.Lock()
	r.drainReq = why
	r.drainDone = append(r.drainDone, done)
	r.mu.Unlock()
	r.kick()
	return done
}

// Reload hands a new configuration to the loop.
func (r *Runtime) Reload(c bgp.Config) {
	c.Neighbors = slices.Clone(c.Neighbors)
	r.mu.Lock()
	r.reloadQ = &c
	r.mu.Unlock()
	r.kick()
}

// Status returns the last published status (nil before Start).
func (r *Runtime) Status() *ctl.BGPStatus { return r.status.Load() }

func global(c bgp.Config) Global {
	return Global{RouterID: c.RouterID, LocalAS: c.LocalAS, ListenPort: c.ListenPort}
}

// Start starts the speaker with c and adds its peers.
func (r *Runtime) Start(now time.Time, c bgp.Config) error {
	if err := r.opts.Speaker.Start(global(c)); err != nil {
		return err
	}
	c.Neighbors = slices.Clone(c.Neighbors)
	r.started, r.cfg = true, c
	for _, n := range c.Neighbors {
		if err := r.opts.Speaker.AddPeer(n); err != nil {
			r.fail("adding neighbor "+n.Address.String(), err)
		}
	}
	r.log.Info("bgp: speaker started", "router_id", c.RouterID, "as", c.LocalAS, "neighbors", len(c.Neighbors))
	r.Step(now)
	return nil
}

func (r *Runtime) fail(what string, err error) {
	r.lastErr = what + ": " + err.Error()
	r.log.Error("bgp: "+what, "err", err)
}

// Step applies the pending inputs and returns when it next needs to run.
func (r *Runtime) Step(now time.Time) time.Time {
	r.mu.Lock()
	states := make(map[string]vrrp.State, len(r.states))
	for k, v := range r.states {
		states[k] = v
	}
	bfdUp := make(map[string]bool, len(r.bfdUp))
	for k, v := range r.bfdUp {
		bfdUp[k] = v
	}
	alive := make(map[string]bool, len(r.bfdAlive))
	for k, v := range r.bfdAlive {
		alive[k] = v
	}
	maint, drainReq, done, reloadQ := r.maint, r.drainReq, r.drainDone, r.reloadQ
	r.maint, r.drainReq, r.drainDone, r.reloadQ = nil, "", nil, nil
	r.mu.Unlock()

	if reloadQ != nil {
		r.reload(*reloadQ)
	}
	r.waiters = append(r.waiters, done...)
	switch {
	case drainReq != "":
		r.startDrain(now, drainReq)
	case maint != nil && *maint && r.drain == bgp.Running:
		r.startDrain(now, "maintenance")
	case maint != nil && !*maint && r.drainWhy == "maintenance":
		r.drain, r.drainWhy = bgp.Running, ""
		r.log.Info("bgp: maintenance off: announcing again")
	}
	if r.drain == bgp.Draining && !now.Before(r.drainAt) {
		r.drain = bgp.Drained
		r.log.Info("bgp: drain delay over: withdrawing every path", "why", r.drainWhy)
	}

	// Peers held down while their BFD session is down.
	for _, n := range r.cfg.Neighbors {
		want, why := bgp.PeerWanted(n, alive)
		_, down := r.disabled[n.Address]
		switch {
		case !want && !down:
			r.log.Warn("bgp: neighbor held down", "neighbor", n.Address, "why", why)
			if err := r.opts.Speaker.DisablePeer(n.Address, why); err != nil {
				r.fail("disabling neighbor "+n.Address.String(), err)
			}
			r.disabled[n.Address] = why
		case want && down:
			r.log.Info("bgp: neighbor released", "neighbor", n.Address, "why", "BFD session "+n.BFD+" is up")
			if err := r.opts.Speaker.EnablePeer(n.Address); err != nil {
				r.fail("enabling neighbor "+n.Address.String(), err)
			}
			delete(r.disabled, n.Address)
		}
	}

	var servers []bgp.Server
	if r.opts.Servers != nil {
		servers = r.opts.Servers()
	}
	want := bgp.Desired(r.cfg, bgp.Inputs{Instances: states, Servers: servers, Drain: r.drain, DrainWhy: r.drainWhy})
	add, del := bgp.Diff(r.announced, want)
	for _, pfx := range del {
		if err := r.opts.Speaker.Withdraw(pfx); err != nil {
			r.fail("withdrawing "+pfx.String(), err)
		}
	}
	for _, p := range add {
		if err := r.opts.Speaker.Announce(p); err != nil {
			r.fail("announcing "+p.Prefix.String(), err)
		}
	}
	r.logChanges(want)
	r.announced, r.desired = want, want
	if r.drain == bgp.Drained && len(del) > 0 && r.cfg.DrainDelay > 0 {
		// The withdrawal has only been handed to the speaker: a router
		// that did not act on GRACEFUL_SHUTDOWN moves the traffic when it
		// has processed the withdrawal and updated its forwarding table.
		// The node keeps serving until then.
		r.lingerTo = now.Add(min(WithdrawLinger, r.cfg.DrainDelay))
		if len(r.waiters) > 0 {
			r.log.Info("bgp: paths withdrawn: still serving while the routers update", "for", min(WithdrawLinger, r.cfg.DrainDelay))
		}
	}
	if r.drain == bgp.Drained && !now.Before(r.lingerTo) {
		for _, w := range r.waiters {
			close(w)
		}
		r.waiters = nil
	}
	r.publish(now, bfdUp)

	next := now.Add(r.opts.PollInterval)
	if r.drain == bgp.Draining && r.drainAt.Before(next) {
		next = r.drainAt
	}
	if r.drain == bgp.Drained && len(r.waiters) > 0 && r.lingerTo.Before(next) {
		next = r.lingerTo
	}
	return next
}

// WithdrawLinger is how long a stop keeps the node serving after its
// paths were withdrawn (at most graceful_shutdown_delay): BGP has no
// acknowledgement of a withdrawal, and a router that did not move the
// traffic on GRACEFUL_SHUTDOWN (no policy for it, or eBGP where LOCAL_PREF
// is not carried) moves it only once its bgpd has processed the UPDATE
// and its kernel route changed (milliseconds to a few hundred on a busy
// router). Without it the load balancer and the VIPs stopped an instant
// after the UPDATE left, while the router still sent new connections.
const WithdrawLinger = time.Second

func (r *Runtime) startDrain(now time.Time, why string) {
	if r.drain != bgp.Running {
		if why != "maintenance" {
			r.drainWhy = why // stopping overrides maintenance's reason
		}
		return
	}
	r.drain, r.drainWhy, r.drainAt = bgp.Draining, why, now.Add(r.cfg.DrainDelay)
	if r.cfg.DrainDelay == 0 {
		r.drain = bgp.Drained
	}
	r.log.Info("bgp: graceful shutdown: GRACEFUL_SHUTDOWN community announced, withdrawing after the delay",
		"why", why, "delay", r.cfg.DrainDelay)
}

// logChanges logs each prefix whose state or reason changed.
func (r *Runtime) logChanges(want []bgp.Path) {
	prev := map[netip.Prefix]bgp.Path{}
	for _, p := range r.desired {
		prev[p.Prefix] = p
	}
	for _, p := range want {
		o, had := prev[p.Prefix]
		if !had || o.State != p.State || o.Reason != p.Reason {
			r.log.Info("bgp: prefix "+p.State.String(), "prefix", p.Prefix, "source", p.Source, "why", p.Reason)
		}
	}
}

func (r *Runtime) reload(c bgp.Config) {
	if global(c) != global(r.cfg) {
		r.log.Info("bgp: router_id, local_as or listen_port changed: restarting the speaker")
		r.opts.Speaker.Stop()
		if err := r.opts.Speaker.Start(global(c)); err != nil {
			r.fail("restarting the speaker", err)
		}
		r.announced, r.disabled = nil, map[netip.Addr]string{}
		for _, n := range c.Neighbors {
			if err := r.opts.Speaker.AddPeer(n); err != nil {
				r.fail("adding neighbor "+n.Address.String(), err)
			}
		}
		r.cfg = c
		return
	}
	changes := bgp.DiffPeers(r.cfg.Neighbors, c.Neighbors)
	byAddr := map[netip.Addr]bgp.Neighbor{}
	for _, n := range c.Neighbors {
		byAddr[n.Address] = n
	}
	addrs := make([]netip.Addr, 0, len(changes))
	for a := range changes {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	for _, a := range addrs {
		switch changes[a] {
		case bgp.PeerDelete, bgp.PeerReplace:
			if err := r.opts.Speaker.DeletePeer(a); err != nil {
				r.fail("deleting neighbor "+a.String(), err)
			}
			delete(r.disabled, a)
		}
		switch changes[a] {
		case bgp.PeerAdd, bgp.PeerReplace:
			if err := r.opts.Speaker.AddPeer(byAddr[a]); err != nil {
				r.fail("adding neighbor "+a.String(), err)
			}
		}
		if changes[a] != bgp.PeerKeep {
			r.log.Info("bgp: reload", "neighbor", a, "change", [...]string{"kept", "added", "deleted", "replaced"}[changes[a]])
		}
	}
	r.cfg = c
}

// Finish withdraws everything and stops the speaker.
func (r *Runtime) Finish() {
	if !r.started {
		return
	}
	for _, p := range r.announced {
		if p.Announced() {
			_ = r.opts.Speaker.Withdraw(p.Prefix)
		}
	}
	r.opts.Speaker.Stop()
	r.started, r.announced = false, nil
	r.log.Info("bgp: speaker stopped")
}

func (r *Runtime) publish(now time.Time, bfdUp map[string]bool) {
	st := &ctl.BGPStatus{RouterID: r.cfg.RouterID.String(), LocalAS: r.cfg.LocalAS, Error: r.lastErr,
		Drain: [...]string{"running", "draining", "drained"}[r.drain], DrainWhy: r.drainWhy}
	seen := map[netip.Addr]PeerState{}
	for _, p := range r.opts.Speaker.Peers() {
		seen[p.Address] = p
	}
	for _, n := range r.cfg.Neighbors {
		p := seen[n.Address]
		ps := ctl.BGPPeerStatus{Address: n.Address.String(), RemoteAS: n.RemoteAS, State: p.State, Up: p.State == "established",
			UpSince: p.UpSince, BFD: n.BFD, Sent: p.Sent, Received: p.Received, LastError: p.LastError}
		if why, down := r.disabled[n.Address]; down {
			ps.State, ps.Reason = "shutdown", why
		}
		if ps.State == "" {
			ps.State = "idle"
		}
		if n.BFD != "" {
			if up, ok := bfdUp[n.BFD]; ok {
				ps.BFDUp = &up
			}
		}
		tr := r.peerSeen[n.Address]
		if tr == nil {
			tr = &peerTrack{state: ps.State, lastChange: now}
			r.peerSeen[n.Address] = tr
		}
		if tr.state != ps.State {
			if tr.state == "established" {
				tr.flaps++
			}
			r.log.Info("bgp: neighbor state", "neighbor", n.Address, "from", tr.state, "to", ps.State, "last_error", p.LastError)
			tr.state, tr.lastChange = ps.State, now
		}
		ps.Flaps, ps.LastChange = tr.flaps, tr.lastChange
		st.Peers = append(st.Peers, ps)
	}
	for _, p := range r.desired {
		st.Prefixes = append(st.Prefixes, ctl.BGPPrefixStatus{Prefix: p.Prefix.String(), Source: p.Source, State: p.State.String(), Reason: p.Reason})
	}
	r.status.Store(st)
}

// ErrStopped is returned by a speaker used after Stop.
var ErrStopped = errors.New("bgp speaker stopped")
