package dnscheck

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/probe/probetest"
)

func dnsServer(t *testing.T, rcode int) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(q, rcode)
			if rcode == dns.RcodeSuccess && q.Question[0].Qtype == dns.TypeA {
				rr, _ := dns.NewRR(q.Question[0].Name + " 60 IN A 192.0.2.1")
				m.Answer = append(m.Answer, rr)
			}
			_ = w.WriteMsg(m)
		})}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return netip.MustParseAddrPort(pc.LocalAddr().String())
}

func TestDNSCheck(t *testing.T) {
	ok := dnsServer(t, dns.RcodeSuccess)
	fail := dnsServer(t, dns.RcodeServerFailure)
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	closed := netip.MustParseAddrPort(pc.LocalAddr().String())
	pc.Close()

	tests := []struct {
		name   string
		cfg    Config
		wantOK bool
		reason string
	}{
		{"default SOA .", Config{Conn: probe.Conn{Addr: ok}}, true, "DNS SOA . to " + ok.String()},
		{"A record", Config{Conn: probe.Conn{Addr: ok}, Type: "a", Name: "www.example.com"}, true, "1 answer(s)"},
		{"servfail", Config{Conn: probe.Conn{Addr: fail}}, false, "rcode SERVFAIL"},
		{"nothing listening", Config{Conn: probe.Conn{Addr: closed, Timeout: 500 * time.Millisecond}}, false, "no answer: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			probetest.Check(t, c, tt.wantOK, tt.reason)
		})
	}
	for _, bad := range []Config{{Type: "PTR"}, {Name: "a..b"}, {Name: ".x"}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}
