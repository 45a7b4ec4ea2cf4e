package smtpcheck

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"gokeepalived/internal/check/probe"
)

// smtpServer runs a minimal SMTP dialogue with the given greeting and
// records the HELO line.
func smtpServer(t *testing.T, greeting string) (netip.AddrPort, func() string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var helo string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(c)
			_, _ = c.Write([]byte(greeting))
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					break
				}
				switch {
				case strings.HasPrefix(line, "HELO "):
					mu.Lock()
					helo = strings.TrimSpace(line)
					mu.Unlock()
					_, _ = c.Write([]byte("250 ok\r\n"))
				case strings.HasPrefix(line, "QUIT"):
					_, _ = c.Write([]byte("221 bye\r\n"))
				}
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return netip.MustParseAddrPort(l.Addr().String()), func() string { mu.Lock(); defer mu.Unlock(); return helo }
}

func TestSMTPCheck(t *testing.T) {
	good, helo := smtpServer(t, "220-mx.example ESMTP\r\n220 ready\r\n")
	r := New(Config{Conn: probe.Conn{Addr: good}, HeloName: "lb1.example"}).Check(context.Background())
	if !r.OK {
		t.Fatalf("healthy SMTP: %+v", r)
	}
	if got := helo(); got != "HELO lb1.example" {
		t.Errorf("HELO line = %q", got)
	}
	if r := New(Config{Conn: probe.Conn{Addr: good}}).Check(context.Background()); !r.OK || helo() != "HELO "+DefaultHeloName {
		t.Errorf("default helo_name: %+v, %q", r, helo())
	}

	bad, _ := smtpServer(t, "554 go away\r\n")
	r = New(Config{Conn: probe.Conn{Addr: bad}}).Check(context.Background())
	if want := `SMTP greeting on ` + bad.String() + `: got 554 "go away", want 220`; r.OK || r.Reason != want {
		t.Errorf("bad greeting: %+v, want %q", r, want)
	}
}
