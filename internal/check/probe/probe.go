// Package probe is the port every health checker implements, plus the
// connection options keepalived shares between checkers
// (check_api.c install_checker_common_keywords). It is a leaf package so that
// each checker directory can import it and internal/check can hold the
// registry table without an import cycle.
package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// Checker runs one health check. Check must return once ctx is done.
type Checker interface {
	Check(ctx context.Context) Result
}

// Result is the outcome of one Check.
type Result struct {
	OK bool
	// Reason says why, for humans: "connect 198.51.100.2:80: connection refused".
	Reason string
	// Duration is how long the check took; the runner measures it.
	Duration time.Duration
	// Weight is a dynamic weight (MISC_CHECK misc_dynamic, FILE_CHECK); nil
	// means "keep the configured weight".
	Weight *int
}

// Okf and Failf build a Result with a formatted reason.
func Okf(format string, args ...any) Result {
	return Result{OK: true, Reason: fmt.Sprintf(format, args...)}
}

// Failf builds a failed Result with a formatted reason.
func Failf(format string, args ...any) Result {
	return Result{Reason: fmt.Sprintf(format, args...)}
}

// DefaultConnectTimeout is keepalived's connect_timeout default (5 s).
const DefaultConnectTimeout = 5 * time.Second

// Conn holds the generic connection options of a checker.
type Conn struct {
	// Addr is connect_ip:connect_port; the daemon fills it from the real
	// server when those keywords are absent.
	Addr netip.AddrPort
	// BindAddr is bindto (zero = kernel's choice).
	BindAddr netip.Addr
	// BindPort is bind_port (0 = ephemeral).
	BindPort uint16
	// BindIf is bind_if (SO_BINDTODEVICE), needed for link-local IPv6.
	BindIf string
	// Fwmark is fwmark (SO_MARK); 0 = unset.
	Fwmark uint32
	// Timeout is connect_timeout; 0 means DefaultConnectTimeout.
	Timeout time.Duration
}

// ConnectTimeout returns Timeout or its default.
func (c Conn) ConnectTimeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultConnectTimeout
	}
	return c.Timeout
}

// Dialer returns a net.Dialer honouring bindto, bind_port, bind_if and fwmark.
// network is "tcp" or "udp".
func (c Conn) Dialer(network string) *net.Dialer {
	d := &net.Dialer{Timeout: c.ConnectTimeout()}
	if c.BindAddr.IsValid() || c.BindPort != 0 {
		ap := netip.AddrPortFrom(c.BindAddr, c.BindPort)
		switch network {
		case "udp":
			d.LocalAddr = net.UDPAddrFromAddrPort(ap)
		default:
			d.LocalAddr = net.TCPAddrFromAddrPort(ap)
		}
		if !c.BindAddr.IsValid() {
			// Port only: let the kernel pick the address of the right family.
			switch network {
			case "udp":
				d.LocalAddr = &net.UDPAddr{Port: int(c.BindPort)}
			default:
				d.LocalAddr = &net.TCPAddr{Port: int(c.BindPort)}
			}
		}
	}
	if c.BindIf != "" || c.Fwmark != 0 || c.BindPort != 0 {
		bindIf, mark, reuse := c.BindIf, c.Fwmark, c.BindPort != 0
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				if reuse {
					// A fixed source port is reused every delay_loop while the
					// previous connection may sit in TIME_WAIT.
					serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
				}
				if serr == nil && bindIf != "" {
					serr = syscall.BindToDevice(int(fd), bindIf)
				}
				if serr == nil && mark != 0 {
					serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_MARK, int(mark))
				}
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	return d
}

// Connect dials network ("tcp" or "udp") to c.Addr with c.Dialer, within the
// connect timeout, and bounds the whole exchange on the connection by the
// earlier of ctx's deadline and now+timeout; when ctx ends first, blocked
// reads and writes return at once. done stops that watch and closes the
// connection. A dial failure comes back as an error whose text is
// ConnectReason's.
func (c Conn) Connect(ctx context.Context, network string) (nc net.Conn, done func(), err error) {
	to := c.ConnectTimeout()
	dctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	nc, err = c.Dialer(network).DialContext(dctx, network, c.Addr.String())
	if err != nil {
		return nil, nil, errors.New(ConnectReason(c.Addr, err, to))
	}
	_ = nc.SetDeadline(Deadline(ctx, time.Now(), to))
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	return nc, func() {
		stop()
		_ = nc.Close()
	}, nil
}

// Deadline returns the earlier of ctx's deadline and now+timeout.
func Deadline(ctx context.Context, now time.Time, timeout time.Duration) time.Time {
	d := now.Add(timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

// ErrText shortens a network error to the part a human needs:
// "connection refused", "timeout", "no route to host".
func ErrText(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return "timeout"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

// ConnectReason formats a connect failure the way every checker reports it.
func ConnectReason(addr netip.AddrPort, err error, timeout time.Duration) string {
	t := ErrText(err)
	if t == "timeout" {
		return fmt.Sprintf("connect %s: timeout after %s", addr, timeout)
	}
	return fmt.Sprintf("connect %s: %s", addr, t)
}
