package director

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/notify/smtptest"
	"gokeepalived/internal/testutil/poll"
)

// mailConf has rs2 with two TCP_CHECKs (ports 80 and 81, so that one can
// fail alone), weight 1, and rs3, weight 2; quorum 2.
const mailConf = `
global_defs {
    router_id lb1
    notification_email {
        ops@example.test
    }
    notification_email_from lb@example.test
    smtp_server 127.0.0.1 %d
    smtp_connect_timeout 5
    %s
}
virtual_server 192.0.2.100 80 {
    delay_loop 3
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 2
    smtp_alert
    real_server 198.18.0.2 80 {
        weight 1
        TCP_CHECK {
        }
        TCP_CHECK {
            connect_port 81
        }
    }
    real_server 198.18.0.3 80 {
        weight 2
        smtp_alert off
        TCP_CHECK {
        }
    }
}
`

// mailSink is a recording SMTP server on loopback.
func mailSink(t *testing.T) (*smtptest.Server, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtptest.Server{}
	s.Serve(t, l)
	return s, l.Addr().(*net.TCPAddr).Port
}

// subjects waits until the server has n mails and returns "subject |
// body" for each, in arrival order.
func subjects(t *testing.T, s *smtptest.Server, n int) []string {
	t.Helper()
	poll.Until(t, 20*time.Second, 10*time.Millisecond, func() (bool, string) {
		return len(s.Mails()) >= n, fmt.Sprintf("%d mails, want %d", len(s.Mails()), n)
	})
	var out []string
	for _, m := range s.Mails() {
		_, body, _ := strings.Cut(m.Data, "\n\n")
		out = append(out, m.Header("Subject")+" | "+strings.TrimSpace(body))
	}
	return out
}

