package bgprun

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/bfd"
	"gokeepalived/internal/bgp"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
)

// fakeSpeaker records the calls the loop makes.
type fakeSpeaker struct {
	calls  []string
	routes map[netip.Prefix]bgp.Attrs
	peers  map[netip.Addr]string
}

func newFake() *fakeSpeaker {
	return &fakeSpeaker{routes: map[netip.Prefix]bgp.Attrs{}, peers: map[netip.Addr]string{}}
}

func (f *fakeSpeaker) log(format string, a ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, a...))
}
func (f *fakeSpeaker) Start(g Global) error {
	f.log("start %s %d", g.RouterID, g.LocalAS)
	return nil
}
func (f *fakeSpeaker) Stop() {
	f.log("stop")
	f.routes = map[netip.Prefix]bgp.Attrs{}
	f.peers = map[netip.Addr]string{}
}
func (f *fakeSpeaker) AddPeer(n bgp.Neighbor) error {
	f.log("add %s", n.Address)
	f.peers[n.Address] = "established"
	return nil
}
func (f *fakeSpeaker) DeletePeer(a netip.Addr) error {
	f.log("delete %s", a)
	delete(f.peers, a)
	return nil
}
func (f *fakeSpeaker) DisablePeer(a netip.Addr, why string) error {
	f.log("disable %s: %s", a, why)
	f.peers[a] = "idle"
	return nil
}
func (f *fakeSpeaker) EnablePeer(a netip.Addr) error {
	f.log("enable %s", a)
	f.peers[a] = "established"
	return nil
}
func (f *fakeSpeaker) Announce(p bgp.Path) error {
	f.log("announce %s c=%v lp=%d prepend=%d", p.Prefix, p.Attrs.Communities, p.Attrs.LocalPref, p.Attrs.Prepend)
	f.routes[p.Prefix] = p.Attrs
	return nil
}
func (f *fakeSpeaker) Withdraw(p netip.Prefix) error {
	f.log("withdraw %s", p)
	delete(f.routes, p)
	return nil
}
func (f *fakeSpeaker) Peers() []PeerState {
	var out []PeerState
	for a, s := range f.peers {
		out = append(out, PeerState{Address: a, State: s})
	}
	return out
}

func (f *fakeSpeaker) take() string {
	s := strings.Join(f.calls, "\n")
	f.calls = nil
	return s
}

