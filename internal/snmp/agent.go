package snmp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/snmp/agentx"
	"gokeepalived/internal/vrrp"
)

// DefaultSocket is net-snmp's default AgentX master socket.
const DefaultSocket = "/var/agentx/master"

// Options configure an Agent.
type Options struct {
	// Socket is the master agent's AgentX address (snmp_socket): a path,
	// "unix:/path", or "tcp:host:port". Empty is DefaultSocket.
	Socket string
	// VRRP serves the vrrp subtree (enable_snmp_vrrp); the global scalars
	// are always served.
	VRRP bool
	// RFC2787 serves VRRP-MIB (enable_snmp_rfcv2).
	RFC2787 bool
	// RFC6527 serves VRRPv3-MIB (enable_snmp_rfcv3); its notifications
	// are not sent.
	RFC6527 bool
	// Checker serves KEEPALIVED-MIB's check tree (enable_snmp_checker):
	// virtual servers, real servers, groups, LVS sync daemon and timeouts.
	Checker bool
	// Traps sends the notifications of the MIBs served (enable_traps):
	// vrrpInstanceStateChange, vrrpTrapNewMaster.
	Traps bool
	// Lookup reads an interface for VRRP-MIB; nil is LookupIface.
	Lookup func(name string) (Iface, bool)
	// Snapshot returns the daemon's latest status snapshot.
	Snapshot func() *ctl.Snapshot
	Logger   *slog.Logger
	// Backoff bounds between reconnection attempts; zero means 1s and 30s.
	MinBackoff, MaxBackoff time.Duration
}

// Agent is the AgentX subagent. Run connects and serves; VRRPState and
// SetSettings may be called from any goroutine and never block.
type Agent struct {
	opts     Options
	log      *slog.Logger
	settings atomic.Pointer[Settings]
	events   chan event
	dropped  atomic.Uint64

	// Sessions counts successful registrations (one per connection).
	sessions atomic.Uint64
	// sent counts notifications the master accepted the PDU for.
	sent atomic.Uint64
	// malformed counts PDUs from the master that did not decode.
	malformed atomic.Uint64

	// cache is the last view built, owned by the serving goroutine: a walk
	// is one request per object, and the snapshot rarely changes between
	// them.
	cache struct {
		instances **ctl.InstanceSnapshot // the snapshot's Instances backing array
		n         int
		vss       *ctl.VirtualServerStatus // ... and its VirtualServers'
		nvs       int
		set       *Settings
		v         view
	}
}

