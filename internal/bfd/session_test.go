package bfd

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fixedRand returns the same value: 0 gives no jitter reduction (25% off is
// the maximum value modulo the range).
type fixedRand uint64

func (r fixedRand) Uint64() uint64 { return uint64(r) }

func cfg(discr uint32) Config {
	return Config{Name: "s", LocalDiscr: discr, DesiredMinTx: 100 * time.Millisecond,
		RequiredMinRx: 100 * time.Millisecond, DetectMult: 3}
}

func newSession(t *testing.T, c Config) *Session {
	t.Helper()
	s, err := NewSession(c, fixedRand(0))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// peer builds what a peer with discriminator 99 sends.
func peer(st State, your uint32, f func(*Control)) Received {
	c := Control{Version: 1, State: st, DetectMult: 3, MyDiscr: 99, YourDiscr: your,
		DesiredMinTx: 100000, RequiredMinRx: 100000}
	if f != nil {
		f(&c)
	}
	return Received{Packet: c}
}

// up brings s (discriminator 1) Up through Down → Init → Up and returns the
// time it did.
func up(t *testing.T, s *Session) time.Time {
	t.Helper()
	s.Handle(t0, Startup{})
	s.Handle(t0, peer(StateDown, 0, nil))
	out := s.Handle(t0, peer(StateUp, 1, nil))
	if s.State() != StateUp || out.Transition == nil {
		t.Fatalf("state %v after the handshake", s.State())
	}
	return t0
}

func oneSent(t *testing.T, out Output) Control {
	t.Helper()
	if len(out.Send) != 1 {
		t.Fatalf("sent %d packets, want 1: %+v", len(out.Send), out.Send)
	}
	return out.Send[0]
}

func TestSessionStart(t *testing.T) {
	t.Run("RFC5880-6.8.1-1_starts_Down_and_sends_at_once_with_Your_Discriminator_0", func(t *testing.T) {
		s := newSession(t, cfg(1))
		out := s.Handle(t0, Startup{})
		if s.State() != StateDown || !out.Deadline.Equal(t0) {
			t.Fatalf("state %v deadline %v", s.State(), out.Deadline)
		}
		p := oneSent(t, s.Handle(t0, TimerFired{}))
		if p.State != StateDown || p.YourDiscr != 0 || p.MyDiscr != 1 || p.DetectMult != 3 || p.RequiredMinEchoRx != 0 {
			t.Errorf("first packet %+v", p)
		}
	})
	t.Run("RFC5880-6.8.3-1_not_Up:_Desired_Min_TX_at_least_1s", func(t *testing.T) {
		s := newSession(t, cfg(1))
		s.Handle(t0, Startup{})
		out := s.Handle(t0, TimerFired{})
		if p := oneSent(t, out); p.DesiredMinTx != 1000000 || p.RequiredMinRx != 100000 {
			t.Errorf("DesiredMinTx %d RequiredMinRx %d, want 1000000 and 100000", p.DesiredMinTx, p.RequiredMinRx)
		}
		if got := out.Deadline.Sub(t0); got != time.Second {
			t.Errorf("next packet after %v, want 1s (fixed rand: no jitter)", got)
		}
	})
	t.Run("keepalived:idle_tx_above_1s", func(t *testing.T) {
		c := cfg(1)
		c.IdleTx = 2 * time.Second
		s := newSession(t, c)
		s.Handle(t0, Startup{})
		if p := oneSent(t, s.Handle(t0, TimerFired{})); p.DesiredMinTx != 2000000 {
			t.Errorf("DesiredMinTx %d, want 2000000", p.DesiredMinTx)
		}
	})
	t.Run("config_errors_name_the_field", func(t *testing.T) {
		for _, c := range []Config{{DetectMult: 3, DesiredMinTx: 1}, {LocalDiscr: 1, DesiredMinTx: 1}, {LocalDiscr: 1, DetectMult: 1}} {
			if _, err := NewSession(c, fixedRand(0)); err == nil {
				t.Errorf("NewSession(%+v) succeeded", c)
			}
		}
		if _, err := NewSession(cfg(1), nil); err == nil {
			t.Error("NewSession without a random source succeeded")
		}
	})
}

func TestSessionStates(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from     State
		recv     Received
		to       State
		diag     Diag
		transits bool
	}{
		{"RFC5880-6.8.6-13_Down_receives_Down:_Init", StateDown, peer(StateDown, 0, nil), StateInit, DiagNone, true},
		{"RFC5880-6.8.6-13_Down_receives_Init:_Up", StateDown, peer(StateInit, 1, nil), StateUp, DiagNone, true},
		{"RFC5880-6.8.6-13_Down_ignores_Up", StateDown, peer(StateUp, 1, nil), StateDown, DiagNone, false},
		{"RFC5880-6.8.6-14_Init_receives_Init:_Up", StateInit, peer(StateInit, 1, nil), StateUp, DiagNone, true},
		{"RFC5880-6.8.6-14_Init_receives_Up:_Up", StateInit, peer(StateUp, 1, nil), StateUp, DiagNone, true},
		{"RFC5880-6.8.6-14_Init_ignores_Down", StateInit, peer(StateDown, 1, nil), StateInit, DiagNone, false},
		{"RFC5880-6.8.6-15_Up_receives_Down:_Down,_diag_3", StateUp, peer(StateDown, 1, nil), StateDown, DiagNeighborSignaledDown, true},
		{"RFC5880-6.8.6-12_Up_receives_AdminDown:_Down,_diag_3", StateUp, peer(StateAdminDown, 1, nil), StateDown, DiagNeighborSignaledDown, true},
		{"RFC5880-6.8.6-12_Init_receives_AdminDown:_Down,_diag_3", StateInit, peer(StateAdminDown, 1, nil), StateDown, DiagNeighborSignaledDown, true},
		{"RFC5880-6.8.6-12_Down_receives_AdminDown:_stays", StateDown, peer(StateAdminDown, 0, nil), StateDown, DiagNone, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t, cfg(1))
			s.Handle(t0, Startup{})
			switch tc.from {
			case StateInit:
				s.Handle(t0, peer(StateDown, 0, nil))
			case StateUp:
				up(t, s)
			}
			if s.State() != tc.from {
				t.Fatalf("setup reached %v, want %v", s.State(), tc.from)
			}
			out := s.Handle(t0.Add(time.Millisecond), tc.recv)
			if out.Dropped != OK {
				t.Fatalf("dropped: %v", out.Dropped)
			}
			if s.State() != tc.to || s.Status().LocalDiag != tc.diag {
				t.Errorf("state %v diag %v, want %v %v", s.State(), s.Status().LocalDiag, tc.to, tc.diag)
			}
			if (out.Transition != nil) != tc.transits {
				t.Fatalf("transition %+v, want one: %v", out.Transition, tc.transits)
			}
			if out.Transition != nil {
				if out.Transition.Reason == "" || out.Transition.From != tc.from || out.Transition.To != tc.to {
					t.Errorf("transition %+v", *out.Transition)
				}
				// A state change goes out at once, with the new state.
				if len(out.Send) == 0 || out.Send[0].State != tc.to {
					t.Errorf("sent %+v on the transition", out.Send)
				}
			}
		})
	}
}

