package director

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gokeepalived/internal/check"
	"gokeepalived/internal/config"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/notify"
)

// The load balancer's SMTP alerts, as keepalived 2.2.7 sends them
// (core/smtp.c smtp_alert; check/check_*.c and check/ipwrapper.c):
//
//   - a checker that changes state mails "[router_id] Realserver RS of
//     virtual server VS - UP|DOWN" (the real server's state after the
//     change), the body naming the checker ("=> TCP CHECK failed on service
//     <="), when the real server's smtp_alert says so; with
//     no_checker_emails only when the real server itself changed state;
//   - a virtual server whose quorum changes mails "[router_id]
//     Virtualserver VS - UP|DOWN", body "=> Gained quorum 3+1=4 <= 5 <="
//     (keepalived's own layout, the same "+" when lost), when the virtual
//     server's smtp_alert says so.
//
// smtp_alert of a real server defaults to smtp_alert_checker, then
// smtp_alert, then on (check_data.c: "inconsistent with the defaults for
// other smtp_alerts"); of a virtual server to the same, then off. Nothing
// is sent without smtp_server and notification_email. The mails go
// through an internal/notify notifier of the director's own (queued,
// retried, never blocking the loop).

type mailRun struct {
	key    string
	n      *notify.Notifier
	cancel context.CancelFunc
	done   chan struct{}
}

// smtpConfig is the mail setup of g, nil without a server or recipients.
func smtpConfig(g *config.Global) *notify.SMTPConfig {
	if g.SMTPServer == "" || len(g.NotificationEmail) == 0 {
		return nil
	}
	return &notify.SMTPConfig{Host: g.SMTPServer, Port: int(g.SMTPPort), HeloName: g.SMTPHeloName,
		From: g.NotificationEmailFrom, To: g.NotificationEmail, ConnectTimeout: g.SMTPConnectTimeout,
		RouterID: g.RouterID}
}

// setMail (re)starts the mail notifier when the mail setup changed.
func (d *Director) setMail() {
	c := smtpConfig(&d.cfg.Global)
	key := ""
	if c != nil {
		key = fmt.Sprintf("%#v", *c)
	}
	if d.mail != nil && d.mail.key == key {
		return
	}
	d.stopMail()
	if c == nil {
		return
	}
	parent := d.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	nc := notify.Config{SMTP: c, Logger: d.log, Now: d.opts.MailNow}
	r := &mailRun{key: key, n: notify.New(nc), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		_ = r.n.Run(ctx)
	}()
	d.mail = r
}

// stopMail stops the mail notifier and waits for it (mails not yet sent
// are dropped, as keepalived's are when it exits).
func (d *Director) stopMail() {
	if d.mail == nil {
		return
	}
	d.mail.cancel()
	<-d.mail.done
	d.mail = nil
}

// sendMail queues one alert.
func (d *Director) sendMail(name, subject, body string) {
	if d.mail == nil {
		return
	}
	if !d.mail.n.Enqueue(notify.Event{Name: name, SMTPAlert: true, Mail: &notify.Mail{Subject: subject, Body: body}}) {
		d.log.Warn("smtp alert dropped (queue full)", "subject", subject)
	}
}

// rsAlert is a real server's effective smtp_alert.
func rsAlert(g *config.Global, rs *config.RealServer) bool {
	for _, p := range []*bool{rs.SMTPAlert, g.SMTPAlertChecker, g.SMTPAlert} {
		if p != nil {
			return *p
		}
	}
	return true
}

// vsAlert is a virtual server's effective smtp_alert.
func vsAlert(g *config.Global, vs *config.VirtualServer) bool {
	for _, p := range []*bool{vs.SMTPAlert, g.SMTPAlertChecker, g.SMTPAlert} {
		if p != nil {
			return *p
		}
	}
	return false
}

