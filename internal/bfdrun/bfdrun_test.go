package bfdrun

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"gokeepalived/internal/bfd"
)

var (
	t0    = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	addrA = netip.MustParseAddr("192.0.2.1")
	addrB = netip.MustParseAddr("192.0.2.2")
)

// wire is a fake network between two runtimes: what one session sends is
// delivered to the other runtime at the next step, unless the wire is cut.
type wire struct {
	rt  [2]*Runtime
	cut bool
	ttl int
	// sent records every packet per side, parsed.
	sent [2][]bfd.Control
}

type fakeSender struct {
	w    *wire
	side int
	s    Session
	open bool
}

func (f *fakeSender) Send(b []byte) error {
	c, err := bfd.ParseControl(b)
	if err != nil {
		return err
	}
	f.w.sent[f.side] = append(f.w.sent[f.side], c)
	if !f.w.cut && f.w.rt[1-f.side] != nil {
		f.w.rt[1-f.side].Deliver(Packet{Payload: append([]byte(nil), b...), Src: f.s.Local, Dst: f.s.Remote, TTL: f.w.ttl, Multihop: f.s.Multihop})
	}
	return nil
}

func (f *fakeSender) Close() error { f.open = false; return nil }

type fakeNet struct {
	w       *wire
	side    int
	senders []*fakeSender
}

func (n *fakeNet) Dial(s Session) (Sender, error) {
	f := &fakeSender{w: n.w, side: n.side, s: s, open: true}
	n.senders = append(n.senders, f)
	return f, nil
}

func params() bfd.Config {
	return bfd.Config{DesiredMinTx: 50 * time.Millisecond, RequiredMinRx: 50 * time.Millisecond, DetectMult: 3}
}

type pair struct {
	w      *wire
	nets   [2]*fakeNet
	events [2][]Event
	now    time.Time
}