func TestSessionReception(t *testing.T) {
	t.Run("RFC5880-6.8.6-7_Your_Discriminator_names_another_session", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		if out := s.Handle(t0, peer(StateUp, 2, nil)); out.Dropped != DropNoSession {
			t.Errorf("dropped %v, want %v", out.Dropped, DropNoSession)
		}
	})
	t.Run("RFC5880-6.8.6-9_remote_variables_taken_from_the_packet", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.DesiredMinTx, c.RequiredMinRx, c.DetectMult = 200000, 50000, 4 }))
		st := s.Status()
		if st.RemoteDiscr != 99 || st.RemoteState != StateUp || st.RemoteMinTx != 200*time.Millisecond ||
			st.RemoteMinRx != 50*time.Millisecond || st.RemoteDetectMult != 4 {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("RFC5880-6.8.6-11_AdminDown_session_discards", func(t *testing.T) {
		c := cfg(1)
		c.AdminDown = true
		s := newSession(t, c)
		s.Handle(t0, Startup{})
		out := s.Handle(t0, peer(StateDown, 0, nil))
		if out.Dropped != DropAdminDown || s.State() != StateAdminDown {
			t.Errorf("dropped %v state %v", out.Dropped, s.State())
		}
	})
	t.Run("RFC5880-6.8.6-16_Poll_answered_at_once_with_Final", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		// Finish our own poll first so that P is clear in what we send.
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.Final = true }))
		p := oneSent(t, s.Handle(t0.Add(time.Millisecond), peer(StateUp, 1, func(c *Control) { c.Poll = true })))
		if !p.Final || p.Poll {
			t.Errorf("answer P=%v F=%v, want F only", p.Poll, p.Final)
		}
	})
	t.Run("RFC5880-6.5-1_P_and_F_together_dropped", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		if out := s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.Poll, c.Final = true, true })); out.Dropped != DropPollFinal {
			t.Errorf("dropped %v", out.Dropped)
		}
	})
	t.Run("RFC5880-6.8.6-10_A_bit_dropped", func(t *testing.T) {
		s := newSession(t, cfg(1))
		s.Handle(t0, Startup{})
		out := s.Handle(t0, peer(StateDown, 0, func(c *Control) { c.AuthBit = true }))
		if out.Dropped != DropAuthUnsupported || s.State() != StateDown {
			t.Errorf("dropped %v state %v", out.Dropped, s.State())
		}
	})
}

