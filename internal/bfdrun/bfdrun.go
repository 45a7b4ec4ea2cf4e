// Package bfdrun is the BFD runtime: one loop that owns every BFD session
// (internal/bfd cores), feeds them the packets the readers deliver and the
// timers that fall due, sends what they ask through per-session Senders,
// and publishes every session state change as a typed Event (for
// track_bfd in the VRRP runtime) and an immutable status slice.
//
// Like internal/director it is stepped: start, step(now) and finish take
// the time as an argument, so tests drive it on a fake clock with fake
// senders; real.go holds the only wall clock and the loop that sleeps.
package bfdrun

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"gokeepalived/internal/bfd"
)

// Session is the configuration of one session (keepalived bfd_instance).
type Session struct {
	Name string
	// Local is the source address (source_ip); invalid: chosen by route,
	// and packets from Remote are accepted on any local address.
	Local  netip.Addr
	Remote netip.Addr // neighbor_ip
	// Multihop uses port 4784 (RFC 5883).
	Multihop bool
	// TTL is the TTL / hop limit to send with (keepalived ttl/hoplimit;
	// 0: 255). A received packet must arrive with at least TTL - MaxHops
	// (keepalived max_hops; -1: no check) (RFC 5881 §5 with TTL 255 and
	// MaxHops 0).
	TTL     int
	MaxHops int
	// The session's timers, multiplier, passive role and AdminDown
	// (disabled); LocalDiscr is chosen by the runtime.
	Params bfd.Config
}

func (s Session) transport() [4]any { return [4]any{s.Local, s.Remote, s.Multihop, s.TTL} }

// Sender sends one session's packets (internal/linux/bfdconn.Sender).
type Sender interface {
	Send(payload []byte) error
	Close() error
}

// Network opens a session's Sender.
type Network interface {
	Dial(s Session) (Sender, error)
}

// Clock is the time source of Run.
type Clock interface{ Now() time.Time }

// Packet is one received control packet as a reader delivers it.
type Packet struct {
	Payload  []byte
	Src, Dst netip.Addr // Dst may be invalid if unknown
	TTL      int        // TTL / hop limit as received
	Multihop bool       // arrived on the multihop port
}

// Event is a session state change, published to Options.Events.
type Event = bfd.StateEvent

// Status is the published view of one session.
type Status struct {
	bfd.Status
	Local, Remote netip.Addr
	Multihop      bool
	SendErrors    uint64
	// LastChange is when the state last changed (zero: never), and
	// LastReason why.
	LastChange time.Time
	LastReason string
	// Counters are live: read them when rendering.
	Counters *Counters
}

// Counters are one session's packet counters. The loop writes them; any
// goroutine may read them (they change with every packet, so the status
// points to them rather than being republished).
type Counters struct {
	rx, tx, sendErrs atomic.Uint64
	drops            [bfd.NumDropReasons]atomic.Uint64
}

// Received is the number of the peer's packets the session accepted.
func (c *Counters) Received() uint64 { return c.rx.Load() }

// Sent is the number of packets sent.
func (c *Counters) Sent() uint64 { return c.tx.Load() }

// SendErrors is the number of sends that failed.
func (c *Counters) SendErrors() uint64 { return c.sendErrs.Load() }

// Dropped is the number of the peer's packets dropped for reason after
// they were matched to the session.
func (c *Counters) Dropped(reason bfd.DropReason) uint64 {
	if reason >= bfd.NumDropReasons {
		return 0
	}
	return c.drops[reason].Load()
}

// Options configures a Runtime.
type Options struct {
	Network Network
	Clock   Clock    // for Run; nil: the wall clock
	Rand    bfd.Rand // jitter and discriminators; nil: a random PCG
	Logger  *slog.Logger
	// Events receives every state change, on the loop: it must not block.
	Events func(Event)
}

type entry struct {
	cfg      Session
	s        *bfd.Session
	sender   Sender
	deadline time.Time
	sendErrs uint64
	tx, dt   time.Duration // negotiated intervals last logged
	ctr      *Counters
	changed  time.Time // last state change
	reason   string
	pub      bfd.Status // the core's status as last published
}

type peerKey struct {
	remote, local netip.Addr
	multihop      bool
}

