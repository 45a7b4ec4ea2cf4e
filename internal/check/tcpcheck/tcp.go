// Package tcpcheck implements keepalived's TCP_CHECK: the check succeeds when
// a TCP connection to connect_ip:connect_port completes within
// connect_timeout (keepalived check_tcp.c). It takes only the common
// connection keywords.
//
// A runner that owns a connpoll.Poller starts the check there instead of
// calling Check (the Checker is a connpoll.Connecter): a raw non-blocking
// connect with no goroutine of its own. Check, on a goroutine, gives the
// same results.
package tcpcheck

import (
	"context"

	"gokeepalived/internal/check/connpoll"
	"gokeepalived/internal/check/probe"
)

// Config is a TCP_CHECK block.
type Config struct {
	Conn probe.Conn
}

// Checker is a TCP_CHECK.
type Checker struct {
	cfg    Config
	target *connpoll.Target
}

// New returns a TCP_CHECK. It opens nothing.
func New(cfg Config) *Checker { return &Checker{cfg: cfg, target: connpoll.NewTarget(cfg.Conn)} }

// ConnTarget is the check as one connection attempt (connpoll.Connecter).
func (c *Checker) ConnTarget() *connpoll.Target { return c.target }

// Check connects and closes.
func (c *Checker) Check(ctx context.Context) probe.Result {
	to := c.cfg.Conn.ConnectTimeout()
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	conn, err := c.cfg.Conn.Dialer("tcp").DialContext(ctx, "tcp", c.cfg.Conn.Addr.String())
	if err != nil {
		return probe.Failf("%s", probe.ConnectReason(c.cfg.Conn.Addr, err, to))
	}
	_ = conn.Close()
	return probe.Okf("connected to %s", c.cfg.Conn.Addr)
}
