package dnscheck

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/probe/probetest"
)

// FuzzCheckReply runs DNS_CHECK against a server that answers the query
// with the fuzzed datagram (its first two bytes replaced by the query's
// ID, so that it is read as the answer), then with a valid SERVFAIL so
// that the check always ends. Only a well-formed response with RCODE 0
// may pass.
func FuzzCheckReply(f *testing.F) {
	ok := new(dns.Msg)
	ok.SetQuestion(".", dns.TypeSOA)
	ok.Response = true
	ok.Answer = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeSOA, Class: dns.ClassINET}, Ns: "a.", Mbox: "b."}}
	nx := ok.Copy()
	nx.Rcode = dns.RcodeNameError
	for _, m := range []*dns.Msg{ok, nx} {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-3])
	}
	for _, s := range []string{"", "\x00", "\x00\x00\x80\x00\x00\x01", "\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff",
		"\x00\x00\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00\xc0\x0c\x00\x06\x00\x01\x00\x00\x00\x00\x00\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		var mu sync.Mutex // the server's goroutine sets sent
		var sent []byte
		addr := probetest.ServeUDP(t, func(q []byte) [][]byte {
			var id []byte
			if len(q) >= 2 {
				id = q[:2]
			}
			r := append([]byte(nil), reply...)
			copy(r, id)
			mu.Lock()
			sent = r
			mu.Unlock()
			fail := new(dns.Msg)
			if err := fail.Unpack(q); err != nil {
				return [][]byte{r}
			}
			fail.Response, fail.Rcode = true, dns.RcodeServerFailure
			b, _ := fail.Pack()
			return [][]byte{r, b}
		})
		c, err := New(Config{Conn: probe.Conn{Addr: addr, Timeout: 10 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		r := c.Check(context.Background())
		if r.Reason == "" {
			t.Errorf("result %+v without a reason", r)
		}
		if r.OK {
			mu.Lock()
			defer mu.Unlock()
			m := new(dns.Msg)
			if err := m.Unpack(sent); err != nil || !m.Response || m.Rcode != dns.RcodeSuccess {
				t.Errorf("reply %x (%v) passed: %+v", sent, err, r)
			}
		}
	})
}