func newPair(t *testing.T) *pair {
	p := &pair{w: &wire{ttl: 255}, now: t0}
	for i := range 2 {
		p.nets[i] = &fakeNet{w: p.w, side: i}
		p.w.rt[i] = New(Options{Network: p.nets[i], Rand: rand.New(rand.NewPCG(uint64(i), 1)),
			Events: func(e Event) { p.events[i] = append(p.events[i], e) }})
	}
	local, remote := [2]netip.Addr{addrA, addrB}, [2]netip.Addr{addrB, addrA}
	for i := range 2 {
		if err := p.w.rt[i].Start(p.now, []Session{{Name: "peer", Local: local[i], Remote: remote[i], Params: params()}}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// run steps both runtimes in 1 ms ticks until d has passed.
func (p *pair) run(d time.Duration) {
	end := p.now.Add(d)
	for ; !p.now.After(end); p.now = p.now.Add(time.Millisecond) {
		p.w.rt[0].Step(p.now)
		p.w.rt[1].Step(p.now)
	}
}

func (p *pair) state(i int) bfd.State { return p.w.rt[i].Status()[0].State }

func lastEvent(t *testing.T, evs []Event) Event {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no event")
	}
	return evs[len(evs)-1]
}

// TestUpCutRecover: two runtimes bring their session Up and publish it;
// a cut is detected within the detection time (Down, diag 1, published);
// after the cut heals the session comes back Up.
func TestUpCutRecover(t *testing.T) {
	p := newPair(t)
	p.run(3 * time.Second)
	for i := range 2 {
		if p.state(i) != bfd.StateUp {
			t.Fatalf("side %d: %v after 3s", i, p.state(i))
		}
		if e := lastEvent(t, p.events[i]); !e.Up() || e.Session != "peer" || e.Reason == "" {
			t.Errorf("side %d: last event %+v", i, e)
		}
		if st := p.w.rt[i].Status()[0]; st.TxInterval != 50*time.Millisecond || st.DetectionTime != 150*time.Millisecond {
			t.Errorf("side %d: negotiated tx %v detection %v, want 50ms and 150ms", i, st.TxInterval, st.DetectionTime)
		}
	}
	p.w.cut = true
	cutAt := p.now
	for p.state(0) == bfd.StateUp || p.state(1) == bfd.StateUp {
		if p.now.Sub(cutAt) > time.Second {
			t.Fatal("cut not detected within 1s")
		}
		p.run(time.Millisecond)
	}
	// Both Down within 150 ms (3 x 50 ms) + one 1 ms step.
	if d := p.now.Sub(cutAt); d > 152*time.Millisecond {
		t.Errorf("cut detected after %v, detection time 150ms", d)
	}
	for i := range 2 {
		e := lastEvent(t, p.events[i])
		if e.To != bfd.StateDown || e.Diag != bfd.DiagControlDetectionExpired {
			t.Errorf("side %d: event %+v", i, e)
		}
	}
	p.w.cut = false
	p.run(3 * time.Second)
	if p.state(0) != bfd.StateUp || p.state(1) != bfd.StateUp {
		t.Fatalf("not Up again 3s after the heal: %v %v", p.state(0), p.state(1))
	}
	if st := p.w.rt[0].Status()[0]; st.Ups != 2 || st.Downs != 1 {
		t.Errorf("ups %d downs %d, want 2 and 1", st.Ups, st.Downs)
	}
}

func TestDemultiplex(t *testing.T) {
	p := newPair(t)
	p.run(3 * time.Second)
	good := p.w.sent[1][len(p.w.sent[1])-1]
	b, _ := good.Marshal()
	rt := p.w.rt[0]
	for _, tc := range []struct {
		name string
		pkt  Packet
		want bfd.DropReason
	}{
		{"RFC5881-5-2_ttl_254", Packet{Payload: b, Src: addrB, Dst: addrA, TTL: 254}, bfd.DropTTL},
		{"RFC5880-6.8.6-7_unknown_discriminator", Packet{Payload: func() []byte {
			c := good
			c.YourDiscr++
			x, _ := c.Marshal()
			return x
		}(), Src: addrB, Dst: addrA, TTL: 255}, bfd.DropNoSession},
		{"wrong_source", Packet{Payload: b, Src: netip.MustParseAddr("192.0.2.9"), Dst: addrA, TTL: 255}, bfd.DropNoSession},
		{"multihop_port_for_a_single_hop_session", Packet{Payload: b, Src: addrB, Dst: addrA, TTL: 255, Multihop: true}, bfd.DropNoSession},
		{"RFC5880-6.8.6-1_garbage", Packet{Payload: []byte{0xff}, Src: addrB, TTL: 255}, bfd.DropVersion},
		{"RFC5880-6.8.6-9_discriminator_0_found_by_address", Packet{Payload: func() []byte {
			c := good
			c.YourDiscr, c.State = 0, bfd.StateDown
			x, _ := c.Marshal()
			return x
		}(), Src: addrB, Dst: addrA, TTL: 255}, bfd.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rt.Drops()
			rt.Deliver(tc.pkt)
			rt.Step(p.now)
			after := rt.Drops()
			for r := range after {
				diff := after[r] - before[r]
				if want := uint64(0); bfd.DropReason(r) == tc.want && tc.want != bfd.OK {
					want = 1
					if diff != want {
						t.Errorf("%v drops +%d, want +1", bfd.DropReason(r), diff)
					}
				} else if diff != 0 {
					t.Errorf("%v drops +%d, want none", bfd.DropReason(r), diff)
				}
			}
		})
	}
	// The address-found Down packet took our Up session Down (diag 3).
	if e := lastEvent(t, p.events[0]); e.To != bfd.StateDown || e.Diag != bfd.DiagNeighborSignaledDown {
		t.Errorf("last event %+v", e)
	}
}

func TestReconfigureAndFinish(t *testing.T) {
	p := newPair(t)
	p.run(3 * time.Second)
	rt := p.w.rt[0]
	discr := rt.Status()[0].LocalDiscr
	slower := params()
	slower.DesiredMinTx = 200 * time.Millisecond
	if err := rt.Reconfigure(p.now, []Session{{Name: "peer", Local: addrA, Remote: addrB, Params: slower}}); err != nil {
		t.Fatal(err)
	}
	p.run(time.Second)
	st := rt.Status()[0]
	if st.State != bfd.StateUp || st.LocalDiscr != discr || st.TxInterval != 200*time.Millisecond || st.PollActive {
		t.Errorf("after a timer change: %+v", st)
	}
	if len(p.nets[0].senders) != 1 {
		t.Errorf("reconfigure reopened the socket")
	}
	// Reload is Reconfigure queued for the loop.
	done := rt.Reload([]Session{{Name: "peer", Local: addrA, Remote: addrB, Params: params()}})
	select {
	case err := <-done:
		t.Fatalf("Reload applied before a step: %v", err)
	default:
	}
	rt.Step(p.now)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p.run(time.Second)
	if st := rt.Status()[0]; st.TxInterval != 50*time.Millisecond {
		t.Errorf("after Reload: tx interval %v, want 50ms", st.TxInterval)
	}
	// A new neighbor address restarts the session: the old one says AdminDown.
	if err := rt.Reconfigure(p.now, []Session{{Name: "peer", Local: addrA, Remote: netip.MustParseAddr("192.0.2.3"), Params: params()}}); err != nil {
		t.Fatal(err)
	}
	if last := p.w.sent[0][len(p.w.sent[0])-1]; last.State != bfd.StateAdminDown || last.Diag != bfd.DiagAdminDown {
		t.Errorf("packet on removal %+v", last)
	}
	if p.nets[0].senders[0].open || len(p.nets[0].senders) != 2 {
		t.Error("the old socket is still open, or no new one")
	}
	p.run(100 * time.Millisecond)
	if e := lastEvent(t, p.events[1]); e.To != bfd.StateDown || e.Diag != bfd.DiagNeighborSignaledDown {
		t.Errorf("the peer heard %+v", e)
	}
	rt.Finish(p.now)
	if len(rt.Status()) != 0 || p.nets[0].senders[1].open {
		t.Error("Finish left sessions open")
	}
}

func TestStartRefuses(t *testing.T) {
	rt := New(Options{Network: &fakeNet{w: &wire{}}})
	for _, cfgs := range [][]Session{
		{{Name: "a", Remote: addrB, Params: params()}, {Name: "a", Remote: addrA, Params: params()}},
		{{Name: "a", Remote: addrB, Params: params()}, {Name: "b", Remote: addrB, Params: params()}},
		{{Name: "a", Params: params()}},
		{{Name: "a", Remote: addrB}},
	} {
		if err := rt.Start(t0, cfgs); err == nil {
			t.Errorf("Start(%+v) succeeded", cfgs)
		}
		if len(rt.Status()) != 0 || len(rt.sessions) != 0 {
			t.Fatalf("a refused Start left sessions: %+v", rt.sessions)
		}
	}
}
