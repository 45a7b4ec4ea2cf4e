package director

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"gokeepalived/internal/check"
)

// smtpServer is a minimal SMTP server on loopback (greeting, HELO, QUIT);
// stop closes it and its connections.
func smtpServer(t *testing.T) (port int, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
			_, _ = c.Write([]byte("220 mx.example ready\r\n"))
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					break
				}
				if strings.HasPrefix(line, "HELO ") {
					_, _ = c.Write([]byte("250 ok\r\n"))
				} else if strings.HasPrefix(line, "QUIT") {
					_, _ = c.Write([]byte("221 bye\r\n"))
					break
				}
			}
			c.Close()
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { l.Close(); wg.Wait() }) }
	t.Cleanup(stop)
	return l.Addr().(*net.TCPAddr).Port, stop
}

// TestSMTPHostBlocks: each `host` of a SMTP_CHECK is checked (with its own
// connect_ip/connect_port) as a checker of its own, against real SMTP
// servers; the real server is in the table while every host answers and
// leaves it when any one stops (keepalived 2.2.7: one checker per host).
func TestSMTPHostBlocks(t *testing.T) {
	p1, _ := smtpServer(t)
	p2, stop2 := smtpServer(t)
	conf := fmt.Sprintf(`virtual_server 192.0.2.100 25 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 25 {
        SMTP_CHECK {
            retry 0
            helo_name lb.example
            host {
                connect_ip 127.0.0.1
                connect_port %d
                connect_timeout 2
            }
            host {
                connect_port %d
                connect_timeout 2
            }
        }
    }
}
`, p1, p2)
	b := newBed(t, conf, func(o *Options, _ *fakeBackend) { o.Build = check.Build })
	if n := len(b.d.cfg.VirtualServers[0].RealServers[0].Checkers); n != 2 {
		t.Fatalf("%d checkers, want one per host (2)", n)
	}
	b.advance(3 * time.Second)
	b.wantDests("both hosts answer", "192.0.2.100:25", "127.0.0.1:25 w1")
	stop2()
	b.until("the real server leaves the table when one host stops answering", 30*time.Second, func() bool {
		return len(b.dests("192.0.2.100:25")) == 0
	})
	rs := b.vs("192.0.2.100:25/TCP").RealServers[0]
	if rs.Up || !strings.Contains(rs.Reason, fmt.Sprint(p2)) {
		t.Errorf("real server status %+v; want down with a reason naming port %d", rs, p2)
	}
}
