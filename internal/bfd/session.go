package bfd

import (
	"fmt"
	"time"
)

// SlowTxInterval is the floor of bfd.DesiredMinTxInterval while the session
// is not Up (RFC 5880 §6.8.3: "not less than one second").
const SlowTxInterval = time.Second

// Rand is the random source of the transmit jitter (math/rand/v2's *Rand
// fits). Tests inject a seeded one.
type Rand interface{ Uint64() uint64 }

// Config is one session's configuration, in keepalived's terms.
type Config struct {
	// Name identifies the session in reasons and logs (keepalived's
	// bfd_instance name).
	Name string
	// LocalDiscr is bfd.LocalDiscr: nonzero and unique among the runtime's
	// sessions (RFC 5880 §6.8.1); the runtime chooses it.
	LocalDiscr uint32
	// DesiredMinTx is bfd.DesiredMinTxInterval once Up (keepalived min_tx).
	DesiredMinTx time.Duration
	// RequiredMinRx is bfd.RequiredMinRxInterval (keepalived min_rx).
	RequiredMinRx time.Duration
	// IdleTx is bfd.DesiredMinTxInterval while not Up (keepalived
	// idle_tx); 0 or less than SlowTxInterval means SlowTxInterval.
	IdleTx time.Duration
	// DetectMult is bfd.DetectMult (keepalived multiplier), 1..255.
	DetectMult uint8
	// Passive takes the Passive role (RFC 5880 §6.1): no packet is sent
	// before the peer's discriminator is known.
	Passive bool
	// AdminDown starts the session AdminDown (keepalived disabled).
	AdminDown bool
}

func (c Config) validate() error {
	switch {
	case c.LocalDiscr == 0:
		return fmt.Errorf("local discriminator 0: it must be nonzero (RFC 5880 §6.8.1)")
	case c.DetectMult == 0:
		return fmt.Errorf("multiplier 0: it must be 1..255")
	case c.DesiredMinTx <= 0 || c.DesiredMinTx/time.Microsecond > 1<<32-1:
		return fmt.Errorf("min_tx %v: it must be 1µs..4294s", c.DesiredMinTx)
	case c.RequiredMinRx < 0 || c.RequiredMinRx/time.Microsecond > 1<<32-1:
		return fmt.Errorf("min_rx %v: it must be 0..4294s", c.RequiredMinRx)
	case c.IdleTx < 0 || c.IdleTx/time.Microsecond > 1<<32-1:
		return fmt.Errorf("idle_tx %v: it must be 0..4294s", c.IdleTx)
	}
	return nil
}

// Input is one event fed to Session.Handle: Startup, Received, TimerFired,
// AdminDown, AdminUp or Reconfigure.
type Input interface{ isInput() }

// Startup starts the session in Down (or AdminDown with Config.AdminDown).
type Startup struct{}

// Received is a control packet the runtime has parsed, checked (TTL,
// Validate) and demultiplexed to this session.
type Received struct{ Packet Control }

// TimerFired tells the session the clock reached Output.Deadline; an early
// or spurious one is harmless.
type TimerFired struct{}

// AdminDown puts the session AdminDown (RFC 5880 §6.8.16), with Diag.
type AdminDown struct{ Diag Diag }

// AdminUp leaves AdminDown for Down.
type AdminUp struct{}

// Reconfigure carries new intervals and multiplier (Name and LocalDiscr
// must not change). Interval changes start a Poll Sequence (§6.8.3).
type Reconfigure struct{ Config Config }

func (Startup) isInput()     {}
func (Received) isInput()    {}
func (TimerFired) isInput()  {}
func (AdminDown) isInput()   {}
func (AdminUp) isInput()     {}
func (Reconfigure) isInput() {}

// Transition is a state change with its reason.
type Transition struct {
	From, To State
	Diag     Diag // bfd.LocalDiag after the change
	Reason   string
}

// Output is what Handle asks the runtime to do. Its slice is reused by the
// next call.
type Output struct {
	// Send are the control packets to send now, in order.
	Send []Control
	// Deadline is when to call Handle with TimerFired; zero: no timer.
	Deadline time.Time
	// Transition is set when the state changed.
	Transition *Transition
	// Dropped says why a Received packet was discarded (OK if it was not).
	Dropped DropReason
	// Err is set when a Reconfigure was refused.
	Err error
}