// New returns an agent; call Run to start it.
func New(opts Options, set Settings) *Agent {
	if opts.Socket == "" {
		opts.Socket = DefaultSocket
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(30*time.Second, opts.MinBackoff)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Agent{opts: opts, log: log.With("subsystem", "snmp"), events: make(chan event, 256)}
	a.settings.Store(&set)
	return a
}

// snapshot is the latest status, nil when none is available yet.
func (a *Agent) snapshot() *ctl.Snapshot {
	if a.opts.Snapshot == nil {
		return nil
	}
	return a.opts.Snapshot()
}

// SetSettings replaces the configuration-derived values (after a reload).
func (a *Agent) SetSettings(set Settings) { a.settings.Store(&set) }

// Sessions is how many times the agent has opened a session and
// registered its subtrees.
func (a *Agent) Sessions() uint64 { return a.sessions.Load() }

// NotificationsSent is how many notifications the agent has sent.
func (a *Agent) NotificationsSent() uint64 { return a.sent.Load() }

// Malformed is how many PDUs from the master did not decode (each was
// logged and dropped).
func (a *Agent) Malformed() uint64 { return a.malformed.Load() }

// VRRPState queues a state change for a notification; it never blocks (a
// full queue drops the change, counted and logged).
func (a *Agent) VRRPState(ev vrrp.StateEvent) {
	if !a.opts.Traps {
		return
	}
	select {
	case a.events <- event{inst: ev}:
	default:
		n := a.dropped.Add(1)
		a.log.Warn("SNMP notification queue full: state change not notified", "instance", ev.Instance, "state", ev.State.String(), "dropped", n)
	}
}

// event is a state change to notify: an instance's, or a sync group's
// when group is set, or a real or virtual server's when lb is set.
type event struct {
	inst  vrrp.StateEvent
	group *vrrp.GroupStateEvent
	lb    *ctl.LBEvent
}

func (e event) String() string {
	if e.lb != nil {
		if e.lb.RS != "" {
			return "real server " + e.lb.RS + " of " + e.lb.VS + " " + upDown(e.lb.Up)
		}
		return "virtual server " + e.lb.VS + " quorum " + upDown(e.lb.Up)
	}
	if e.group != nil {
		return "sync group " + e.group.Group + " " + e.group.State.String()
	}
	return e.inst.Instance + " " + e.inst.State.String()
}

// VRRPGroupState queues a sync group's state change for
// vrrpSyncGroupStateChange (KEEPALIVED-MIB, with enable_traps); it never
// blocks.
func (a *Agent) VRRPGroupState(ev vrrp.GroupStateEvent) {
	if !a.opts.Traps || !a.opts.VRRP {
		return
	}
	select {
	case a.events <- event{group: &ev}:
	default:
		n := a.dropped.Add(1)
		a.log.Warn("SNMP notification queue full: sync group state change not notified", "group", ev.Group, "state", ev.State.String(), "dropped", n)
	}
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// LBEvent queues a real server's state change (realServerStateChange) or
// a virtual server's quorum change (virtualServerQuorumStateChange), sent
// with enable_snmp_checker and enable_traps as keepalived does; it never
// blocks.
func (a *Agent) LBEvent(ev ctl.LBEvent) {
	if !a.opts.Traps || !a.opts.Checker {
		return
	}
	select {
	case a.events <- event{lb: &ev}:
	default:
		n := a.dropped.Add(1)
		a.log.Warn("SNMP notification queue full: load balancer change not notified", "vs", ev.VS, "rs", ev.RS, "dropped", n)
	}
}

// served are the subtrees registered with the master.
func (a *Agent) served() []agentx.OID {
	var s []agentx.OID
	if a.opts.VRRP || a.opts.Checker {
		s = append(s, GlobalOID)
	}
	if a.opts.VRRP {
		s = append(s, VRRPOID)
	}
	if a.opts.Checker {
		s = append(s, CheckOID)
	}
	if a.opts.RFC2787 {
		s = append(s, RFC2787OID)
	}
	if a.opts.RFC6527 {
		s = append(s, RFC6527OID)
	}
	return s
}

// dial connects to the master agent's socket.
func dial(ctx context.Context, spec string) (net.Conn, error) {
	network, addr := "unix", spec
	switch {
	case strings.HasPrefix(spec, "unix:"):
		addr = strings.TrimPrefix(spec, "unix:")
	case strings.HasPrefix(spec, "tcp:"):
		network, addr = "tcp", strings.TrimPrefix(spec, "tcp:")
	case strings.HasPrefix(spec, "udp:"):
		return nil, fmt.Errorf("snmp_socket %q: AgentX needs a stream socket (unix: or tcp:)", spec)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// Run connects to the master agent, opens a session, registers the
// subtrees and answers requests until ctx ends, reconnecting with
// exponential backoff whenever the master goes away (snmpd restarted).
func (a *Agent) Run(ctx context.Context) {
	backoff := a.opts.MinBackoff
	for ctx.Err() == nil {
		err := a.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errRegistered) {
			backoff = a.opts.MinBackoff
		}
		a.log.Warn("AgentX session ended; reconnecting", "socket", a.opts.Socket, "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, a.opts.MaxBackoff)
	}
}

// errRegistered wraps how a session that had registered ended, so that
// the next attempt starts from the shortest backoff.
var errRegistered = errors.New("session was registered")

// conn is one AgentX session.
type conn struct {
	c       net.Conn
	mu      sync.Mutex // serialises writes
	session atomic.Uint32
	packet  atomic.Uint32
}

func (c *conn) write(p *agentx.PDU) error {
	p.Flags |= agentx.FlagNetworkByteOrder
	b, err := agentx.Marshal(p)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err = c.c.Write(b)
	return err
}

// request sends p and reads the response to it (used before the serving
// loop starts, when nothing else reads).
func (c *conn) request(p *agentx.PDU) (*agentx.PDU, error) {
	p.SessionID, p.PacketID = c.session.Load(), c.packet.Add(1)
	if err := c.write(p); err != nil {
		return nil, err
	}
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.c.SetReadDeadline(time.Time{})
	for {
		r, err := agentx.Read(c.c)
		if err != nil {
			return nil, err
		}
		if r.Type == agentx.TypeResponse && r.PacketID == p.PacketID {
			if r.Error != agentx.NoError {
				return r, fmt.Errorf("master refused %s: error %d", p.Type, r.Error)
			}
			return r, nil
		}
	}
}

func (a *Agent) session(ctx context.Context) error {
	nc, err := dial(ctx, a.opts.Socket)
	if err != nil {
		return err
	}
	c := &conn{c: nc}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = c.write(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeClose, SessionID: c.session.Load(), PacketID: c.packet.Add(1)}, Reason: agentx.ReasonShutdown})
			nc.Close()
		case <-done:
			nc.Close()
		}
	}()
	r, err := c.request(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeOpen}, ID: KeepalivedOID, Descr: "gokeepalived SNMP subagent"})
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	c.session.Store(r.SessionID)
	for _, sub := range a.served() {
		if _, err := c.request(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeRegister}, Priority: 127, Subtree: sub}); err != nil {
			return fmt.Errorf("register %s: %w", sub, err)
		}
	}
	// Changes queued while the master was gone (it restarted) are stale
	// now: keepalived does not send them either. Those queued before the
	// first session are the daemon's start, sent as keepalived does.
	for stale := len(a.events); stale > 0 && a.sessions.Load() > 0; stale-- {
		ev := <-a.events
		a.log.Warn("SNMP notification not sent: no master agent when the state changed", "change", ev.String())
	}
	a.sessions.Add(1)
	a.log.Info("AgentX session registered", "socket", a.opts.Socket, "session", c.session.Load(), "vrrp", a.opts.VRRP, "rfcv2", a.opts.RFC2787, "rfcv3", a.opts.RFC6527, "traps", a.opts.Traps)

	errc := make(chan error, 1)
	go func() { errc <- a.serve(c) }()
	for {
		select {
		case err := <-errc:
			return fmt.Errorf("%w: %w", errRegistered, err)
		case ev := <-a.events:
			if err := a.notify(c, ev); err != nil {
				nc.Close()
				return fmt.Errorf("%w: notification: %w", errRegistered, <-errc)
			}
		case <-ctx.Done():
			<-errc
			return ctx.Err()
		}
	}
}

