package nft

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/internal/lbnet"
	"gokeepalived/internal/testutil/poll"
)

// TestLoadSlots: the plan gives new connections to the least loaded
// servers as IPVS's lc/wlc/sed/nq would, one at a time.
func TestLoadSlots(t *testing.T) {
	ds := dests(1, 1)
	a, b := ds[0].AddrPort(), ds[1].AddrPort()
	count := func(sl []int, n int) [2]int {
		var c [2]int
		for _, i := range sl[:n] {
			c[i]++
		}
		return c
	}
	// No load: alternate (ties go to the first).
	if sl := loadSlots("wlc", ds, nil); len(sl) != planSlots || sl[0] != 0 || sl[1] != 1 || sl[2] != 0 {
		t.Errorf("wlc, no load: %v", sl)
	}
	// Four active on a: the next four go to b, then they alternate.
	sl := loadSlots("lc", ds, map[netip.AddrPort]Load{a: {Active: 4}})
	if c := count(sl, 4); c != [2]int{0, 4} {
		t.Errorf("lc, a busy: first four %v, want all on b (%v)", c, sl)
	}
	if c := count(sl, planSlots); c[0] != 14 || c[1] != 18 {
		t.Errorf("lc, a busy: plan %v", c)
	}
	// Inactive connections weigh 1/256 of an active one.
	if sl := loadSlots("lc", ds, map[netip.AddrPort]Load{b: {Inactive: 255}}); sl[0] != 0 || sl[1] != 1 {
		t.Errorf("lc, b has 255 inactive: %v", sl)
	}
	// wlc: weights 3:1 with no load plan three to one.
	if c := count(loadSlots("wlc", dests(3, 1), nil), planSlots); c[0] != 24 || c[1] != 8 {
		t.Errorf("wlc 3:1 plan %v", c)
	}
	// lc ignores weights (but not weight 0).
	if c := count(loadSlots("lc", dests(3, 1), nil), planSlots); c[0] != 16 || c[1] != 16 {
		t.Errorf("lc 3:1 plan %v", c)
	}
	if sl := loadSlots("lc", dests(0, 1), nil); count(sl, planSlots) != [2]int{0, planSlots} {
		t.Errorf("lc with a weight-0 server: %v", sl)
	}
	// nq: an idle server first, whatever its weight.
	if sl := loadSlots("nq", dests(5, 1), map[netip.AddrPort]Load{a: {Active: 1}}); sl[0] != 1 {
		t.Errorf("nq: %v, want the idle b first", sl)
	}
	// sed: (active+1)/weight.
	if sl := loadSlots("sed", dests(2, 1), map[netip.AddrPort]Load{a: {Active: 2}}); sl[0] != 1 {
		t.Errorf("sed: %v, want b ((0+1)/1 < (2+1)/2)", sl)
	}
	if loadSlots("wlc", dests(0, 0), nil) != nil {
		t.Error("no live server: want no plan")
	}
}

// TestTallyFlows: only DNATed flows count, per protocol and real server;
// ESTABLISHED is active, anything else inactive.
func TestTallyFlows(t *testing.T) {
	flow := func(proto uint8, dst, rs string, state uint8) *netlink.ConntrackFlow {
		d, r := netip.MustParseAddrPort(dst), netip.MustParseAddrPort(rs)
		f := &netlink.ConntrackFlow{Forward: netlink.IPTuple{Protocol: proto, SrcIP: net.ParseIP("192.0.2.10"), SrcPort: 40000,
			DstIP: d.Addr().AsSlice(), DstPort: d.Port()}, Reverse: netlink.IPTuple{Protocol: proto, SrcIP: r.Addr().AsSlice(), SrcPort: r.Port()}}
		if proto == 6 {
			f.ProtoInfo = &netlink.ProtoInfoTCP{State: state}
		}
		return f
	}
	got := tallyFlows([]*netlink.ConntrackFlow{
		flow(6, "192.0.2.100:80", "198.18.0.2:80", tcpEstablished),
		flow(6, "192.0.2.100:80", "198.18.0.2:80", tcpEstablished),
		flow(6, "192.0.2.100:80", "198.18.0.2:80", 7), // TIME_WAIT
		flow(6, "192.0.2.100:80", "198.18.0.3:80", 1),
		flow(17, "192.0.2.100:53", "198.18.0.2:53", 0),
		flow(6, "198.18.0.2:80", "198.18.0.2:80", tcpEstablished), // not DNATed
	})
	want := map[connKey]Load{
		{6, netip.MustParseAddrPort("198.18.0.2:80")}:  {Active: 2, Inactive: 1},
		{6, netip.MustParseAddrPort("198.18.0.3:80")}:  {Inactive: 1},
		{17, netip.MustParseAddrPort("198.18.0.2:53")}: {Inactive: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("tally %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%v: %+v, want %+v", k, got[k], v)
		}
	}
	s := lb.Service{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet}, Dests: dests(1, 1)}
	if l := loadsOf(s, got); l[s.Dests[0].AddrPort()] != (Load{2, 1}) || l[s.Dests[1].AddrPort()] != (Load{0, 1}) {
		t.Errorf("loadsOf: %v", l)
	}
}