// Session is one BFD session (RFC 5880 §6.8.1 state variables, async mode).
// It is pure and not safe for concurrent use.
type Session struct {
	cfg Config
	rnd Rand

	state         State
	remoteState   State
	remoteDiag    Diag
	remoteDiscr   uint32
	localDiag     Diag
	remoteDemand  bool
	remoteMinRx   time.Duration // bfd.RemoteMinRxInterval
	remoteMinTx   time.Duration // the peer's Desired Min TX
	remoteMult    uint8
	started       bool
	everHeardPeer bool
	desiredTx     time.Duration // bfd.DesiredMinTxInterval as advertised
	requiredRx    time.Duration // bfd.RequiredMinRxInterval as advertised
	txUsed        time.Duration // the value the transmit interval uses (old one during a poll that raised it)
	rxUsed        time.Duration // the value the detection time uses (old one during a poll that lowered it)
	pollActive    bool
	txTimer       time.Time
	detectTimer   time.Time
	lastRx        time.Time
	upCount       uint64
	downCount     uint64
	send          []Control
	tr            Transition
	trOK          bool
}

// NewSession validates cfg and returns a session that has not started;
// rnd must not be nil.
func NewSession(cfg Config, rnd Rand) (*Session, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("bfd session %q: %w", cfg.Name, err)
	}
	if rnd == nil {
		return nil, fmt.Errorf("bfd session %q: no random source", cfg.Name)
	}
	s := &Session{cfg: cfg, rnd: rnd, state: StateDown, send: make([]Control, 0, 2)}
	// §6.8.1: bfd.RemoteMinRxInterval "MUST be initialized to 1".
	s.remoteMinRx = time.Microsecond
	s.desiredTx, s.requiredRx = s.wantTx(), cfg.RequiredMinRx
	s.txUsed, s.rxUsed = s.desiredTx, s.requiredRx
	return s, nil
}

// Status is a read-only view of the session's variables.
type Status struct {
	Name                      string
	State, RemoteState        State
	LocalDiscr, RemoteDiscr   uint32
	LocalDiag                 Diag
	RemoteDiag                Diag // the Diag of the peer's last packet
	DetectMult                uint8
	DesiredMinTx, RequiredRx  time.Duration // as advertised
	RemoteMinRx, RemoteMinTx  time.Duration
	RemoteDetectMult          uint8
	TxInterval, DetectionTime time.Duration // negotiated (0: none yet)
	PollActive                bool
	Ups, Downs                uint64
}

// Status returns the session's variables.
func (s *Session) Status() Status {
	st := Status{
		Name: s.cfg.Name, State: s.state, RemoteState: s.remoteState,
		LocalDiscr: s.cfg.LocalDiscr, RemoteDiscr: s.remoteDiscr, LocalDiag: s.localDiag,
		RemoteDiag: s.remoteDiag, DetectMult: s.cfg.DetectMult,
		DesiredMinTx: s.desiredTx, RequiredRx: s.requiredRx,
		RemoteMinRx: s.remoteMinRx, RemoteMinTx: s.remoteMinTx, RemoteDetectMult: s.remoteMult,
		TxInterval: s.TxInterval(), PollActive: s.pollActive, Ups: s.upCount, Downs: s.downCount,
	}
	if s.everHeardPeer {
		st.DetectionTime = s.DetectionTime()
	}
	return st
}

// State returns bfd.SessionState.
func (s *Session) State() State { return s.state }

// Config returns the configuration.
func (s *Session) Config() Config { return s.cfg }

// TxInterval is the unjittered periodic transmit interval (§6.8.7): the
// larger of bfd.DesiredMinTxInterval (the value in force) and
// bfd.RemoteMinRxInterval; 0 when the peer asked for no packets.
func (s *Session) TxInterval() time.Duration {
	if s.remoteMinRx == 0 {
		return 0
	}
	return max(s.txUsed, s.remoteMinRx)
}

// DetectionTime is the asynchronous-mode Detection Time (§6.8.4): the
// remote Detect Mult times the larger of our bfd.RequiredMinRxInterval (the
// value in force) and the peer's Desired Min TX.
func (s *Session) DetectionTime() time.Duration {
	return time.Duration(s.remoteMult) * max(s.rxUsed, s.remoteMinTx)
}

func (s *Session) wantTx() time.Duration {
	if s.state == StateUp {
		return s.cfg.DesiredMinTx
	}
	// §6.8.3: while not Up, "not less than one second"; keepalived's
	// idle_tx may ask for more.
	return max(SlowTxInterval, s.cfg.IdleTx, s.cfg.DesiredMinTx)
}

