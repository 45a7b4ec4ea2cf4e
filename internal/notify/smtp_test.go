package notify

import (
	"net"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/notify/smtptest"
)

// smtpServer is a minimal SMTP server on 127.0.0.1 that refuses EHLO. The
// first rejectFirst connections get "421" instead of a greeting.
func smtpServer(t *testing.T, rejectFirst int32) (addr *net.TCPAddr, mails <-chan smtptest.Mail) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan smtptest.Mail, 16)
	(&smtptest.Server{RejectFirst: rejectFirst, NoEHLO: true, Received: ch}).Serve(t, ln)
	return ln.Addr().(*net.TCPAddr), ch
}

func TestSMTPAlertPerTransition(t *testing.T) {
	addr, mails := smtpServer(t, 1) // the first connection is refused: one retry
	cfg := &SMTPConfig{
		Host: "127.0.0.1", Port: addr.Port,
		HeloName: "lb1.example", From: "keepalived@example.com",
		To:       []string{"ops@example.com", "oncall@example.com"},
		RouterID: "LB1", ConnectTimeout: 5 * time.Second, RetryDelay: time.Millisecond,
	}
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	nt, _ := startNotifier(t, Config{SMTP: cfg, Now: func() time.Time { return when }})
	evs := []Event{
		{Name: "VI_1", From: StateBackup, State: StateMaster, Priority: 150, Reason: "no advertisement for 3.4s", SMTPAlert: true},
		{Name: "VI_1", From: StateMaster, State: StateMaster, Priority: 150, SMTPAlert: true}, // same state again: no mail
		{Name: "VI_1", From: StateMaster, State: StateBackup, Priority: 150, Reason: "higher priority 200 from 192.0.2.2", SMTPAlert: true},
		{Name: "VI_2", State: StateFault, SMTPAlert: false},                          // alerts off
		{Name: "VI_1", State: EventMasterRxLowerPri, Priority: 150, SMTPAlert: true}, // not a state
		{Kind: KindGroup, Name: "G1", From: StateBackup, State: StateFault, Reason: "eth1 down", SMTPAlert: true},
	}
	for _, e := range evs {
		start := time.Now()
		nt.Enqueue(e)
		if d := time.Since(start); d > time.Second {
			t.Errorf("Enqueue took %v", d)
		}
	}
	wants := []struct{ subject, body string }{
		{"[LB1] VRRP Instance VI_1 - Entering MASTER state",
			"=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\nInstance: VI_1\r\nTransition: BACKUP -> MASTER\r\nPriority: 150\r\nReason: no advertisement for 3.4s\r\n"},
		{"[LB1] VRRP Instance VI_1 - Entering BACKUP state",
			"=> VRRP Instance is no longer owning VRRP VIPs <=\r\n\r\nInstance: VI_1\r\nTransition: MASTER -> BACKUP\r\nPriority: 150\r\nReason: higher priority 200 from 192.0.2.2\r\n"},
		{"[LB1] VRRP Group G1 - Entering FAULT state",
			"=> All VRRP group instances are now in FAULT state <=\r\n\r\nGroup: G1\r\nTransition: BACKUP -> FAULT\r\nReason: eth1 down\r\n"},
	}
	for i, w := range wants {
		var m smtptest.Mail
		select {
		case m = <-mails:
		case <-time.After(10 * time.Second):
			t.Fatalf("mail %d not received; stats %+v", i, nt.Stats())
		}
		if m.Helo != "lb1.example" || m.From != "<keepalived@example.com>" ||
			strings.Join(m.To, ",") != "<ops@example.com>,<oncall@example.com>" {
			t.Errorf("mail %d envelope = %+v", i, m)
		}
		// ReadDotBytes turns CRLF into LF; compare in that form.
		wantData := strings.ReplaceAll("Date: Mon, 06 May 2024 07:08:09 +0000\r\n"+
			"From: keepalived@example.com\r\n"+
			"Subject: "+w.subject+"\r\n"+
			"X-Mailer: gokeepalived\r\n"+
			"To: ops@example.com, oncall@example.com\r\n\r\n"+w.body, "\r\n", "\n")
		if m.Data != wantData {
			t.Errorf("mail %d data:\n%s\nwant:\n%s", i, m.Data, wantData)
		}
	}
	select {
	case m := <-mails:
		t.Errorf("unexpected extra mail: %+v", m)
	case <-time.After(100 * time.Millisecond):
	}
	if s := nt.Stats(); s.MailsSent != 3 || s.MailAttemptErrs != 1 || s.MailFailures != 0 {
		t.Errorf("stats = %+v, want 3 sent, 1 failed attempt", s)
	}
}

func TestSMTPFailureCounted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now: connection refused
	cfg := &SMTPConfig{Host: "127.0.0.1", Port: port, From: "a@b", To: []string{"c@d"},
		Attempts: 2, RetryDelay: time.Millisecond, ConnectTimeout: time.Second}
	nt, _ := startNotifier(t, Config{SMTP: cfg})
	nt.Enqueue(Event{Name: "VI_1", State: StateMaster, SMTPAlert: true})
	waitFor(t, "mail failure", func() bool { return nt.Stats().MailFailures == 1 })
	if s := nt.Stats(); s.MailAttemptErrs != 2 || s.MailsSent != 0 {
		t.Errorf("stats = %+v, want 2 failed attempts", s)
	}
}

func TestSMTPNoEmailFaults(t *testing.T) {
	c := &SMTPConfig{NoEmailFaults: true}
	for st, want := range map[State]bool{StateMaster: true, StateBackup: true, StateStop: true, StateFault: false, EventMasterPriority: false} {
		if got := mailWanted(Event{State: st}, c); got != want {
			t.Errorf("mailWanted(%v) = %v, want %v", st, got, want)
		}
	}
}