var (
	tor  = netip.MustParseAddr("192.0.2.254")
	tor2 = netip.MustParseAddr("192.0.2.253")
	vip  = netip.MustParseAddr("203.0.113.10")
	anyc = netip.MustParseAddr("198.51.100.10")
	t0   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func testConfig() bgp.Config {
	none := bgp.Attrs{LocalPref: -1, MED: -1}
	return bgp.Config{RouterID: netip.MustParseAddr("192.0.2.1"), LocalAS: 65001, DrainDelay: 2 * time.Second,
		Neighbors: []bgp.Neighbor{{Address: tor, RemoteAS: 65000, BFD: "tor"}},
		VRRP:      []bgp.VRRPAnnounce{{Instance: "VI_1", VIPs: []netip.Addr{vip}, Backup: bgp.BackupPrepend, BackupValue: 2, Attrs: none}},
		Servers:   []bgp.ServerAnnounce{{Addr: anyc, Port: 80, Attrs: none}},
	}
}

func expect(t *testing.T, f *fakeSpeaker, want string) {
	t.Helper()
	if got := f.take(); got != want {
		t.Errorf("speaker calls:\n%s\nwant:\n%s", got, want)
	}
}

// TestRuntimeScenario steps the loop through a life: start, master,
// backup, quorum, BFD down and up, maintenance, reload and a drain.
func TestRuntimeScenario(t *testing.T) {
	f := newFake()
	quorum := false
	r := New(Options{Speaker: f, Servers: func() []bgp.Server { return []bgp.Server{{Addr: anyc, Port: 80, Quorum: quorum}} }})
	now := t0
	if err := r.Start(now, testConfig()); err != nil {
		t.Fatal(err)
	}
	expect(t, f, "start 192.0.2.1 65001\nadd 192.0.2.254")

	r.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: vrrp.StateMaster})
	r.Step(now)
	expect(t, f, "announce 203.0.113.10/32 c=[] lp=-1 prepend=0")

	r.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: vrrp.StateBackup})
	r.Step(now)
	expect(t, f, "announce 203.0.113.10/32 c=[] lp=-1 prepend=2")

	quorum = true
	next := r.Step(now)
	expect(t, f, "announce 198.51.100.10/32 c=[] lp=-1 prepend=0")
	if next != now.Add(100*time.Millisecond) {
		t.Errorf("next step at %v, want the poll interval", next.Sub(now))
	}

	// The neighbor taking its BFD session down itself is no dead path.
	r.BFDState(bfd.StateEvent{Session: "tor", From: bfd.StateUp, To: bfd.StateDown, Diag: bfd.DiagNeighborSignaledDown})
	r.Step(now)
	expect(t, f, "")
	r.BFDState(bfd.StateEvent{Session: "tor", From: bfd.StateDown, To: bfd.StateUp})
	r.Step(now)
	expect(t, f, "")
	r.BFDState(bfd.StateEvent{Session: "tor", From: bfd.StateUp, To: bfd.StateDown, Diag: bfd.DiagControlDetectionExpired})
	r.Step(now)
	expect(t, f, "disable 192.0.2.254: BFD session tor is down")
	st := r.Status()
	if st.Peers[0].State != "shutdown" || st.Peers[0].Reason != "BFD session tor is down" || *st.Peers[0].BFDUp {
		t.Errorf("peer status while BFD is down: %+v", st.Peers[0])
	}
	r.BFDState(bfd.StateEvent{Session: "tor", From: bfd.StateDown, To: bfd.StateUp})
	r.Step(now)
	expect(t, f, "enable 192.0.2.254")

	// Maintenance: GRACEFUL_SHUTDOWN for the delay, then withdrawn; off announces again.
	r.Maintenance(true)
	next = r.Step(now)
	expect(t, f, "announce 198.51.100.10/32 c=[4294901760] lp=0 prepend=0\nannounce 203.0.113.10/32 c=[4294901760] lp=0 prepend=2")
	if st := r.Status(); st.Drain != "draining" || st.DrainWhy != "maintenance" {
		t.Errorf("drain status: %s %s", st.Drain, st.DrainWhy)
	}
	if next != now.Add(100*time.Millisecond) {
		t.Errorf("next %v", next.Sub(now))
	}
	now = now.Add(2 * time.Second)
	r.Step(now)
	expect(t, f, "withdraw 198.51.100.10/32\nwithdraw 203.0.113.10/32")
	r.Maintenance(false)
	r.Step(now)
	expect(t, f, "announce 198.51.100.10/32 c=[] lp=-1 prepend=0\nannounce 203.0.113.10/32 c=[] lp=-1 prepend=2")

	// Reload: an unchanged neighbor is kept (no session reset), a changed
	// one replaced, a new one added.
	c := testConfig()
	c.Neighbors = append(c.Neighbors, bgp.Neighbor{Address: tor2, RemoteAS: 65000})
	r.Reload(c)
	r.Step(now)
	expect(t, f, "add 192.0.2.253")
	c.Neighbors[0].HoldTime = 9 * time.Second
	r.Reload(c)
	r.Step(now)
	expect(t, f, "delete 192.0.2.254\nadd 192.0.2.254")
	c2 := c
	c2.LocalAS = 65002
	r.Reload(c2)
	r.Step(now)
	expect(t, f, "stop\nstart 192.0.2.1 65002\nadd 192.0.2.254\nadd 192.0.2.253\nannounce 198.51.100.10/32 c=[] lp=-1 prepend=0\nannounce 203.0.113.10/32 c=[] lp=-1 prepend=2")

	// Stop: the drain waits for the delay; the channel closes once withdrawn.
	done := r.Drain("stopping")
	r.Step(now)
	f.take()
	select {
	case <-done:
		t.Fatal("drain finished before its delay")
	default:
	}
	now = now.Add(1999 * time.Millisecond)
	r.Step(now)
	expect(t, f, "")
	now = now.Add(time.Millisecond)
	next = r.Step(now)
	expect(t, f, "withdraw 198.51.100.10/32\nwithdraw 203.0.113.10/32")
	// Withdrawn, but the stop waits WithdrawLinger more (the router has
	// not necessarily processed the withdrawal yet): still serving.
	if next.After(now.Add(WithdrawLinger)) {
		t.Errorf("next step %v after the withdrawal, after the linger %v", next.Sub(now), WithdrawLinger)
	}
	select {
	case <-done:
		t.Fatal("drain finished at the withdrawal, before the linger")
	default:
	}
	now = now.Add(WithdrawLinger - time.Millisecond)
	r.Step(now)
	select {
	case <-done:
		t.Fatal("drain finished before the linger was over")
	default:
	}
	now = now.Add(time.Millisecond)
	r.Step(now)
	expect(t, f, "")
	select {
	case <-done:
	default:
		t.Fatal("drain not finished after its delay and the linger")
	}
	r.Finish()
	expect(t, f, "stop")
	st = r.Status()
	if st.Drain != "drained" || !slices.ContainsFunc(st.Prefixes, func(p ctl.BGPPrefixStatus) bool { return p.Reason == "withdrawn: stopping" }) {
		t.Errorf("final status %+v", st)
	}
}
