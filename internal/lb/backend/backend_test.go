package backend

import (
	"net/netip"
	"strings"
	"testing"

	"gokeepalived/internal/lb"
)

func TestOpenChoice(t *testing.T) {
	noIPVS := func() (bool, string) { return false, "test: none" }
	b, err := open("auto", lb.OpenOptions{}, noIPVS)
	if err != nil || b.Name() != NFT || !strings.Contains(b.Why(), "no IPVS") {
		t.Fatalf("auto without IPVS = %+v, %v; want nft", b, err)
	}
	if b, err := open("nft", lb.OpenOptions{}, nil); err != nil || b.Name() != NFT {
		t.Fatalf("nft = %+v, %v", b, err)
	}
	if _, err := open("lvs", lb.OpenOptions{}, nil); err == nil || !strings.Contains(err.Error(), "want auto, ipvs or nft") {
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

// TestNFTRefusesIPVSOnlyFeatures: the nftables backend's check refuses the
// IPVS-only parts of a service, and Unsupported names each keyword's
// reason for nft and nothing for ipvs.
func TestNFTRefusesIPVSOnlyFeatures(t *testing.T) {
	b, err := open("nft", lb.OpenOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := lb.Service{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.1"), Port: 80, Proto: lb.TCP, Family: lb.Inet}, Scheduler: "rr",
		Dests: []lb.Dest{{Addr: netip.MustParseAddr("198.18.0.2"), Port: 80, Weight: 1}}}
	if err := b.Check(base); err != nil {
		t.Fatalf("plain service refused: %v", err)
	}
	for name, s := range map[string]func(*lb.Service){
		"scheduler flags":    func(s *lb.Service) { s.Flags = lb.FlagSched2 },
		"persistence_engine": func(s *lb.Service) { s.PEName = "sip" },
		"uthreshold":         func(s *lb.Service) { s.Dests[0].UThreshold = 10 },
	} {
		c := base
		c.Dests = append([]lb.Dest(nil), base.Dests...)
		s(&c)
		if err := b.Check(c); err == nil || !strings.Contains(err.Error(), "ipvs backend") {
			t.Errorf("%s: check = %v, want a refusal naming the ipvs backend", name, err)
		}
	}
	for _, kw := range []string{"ops", "sh-port", "mh-fallback", "persistence_engine", "uthreshold", "lvs_sync_daemon", "lvs_timeouts"} {
		if why := Unsupported(NFT, kw); !strings.Contains(why, kw) || !strings.Contains(why, "--lb-backend=ipvs") {
			t.Errorf("Unsupported(nft, %s) = %q", kw, why)
		}
		if why := Unsupported(IPVS, kw); why != "" {
			t.Errorf("Unsupported(ipvs, %s) = %q, want none", kw, why)
		}
	}
	if why := Unsupported(NFT, "sorry_server_inhibit"); why != "" {
		t.Errorf("sorry_server_inhibit works on nft (weight 0), got %q", why)
	}
}
