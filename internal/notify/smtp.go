package notify

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// SMTPConfig is global_defs' mail settings.
type SMTPConfig struct {
	Host           string        // smtp_server address or name
	Port           int           // smtp_server's optional port; zero means 25
	HeloName       string        // smtp_helo_name; empty means "localhost"
	From           string        // notification_email_from
	To             []string      // notification_email { ... }
	ConnectTimeout time.Duration // smtp_connect_timeout; zero means 30 s. Also bounds each SMTP exchange.
	RouterID       string        // router_id, shown as "[router_id]" in the subject
	NoEmailFaults  bool          // no_email_faults: no mail for FAULT
	// Attempts is how many times one alert is tried; zero means 3.
	Attempts int
	// RetryDelay is the wait between attempts; zero means 10 s.
	RetryDelay time.Duration
}

func (c *SMTPConfig) addr() string {
	port := c.Port
	if port == 0 {
		port = 25
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

// mailWanted says whether e deserves an alert at all (vrrp_notify.c
// vrrp_smtp_notifier): states only, and no FAULT under no_email_faults.
func mailWanted(e Event, c *SMTPConfig) bool {
	if e.Mail != nil {
		return true
	}
	switch e.State {
	case StateMaster, StateBackup, StateStop:
		return true
	case StateFault:
		return !c.NoEmailFaults
	}
	return false
}

// mailText returns keepalived's subject and first body line for e.
func mailText(e Event) (subject, headline string) {
	what := "VRRP Instance"
	if e.Kind == KindGroup {
		what = "VRRP Group"
	}
	switch e.State {
	case StateMaster:
		subject = "Entering MASTER state"
		headline = "=> VRRP Instance is now owning VRRP VIPs <="
		if e.Kind == KindGroup {
			headline = "=> All VRRP group instances are now in MASTER state <="
		}
	case StateBackup:
		subject = "Entering BACKUP state"
		headline = "=> VRRP Instance is no longer owning VRRP VIPs <="
		if e.Kind == KindGroup {
			headline = "=> All VRRP group instances are now in BACKUP state <="
		}
	case StateFault:
		subject = "Entering FAULT state"
		headline = "=> VRRP Instance is no longer owning VRRP VIPs <="
		if e.Kind == KindGroup {
			headline = "=> All VRRP group instances are now in FAULT state <="
		}
	default:
		subject = "Stopping"
		headline = "=> VRRP Instance stopping <="
		if e.Kind == KindGroup {
			headline = "=> All VRRP group instances are now stopping <="
		}
	}
	return fmt.Sprintf("%s %s - %s", what, e.Name, subject), headline
}

// Message renders the whole RFC 5322 message for e, CRLF line endings,
// headers as keepalived's core/smtp.c sends them (Date, From, Subject,
// X-Mailer, To), then a body with keepalived's headline followed by the
// transition, priority and reason.
func (c *SMTPConfig) Message(e Event, now time.Time) string {
	subject, headline := mailText(e)
	if e.Mail != nil {
		subject = e.Mail.Subject
	}
	if c.RouterID != "" {
		subject = "[" + c.RouterID + "] " + subject
	}
	from := e.From.String()
	if e.From == StateUnknown {
		from = "INIT"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s\r\n", c.From)
	fmt.Fprintf(&b, "Subject: %s\r\n", oneLine(subject))
	b.WriteString("X-Mailer: gokeepalived\r\n")
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(c.To, ", "))
	b.WriteString("\r\n")
	if e.Mail != nil {
		b.WriteString(oneLine(e.Mail.Body) + "\r\n")
		return b.String()
	}
	b.WriteString(headline + "\r\n\r\n")
	fmt.Fprintf(&b, "%s: %s\r\n", map[Kind]string{KindInstance: "Instance", KindGroup: "Group"}[e.Kind], oneLine(e.Name))
	fmt.Fprintf(&b, "Transition: %s -> %s\r\n", from, e.State)
	if e.Kind == KindInstance {
		fmt.Fprintf(&b, "Priority: %d\r\n", e.Priority)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, "Reason: %s\r\n", oneLine(e.Reason))
	}
	return b.String()
}

func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

func (n *Notifier) mailWorker(ctx context.Context) {
	c := n.cfg.SMTP
	attempts := c.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	delay := c.RetryDelay
	if delay <= 0 {
		delay = 10 * time.Second
	}
	// keepalived mails a state only once in a row (last_email_state).
	last := map[string]State{}
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-n.mail:
			func() {
				defer n.pending.Add(-1)
				key := e.Kind.String() + "\x00" + e.Name
				if e.Mail == nil {
					if last[key] == e.State {
						return
					}
					last[key] = e.State
				}
				msg := c.Message(e, n.cfg.Now())
				var err error
				for i := range attempts {
					if err = c.send(ctx, msg); err == nil {
						break
					}
					n.c.mailAttemptErrs.Add(1)
					n.log.Warn("smtp alert attempt failed", "instance", e.Name, "to", e.State.String(), "attempt", i+1, "server", c.addr(), "err", err)
					if i+1 < attempts {
						t := time.NewTimer(delay)
						select {
						case <-ctx.Done():
							t.Stop()
							return
						case <-t.C:
						}
					}
				}
				if err != nil {
					n.c.mailFailures.Add(1)
					n.log.Error("smtp alert not sent", "instance", e.Name, "to", e.State.String(), "server", c.addr(), "err", err)
					return
				}
				n.c.mailsSent.Add(1)
			}()
		}
	}
}

// send delivers one message: connect (bounded by ConnectTimeout), HELO,
// MAIL FROM, one RCPT TO per address, DATA, QUIT.
func (c *SMTPConfig) send(ctx context.Context, msg string) error {
	timeout := c.ConnectTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", c.addr())
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	cl, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer cl.Close()
	helo := c.HeloName
	if helo == "" {
		helo = "localhost"
	}
	if err := cl.Hello(helo); err != nil {
		return fmt.Errorf("HELO: %w", err)
	}
	if err := cl.Mail(c.From); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, to := range c.To {
		if err := cl.Rcpt(to); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", to, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of data: %w", err)
	}
	return cl.Quit()
}
