package daemon

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// garpRecorder is an Announcer that records each call at the harness's
// clock.
type garpRecorder struct {
	h     *harness
	mu    sync.Mutex
	calls []garpCall
}

type garpCall struct {
	at   time.Duration // since the recorder started
	dev  string
	vips string
}

func (r *garpRecorder) Gratuitous(dev string, vips []netip.Addr) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, v := range vips {
		s = append(s, v.String())
	}
	r.calls = append(r.calls, garpCall{at: r.h.now.Sub(harnessT0), dev: dev, vips: strings.Join(s, ",")})
	return nil
}

func (r *garpRecorder) on(dev string, from, to time.Duration) []garpCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []garpCall
	for _, c := range r.calls {
		if c.dev == dev && c.at >= from && c.at < to {
			out = append(out, c)
		}
	}
	return out
}

// garpNode starts one node alone on eth0 (and eth1) with conf, its
// gratuitous ARPs recorded, and lets it become MASTER.
func garpNode(t *testing.T, conf string) (*harness, *node, *garpRecorder) {
	h := newHarness(t)
	n := h.node("a", map[string]string{"eth0": "lan 192.0.2.1", "eth1": "lan2 198.51.100.1"}, conf)
	rec := &garpRecorder{h: h}
	n.d.ports.Announcer = rec
	n.start()
	h.advance(10 * time.Second)
	if s := n.state("VI_1"); s != "MASTER" {
		t.Fatalf("VI_1 is %s, want MASTER", s)
	}
	return h, n, rec
}

const garpInstance = `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    garp_master_delay 0
%s
    virtual_ipaddress {
        203.0.113.10/32
        203.0.113.11/32
        203.0.113.12/32
        203.0.113.20/32 dev eth1
    }
}
`