func TestPollSequence(t *testing.T) {
	t.Run("RFC5880-6.8.3-2_going_Up_polls_for_the_fast_interval", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		out := s.Handle(t0.Add(100*time.Millisecond), TimerFired{})
		p := oneSent(t, out)
		if !p.Poll || p.DesiredMinTx != 100000 {
			t.Errorf("periodic packet in Up: P=%v DesiredMinTx %d, want a poll for 100000", p.Poll, p.DesiredMinTx)
		}
		// A decrease of the transmit interval applies at once.
		if got := s.TxInterval(); got != 100*time.Millisecond {
			t.Errorf("TxInterval %v", got)
		}
		s.Handle(t0.Add(150*time.Millisecond), peer(StateUp, 1, func(c *Control) { c.Final = true }))
		if s.Status().PollActive {
			t.Fatal("the Final did not end the poll")
		}
		if p := oneSent(t, s.Handle(t0.Add(200*time.Millisecond), TimerFired{})); p.Poll {
			t.Error("P still set after the Final")
		}
	})
	t.Run("RFC5880-6.8.3-3_larger_TX_waits_for_the_Final", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.Final = true }))
		c := cfg(1)
		c.DesiredMinTx = 500 * time.Millisecond
		p := oneSent(t, s.Handle(t0, Reconfigure{Config: c}))
		if !p.Poll || p.DesiredMinTx != 500000 {
			t.Errorf("reconfigure sent P=%v DesiredMinTx %d, want a poll for 500000", p.Poll, p.DesiredMinTx)
		}
		if got := s.TxInterval(); got != 100*time.Millisecond {
			t.Errorf("TxInterval %v during the poll, want the old 100ms", got)
		}
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.Final = true }))
		if got := s.TxInterval(); got != 500*time.Millisecond {
			t.Errorf("TxInterval %v after the Final, want 500ms", got)
		}
	})
	t.Run("RFC5880-6.8.3-4_smaller_RX_waits_for_the_Final", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.Final = true; c.DesiredMinTx = 10000 }))
		c := cfg(1)
		c.RequiredMinRx = 20 * time.Millisecond
		s.Handle(t0, Reconfigure{Config: c})
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.DesiredMinTx = 10000 }))
		if got := s.DetectionTime(); got != 300*time.Millisecond {
			t.Errorf("detection time %v during the poll, want 3 x the old 100ms", got)
		}
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.Final = true; c.DesiredMinTx = 10000 }))
		if got := s.DetectionTime(); got != 60*time.Millisecond {
			t.Errorf("detection time %v after the Final, want 3 x 20ms", got)
		}
	})
	t.Run("RFC5880-6.8.3-5_going_Down_restores_1s_without_a_poll", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		p := oneSent(t, s.Handle(t0, peer(StateDown, 1, nil)))
		if p.Poll || p.DesiredMinTx != 1000000 || p.State != StateDown || p.Diag != DiagNeighborSignaledDown {
			t.Errorf("packet on going Down %+v", p)
		}
	})
}