// notify sends the notifications of a state change: KEEPALIVED-MIB's
// vrrpInstanceStateChange, and VRRP-MIB's vrrpTrapNewMaster when an
// instance VRRP-MIB shows becomes master.
func (a *Agent) notify(c *conn, e event) error {
	if e.lb != nil {
		return a.notifyLB(c, *e.lb)
	}
	if e.group != nil {
		return a.notifyGroup(c, *e.group)
	}
	ev := e.inst
	if a.opts.VRRP {
		if err := a.notifyInstance(c, ev); err != nil {
			return err
		}
	}
	if !a.opts.RFC2787 || ev.State != vrrp.StateMaster {
		return nil
	}
	snap := a.snapshot()
	if snap == nil {
		return nil
	}
	for _, in := range snap.Instances {
		if in.Name != ev.Instance || !rfc2787Suitable(in) {
			continue
		}
		lookup := a.opts.Lookup
		if lookup == nil {
			lookup = LookupIface
		}
		ifi, _ := lookup(in.Interface)
		src := netip.IPv4Unspecified()
		if ifi.Primary.IsValid() {
			src = ifi.Primary
		}
		p := &agentx.PDU{Header: agentx.Header{Type: agentx.TypeNotify, SessionID: c.session.Load(), PacketID: c.packet.Add(1)},
			VarBinds: []agentx.VarBind{
				agentx.ObjectIdentifier(snmpTrapOID, NewMasterOID),
				ipAddr(rfcOperOID.Append(7, uint32(ifi.Index), uint32(in.VRID)), src),
			}}
		if err := c.write(p); err != nil {
			return err
		}
		a.sent.Add(1)
		a.log.Info("SNMP notification sent", "notification", "vrrpTrapNewMaster", "instance", ev.Instance)
	}
	return nil
}

