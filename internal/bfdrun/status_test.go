package bfdrun

import (
	"net/netip"
	"testing"
	"time"

	"gokeepalived/internal/bfd"
)

// TestCtlStatus: the rendered status carries the session's variables, the
// negotiated intervals, the last change with its reason and time, and the
// live packet counters; drops are counted per session once matched and
// runtime-wide always.
func TestCtlStatus(t *testing.T) {
	p := newPair(t)
	if st := p.w.rt[0].CtlStatus().Sessions[0]; st.State != "Down" || !st.LastChange.IsZero() || st.DetectionTimeUS != 0 || st.RxIntervalUS != 0 {
		t.Errorf("before any packet: %+v", st)
	}
	p.run(3 * time.Second)
	rt := p.w.rt[0]
	cs := rt.CtlStatus()
	if len(cs.Sessions) != 1 {
		t.Fatalf("%d sessions", len(cs.Sessions))
	}
	s := cs.Sessions[0]
	peer := p.w.rt[1].Status()[0]
	if s.Name != "peer" || s.Local != addrA.String() || s.Remote != addrB.String() || s.State != "Up" || s.RemoteState != "Up" {
		t.Errorf("identity/state: %+v", s)
	}
	if s.LocalDiscr == 0 || s.RemoteDiscr != peer.LocalDiscr {
		t.Errorf("discriminators %d/%d, peer's local %d", s.LocalDiscr, s.RemoteDiscr, peer.LocalDiscr)
	}
	if s.TxIntervalUS != 50000 || s.RxIntervalUS != 50000 || s.DetectionTimeUS != 150000 || s.Multiplier != 3 || s.RemoteMultiplier != 3 {
		t.Errorf("intervals: tx %d rx %d detect %d mult %d/%d", s.TxIntervalUS, s.RxIntervalUS, s.DetectionTimeUS, s.Multiplier, s.RemoteMultiplier)
	}
	if s.Ups != 1 || s.Downs != 0 || s.LastChange.IsZero() || s.LastReason == "" || s.LocalDiag != "No Diagnostic" {
		t.Errorf("transitions: %+v", s)
	}
	sent := uint64(len(p.w.sent[0]))
	if s.PacketsSent != sent || s.PacketsReceived == 0 || s.PacketsReceived > uint64(len(p.w.sent[1])) {
		t.Errorf("packets sent %d (wire saw %d), received %d (peer sent %d)", s.PacketsSent, sent, s.PacketsReceived, len(p.w.sent[1]))
	}
	upAt := s.LastChange

	// The counters are live: more packets without a state change show
	// without a new publication.
	before := rt.Status()
	p.run(500 * time.Millisecond)
	if after := rt.CtlStatus().Sessions[0]; after.PacketsReceived <= s.PacketsReceived || after.PacketsSent <= s.PacketsSent {
		t.Errorf("counters did not move: %d/%d then %d/%d", s.PacketsReceived, s.PacketsSent, after.PacketsReceived, after.PacketsSent)
	}
	if &rt.Status()[0] != &before[0] {
		t.Error("steady packets republished the status")
	}

	// A packet with a low TTL is the session's drop and the runtime's; one
	// for no session only the runtime's.
	good := p.w.sent[1][len(p.w.sent[1])-1]
	b, _ := good.Marshal()
	rt.Deliver(Packet{Payload: b, Src: addrB, Dst: addrA, TTL: 200})
	rt.Deliver(Packet{Payload: b, Src: netip.MustParseAddr("192.0.2.77"), Dst: addrA, TTL: 255})
	rt.Step(p.now)
	cs = rt.CtlStatus()
	if d := cs.Sessions[0].Drops; d["ttl"] != 1 || d["no_session"] != 0 {
		t.Errorf("session drops %v", d)
	}
	if cs.Drops["ttl"] != 1 || cs.Drops["no_session"] != 1 || len(cs.Drops) != bfd.NumDropReasons-1 {
		t.Errorf("runtime drops %v", cs.Drops)
	}

	// A cut: Down, diag named, the change time and reason updated.
	p.w.cut = true
	p.run(300 * time.Millisecond)
	s = rt.CtlStatus().Sessions[0]
	if s.State != "Down" || s.LocalDiag != "Control Detection Time Expired" || s.Downs != 1 || !s.LastChange.After(upAt) || s.LastReason == "" {
		t.Errorf("after a cut: %+v", s)
	}
}