func TestDetection(t *testing.T) {
	t.Run("RFC5880-6.8.4-1_detection_time_is_remote_mult_x_max(local_rx,_remote_tx)", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.DetectMult = 5; c.DesiredMinTx = 150000 }))
		if got := s.DetectionTime(); got != 750*time.Millisecond {
			t.Errorf("detection time %v, want 5 x 150ms", got)
		}
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.DetectMult = 2; c.DesiredMinTx = 50000 }))
		if got := s.DetectionTime(); got != 200*time.Millisecond {
			t.Errorf("detection time %v, want 2 x our 100ms", got)
		}
	})
	t.Run("RFC5880-6.8.4-2_expiry:_Down,_diag_1,_RemoteDiscr_0", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		at := t0.Add(300 * time.Millisecond) // 3 x 100ms after the last packet
		out := s.Handle(at.Add(-time.Nanosecond), TimerFired{})
		if s.State() != StateUp {
			t.Fatal("down before the detection time")
		}
		for !out.Deadline.After(at) && !out.Deadline.IsZero() && out.Deadline.Before(at) {
			out = s.Handle(out.Deadline, TimerFired{})
		}
		out = s.Handle(at, TimerFired{})
		if s.State() != StateDown || out.Transition == nil || out.Transition.Diag != DiagControlDetectionExpired {
			t.Fatalf("state %v transition %+v", s.State(), out.Transition)
		}
		if !strings.Contains(out.Transition.Reason, "detection time") {
			t.Errorf("reason %q", out.Transition.Reason)
		}
		if st := s.Status(); st.RemoteDiscr != 0 || st.Downs != 1 || st.Ups != 1 {
			t.Errorf("status %+v", st)
		}
		// Packets go on, at 1s, with Your Discriminator 0.
		if p := oneSent(t, out); p.YourDiscr != 0 || p.DesiredMinTx != 1000000 || p.Diag != DiagControlDetectionExpired {
			t.Errorf("packet after expiry %+v", p)
		}
	})
}

// txIntervals brings a session with a seeded jitter source Up (100 ms)
// and returns the shortest and longest of 2000 periodic intervals, the
// peer answering every packet.
func txIntervals(t *testing.T, c Config, seed uint64) (lo, hi time.Duration) {
	t.Helper()
	s, err := NewSession(c, rand.New(rand.NewPCG(seed, seed+1)))
	if err != nil {
		t.Fatal(err)
	}
	up(t, s)
	s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.Final = true }))
	lo = time.Hour
	now := t0
	out := s.Handle(now, TimerFired{})
	for range 2000 {
		prev := now
		now = out.Deadline
		s.Handle(now, TimerFired{})
		out = s.Handle(now, peer(StateUp, 1, nil)) // keeps the session Up
		d := now.Sub(prev)
		lo, hi = min(lo, d), max(hi, d)
	}
	return lo, hi
}

