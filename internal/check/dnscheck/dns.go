// Package dnscheck implements keepalived's DNS_CHECK (check_dns.c): one UDP
// query with RD set, class IN, for type (default SOA) and name (default ".").
// Replies whose ID does not match or which are not responses are ignored;
// the check passes on the first matching reply with RCODE 0.
package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/miekg/dns"

	"gokeepalived/internal/check/probe"
)

// Types accepted by keepalived's `type` keyword.
var Types = map[string]uint16{
	"A": dns.TypeA, "NS": dns.TypeNS, "CNAME": dns.TypeCNAME, "SOA": dns.TypeSOA,
	"MX": dns.TypeMX, "TXT": dns.TypeTXT, "AAAA": dns.TypeAAAA,
}

// Config is a DNS_CHECK block.
type Config struct {
	Conn probe.Conn
	// Type is A|NS|CNAME|SOA|MX|TXT|AAAA; empty = SOA.
	Type string
	// Name is the query name; empty = ".".
	Name string
}

// Checker is a DNS_CHECK.
type Checker struct {
	cfg   Config
	qtype uint16
	name  string
}

// New validates cfg. It opens nothing.
func New(cfg Config) (*Checker, error) {
	t := strings.ToUpper(cfg.Type)
	if t == "" {
		t = "SOA"
	}
	qt, ok := Types[t]
	if !ok {
		return nil, fmt.Errorf("DNS_CHECK type %q: want one of A NS CNAME SOA MX TXT AAAA", cfg.Type)
	}
	name := cfg.Name
	if name == "" {
		name = "."
	}
	if strings.Contains(name, "..") || (strings.HasPrefix(name, ".") && name != ".") {
		return nil, fmt.Errorf("DNS_CHECK name %q has an empty label", cfg.Name)
	}
	return &Checker{cfg: cfg, qtype: qt, name: dns.Fqdn(name)}, nil
}

// Check sends one query and waits for the answer.
func (c *Checker) Check(ctx context.Context) probe.Result {
	addr := c.cfg.Conn.Addr
	nc, done, err := c.cfg.Conn.Connect(ctx, "udp")
	if err != nil {
		return probe.Failf("%s", err)
	}
	defer done()

	q := new(dns.Msg)
	q.SetQuestion(c.name, c.qtype)
	q.RecursionDesired = true
	conn := &dns.Conn{Conn: nc}
	if err := conn.WriteMsg(q); err != nil {
		return probe.Failf("DNS %s %s to %s: write: %s", dns.TypeToString[c.qtype], c.name, addr, probe.ErrText(err))
	}
	for {
		m, err := conn.ReadMsg()
		if err != nil {
			var oe *net.OpError
			if errors.As(err, &oe) || errors.Is(err, os.ErrDeadlineExceeded) {
				return probe.Failf("DNS %s %s to %s: no answer: %s", dns.TypeToString[c.qtype], c.name, addr, probe.ErrText(err))
			}
			continue // malformed datagram: keep waiting, like keepalived
		}
		if m.Id != q.Id || !m.Response {
			continue
		}
		if m.Rcode != dns.RcodeSuccess {
			return probe.Failf("DNS %s %s to %s: rcode %s", dns.TypeToString[c.qtype], c.name, addr, dns.RcodeToString[m.Rcode])
		}
		return probe.Okf("DNS %s %s to %s: %d answer(s)", dns.TypeToString[c.qtype], c.name, addr, len(m.Answer))
	}
}