// checkerMailBody is the body keepalived's checker of kind sends.
func checkerMailBody(kind string, up bool, reason string) string {
	switch kind {
	case "TCP_CHECK", "UDP_CHECK":
		return fmt.Sprintf("=> %s CHECK %s on service <=", strings.TrimSuffix(kind, "_CHECK"), succeedFailed(up))
	case "PING_CHECK":
		return fmt.Sprintf("=> ICMP CHECK %s on service <=", succeedFailed(up))
	case "DNS_CHECK":
		return fmt.Sprintf("=> DNS_CHECK: %s on service <=", succeedFailed(up))
	case "MISC_CHECK":
		return fmt.Sprintf("=> MISC CHECK %s on service <=", succeedFailed(up))
	case "BFD_CHECK":
		if up {
			return "=> BFD CHECK succeeded on service <="
		}
		return "=> BFD CHECK failed on service <="
	case "HTTP_GET", "SSL_GET":
		if up {
			return "=> CHECK succeed on service <="
		}
		return "=> CHECK failed on service : HTTP request failed <="
	}
	// SMTP_CHECK and the others: the failure with its reason.
	if up {
		return "=> CHECK succeed on service <="
	}
	if reason != "" {
		return "=> CHECK failed on service : " + reason + " <="
	}
	return "=> CHECK failed on service <="
}

func succeedFailed(up bool) string {
	if up {
		return "succeed"
	}
	return "failed"
}

// checkerMail mails a checker's state change when the real server's
// smtp_alert and no_checker_emails say so. FILE_CHECK sends none (as in
// keepalived).
func (d *Director) checkerMail(ref rsRef, c check.Change) {
	if d.mail == nil || !c.CheckChanged {
		return
	}
	g := &d.cfg.Global
	if !rsAlert(g, ref.rs) || (g.NoCheckerEmails && !c.ServerChanged) {
		return
	}
	kind := ""
	if j, ok := d.running[c.Check]; ok {
		kind = j.kind
	}
	if kind == "FILE_CHECK" {
		return
	}
	subject := fmt.Sprintf("Realserver %s of virtual server %s - %s", fmtRS(ref.vs, ref.rs), fmtVS(ref.vs), upDown(c.ServerUp))
	d.sendMail(ref.vs.Name(), subject, checkerMailBody(kind, c.CheckUp, c.Reason))
}

// quorumMail mails a virtual server's quorum change (init: the first
// evaluation at start or after a reload added it).
func (d *Director) quorumMail(vs *config.VirtualServer, res lb.Result, init bool) {
	if d.mail == nil || !vsAlert(&d.cfg.Global, vs) {
		return
	}
	what := map[[2]bool]string{{true, false}: "Gained quorum", {false, false}: "Lost quorum",
		{true, true}: "Starting with quorum up", {false, true}: "Starting with quorum down"}[[2]bool{res.Quorum.Up, init}]
	// keepalived's threshold is the one crossed: quorum+hysteresis to
	// gain (or to start), quorum-hysteresis to lose.
	threshold := vs.Quorum + vs.Hysteresis
	if !res.Quorum.Up && !init {
		threshold = vs.Quorum - vs.Hysteresis
	}
	body := fmt.Sprintf("=> %s %d+%d=%d <= %d <=", what, vs.Quorum, vs.Hysteresis, threshold, res.WeightSum)
	d.sendMail(vs.Name(), fmt.Sprintf("Virtualserver %s - %s", fmtVS(vs), upDown(res.Quorum.Up)), body)
}

// removedMail is keepalived's mail for a live real server taken out by a
// reload ("=> Removing <=") or, with omega, at exit ("=> Shutting down
// <="): ipwrapper.c clear_service_rs.
func (d *Director) removedMail(ref rsRef, stopping bool) {
	if d.mail == nil || !rsAlert(&d.cfg.Global, ref.rs) {
		return
	}
	body := "=> Removing <="
	if stopping {
		body = "=> Shutting down <="
	}
	d.sendMail(ref.vs.Name(), fmt.Sprintf("Realserver %s of virtual server %s - DOWN", fmtRS(ref.vs, ref.rs), fmtVS(ref.vs)), body)
}

// shutdownMails are keepalived's exit mails of the virtual servers with
// omega (ipwrapper.c clear_services): each live real server's "=> Shutting
// down <=" and the virtual server's own; then the queue is drained for
// at most a second.
func (d *Director) shutdownMails() {
	if d.mail == nil {
		return
	}
	sent := false
	for _, vs := range d.cfg.VirtualServers {
		if !vs.Omega {
			continue
		}
		for _, rs := range vs.RealServers {
			if h := d.health[serverID(vs, rs)]; h != nil && h.up {
				d.removedMail(rsRef{vs, rs}, true)
				sent = true
			}
		}
		if vsAlert(&d.cfg.Global, vs) {
			d.sendMail(vs.Name(), fmt.Sprintf("Virtualserver %s - DOWN", fmtVS(vs)), "=> Shutting down <=")
			sent = true
		}
	}
	if sent {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		d.mail.n.Drain(ctx)
	}
}
