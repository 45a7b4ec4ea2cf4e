// Package smtpcheck implements keepalived's SMTP_CHECK (check_smtp.c):
// connect, read the 220 greeting, send HELO helo_name and expect 250, send
// QUIT and expect 221. The deprecated host{} sub-blocks are not supported.
package smtpcheck

import (
	"context"
	"fmt"
	"net/textproto"

	"gokeepalived/internal/check/probe"
)

// DefaultHeloName is keepalived's helo_name default.
const DefaultHeloName = "smtpchecker.keepalived.org"

// Config is an SMTP_CHECK block.
type Config struct {
	Conn probe.Conn
	// HeloName is helo_name; empty = DefaultHeloName.
	HeloName string
}

// Checker is an SMTP_CHECK.
type Checker struct{ cfg Config }

// New returns an SMTP_CHECK. It opens nothing.
func New(cfg Config) *Checker {
	if cfg.HeloName == "" {
		cfg.HeloName = DefaultHeloName
	}
	return &Checker{cfg: cfg}
}

// Check runs one SMTP dialogue.
func (c *Checker) Check(ctx context.Context) probe.Result {
	addr := c.cfg.Conn.Addr
	nc, done, err := c.cfg.Conn.Connect(ctx, "tcp")
	if err != nil {
		return probe.Failf("%s", err)
	}
	defer done()

	tp := textproto.NewConn(nc)
	step := func(what string, want int) error {
		code, msg, err := tp.ReadResponse(want)
		if err != nil {
			if _, ok := err.(*textproto.Error); ok {
				return fmt.Errorf("SMTP %s on %s: got %d %q, want %d", what, addr, code, msg, want)
			}
			return fmt.Errorf("SMTP %s on %s: %s", what, addr, probe.ErrText(err))
		}
		return nil
	}
	if err := step("greeting", 220); err != nil {
		return probe.Failf("%s", err)
	}
	if err := tp.PrintfLine("HELO %s", c.cfg.HeloName); err != nil {
		return probe.Failf("SMTP HELO on %s: %s", addr, probe.ErrText(err))
	}
	if err := step("HELO", 250); err != nil {
		return probe.Failf("%s", err)
	}
	if err := tp.PrintfLine("QUIT"); err != nil {
		return probe.Failf("SMTP QUIT on %s: %s", addr, probe.ErrText(err))
	}
	if err := step("QUIT", 221); err != nil {
		return probe.Failf("%s", err)
	}
	return probe.Okf("SMTP dialogue ok on %s", addr)
}