// Runtime owns the sessions. Deliver, Status and Drops may be called from
// any goroutine; the rest belongs to the loop (Run, or a test).
type Runtime struct {
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	inbox []Packet
	cmds  []func(now time.Time)
	wake  chan struct{}
	// kick, set by RunPolled, wakes the poller the loop sleeps on.
	kick atomic.Pointer[func()]

	sessions []*entry
	byDiscr  map[uint32]*entry
	byPeer   map[peerKey]*entry
	buf      []byte
	inboxCur []Packet

	drops  [bfd.NumDropReasons]atomic.Uint64
	status atomic.Pointer[[]Status]
}

// New returns a runtime with no sessions.
func New(opts Options) *Runtime {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Rand == nil {
		opts.Rand = newRand()
	}
	if opts.Events == nil {
		opts.Events = func(Event) {}
	}
	r := &Runtime{opts: opts, log: opts.Logger, wake: make(chan struct{}, 1),
		byDiscr: map[uint32]*entry{}, byPeer: map[peerKey]*entry{}, buf: make([]byte, 64)}
	r.status.Store(&[]Status{})
	return r
}

// Deliver queues a received packet for the loop; it never blocks.
func (r *Runtime) Deliver(p Packet) {
	r.enqueue(p)
	r.notify()
}

// enqueue queues a packet without waking the loop: for the loop's own
// poller, which steps right after it delivered.
func (r *Runtime) enqueue(p Packet) {
	r.mu.Lock()
	r.inbox = append(r.inbox, p)
	r.mu.Unlock()
}

// notify wakes the loop: Run's channel, or RunPolled's poller.
func (r *Runtime) notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
	if k := r.kick.Load(); k != nil {
		(*k)()
	}
}

// Reload hands a new session list to the loop, which applies it with
// Reconfigure at its next step; the result arrives on the channel.
func (r *Runtime) Reload(cfgs []Session) <-chan error {
	done := make(chan error, 1)
	r.mu.Lock()
	r.cmds = append(r.cmds, func(now time.Time) { done <- r.Reconfigure(now, cfgs) })
	r.mu.Unlock()
	r.notify()
	return done
}

// Status returns the newest published status, in configuration order.
func (r *Runtime) Status() []Status { return *r.status.Load() }

// Drops returns how many received packets were dropped, per reason.
func (r *Runtime) Drops() [bfd.NumDropReasons]uint64 {
	var d [bfd.NumDropReasons]uint64
	for i := range d {
		d[i] = r.drops[i].Load()
	}
	return d
}

// Start opens and starts the sessions. On error nothing stays open.
func (r *Runtime) Start(now time.Time, cfgs []Session) error {
	names := map[string]bool{}
	for _, c := range cfgs {
		if names[c.Name] {
			return fmt.Errorf("bfd: two sessions named %q", c.Name)
		}
		names[c.Name] = true
	}
	var added []*entry
	for _, c := range cfgs {
		e, err := r.open(c)
		if err != nil {
			for _, e := range added {
				r.remove(e)
			}
			return err
		}
		added = append(added, e)
	}
	for _, e := range added {
		r.handle(now, e, bfd.Startup{})
	}
	r.publish()
	return nil
}

func (r *Runtime) open(c Session) (*entry, error) {
	if !c.Remote.IsValid() {
		return nil, fmt.Errorf("bfd session %q: no neighbor_ip", c.Name)
	}
	c.Remote, c.Local = c.Remote.Unmap(), c.Local.Unmap()
	k := peerKey{c.Remote, c.Local, c.Multihop}
	if o := r.byPeer[k]; o != nil {
		return nil, fmt.Errorf("bfd session %q: same neighbor, source and hop mode as %q", c.Name, o.cfg.Name)
	}
	p := c.Params
	p.Name = c.Name
	for p.LocalDiscr == 0 || r.byDiscr[p.LocalDiscr] != nil {
		p.LocalDiscr = uint32(r.opts.Rand.Uint64())
	}
	s, err := bfd.NewSession(p, r.opts.Rand)
	if err != nil {
		return nil, err
	}
	tx, err := r.opts.Network.Dial(c)
	if err != nil {
		return nil, fmt.Errorf("bfd session %q: %w", c.Name, err)
	}
	c.Params = p
	e := &entry{cfg: c, s: s, sender: tx, ctr: &Counters{}}
	r.sessions = append(r.sessions, e)
	r.byDiscr[p.LocalDiscr] = e
	r.byPeer[k] = e
	return e, nil
}