// TestCheckerMail: the checker and quorum alerts, received by a SMTP
// server on loopback, in keepalived's subject and body format; with and
// without no_checker_emails (only real-server state changes mailed), and
// a real server with smtp_alert off sending none while its virtual
// server's quorum mail still goes.
func TestCheckerMail(t *testing.T) {
	rs2b := netip.MustParseAddrPort("198.18.0.2:81")
	const (
		rsDown = "[lb1] Realserver [198.18.0.2]:tcp:80 of virtual server [192.0.2.100]:tcp:80 - DOWN"
		rsUp   = "[lb1] Realserver [198.18.0.2]:tcp:80 of virtual server [192.0.2.100]:tcp:80 - UP"
		failed = "=> TCP CHECK failed on service <="
		succ   = "=> TCP CHECK succeed on service <="
		lost   = "[lb1] Virtualserver [192.0.2.100]:tcp:80 - DOWN | => Lost quorum 2+0=2 <= 1 <="
		gained = "[lb1] Virtualserver [192.0.2.100]:tcp:80 - UP | => Gained quorum 2+0=2 <= 3 <="
	)
	for _, tc := range []struct {
		name, extra string
		want        []string
	}{
		// keepalived mails each checker's change with the real server's
		// state after it: the first checker back leaves rs2 DOWN.
		{"every checker", "", []string{rsDown + " | " + failed, rsDown + " | " + failed, rsDown + " | " + succ,
			rsUp + " | " + succ, lost, gained}},
		{"no_checker_emails", "no_checker_emails", []string{rsDown + " | " + failed, rsUp + " | " + succ, lost, gained}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, port := mailSink(t)
			b := newBed(t, fmt.Sprintf(mailConf, port, tc.extra))
			defer b.d.finish()
			b.until("first checks", 4*time.Second, func() bool { return len(b.probes[rs2]) > 0 && len(b.probes[rs2b]) > 0 })
			// One checker of rs2 fails (rs2 goes down), then the other.
			b.down[rs2b] = "refused"
			b.until("rs2 down", 10*time.Second, func() bool { return !b.vs("192.0.2.100:80/TCP").RealServers[0].Up })
			n := len(b.probes[rs2])
			b.down[rs2] = "refused"
			b.until("second checker down", 10*time.Second, func() bool { return len(b.probes[rs2]) >= n+1 })
			b.advance(time.Second)
			// Both come back: the first to succeed leaves rs2 down.
			delete(b.down, rs2)
			delete(b.down, rs2b)
			b.until("rs2 up", 10*time.Second, func() bool { return b.vs("192.0.2.100:80/TCP").RealServers[0].Up })
			b.advance(time.Second)
			// rs3 (smtp_alert off) fails: no real-server mail, but the
			// quorum (2) is lost and comes back.
			b.down[rs3] = "refused"
			b.until("quorum lost", 10*time.Second, func() bool { return !b.vs("192.0.2.100:80/TCP").Quorum })
			delete(b.down, rs3)
			b.until("quorum back", 10*time.Second, func() bool { return b.vs("192.0.2.100:80/TCP").Quorum })
			got := subjects(t, srv, len(tc.want))
			// Mails leave from one queue, in the order of the events.
			if !slices.Equal(got, tc.want) {
				t.Errorf("mails:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			m := srv.Mails()[0]
			if m.From != "<lb@example.test>" || !slices.Equal(m.To, []string{"<ops@example.test>"}) || m.Header("To") != "ops@example.test" {
				t.Errorf("envelope %q -> %q, To: %q", m.From, m.To, m.Header("To"))
			}
			// rs3's changes (smtp_alert off) would have come before the
			// quorum mails, in the same queue: none more.
			if extra := len(srv.Mails()) - len(tc.want); extra > 0 {
				t.Errorf("%d unexpected mails: %v", extra, subjects(t, srv, len(srv.Mails())))
			}
		})
	}
}

// TestMailDefaults: a real server's smtp_alert defaults to
// smtp_alert_checker, then smtp_alert, then on; a virtual server's to the
// same, then off (keepalived 2.2.7 check_data.c).
func TestMailDefaults(t *testing.T) {
	cfg := load(t, `
global_defs {
    smtp_alert_checker off
}
virtual_server 192.0.2.100 80 {
    protocol TCP
    real_server 198.18.0.2 80 {
    }
    real_server 198.18.0.3 80 {
        smtp_alert
    }
}
virtual_server 192.0.2.101 80 {
    protocol TCP
    smtp_alert
    real_server 198.18.0.2 80 {
    }
}
`)
	g := &cfg.Global
	vs1, vs2 := cfg.VirtualServers[0], cfg.VirtualServers[1]
	if rsAlert(g, vs1.RealServers[0]) || !rsAlert(g, vs1.RealServers[1]) || vsAlert(g, vs1) || !vsAlert(g, vs2) {
		t.Errorf("with smtp_alert_checker off: rs %v %v vs %v %v, want false true false true",
			rsAlert(g, vs1.RealServers[0]), rsAlert(g, vs1.RealServers[1]), vsAlert(g, vs1), vsAlert(g, vs2))
	}
	g.SMTPAlertChecker = nil
	if !rsAlert(g, vs1.RealServers[0]) || vsAlert(g, vs1) {
		t.Error("nothing set: a real server alerts, a virtual server does not")
	}
}

// TestRemovedAndShutdownMail: a live real server a reload removes mails
// "=> Removing <="; at exit, under omega, each live real server and the
// virtual server mail "=> Shutting down <=" (keepalived's
// clear_service_rs / do_vs_notifies), delivered before the director ends.
func TestRemovedAndShutdownMail(t *testing.T) {
	srv, port := mailSink(t)
	conf := strings.Replace(fmt.Sprintf(mailConf, port, ""), "    smtp_alert\n", "    smtp_alert\n    omega\n", 1)
	conf = strings.Replace(conf, "        smtp_alert off\n", "", 1)
	b := newBed(t, conf)
	b.until("first checks", 4*time.Second, func() bool { return len(b.probes[rs3]) > 0 })
	i := strings.Index(conf, "    real_server 198.18.0.3 80 {")
	j := strings.Index(conf[i:], "\n    }\n") + i + len("\n    }\n")
	b.d.Reload(load(t, conf[:i]+conf[j:]))
	b.advance(0)
	b.d.finish()
	got := subjects(t, srv, 4)
	want := []string{
		"[lb1] Realserver [198.18.0.3]:tcp:80 of virtual server [192.0.2.100]:tcp:80 - DOWN | => Removing <=",
		// rs3's weight (2) leaves: the quorum (2) is lost.
		"[lb1] Virtualserver [192.0.2.100]:tcp:80 - DOWN | => Lost quorum 2+0=2 <= 1 <=",
		"[lb1] Realserver [198.18.0.2]:tcp:80 of virtual server [192.0.2.100]:tcp:80 - DOWN | => Shutting down <=",
		"[lb1] Virtualserver [192.0.2.100]:tcp:80 - DOWN | => Shutting down <=",
	}
	if !slices.Equal(got, want) {
		t.Errorf("mails:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
