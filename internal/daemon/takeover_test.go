package daemon

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/notify"
	"gokeepalived/internal/vrrp"
)

// batchNodeAddrs is the node's fake kernel with AddBatch, recording the
// size of each batch.
type batchNodeAddrs struct {
	nodeAddrs
	batches *[]int
}

func (a batchNodeAddrs) AddBatch(as []addr.Address) []error {
	*a.batches = append(*a.batches, len(as))
	errs := make([]error, len(as))
	n := a.n
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range as {
		n.setAddrLocked(p.Prefix, p.Dev, true)
	}
	return errs
}

// takeoverGARP is one Gratuitous call: when (the fake clock), how many adverts
// the node had sent before it, and what it announced.
type takeoverGARP struct {
	at      time.Time
	adverts int
	vips    []netip.Addr
}

type recordingAnnouncer struct {
	h     *harness
	node  string
	calls *[]takeoverGARP
}

func (r recordingAnnouncer) Gratuitous(_ string, vips []netip.Addr) error {
	*r.calls = append(*r.calls, takeoverGARP{at: r.h.now, adverts: advertsBy(r.h, r.node), vips: vips})
	return nil
}

// vipCheckNotifier records, for each MASTER notification, whether the
// instance's VIPs were in the node's kernel already.
type vipCheckNotifier struct {
	*stateRecorder
	n       *node
	mu      *sync.Mutex
	without *[]string
}

func (v vipCheckNotifier) StateChanged(ci *config.Instance, s *notify.Scripts, from, to vrrp.State, prio int, reason string) {
	if to == vrrp.StateMaster {
		for _, vip := range ci.VIPs {
			if !v.n.holds(vip.Prefix.String()) {
				v.mu.Lock()
				*v.without = append(*v.without, ci.Name)
				v.mu.Unlock()
			}
		}
	}
	v.stateRecorder.StateChanged(ci, s, from, to, prio, reason)
}

// A backup of many instances whose master dies takes them all over in one
// step: the VIPs leave in one batch (not an add per VIP), after the
// adverts of that step; the notifications come once the VIPs are in
// place; the gratuitous ARPs are paced, at most garpBurst addresses a step
// and a step every garpPace, every instance's first round before anyone's
// second, and they all go out.
func TestTakeoverBatchesVIPsAndPacesGARPs(t *testing.T) {
	const n = 250 // VRIDs on one interface
	h := newHarness(t)
	h.quiet = true
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, strings.ReplaceAll(manyInstances(n), "priority 100", "priority 200"))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, manyInstances(n))
	var batches []int
	var calls []takeoverGARP
	var mu sync.Mutex
	var without []string
	b.d.ports.Addresses = batchNodeAddrs{nodeAddrs{b}, &batches}
	b.d.ports.Announcer = recordingAnnouncer{h: h, node: "b", calls: &calls}
	b.d.notifier = vipCheckNotifier{stateRecorder: b.rec, n: b, mu: &mu, without: &without}
	a.start()
	b.start()
	h.advance(10 * time.Second)
	for i := 1; i <= n; i++ {
		if st := b.state(vipName(i)); st != "BACKUP" {
			t.Fatalf("before the loss: b's %s is %s, want BACKUP", vipName(i), st)
		}
	}
	if len(batches) != 0 || len(calls) != 0 {
		t.Fatalf("b added VIPs (%v) or announced (%d calls) as backup", batches, len(calls))
	}

	a.kill()
	lost := h.now
	advertsBefore := advertsBy(h, "b")
	h.advance(5 * time.Second)

	for i := 1; i <= n; i++ {
		if st := b.state(vipName(i)); st != "MASTER" {
			t.Errorf("after the loss: b's %s is %s, want MASTER", vipName(i), st)
		}
	}
	if held := len(b.d.instances); held != n {
		t.Fatalf("b runs %d instances", held)
	}
	// One batch: a's adverts reached b together, so every master-down
	// timer of b fires in the same step.
	if len(batches) != 1 || batches[0] != n {
		t.Errorf("VIP batches %v, want one of %d", batches, n)
	}
	for _, op := range b.ops {
		if strings.HasPrefix(op, "add ") {
			t.Errorf("a VIP added alone (%s): want every takeover VIP in the batch", op)
			break
		}
	}
	mu.Lock()
	if len(without) > 0 {
		t.Errorf("%d MASTER notifications before their VIPs were in place (first %s)", len(without), without[0])
	}
	mu.Unlock()

	// The GARPs: adverts first, then paced rounds.
	repeat := b.d.instances[0].cfg.GARP.MasterRepeat
	if repeat < 2 {
		t.Fatalf("garp_master_repeat %d: the test wants the default (5)", repeat)
	}
	if len(calls) != n*repeat {
		t.Fatalf("%d gratuitous ARP calls, want %d (every instance, %d rounds)", len(calls), n*repeat, repeat)
	}
	if calls[0].adverts < advertsBefore+n {
		t.Errorf("the first gratuitous ARP went out after %d takeover adverts, want all %d first", calls[0].adverts-advertsBefore, n)
	}
	perStep := map[time.Time]int{}
	var steps []time.Time
	for _, c := range calls {
		if perStep[c.at] == 0 {
			steps = append(steps, c.at)
		}
		perStep[c.at] += len(c.vips)
	}
	for i, at := range steps {
		if perStep[at] > garpBurst {
			t.Errorf("%d addresses announced at %s, want at most %d a step", perStep[at], at.Sub(lost), garpBurst)
		}
		if i > 0 && at.Sub(steps[i-1]) < garpPace {
			t.Errorf("announcement steps %s apart, want at least %s", at.Sub(steps[i-1]), garpPace)
		}
	}
	// 1,250 announcements: never all in one step.
	if want := max((n*repeat+garpBurst-1)/garpBurst, 2); len(steps) < want {
		t.Errorf("announcements in %d steps, want at least %d", len(steps), want)
	}
	first := map[netip.Addr]bool{}
	for _, c := range calls[:n] {
		for _, v := range c.vips {
			first[v] = true
		}
	}
	if len(first) != n {
		t.Errorf("the first %d announcements cover %d distinct VIPs, want every instance's first round first", n, len(first))
	}
	if got := b.d.instances[0].stats.Get(ctl.GARPSent); got != uint64(repeat) {
		t.Errorf("garp_sent %d, want %d", got, repeat)
	}
}