func TestTransmit(t *testing.T) {
	t.Run("RFC5880-6.8.7-1_jitter_0_to_25_percent", func(t *testing.T) {
		lo, hi := txIntervals(t, cfg(1), 1)
		if lo < 75*time.Millisecond || hi > 100*time.Millisecond || hi-lo < 20*time.Millisecond {
			t.Errorf("intervals in [%v, %v], want spread over [75ms, 100ms]", lo, hi)
		}
	})
	t.Run("RFC5880-6.8.7-2_detect_mult_1:_75_to_90_percent", func(t *testing.T) {
		c := cfg(1)
		c.DetectMult = 1
		lo, hi := txIntervals(t, c, 3)
		if lo < 75*time.Millisecond || hi > 90*time.Millisecond || hi-lo < 10*time.Millisecond {
			t.Errorf("intervals in [%v, %v], want spread over [75ms, 90ms]", lo, hi)
		}
	})
	t.Run("RFC5880-6.8.7-3_interval_is_max(local_tx,_remote_rx)", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.Final = true; c.RequiredMinRx = 400000 }))
		if got := s.TxInterval(); got != 400*time.Millisecond {
			t.Errorf("TxInterval %v, want the peer's 400ms", got)
		}
	})
	t.Run("RFC5880-6.8.7-5_a_lower_remote_RequiredMinRx_brings_the_next_packet_forward", func(t *testing.T) {
		// The peer goes Up advertising 1 s RX (FRR's slow timers), then
		// polls for 100 ms: our next packet must not wait for the 1 s slot,
		// or the peer's 300 ms detection time expires.
		s := newSession(t, cfg(1))
		s.Handle(t0, Startup{})
		s.Handle(t0, TimerFired{})
		s.Handle(t0, peer(StateInit, 1, func(c *Control) { c.DesiredMinTx, c.RequiredMinRx = 1000000, 1000000 }))
		out := s.Handle(t0.Add(time.Millisecond), peer(StateUp, 1, func(c *Control) { c.Poll = true }))
		if d := out.Deadline.Sub(t0); d > 101*time.Millisecond {
			t.Errorf("next packet %v after the peer asked for 100ms", d)
		}
	})
	t.Run("RFC5880-6.8.7-4_no_periodic_packets_when_remote_RequiredMinRx_is_0", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		s.Handle(t0, peer(StateUp, 1, func(c *Control) { c.Final = true; c.RequiredMinRx = 0 }))
		out := s.Handle(t0.Add(2*time.Second), TimerFired{})
		for _, p := range out.Send {
			if p.State == StateUp {
				t.Errorf("sent %+v to a peer that asked for none", p)
			}
		}
	})
	t.Run("RFC5880-6.1-1_passive_sends_nothing_before_the_peer's_discriminator", func(t *testing.T) {
		c := cfg(1)
		c.Passive = true
		s := newSession(t, c)
		out := s.Handle(t0, Startup{})
		if len(out.Send) != 0 || !out.Deadline.IsZero() {
			t.Fatalf("passive startup: sent %v, deadline %v", out.Send, out.Deadline)
		}
		out = s.Handle(t0.Add(time.Second), peer(StateDown, 0, nil))
		if p := oneSent(t, out); p.State != StateInit || p.YourDiscr != 99 {
			t.Errorf("passive answer %+v", p)
		}
		if out.Deadline.IsZero() {
			t.Error("no periodic transmission after learning the peer")
		}
	})
}

func TestAdmin(t *testing.T) {
	t.Run("RFC5880-6.8.16-1_AdminDown:_diag_7,_no_detection,_packets_say_AdminDown", func(t *testing.T) {
		s := newSession(t, cfg(1))
		up(t, s)
		out := s.Handle(t0, AdminDown{})
		p := oneSent(t, out)
		if s.State() != StateAdminDown || p.State != StateAdminDown || p.Diag != DiagAdminDown {
			t.Fatalf("state %v packet %+v", s.State(), p)
		}
		out = s.Handle(t0.Add(10*time.Second), TimerFired{})
		if s.State() != StateAdminDown || out.Transition != nil {
			t.Errorf("AdminDown session changed: %+v", out.Transition)
		}
		out = s.Handle(t0.Add(10*time.Second), AdminUp{})
		if s.State() != StateDown || out.Transition == nil {
			t.Errorf("AdminUp: state %v", s.State())
		}
	})
	t.Run("keepalived:disabled_starts_AdminDown", func(t *testing.T) {
		c := cfg(1)
		c.AdminDown = true
		s := newSession(t, c)
		out := s.Handle(t0, Startup{})
		if s.State() != StateAdminDown || out.Transition == nil || out.Transition.Diag != DiagAdminDown {
			t.Errorf("state %v transition %+v", s.State(), out.Transition)
		}
	})
	t.Run("reconfigure_refuses_a_new_discriminator", func(t *testing.T) {
		s := newSession(t, cfg(1))
		if out := s.Handle(t0, Reconfigure{Config: cfg(2)}); out.Err == nil {
			t.Error("accepted")
		}
	})
}