// notifyLB sends realServerStateChange or virtualServerQuorumStateChange.
func (a *Agent) notifyLB(c *conn, ev ctl.LBEvent) error {
	vbs, ok := checkerNotification(ev, a.settings.Load())
	if !ok {
		a.log.Warn("SNMP notification not sent: the virtual server is no longer configured", "change", event{lb: &ev}.String())
		return nil
	}
	p := &agentx.PDU{Header: agentx.Header{Type: agentx.TypeNotify, SessionID: c.session.Load(), PacketID: c.packet.Add(1)},
		VarBinds: vbs}
	if err := c.write(p); err != nil {
		return err
	}
	a.sent.Add(1)
	name := "virtualServerQuorumStateChange"
	if ev.RS != "" {
		name = "realServerStateChange"
	}
	a.log.Info("SNMP notification sent", "notification", name, "vs", ev.VS, "rs", ev.RS, "up", ev.Up)
	return nil
}

// notifyGroup sends vrrpSyncGroupStateChange as keepalived does: the
// group's name and state (column OIDs without an index; a stopped group is
// shutdown(5)) and the router id.
func (a *Agent) notifyGroup(c *conn, ev vrrp.GroupStateEvent) error {
	set := a.settings.Load()
	p := &agentx.PDU{Header: agentx.Header{Type: agentx.TypeNotify, SessionID: c.session.Load(), PacketID: c.packet.Add(1)},
		VarBinds: []agentx.VarBind{
			agentx.ObjectIdentifier(snmpTrapOID, SyncGroupStateChangeOID),
			agentx.String(SyncGroupEntryOID.Append(sgColName), ev.Group),
			agentx.Int32(SyncGroupEntryOID.Append(sgColState), snmpState(ev.State, true)),
			agentx.String(routerIDOID, set.RouterID),
		}}
	if err := c.write(p); err != nil {
		return err
	}
	a.sent.Add(1)
	a.log.Info("SNMP notification sent", "notification", "vrrpSyncGroupStateChange", "group", ev.Group, "state", ev.State.String())
	return nil
}

// notifyInstance sends vrrpInstanceStateChange as keepalived does: the
// instance's name, state and initial state (column OIDs without an index)
// and the router id.
func (a *Agent) notifyInstance(c *conn, ev vrrp.StateEvent) error {
	set := a.settings.Load()
	col := func(n uint32) agentx.OID { return InstanceEntryOID.Append(n) }
	p := &agentx.PDU{Header: agentx.Header{Type: agentx.TypeNotify, SessionID: c.session.Load(), PacketID: c.packet.Add(1)},
		VarBinds: []agentx.VarBind{
			agentx.ObjectIdentifier(snmpTrapOID, InstanceStateChangeOID),
			agentx.String(col(colName), ev.Instance),
			agentx.Int32(col(colState), snmpState(ev.State, true)),
			agentx.Int32(col(colInitialState), snmpState(set.InitialStates[ev.Instance], false)),
			agentx.String(routerIDOID, set.RouterID),
		}}
	if err := c.write(p); err != nil {
		return err
	}
	a.sent.Add(1)
	a.log.Info("SNMP notification sent", "notification", "vrrpInstanceStateChange", "instance", ev.Instance, "state", ev.State.String())
	return nil
}