// Handle advances the session to now with one input.
func (s *Session) Handle(now time.Time, in Input) Output {
	clear(s.send)
	s.send = s.send[:0]
	s.trOK = false
	var drop DropReason
	var err error
	switch in := in.(type) {
	case Startup:
		s.startup(now)
	case Received:
		drop = s.receive(now, &in.Packet)
	case TimerFired:
		s.timers(now)
	case AdminDown:
		s.adminDown(now, in.Diag)
	case AdminUp:
		s.adminUp(now)
	case Reconfigure:
		err = s.reconfigure(now, in.Config)
	}
	out := Output{Send: s.send, Deadline: s.deadline(), Dropped: drop, Err: err}
	if s.trOK {
		out.Transition = &s.tr
	}
	return out
}

func (s *Session) deadline() time.Time {
	d := s.txTimer
	if !s.detectTimer.IsZero() && (d.IsZero() || s.detectTimer.Before(d)) {
		d = s.detectTimer
	}
	return d
}

func (s *Session) transition(to State, diag Diag, reason string) {
	s.tr = Transition{From: s.state, To: to, Diag: diag, Reason: reason}
	s.trOK = true
	s.state, s.localDiag = to, diag
	switch {
	case to == StateUp:
		s.upCount++
	case s.tr.From == StateUp:
		s.downCount++
	}
}

func (s *Session) startup(now time.Time) {
	if s.started {
		return
	}
	s.started = true
	if s.cfg.AdminDown {
		s.transition(StateAdminDown, DiagAdminDown, "configured disabled")
		s.scheduleTx(now, true)
		return
	}
	s.scheduleTx(now, true)
}

// receive is RFC 5880 §6.8.6 after the packet-only checks (Validate).
func (s *Session) receive(now time.Time, p *Control) DropReason {
	if !s.started {
		return DropNoSession
	}
	if r := Validate(p); r != OK {
		return r
	}
	if p.YourDiscr != 0 && p.YourDiscr != s.cfg.LocalDiscr {
		return DropNoSession
	}
	if p.Poll && p.Final {
		return DropPollFinal
	}
	wasSilent := s.remoteDiscr == 0 || s.remoteMinRx == 0
	oldInterval := s.TxInterval()
	s.everHeardPeer = true
	s.remoteDiscr = p.MyDiscr
	s.remoteState = p.State
	s.remoteDiag = p.Diag
	s.remoteDemand = p.Demand
	s.remoteMinRx = time.Duration(p.RequiredMinRx) * time.Microsecond
	s.remoteMinTx = time.Duration(p.DesiredMinTx) * time.Microsecond
	s.remoteMult = p.DetectMult
	// "If the Final (F) bit is set and there is a Poll Sequence in
	// progress, the Poll Sequence MUST be terminated." (§6.5: the new
	// values are then in force.)
	if p.Final && s.pollActive {
		s.pollActive = false
		s.txUsed, s.rxUsed = s.desiredTx, s.requiredRx
	}
	s.lastRx = now
	// A peer that lowers its Required Min RX (typically at the end of its
	// own Poll Sequence, when both sides leave the 1 s pace) gets the
	// faster packets now, not one slow interval later, or it times out.
	if iv := s.TxInterval(); iv < oldInterval && !s.txTimer.IsZero() && s.mayTransmit() {
		if t := now.Add(s.jittered()); t.Before(s.txTimer) {
			s.txTimer = t
		}
	}
	if s.state == StateAdminDown {
		// "If bfd.SessionState is AdminDown: Discard the packet."
		return DropAdminDown
	}
	switch {
	case p.State == StateAdminDown:
		if s.state != StateDown {
			s.goDown(now, DiagNeighborSignaledDown, "the neighbor signaled AdminDown")
		}
	case s.state == StateDown && p.State == StateDown:
		s.transition(StateInit, DiagNone, "the neighbor is Down: three-way handshake")
		s.sendNow(false)
	case s.state == StateDown && p.State == StateInit:
		s.goUp(now, "the neighbor is Init")
	case s.state == StateInit && (p.State == StateInit || p.State == StateUp):
		s.goUp(now, "the neighbor is "+p.State.String())
	case s.state == StateUp && p.State == StateDown:
		s.goDown(now, DiagNeighborSignaledDown, "the neighbor signaled Down ("+p.Diag.String()+")")
	}
	// §6.8.6: "If the packet was not discarded, it has been received for
	// purposes of the Detection Time expiration rules in section 6.8.4."
	// In Down the timer only forgets the peer (§6.8.1 RemoteDiscr).
	s.detectTimer = now.Add(s.DetectionTime())
	// "If the Poll (P) bit is set, send a BFD Control packet to the remote
	// system with the Poll (P) bit clear, and the Final (F) bit set".
	if p.Poll {
		s.sendNow(true)
	}
	// A passive session starts sending once it knows the peer (§6.1); a
	// peer that asked for no packets (RequiredMinRx 0) and now asks again
	// gets them again.
	if wasSilent && s.txTimer.IsZero() {
		s.scheduleTx(now, false)
	}
	return OK
}