func vipName(i int) string { return fmt.Sprintf("VI_%03d", i) }

// advertsBy counts every advert node sent.
func advertsBy(h *harness, node string) int {
	c := 0
	for _, s := range h.sent {
		if s.node == node {
			c++
		}
	}
	return c
}

// countingAddrs counts the address dumps the daemon asks for.
type countingAddrs struct {
	nodeAddrs
	lists *int
}

func (a countingAddrs) List(dev string) ([]addr.Address, error) {
	*a.lists++
	return a.nodeAddrs.List(dev)
}

// Starting many instances dumps each interface's addresses once, not once
// per instance, and still removes the stale VIPs it finds.
func TestStartListsEachInterfaceOnce(t *testing.T) {
	const n = 200
	h := newHarness(t)
	h.quiet = true
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, manyInstances(n))
	lists := 0
	b.d.ports.Addresses = countingAddrs{nodeAddrs{b}, &lists}
	b.setAddr("198.18.0.2/32", "eth0", true) // VI_001's VIP, left by a crash
	b.start()
	if lists > 2 {
		t.Errorf("%d address dumps to start %d instances on one interface, want at most 2", lists, n)
	}
	if b.holds("198.18.0.2/32") {
		t.Error("the stale VIP is still there after the start")
	}
}

// vrrp_garp_interval (and vrrp_gna_interval for IPv6) space the
// announcements on an interface as keepalived does: one address at a time,
// the next on that interface and family not before the interval (a repeat
// of garp_master_repeat that finds an address waiting adds nothing).
// Without them a round goes at once.
func TestGARPInterval(t *testing.T) {
	conf := func(global string) string {
		return "global_defs {\n    vrrp_version 3\n" + global + "}\n" +
			"vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 1\n    priority 100\n    advert_int 1\n    garp_master_repeat 2\n" +
			"    virtual_ipaddress {\n        198.18.0.1/32\n        198.18.0.2/32\n        198.18.0.3/32\n    }\n" +
			"    virtual_ipaddress_excluded {\n        2001:db8::1/128\n    }\n}\n"
	}
	for _, tt := range []struct {
		name, global string
		v4, v6       time.Duration // the spacing wanted (0: none)
	}{
		{"none", "", 0, 0},
		{"garp", "    vrrp_garp_interval 0.01\n", 10 * time.Millisecond, 0},
		{"garp+gna", "    vrrp_garp_interval 0.01\n    vrrp_gna_interval 0.025\n", 10 * time.Millisecond, 25 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.quiet = true
			b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, conf(tt.global))
			var calls []takeoverGARP
			b.d.ports.Announcer = recordingAnnouncer{h: h, node: "b", calls: &calls}
			b.start()
			// MASTER after its master down interval (3.6 s); the rounds of
			// garp_master_delay (5 s later) are not looked at.
			h.advance(5 * time.Second)
			if st := b.state("VI_1"); st != "MASTER" {
				t.Fatalf("VI_1 is %s, want MASTER", st)
			}
			var at4, at6 []time.Time
			n4, n6 := 0, 0
			for _, c := range calls {
				for _, v := range c.vips {
					if v.Is4() {
						at4, n4 = append(at4, c.at), n4+1
					} else {
						at6, n6 = append(at6, c.at), n6+1
					}
				}
			}
			// Paced, a repeat that finds an address still waiting adds
			// nothing (keepalived's pending flag, garppace.go): the first
			// address goes twice, the others once.
			want4 := 3 * 2
			if tt.v4 > 0 {
				want4 = 3 + 1
			}
			if n4 != want4 || n6 != 2 {
				t.Fatalf("announced %d IPv4 and %d IPv6 addresses, want %d and 2 (2 rounds)", n4, n6, want4)
			}
			// A round goes address by address in order, so the NA also
			// waits for the ARPs before it: its gap is at least its own
			// interval; the ARPs' is theirs (within the pacing step).
			for _, fam := range []struct {
				name  string
				at    []time.Time
				want  time.Duration
				exact bool
			}{{"IPv4", at4, tt.v4, true}, {"IPv6", at6, tt.v6, false}} {
				for i := 1; i < len(fam.at); i++ {
					gap := fam.at[i].Sub(fam.at[i-1])
					switch {
					case tt.v4 == 0 && tt.v6 == 0 && gap != 0:
						t.Errorf("%s announcements %s apart without an interval, want one step", fam.name, gap)
					case gap < fam.want, fam.exact && fam.want > 0 && gap > fam.want+2*garpPace:
						t.Errorf("%s announcements %s apart, want %s", fam.name, gap, fam.want)
					}
				}
			}
			if got := b.d.instances[0].stats.Get(ctl.GARPSent); got != 2 {
				t.Errorf("garp_sent %d, want 2", got)
			}
		})
	}
}