// serve reads the master's PDUs and answers them until the connection
// fails or the master closes the session.
func (a *Agent) serve(c *conn) error {
	for {
		p, err := agentx.Read(c.c)
		var de *agentx.DecodeError
		if errors.As(err, &de) {
			// The stream is still in step when the header was sound; a
			// bad header leaves nothing to resynchronise on.
			n := a.malformed.Add(1)
			a.log.Warn("malformed AgentX PDU from the master: dropped", "err", err, "malformed", n)
			if de.Offset < agentx.HeaderLen {
				return err
			}
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("master closed the connection")
			}
			return err
		}
		resp := &agentx.PDU{Header: agentx.Header{Type: agentx.TypeResponse, SessionID: p.SessionID,
			TransactionID: p.TransactionID, PacketID: p.PacketID}}
		switch p.Type {
		case agentx.TypeGet, agentx.TypeGetNext, agentx.TypeGetBulk:
			if len(p.Context) > 0 {
				resp.Error = agentx.UnsupportedContext
				break
			}
			v := a.view()
			switch p.Type {
			case agentx.TypeGet:
				for _, r := range p.Ranges {
					resp.VarBinds = append(resp.VarBinds, v.get(r.Start, a.served()))
				}
			case agentx.TypeGetNext:
				for _, r := range p.Ranges {
					resp.VarBinds = append(resp.VarBinds, v.next(r))
				}
			default:
				resp.VarBinds = v.bulk(int(p.NonRepeaters), int(p.MaxRepetitions), p.Ranges)
			}
		case agentx.TypeTestSet:
			// Read-only: keepalived's writable columns are not writable here.
			resp.Error, resp.Index = agentx.NotWritable, 1
		case agentx.TypeCommitSet, agentx.TypeUndoSet:
		case agentx.TypeCleanupSet, agentx.TypeResponse:
			if p.Type == agentx.TypeResponse && p.Error != agentx.NoError {
				a.log.Warn("master refused a PDU", "packet", p.PacketID, "error", p.Error)
			}
			continue
		case agentx.TypeClose:
			return fmt.Errorf("master closed the session (reason %d)", p.Reason)
		default:
			resp.Error = agentx.ProcessingError
		}
		if err := c.write(resp); err != nil {
			return err
		}
	}
}

// view returns the served tree for the latest snapshot, rebuilt only when
// the snapshot's instances or the settings changed: the daemon publishes a
// new Instances slice whenever anything visible changes, so its backing
// array identifies the published state.
func (a *Agent) view() view {
	snap, set := a.snapshot(), a.settings.Load()
	if snap == nil || (len(snap.Instances) == 0 && len(snap.VirtualServers) == 0) {
		return buildView(snap, set, &a.opts)
	}
	var inst **ctl.InstanceSnapshot
	var vss *ctl.VirtualServerStatus
	if len(snap.Instances) > 0 {
		inst = &snap.Instances[0]
	}
	if len(snap.VirtualServers) > 0 {
		vss = &snap.VirtualServers[0]
	}
	c := &a.cache
	if c.v != nil && c.instances == inst && c.n == len(snap.Instances) && c.vss == vss && c.nvs == len(snap.VirtualServers) && c.set == set {
		return c.v
	}
	c.instances, c.n, c.vss, c.nvs, c.set = inst, len(snap.Instances), vss, len(snap.VirtualServers), set
	c.v = buildView(snap, set, &a.opts)
	return c.v
}
