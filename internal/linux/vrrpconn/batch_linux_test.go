package vrrpconn_test

import (
	"net/netip"
	"testing"
	"time"

	"gokeepalived/internal/linux/netnstest"
	"gokeepalived/internal/linux/vrrpconn"
)

// RecvBatch returns every packet waiting in one call, each with its own
// payload (IP header removed) and metadata, and allocates nothing.
func TestRecvBatch(t *testing.T) {
	p := netnstest.NewPair(t)
	for _, fam := range []vrrpconn.Family{vrrpconn.IPv4, vrrpconn.IPv6} {
		t.Run(fam.String(), func(t *testing.T) {
			g := []netip.Addr{vrrpconn.DefaultGroup(fam)}
			tx := open(t, p.A, vrrpconn.Config{Interface: p.AIf, Family: fam, Groups: g})
			rx := open(t, p.B, vrrpconn.Config{Interface: p.BIf, Family: fam, Groups: g})
			src := p.A4
			if fam == vrrpconn.IPv6 {
				src = p.ALL
			}
			const sent = 5
			for v := range sent {
				send(t, tx, advert(byte(v+1)), g[0])
			}
			b := vrrpconn.NewBatch(8)
			var got []byte
			deadline := time.Now().Add(wait)
			for len(got) < sent {
				if err := rx.SetReadDeadline(deadline); err != nil {
					t.Fatal(err)
				}
				if err := rx.RecvBatch(b); err != nil {
					t.Fatalf("RecvBatch after %d packets: %v", len(got), err)
				}
				for i := range b.Len() {
					pl, m := b.Packet(i)
					if len(pl) != 8 || m.Src != src || m.Dst != g[0] || m.TTL != 255 || m.IfIndex != p.BIndex {
						t.Errorf("packet %d: payload %x meta %+v", i, pl, m)
					}
					got = append(got, pl[1])
				}
			}
			for i, v := range got {
				if v != byte(i+1) {
					t.Fatalf("VRIDs in order %v, want 1..%d", got, sent)
				}
			}
			// Steady state: no allocation per call (the packets are queued
			// first, as in TestSendRecvDoNotAllocate, so no call waits).
			const runs = 10
			for range runs + 1 {
				send(t, tx, advert(9), g[0])
			}
			one := vrrpconn.NewBatch(1)
			allocs := testing.AllocsPerRun(runs, func() {
				if err := rx.RecvBatch(one); err != nil || one.Len() != 1 {
					t.Fatalf("RecvBatch: %d packets, %v", one.Len(), err)
				}
			})
			if allocs != 0 {
				t.Errorf("RecvBatch allocates %v times per call, want 0", allocs)
			}
		})
	}
}

// A full receive queue is counted (SO_RXQ_OVFL), visible once a packet is
// read again.
func TestDropsCounted(t *testing.T) {
	p := netnstest.NewPair(t)
	tx := open(t, p.A, vrrpconn.Config{Interface: p.AIf, Family: vrrpconn.IPv4})
	rx := open(t, p.B, vrrpconn.Config{Interface: p.BIf, Family: vrrpconn.IPv4})
	if err := rx.SetReadBuffer(1); err != nil { // the kernel's minimum: a few packets
		t.Fatal(err)
	}
	for range 200 {
		send(t, tx, advert(1), p.B4)
	}
	if err := rx.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	b := vrrpconn.NewBatch(64)
	if err := rx.RecvBatch(b); err != nil {
		t.Fatal(err)
	}
	if b.Len() == 0 || b.Len() >= 200 {
		t.Fatalf("read %d packets of 200 sent into a minimal buffer", b.Len())
	}
	// The packets queued before the drops carry no count; the next one does.
	send(t, tx, advert(2), p.B4)
	for b.Len() == 0 || lastVRID(b) != 2 {
		if err := rx.RecvBatch(b); err != nil {
			t.Fatal(err)
		}
	}
	if d := rx.Drops(); d == 0 || d >= 200 {
		t.Errorf("Drops() = %d, want the packets that did not fit", d)
	}
}

func lastVRID(b *vrrpconn.Batch) byte {
	pl, _ := b.Packet(b.Len() - 1)
	return pl[1]
}

// SendBatch sends every message with its own source and destination; the
// peer reads them back as one batch. A message for the wrong family gets
// its own error and the others still leave. Once grown, it allocates
// nothing.
func TestSendBatch(t *testing.T) {
	p := netnstest.NewPair(t)
	for _, fam := range []vrrpconn.Family{vrrpconn.IPv4, vrrpconn.IPv6} {
		t.Run(fam.String(), func(t *testing.T) {
			g := vrrpconn.DefaultGroup(fam)
			tx := open(t, p.A, vrrpconn.Config{Interface: p.AIf, Family: fam})
			rx := open(t, p.B, vrrpconn.Config{Interface: p.BIf, Family: fam, Groups: []netip.Addr{g}})
			src, unicast, wrong := p.A4, p.B4, p.B6
			if fam == vrrpconn.IPv6 {
				src, unicast, wrong = p.ALL, p.B6, p.B4
			}
			msgs := []vrrpconn.Out{
				{Payload: advert(1), Src: src, Dst: g},
				{Payload: advert(2), Dst: g},
				{Payload: advert(3), Src: src, Dst: unicast},
			}
			errs := make([]error, len(msgs))
			tx.SendBatch(msgs, errs)
			for i, err := range errs {
				if err != nil {
					t.Errorf("message %d: %v", i, err)
				}
			}
			b := vrrpconn.NewBatch(8)
			var got []vrrpconn.Meta
			var vrids []byte
			for len(got) < len(msgs) {
				if err := rx.SetReadDeadline(time.Now().Add(wait)); err != nil {
					t.Fatal(err)
				}
				if err := rx.RecvBatch(b); err != nil {
					t.Fatalf("RecvBatch after %d: %v", len(got), err)
				}
				for i := range b.Len() {
					pl, m := b.Packet(i)
					got, vrids = append(got, m), append(vrids, pl[1])
				}
			}
			for i, m := range got {
				if vrids[i] != byte(i+1) || m.Dst != msgs[i].Dst || m.TTL != 255 || (fam == vrrpconn.IPv4 && m.Src != p.A4) || (fam == vrrpconn.IPv6 && m.Src != p.ALL) {
					t.Errorf("packet %d: vrid %d meta %+v; want vrid %d to %v", i, vrids[i], m, i+1, msgs[i].Dst)
				}
			}
			bad := []vrrpconn.Out{{Payload: advert(4), Dst: g}, {Payload: advert(5), Dst: wrong}}
			tx.SendBatch(bad, errs)
			if errs[0] != nil || errs[1] == nil {
				t.Errorf("errors %v, %v; want nil, then the family mismatch", errs[0], errs[1])
			}
			allocs := testing.AllocsPerRun(10, func() { tx.SendBatch(msgs, errs) })
			if allocs != 0 {
				t.Errorf("SendBatch allocates %v times per call, want 0", allocs)
			}
		})
	}
}