func (r *Runtime) remove(e *entry) {
	delete(r.byDiscr, e.cfg.Params.LocalDiscr)
	delete(r.byPeer, peerKey{e.cfg.Remote, e.cfg.Local, e.cfg.Multihop})
	for i, o := range r.sessions {
		if o == e {
			r.sessions = append(r.sessions[:i], r.sessions[i+1:]...)
			break
		}
	}
	if err := e.sender.Close(); err != nil {
		r.log.Warn("bfd: close", "session", e.cfg.Name, "err", err)
	}
}

// Reconfigure applies a new list of sessions: a session whose name and
// addresses are unchanged keeps its state and takes the new timers (a Poll
// Sequence if Up); others are stopped (AdminDown sent) or started.
func (r *Runtime) Reconfigure(now time.Time, cfgs []Session) error {
	keep := map[string]Session{}
	for _, c := range cfgs {
		keep[c.Name] = c
	}
	var fresh []Session
	for _, e := range append([]*entry(nil), r.sessions...) {
		c, ok := keep[e.cfg.Name]
		c.Remote, c.Local = c.Remote.Unmap(), c.Local.Unmap()
		if ok && c.transport() == e.cfg.transport() && c.MaxHops == e.cfg.MaxHops {
			p := c.Params
			p.Name, p.LocalDiscr = e.cfg.Name, e.cfg.Params.LocalDiscr
			if out := r.handle(now, e, bfd.Reconfigure{Config: p}); out.Err != nil {
				return out.Err
			}
			e.cfg.Params = p
			delete(keep, e.cfg.Name)
			continue
		}
		r.stop(now, e, "removed or changed by a reload")
	}
	for _, c := range cfgs {
		if _, ok := keep[c.Name]; ok {
			fresh = append(fresh, c)
		}
	}
	err := r.Start(now, fresh)
	r.publish()
	return err
}

// stop puts a session AdminDown (so the peer is told, not left to time
// out), sends that, and closes it.
func (r *Runtime) stop(now time.Time, e *entry, why string) {
	r.handle(now, e, bfd.AdminDown{Diag: bfd.DiagAdminDown})
	r.log.Info("bfd: session stopped", "session", e.cfg.Name, "reason", why)
	r.remove(e)
}

// Finish stops every session.
func (r *Runtime) Finish(now time.Time) {
	for _, e := range append([]*entry(nil), r.sessions...) {
		r.stop(now, e, "shutdown")
	}
	r.publish()
}

// Step delivers the queued packets, fires the timers due at now, publishes
// the status if anything changed, and returns the next deadline (zero:
// none).
func (r *Runtime) Step(now time.Time) time.Time {
	r.mu.Lock()
	r.inboxCur, r.inbox = r.inbox, r.inboxCur[:0]
	cmds := r.cmds
	r.cmds = nil
	r.mu.Unlock()
	for _, c := range cmds {
		c(now)
	}
	changed := len(cmds) > 0
	for i := range r.inboxCur {
		r.receive(now, &r.inboxCur[i])
		r.inboxCur[i] = Packet{}
	}
	for _, e := range r.sessions {
		if !e.deadline.IsZero() && !now.Before(e.deadline) {
			r.handle(now, e, bfd.TimerFired{})
		}
	}
	// Publish when a session's variables changed (state, discriminators,
	// intervals, counts): not for every packet, whose counters are read
	// live.
	for _, e := range r.sessions {
		if !changed && e.s.Status() != e.pub {
			changed = true
		}
	}
	if changed {
		r.publish()
	}
	return r.next()
}

func (r *Runtime) next() time.Time {
	var d time.Time
	for _, e := range r.sessions {
		if !e.deadline.IsZero() && (d.IsZero() || e.deadline.Before(d)) {
			d = e.deadline
		}
	}
	return d
}

