package backend

import (
	"net/netip"
	"strings"
	"testing"

	"gokeepalived/internal/lb"
)

func TestOpenChoice(t *testing.T) {
	noIPVS := func() (bool, string) { return false, "test: none" }
	b, err := open("auto", noIPVS)
	if err != nil || b.Name() != NFT || !strings.Contains(b.Why(), "no IPVS") {
		t.Fatalf("auto without IPVS = %+v, %v; want nft", b, err)
	}
	if b, err := open("nft", nil); err != nil || b.Name() != NFT {
		t.Fatalf("nft = %+v, %v", b, err)
	}
	if _, err := open("lvs", nil); err == nil || !strings.Contains(err.Error(), "want auto, ipvs or nft") {
		t.Fatalf("bad choice error = %v", err)
	}
}

// TestProblems: the capability rows name the keyword of each thing a
// backend cannot program; IPVS programs everything here.
func TestProblems(t *testing.T) {
	k := lb.Key{Addr: netip.MustParseAddr("192.0.2.100"), Port: 80, Proto: lb.TCP, Family: lb.Inet}
	ds := []lb.Dest{{Addr: netip.MustParseAddr("198.18.0.2"), Port: 80, Weight: 1, Method: lb.DR},
		{Addr: netip.MustParseAddr("198.18.0.3"), Port: 80, Weight: 1, Method: lb.NAT}}
	if ps := Problems(IPVS, lb.Service{Key: k, Scheduler: "lblc", Dests: ds}); len(ps) != 0 {
		t.Errorf("ipvs: %v", ps)
	}
	ps := Problems(NFT, lb.Service{Key: k, Scheduler: "lblc", Dests: ds})
	if len(ps) != 2 || ps[0].Keyword != "lb_kind" || ps[0].Dest != ds[0].AddrPort() || ps[1].Keyword != "lb_algo" ||
		!strings.HasPrefix(ps[1].String(), "nft backend: ") {
		t.Errorf("nft: %+v", ps)
	}
	for _, sched := range []string{"wlc", "lc", "sed", "nq", "rr", "wrr", "sh", "dh", "fo"} {
		if ps := Problems(NFT, lb.Service{Key: k, Scheduler: sched, Dests: ds[1:]}); len(ps) != 0 {
			t.Errorf("nft %s: %v", sched, ps)
		}
	}
	if name, why, err := sel("auto", func() (bool, string) { return true, "test" }); err != nil || name != IPVS || !strings.Contains(why, "auto") {
		t.Errorf("sel auto with IPVS: %s %s %v", name, why, err)
	}
}