func (s *Session) goUp(now time.Time, reason string) {
	s.transition(StateUp, DiagNone, reason)
	s.paramsChanged(now)
	s.sendNow(false)
}

func (s *Session) goDown(now time.Time, diag Diag, reason string) {
	s.transition(StateDown, diag, reason)
	s.paramsChanged(now)
	s.sendNow(false)
}

// paramsChanged applies new advertised intervals (§6.8.3). Not Up, they
// take effect at once; Up, a Poll Sequence starts, and a larger transmit
// interval or a smaller receive interval waits for the Final.
func (s *Session) paramsChanged(now time.Time) {
	tx, rx := s.wantTx(), s.cfg.RequiredMinRx
	if tx == s.desiredTx && rx == s.requiredRx {
		return
	}
	s.desiredTx, s.requiredRx = tx, rx
	if s.state != StateUp {
		s.pollActive = false
		s.txUsed, s.rxUsed = tx, rx
		return
	}
	// "If either bfd.DesiredMinTxInterval is changed or
	// bfd.RequiredMinRxInterval is changed, a Poll Sequence MUST be
	// initiated". "if bfd.DesiredMinTxInterval is increased and
	// bfd.SessionState is Up, the actual transmission interval used MUST
	// NOT change until the Poll Sequence ... has terminated"; "if
	// bfd.RequiredMinRxInterval is reduced and bfd.SessionState is Up, the
	// previous value ... MUST be used when calculating the Detection Time
	// for the remote system until the Poll Sequence has terminated."
	s.pollActive = true
	if tx < s.txUsed {
		s.txUsed = tx
	}
	if rx > s.rxUsed {
		s.rxUsed = rx
	}
	// A shorter interval takes effect now rather than at the next slow
	// transmission.
	if t := now.Add(s.jittered()); s.txTimer.IsZero() || t.Before(s.txTimer) {
		if s.mayTransmit() {
			s.txTimer = t
		}
	}
}

func (s *Session) timers(now time.Time) {
	if !s.detectTimer.IsZero() && !now.Before(s.detectTimer) {
		s.detectTimer = time.Time{}
		// §6.8.1: bfd.RemoteDiscr "MUST be reset to zero if Detection Time
		// passes without the receipt of a valid ... packet".
		s.remoteDiscr = 0
		s.remoteState = StateDown
		if s.state == StateInit || s.state == StateUp {
			// §6.8.4: "the session has gone down -- the local system MUST
			// set bfd.SessionState to Down and bfd.LocalDiag to 1".
			s.goDown(now, DiagControlDetectionExpired,
				fmt.Sprintf("no packet for %v (detection time: %d x %v)", now.Sub(s.lastRx), s.remoteMult, max(s.rxUsed, s.remoteMinTx)))
		}
		s.remoteMinRx = time.Microsecond
		if !s.mayTransmit() {
			s.txTimer = time.Time{}
		} else if s.txTimer.IsZero() {
			s.scheduleTx(now, false)
		}
	}
	if !s.txTimer.IsZero() && !now.Before(s.txTimer) {
		s.txTimer = time.Time{}
		if s.mayTransmit() {
			if len(s.send) == 0 { // not already sent by a state change above
				s.send = append(s.send, s.packet(false))
			}
			s.scheduleTx(now, false)
		}
	}
}

// mayTransmit is §6.8.7's periodic rule: not if the peer's
// RequiredMinRxInterval is zero, nor in the Passive role before the peer's
// discriminator is known.
func (s *Session) mayTransmit() bool {
	if s.remoteMinRx == 0 {
		return false
	}
	if s.cfg.Passive && s.remoteDiscr == 0 {
		return false
	}
	return true
}