// TestGARPGroupPacing: a garp_group spaces the gratuitous ARPs on its
// interfaces by garp_interval (keepalived's queue: an address waiting is
// a flag, so the 5 repeats of a VIP add one message, not four), an
// interface outside it is not held back, vrrp_garp_interval paces every
// interface in no group on its own, and interfaces { } share one pace.
func TestGARPGroupPacing(t *testing.T) {
	fmtCalls := func(cs []garpCall) string {
		var s []string
		for _, c := range cs {
			s = append(s, fmt.Sprintf("%v %s %s", c.at, c.dev, c.vips))
		}
		return strings.Join(s, "; ")
	}
	// No pacing: each round is one call per interface, five at once.
	_, _, rec := garpNode(t, fmt.Sprintf(garpInstance, ""))
	if got := rec.on("eth0", 0, time.Hour); len(got) != 5 || got[0].vips != "203.0.113.10,203.0.113.11,203.0.113.12" || got[4].at != got[0].at {
		t.Errorf("unpaced: %s", fmtCalls(got))
	}

	// garp_group on eth0: one ARP per 0.5 s on eth0; eth1 unpaced.
	_, _, rec = garpNode(t, "garp_group {\n    garp_interval 0.5\n    interface eth0\n}\n"+fmt.Sprintf(garpInstance, ""))
	got := rec.on("eth0", 0, time.Hour)
	var seq []string
	for i, c := range got {
		seq = append(seq, c.vips)
		if i > 0 && c.at-got[i-1].at < 500*time.Millisecond {
			t.Errorf("paced: %s: less than 0.5 s apart", fmtCalls(got))
		}
	}
	if s := strings.Join(seq, " "); s != "203.0.113.10 203.0.113.10 203.0.113.11 203.0.113.12" {
		t.Errorf("paced eth0 sequence %q (%s), want keepalived's: the first VIP now, then each one pending once", s, fmtCalls(got))
	}
	if e1 := rec.on("eth1", 0, time.Hour); len(e1) != 5 || e1[4].at != e1[0].at {
		t.Errorf("eth1 is in no group: %s", fmtCalls(e1))
	}

	// vrrp_garp_interval: every interface in no group has its own pace.
	_, _, rec = garpNode(t, "global_defs {\n    vrrp_garp_interval 0.2\n}\n"+fmt.Sprintf(garpInstance, ""))
	e0, e1 := rec.on("eth0", 0, time.Hour), rec.on("eth1", 0, time.Hour)
	if len(e0) != 4 || len(e1) != 2 || e0[0].at != e1[0].at || e0[1].at-e0[0].at != 200*time.Millisecond || e1[1].at-e1[0].at != 200*time.Millisecond {
		t.Errorf("vrrp_garp_interval: eth0 %s / eth1 %s", fmtCalls(e0), fmtCalls(e1))
	}

	// interfaces { eth0 eth1 }: one pace for both.
	_, _, rec = garpNode(t, "garp_group {\n    garp_interval 0.3\n    interfaces {\n        eth0\n        eth1\n    }\n}\n"+fmt.Sprintf(garpInstance, ""))
	all := append(rec.on("eth0", 0, time.Hour), rec.on("eth1", 0, time.Hour)...)
	seen := map[time.Duration]bool{}
	for _, c := range all {
		if seen[c.at] {
			t.Errorf("aggregated group: two messages at %v: %s", c.at, fmtCalls(all))
		}
		seen[c.at] = true
	}
	// eth1's address waits behind eth0's (pending once, as keepalived).
	if len(all) != 5 {
		t.Errorf("aggregated group: %d messages, want 5: %s", len(all), fmtCalls(all))
	}

	// vrrp_gna_interval paces the unsolicited NAs, not the ARPs.
	h := newHarness(t)
	n := h.node("a", map[string]string{"eth0": "lan fe80::1"}, "global_defs {\n    vrrp_gna_interval 0.2\n}\n"+
		"vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 150\n garp_master_delay 0\n virtual_ipaddress {\n  2001:db8::10/64\n  2001:db8::11/64\n }\n}\n")
	rec = &garpRecorder{h: h}
	n.d.ports.Announcer = rec
	n.start()
	h.advance(10 * time.Second)
	if got := rec.on("eth0", 0, time.Hour); len(got) != 3 || got[1].at-got[0].at != 200*time.Millisecond || got[2].at-got[1].at != 200*time.Millisecond {
		t.Errorf("vrrp_gna_interval: %s", fmtCalls(got))
	}

	// gna_interval only: IPv4 is not paced.
	_, _, rec = garpNode(t, "garp_group {\n    gna_interval 1\n    interface eth0\n}\n"+fmt.Sprintf(garpInstance, ""))
	if got := rec.on("eth0", 0, time.Hour); len(got) != 5 {
		t.Errorf("gna_interval only: ARPs %s", fmtCalls(got))
	}
}

// TestGARPExtraIf: garp_extra_if all N sends, while MASTER, one round for
// the addresses on the other interfaces at the first advert more than N
// seconds after the last; without all (no VMAC of ours there) nothing.
func TestGARPExtraIf(t *testing.T) {
	h, n, rec := garpNode(t, fmt.Sprintf(garpInstance, "    garp_extra_if all 10"))
	start := h.now.Sub(harnessT0)
	h.advance(35 * time.Second)
	got := rec.on("eth1", start, time.Hour)
	if len(got) != 3 {
		t.Fatalf("extra rounds on eth1: %v, want 3 in 35 s", got)
	}
	for i := 1; i < len(got); i++ {
		if d := got[i].at - got[i-1].at; d != 11*time.Second {
			t.Errorf("extra rounds %v apart, want 11 s (the first advert after 10 s)", d)
		}
	}
	if e0 := rec.on("eth0", start, time.Hour); len(e0) != 0 {
		t.Errorf("the instance's own interface got extra rounds: %v", e0)
	}
	n.setLink("eth0", false)
	h.advance(30 * time.Second)
	if late := rec.on("eth1", h.now.Sub(harnessT0)-29*time.Second, time.Hour); len(late) != 0 {
		t.Errorf("extra rounds after leaving MASTER: %v", late)
	}

	// Inherited from vrrp_garp_extra_if, and off without all.
	h, _, rec = garpNode(t, "global_defs {\n    vrrp_garp_extra_if all 10\n}\n"+fmt.Sprintf(garpInstance, ""))
	start = h.now.Sub(harnessT0)
	h.advance(25 * time.Second)
	if got := rec.on("eth1", start, time.Hour); len(got) != 2 {
		t.Errorf("vrrp_garp_extra_if: %v", got)
	}
	h, _, rec = garpNode(t, fmt.Sprintf(garpInstance, "    garp_extra_if 10"))
	start = h.now.Sub(harnessT0)
	h.advance(25 * time.Second)
	if got := rec.on("eth1", start, time.Hour); len(got) != 0 {
		t.Errorf("garp_extra_if without all: %v", got)
	}
}