// TestLeastConnRealTraffic: wlc on nftables under real connections.
// Four long-lived connections are held on rs1 (rs2 at weight 0), then rs2
// comes back: after a Balance (conntrack counts), new connections go to
// rs2 until it has as many, then alternate.
func TestLeastConnRealTraffic(t *testing.T) {
	lbnet.RequireRoot(t)
	tp := lbnet.NewTopo(t, 2)
	const port = 8081
	for _, rs := range tp.RS {
		var ln net.Listener
		rs.NS.Must(t, "listen", func() (err error) {
			ln, err = net.Listen("tcp", netip.AddrPortFrom(rs.Addr.Addr(), port).String())
			return err
		})
		t.Cleanup(func() { ln.Close() })
		name := rs.Name
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Write([]byte(name + "\n"))
				go func() { // hold until the client closes
					buf := make([]byte, 1)
					c.Read(buf)
					c.Close()
				}()
			}
		}()
	}
	dial := func() (net.Conn, string) {
		t.Helper()
		var c net.Conn
		tp.Client.Must(t, "dial", func() (err error) {
			c, err = (&net.Dialer{Timeout: 3 * time.Second}).Dial("tcp", lbnet.VIP+":8081")
			return err
		})
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			c.Close()
			t.Fatalf("read the server's name: %v", err)
		}
		return c, strings.TrimSpace(line)
	}
	b := New(Options{NetNS: tp.Director.Handle()})
	svc := func(w1, w2 int) lb.Service {
		ds := []lb.Dest{{Addr: tp.RS[0].Addr.Addr(), Port: port, Weight: w1}, {Addr: tp.RS[1].Addr.Addr(), Port: port, Weight: w2}}
		return lb.Service{Key: lb.Key{Addr: netip.MustParseAddr(lbnet.VIP), Port: port, Proto: lb.TCP, Family: lb.Inet}, Scheduler: "wlc", Dests: ds}
	}
	rec := lb.NewReconciler(b, nil)
	if _, err := rec.Reconcile([]lb.Service{svc(1, 0)}); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		c, name := dial()
		defer c.Close()
		if name != "rs1" {
			t.Fatalf("with rs2 at weight 0 a connection went to %s", name)
		}
	}
	if _, err := rec.Reconcile([]lb.Service{svc(1, 1)}); err != nil {
		t.Fatal(err)
	}
	// The counts reach conntrack at once; Balance re-plans from them (the
	// reconcile above already planned from them too).
	poll.Until(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		tl, err := b.tally()
		l := tl[connKey{6, netip.AddrPortFrom(tp.RS[0].Addr.Addr(), port)}]
		return err == nil && l.Active >= 4, fmt.Sprintf("conntrack counts for rs1: %+v (err %v), want 4 active", l, err)
	})
	if _, err := b.Balance(); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	var order []string
	for range 6 {
		c, name := dial()
		defer c.Close()
		got[name]++
		order = append(order, name)
	}
	// Four to rs2 (0..3 active < rs1's 4), then one each.
	if got["rs2"] != 5 || got["rs1"] != 1 || strings.Join(order[:4], ",") != "rs2,rs2,rs2,rs2" {
		t.Errorf("new connections went %v, want rs2 x4 first, then alternating (rs2 5, rs1 1)", order)
	}
	if ss, err := b.Services(); err != nil || len(ss) != 1 || ss[0].Drift != "" {
		t.Errorf("read back after Balance: %+v %v (a plan must not count as drift)", ss, err)
	}
	// Balance with the same counts changes nothing.
	if _, err := b.Balance(); err != nil {
		t.Fatal(err)
	}
}
