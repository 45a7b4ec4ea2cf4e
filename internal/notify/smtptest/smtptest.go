// Package smtptest is the minimal SMTP server the tests of mail alerts send
// to (internal/notify's unit tests on loopback, the e2e scenarios inside a
// node): it speaks enough SMTP for a client to deliver, and records every
// message.
package smtptest

import (
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Mail is one message the server accepted.
type Mail struct {
	At   time.Time
	Helo string
	From string   // MAIL FROM argument, e.g. "<keepalived@example.com>"
	To   []string // RCPT TO arguments
	Data string   // headers and body, with LF line ends (textproto.ReadDotBytes)
}

// Header returns the value of the first header called name, "" if none.
func (m Mail) Header(name string) string {
	for _, l := range strings.Split(m.Data, "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			break
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Server records the mails it accepts. Set its options before Serve.
type Server struct {
	// RejectFirst: the first RejectFirst connections get "421 try later"
	// instead of a greeting (to test retries).
	RejectFirst int32
	// NoEHLO answers EHLO with 502, so a client must fall back to HELO.
	NoEHLO bool
	// Received, if set, also gets every accepted mail (it must have room).
	Received chan<- Mail

	conns atomic.Int32
	mu    sync.Mutex
	mails []Mail
}

// Mails returns the mails accepted so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Serve answers connections on l until the end of t, when l is closed and
// every connection has ended.
func (s *Server) Serve(t testing.TB, l net.Listener) {
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(c) })
		}
	})
}

func (s *Server) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(c)
	if s.conns.Add(1) <= s.RejectFirst {
		_ = tp.PrintfLine("421 try later")
		return
	}
	_ = tp.PrintfLine("220 test.example.com ESMTP test server")
	var m Mail
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch verb = strings.ToUpper(verb); {
		case verb == "EHLO" && s.NoEHLO:
			_ = tp.PrintfLine("502 no EHLO")
		case verb == "EHLO", verb == "HELO":
			m.Helo = arg
			_ = tp.PrintfLine("250 test.example.com")
		case verb == "MAIL":
			m.From = argument(arg)
			_ = tp.PrintfLine("250 ok")
		case verb == "RCPT":
			m.To = append(m.To, argument(arg))
			_ = tp.PrintfLine("250 ok")
		case verb == "DATA":
			_ = tp.PrintfLine("354 end with <CRLF>.<CRLF>")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.Data, m.At = string(b), time.Now()
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			if s.Received != nil {
				s.Received <- m
			}
			m = Mail{Helo: m.Helo}
			_ = tp.PrintfLine("250 queued")
		case verb == "RSET", verb == "NOOP":
			_ = tp.PrintfLine("250 ok")
		case verb == "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 not implemented")
		}
	}
}

// argument is what follows "FROM:" or "TO:".
func argument(arg string) string {
	_, v, _ := strings.Cut(arg, ":")
	return strings.TrimSpace(v)
}