// scheduleTx arms the transmit timer one jittered interval from now, or at
// once (first) for the first packet of an active session.
func (s *Session) scheduleTx(now time.Time, first bool) {
	if !s.mayTransmit() {
		s.txTimer = time.Time{}
		return
	}
	if first {
		s.txTimer = now
		return
	}
	s.txTimer = now.Add(s.jittered())
}

// jittered is §6.8.7: the interval reduced by a random 0-25%, or 10-25%
// with bfd.DetectMult 1.
func (s *Session) jittered() time.Duration {
	iv := s.TxInterval()
	lo, span := uint64(0), uint64(25)
	if s.cfg.DetectMult == 1 {
		lo, span = 10, 15
	}
	// Per ten-thousand, for sub-percent resolution.
	pct := lo*100 + s.rnd.Uint64()%(span*100+1)
	return iv - time.Duration(uint64(iv)*pct/10000)
}

// sendNow queues a packet outside the periodic schedule: the Final answer
// to a Poll (§6.8.6), or a state change (which §6.8.7 lets us send at once
// rather than wait up to a second). A passive session still waits for the
// peer's discriminator.
func (s *Session) sendNow(final bool) {
	if s.cfg.Passive && s.remoteDiscr == 0 {
		return
	}
	s.send = append(s.send, s.packet(final))
}

// packet builds a control packet from the state variables (§6.8.7).
func (s *Session) packet(final bool) Control {
	return Control{
		Version:       Version,
		Diag:          s.localDiag,
		State:         s.state,
		Poll:          s.pollActive && !final,
		Final:         final,
		DetectMult:    s.cfg.DetectMult,
		MyDiscr:       s.cfg.LocalDiscr,
		YourDiscr:     s.remoteDiscr,
		DesiredMinTx:  micros(s.desiredTx),
		RequiredMinRx: micros(s.requiredRx),
		// Echo is not implemented: Required Min Echo RX Interval 0 (§6.8.9).
	}
}

func micros(d time.Duration) uint32 { return uint32(d / time.Microsecond) }

func (s *Session) adminDown(now time.Time, diag Diag) {
	if s.state == StateAdminDown {
		return
	}
	if diag == DiagNone {
		diag = DiagAdminDown
	}
	// §6.8.16: set AdminDown, stop the Detection Time; packets keep going
	// out with State AdminDown so the peer does not fail over by timeout.
	s.detectTimer = time.Time{}
	s.transition(StateAdminDown, diag, "administratively down")
	s.paramsChanged(now)
	s.sendNow(false)
}

func (s *Session) adminUp(now time.Time) {
	if s.state != StateAdminDown {
		return
	}
	s.remoteDiscr = 0
	s.transition(StateDown, DiagNone, "administratively up")
	s.scheduleTx(now, true)
}

func (s *Session) reconfigure(now time.Time, c Config) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("bfd session %q: %w", s.cfg.Name, err)
	}
	if c.LocalDiscr != s.cfg.LocalDiscr || c.Name != s.cfg.Name {
		return fmt.Errorf("bfd session %q: reconfigure cannot change the name or the discriminator", s.cfg.Name)
	}
	wasPassive := s.cfg.Passive
	s.cfg.DesiredMinTx, s.cfg.RequiredMinRx, s.cfg.IdleTx, s.cfg.DetectMult = c.DesiredMinTx, c.RequiredMinRx, c.IdleTx, c.DetectMult
	s.cfg.Passive = c.Passive
	s.paramsChanged(now)
	if s.pollActive {
		// §6.5: the poll goes out now, not a full interval later.
		s.sendNow(false)
	}
	if wasPassive && !c.Passive && s.txTimer.IsZero() {
		s.scheduleTx(now, true)
	}
	if c.AdminDown != s.cfg.AdminDown {
		s.cfg.AdminDown = c.AdminDown
		if c.AdminDown {
			s.adminDown(now, DiagAdminDown)
		} else {
			s.adminUp(now)
		}
	}
	return nil
}

// StateEvent is what the BFD runtime tells other runtimes when a session
// changes state (the VRRP runtime's track_bfd follows it). It is a value.
type StateEvent struct {
	Session  string
	From, To State
	Diag     Diag
	Reason   string
}

// Up reports whether the session is Up after the change.
func (e StateEvent) Up() bool { return e.To == StateUp }