// TestLinkUpDownDelays: interface_up_down_delays holds a link change for
// the interface's delay, drops one undone in time, and cuts a delay to
// the (down_timer_adverts - 1) advert intervals bound.
func TestLinkUpDownDelays(t *testing.T) {
	conf := "interface_up_down_delays {\n    eth0 2 1\n}\n" + strings.Replace(fmt.Sprintf(garpInstance, ""), "advert_int 1", "advert_int 2", 1)
	h, n, _ := garpNode(t, conf)
	n.setLink("eth0", false)
	h.advance(1900 * time.Millisecond)
	if s := n.state("VI_1"); s != "MASTER" {
		t.Fatalf("1.9 s after the link went down: %s, want MASTER (down delay 2 s)", s)
	}
	if w := n.d.find("VI_1").warnings; len(w) == 0 || !strings.Contains(w[len(w)-1], "interface eth0 is down: acted on after its interface_up_down_delays delay of 2s") {
		t.Errorf("status warnings while the change is held: %q", w)
	}
	h.advance(200 * time.Millisecond)
	if s := n.state("VI_1"); s != "FAULT" {
		t.Fatalf("2.1 s after the link went down: %s, want FAULT", s)
	}
	n.setLink("eth0", true)
	h.advance(900 * time.Millisecond)
	if s := n.state("VI_1"); s != "FAULT" {
		t.Fatalf("0.9 s after the link came back: %s, want FAULT (up delay 1 s)", s)
	}
	h.advance(10 * time.Second)
	if s := n.state("VI_1"); s != "MASTER" {
		t.Fatalf("after the up delay: %s, want MASTER", s)
	}
	// A flap shorter than the delay is not acted on.
	faults := faultsOf(n)
	n.setLink("eth0", false)
	h.advance(time.Second)
	n.setLink("eth0", true)
	h.advance(10 * time.Second)
	if s := n.state("VI_1"); s != "MASTER" || faultsOf(n) != faults {
		t.Errorf("after a 1 s flap: %s, FAULT notified %d more times", s, faultsOf(n)-faults)
	}

	// advert_int 1: the 5 s down delay is cut below 2 s.
	conf = "interface_up_down_delays {\n    eth0 5\n}\n" + fmt.Sprintf(garpInstance, "")
	h, n, _ = garpNode(t, conf)
	n.setLink("eth0", false)
	h.advance(1990 * time.Millisecond)
	if s := n.state("VI_1"); s != "MASTER" {
		t.Errorf("delay 5 s with advert_int 1: %s after 1.99 s, want MASTER (cut to 2 s - 1/256 s)", s)
	}
	h.advance(10 * time.Millisecond)
	if s := n.state("VI_1"); s != "FAULT" {
		t.Errorf("delay 5 s with advert_int 1: %s after 2 s, want FAULT (cut to 2 s - 1/256 s)", s)
	}
	// Without delays: at once.
	_, n, _ = garpNode(t, fmt.Sprintf(garpInstance, ""))
	n.setLink("eth0", false)
	if s := n.state("VI_1"); s != "FAULT" {
		t.Errorf("no delay: %s, want FAULT at once", s)
	}
}

// probeLinks is the node's Links with a linkbeat prober: the polled
// carrier is its own (the driver), apart from what netlink reports.
type probeLinks struct {
	*node
	mu      sync.Mutex
	carrier map[string]bool
	probes  int
}