func (r *Runtime) drop(e *entry, reason bfd.DropReason, p *Packet, detail string) {
	r.drops[reason].Add(1)
	if e != nil {
		e.ctr.drops[reason].Add(1)
	}
	r.log.Debug("bfd: packet dropped", "reason", reason.String(), "src", p.Src, "detail", detail)
}

// receive is RFC 5880 §6.8.6 steps 1-9 around the session's own checks:
// parse, validate, find the session (by Your Discriminator, else by
// addresses), GTSM (RFC 5881 §5 / RFC 5883 §5).
func (r *Runtime) receive(now time.Time, p *Packet) {
	var c bfd.Control
	if err := bfd.ParseControlInto(&c, p.Payload); err != nil {
		var pe bfd.ParseError
		if errors.As(err, &pe) {
			r.drop(nil, pe.Reason, p, pe.Detail)
			return
		}
		r.drop(nil, bfd.DropLength, p, err.Error())
		return
	}
	if reason := bfd.Validate(&c); reason != bfd.OK {
		r.drop(nil, reason, p, "")
		return
	}
	src, dst := p.Src.Unmap(), p.Dst.Unmap()
	var e *entry
	if c.YourDiscr != 0 {
		e = r.byDiscr[c.YourDiscr]
	} else if e = r.byPeer[peerKey{src, dst, p.Multihop}]; e == nil {
		e = r.byPeer[peerKey{src, netip.Addr{}, p.Multihop}]
	}
	if e == nil || e.cfg.Remote != src || e.cfg.Multihop != p.Multihop {
		r.drop(nil, bfd.DropNoSession, p, fmt.Sprintf("your discriminator %d", c.YourDiscr))
		return
	}
	if reason := bfd.CheckTTL(p.TTL, cmp.Or(e.cfg.TTL, 255), e.cfg.MaxHops); reason != bfd.OK {
		r.drop(e, reason, p, fmt.Sprintf("session %s: TTL %d", e.cfg.Name, p.TTL))
		return
	}
	if out := r.handle(now, e, bfd.Received{Packet: c}); out.Dropped != bfd.OK {
		r.drop(e, out.Dropped, p, "session "+e.cfg.Name)
	} else {
		e.ctr.rx.Add(1)
	}
}

// handle feeds one input to a session and carries out its output.
func (r *Runtime) handle(now time.Time, e *entry, in bfd.Input) bfd.Output {
	out := e.s.Handle(now, in)
	for i := range out.Send {
		n, err := out.Send[i].MarshalTo(r.buf)
		if err == nil {
			err = e.sender.Send(r.buf[:n])
		}
		if err == nil {
			e.ctr.tx.Add(1)
		}
		if err != nil {
			e.sendErrs++
			e.ctr.sendErrs.Add(1)
			if e.sendErrs == 1 || e.sendErrs%1000 == 0 {
				r.log.Warn("bfd: send failed", "session", e.cfg.Name, "count", e.sendErrs, "err", err)
			}
		}
	}
	e.deadline = out.Deadline
	if tr := out.Transition; tr != nil {
		e.changed, e.reason = now, tr.Reason
		r.log.Info("bfd: session state change", "session", e.cfg.Name, "from", tr.From.String(), "to", tr.To.String(),
			"diag", tr.Diag.String(), "reason", tr.Reason)
		r.opts.Events(Event{Session: e.cfg.Name, From: tr.From, To: tr.To, Diag: tr.Diag, Reason: tr.Reason})
	}
	if e.s.State() == bfd.StateUp {
		if tx, dt := e.s.TxInterval(), e.s.DetectionTime(); tx != e.tx || dt != e.dt {
			e.tx, e.dt = tx, dt
			r.log.Info("bfd: session timers", "session", e.cfg.Name, "tx_interval", tx, "detection_time", dt)
		}
	}
	return out
}

func (r *Runtime) publish() {
	st := make([]Status, len(r.sessions))
	for i, e := range r.sessions {
		e.pub = e.s.Status()
		st[i] = Status{Status: e.pub, Local: e.cfg.Local, Remote: e.cfg.Remote, Multihop: e.cfg.Multihop, SendErrors: e.sendErrs,
			LastChange: e.changed, LastReason: e.reason, Counters: e.ctr}
	}
	r.status.Store(&st)
}