func (p *probeLinks) Probe(ifname, method string) (bool, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.probes++
	up, ok := p.carrier[ifname]
	if !ok {
		return false, "", fmt.Errorf("%s: no such device", ifname)
	}
	return up, "ETHTOOL", nil
}

func (p *probeLinks) set(ifname string, up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.carrier[ifname] = up
}

// TestLinkbeatPolling: a linkbeat interface's state comes from polling
// every second; netlink's reports for it are ignored; other interfaces
// still follow netlink.
func TestLinkbeatPolling(t *testing.T) {
	for i, conf := range []string{
		"linkbeat_interfaces {\n    eth0\n}\n" + fmt.Sprintf(garpInstance, ""),
		"linkbeat_use_polling\n" + fmt.Sprintf(garpInstance, ""),
		fmt.Sprintf(garpInstance, "    linkbeat_use_polling"),
	} {
		h := newHarness(t)
		n := h.node("a", map[string]string{"eth0": "lan 192.0.2.1", "eth1": "lan2 198.51.100.1"}, conf+
			"vrrp_instance VI_2 {\n interface eth1\n virtual_router_id 52\n priority 150\n virtual_ipaddress {\n  198.51.100.10/32\n }\n}\n")
		pl := &probeLinks{node: n, carrier: map[string]bool{"eth0": true, "eth1": true}}
		n.d.ports.Links = pl
		n.start()
		h.advance(5 * time.Second)
		if n.state("VI_1") != "MASTER" || n.state("VI_2") != "MASTER" {
			t.Fatalf("%s / %s, want MASTER", n.state("VI_1"), n.state("VI_2"))
		}
		n.setLink("eth0", false) // netlink says down; the driver says up
		h.advance(3 * time.Second)
		if s := n.state("VI_1"); s != "MASTER" {
			t.Errorf("netlink report on a polled interface acted on: %s", s)
		}
		pl.set("eth0", false)
		h.advance(1100 * time.Millisecond)
		if s := n.state("VI_1"); s != "FAULT" {
			t.Errorf("1.1 s after the polled carrier went: %s, want FAULT", s)
		}
		pl.set("eth0", true)
		h.advance(5 * time.Second)
		if s := n.state("VI_1"); s != "MASTER" {
			t.Errorf("polled carrier back: %s, want MASTER", s)
		}
		n.setLink("eth1", false) // not polled (but with the top-level keyword): netlink
		if s := n.state("VI_2"); (s != "FAULT") != (i == 1) {
			t.Errorf("eth1 follows netlink: %s, want FAULT", s)
		}
		pl.mu.Lock()
		if pl.probes < 10 {
			t.Errorf("%d probes in about 15 s, want one a second", pl.probes)
		}
		pl.mu.Unlock()
	}
}

// faultsOf counts the FAULT notifications of n.
func faultsOf(n *node) int {
	c := 0
	for _, s := range n.rec.get() {
		if strings.HasPrefix(s, "FAULT") {
			c++
		}
	}
	return c
}

// TestLinkGARPReload: a reload that adds a garp_group paces the next
// master's ARPs; one that drops interface_up_down_delays acts on a held
// link change's successor at once.
func TestLinkGARPReload(t *testing.T) {
	base := fmt.Sprintf(garpInstance, "")
	delays := "interface_up_down_delays {\n    eth0 1.5\n}\n" + base
	h, n, rec := garpNode(t, delays)
	if err := n.reload("garp_group {\n    garp_interval 0.5\n    interface eth0\n}\n" + base); err != nil {
		t.Fatal(err)
	}
	n.setLink("eth0", false) // no delay any more: at once
	if s := n.state("VI_1"); s != "FAULT" {
		t.Fatalf("after the reload dropped the delays: %s, want FAULT at once", s)
	}
	from := h.now.Sub(harnessT0)
	n.setLink("eth0", true)
	h.advance(10 * time.Second)
	got := rec.on("eth0", from, time.Hour)
	if len(got) != 4 || got[1].at-got[0].at < 500*time.Millisecond {
		t.Errorf("after the reload added the garp_group: %v, want 4 ARPs 0.5 s apart", got)
	}
}
