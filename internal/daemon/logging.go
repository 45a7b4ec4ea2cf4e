package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"net"
	"os"
	"strings"
)

// LogOptions say where logs go, mirroring keepalived's -l, -D, -S, -G, -g.
type LogOptions struct {
	Console  bool   // -l: log to stderr
	Detail   bool   // -D: debug-level detail
	Facility string // -S: daemon, user, local0..local7
	NoSyslog bool   // -G
	File     string // -g: also append to this file
	Ident    string // syslog tag, default "gokeepalived"
	// Format is the line format: "text" (default: slog's key=value) or
	// "json" (one JSON object a line; in syslog, the message is the object).
	Format string
}

// NewLogger builds the daemon's logger and returns a close function. With no
// console, no syslog and no file it still logs to stderr: a daemon that says
// nothing is the pain we are fixing.
func NewLogger(o LogOptions) (*slog.Logger, func() error, error) {
	level := slog.LevelInfo
	if o.Detail {
		level = slog.LevelDebug
	}
	hopts := &slog.HandlerOptions{Level: level}
	var newHandler func(w io.Writer, o *slog.HandlerOptions) slog.Handler
	switch o.Format {
	case "", "text":
		newHandler = func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(w, o) }
	case "json":
		newHandler = func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(w, o) }
	default:
		return nil, nil, fmt.Errorf("unknown log format %q: want text or json", o.Format)
	}
	var handlers []slog.Handler
	var closers []io.Closer
	if o.Console {
		handlers = append(handlers, newHandler(os.Stderr, hopts))
	}
	if o.File != "" {
		f, err := os.OpenFile(o.File, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		closers = append(closers, f)
		handlers = append(handlers, newHandler(f, hopts))
	}
	if !o.NoSyslog {
		prio, err := facility(o.Facility)
		if err != nil {
			return nil, nil, err
		}
		ident := o.Ident
		if ident == "" {
			ident = "gokeepalived"
		}
		w, err := syslog.New(prio|syslog.LOG_INFO, ident)
		if err == nil {
			closers = append(closers, w)
			handlers = append(handlers, &syslogHandler{w: w, level: level, json: o.Format == "json"})
		} else if !o.Console {
			// No syslog daemon (containers, CI): fall back to stderr rather than silence.
			handlers = append(handlers, newHandler(os.Stderr, hopts))
		}
	}
	if len(handlers) == 0 {
		handlers = append(handlers, newHandler(os.Stderr, hopts))
	}
	var h slog.Handler = handlers[0]
	if len(handlers) > 1 {
		h = fanout(handlers)
	}
	closeAll := func() error {
		var first error
		for _, c := range closers {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	return slog.New(h), closeAll, nil
}

func facility(name string) (syslog.Priority, error) {
	switch name {
	case "", "daemon":
		return syslog.LOG_DAEMON, nil
	case "user":
		return syslog.LOG_USER, nil
	}
	if len(name) == 6 && strings.HasPrefix(name, "local") && name[5] >= '0' && name[5] <= '7' {
		return syslog.LOG_LOCAL0 + syslog.Priority(name[5]-'0')<<3, nil
	}
	return 0, fmt.Errorf("unknown syslog facility %q", name)
}

type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var first error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// syslogHandler writes "msg key=value ..." lines at the record's syslog severity.
type syslogHandler struct {
	w     *syslog.Writer
	level slog.Level
	attrs []slog.Attr
	json  bool
}

func (h *syslogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *syslogHandler) Handle(_ context.Context, r slog.Record) error {
	s := h.format(r)
	switch {
	case r.Level >= slog.LevelError:
		return h.w.Err(s)
	case r.Level >= slog.LevelWarn:
		return h.w.Warning(s)
	case r.Level >= slog.LevelInfo:
		return h.w.Info(s)
	default:
		return h.w.Debug(s)
	}
}

// format is the syslog message of r: "msg key=value ...", or with json
// the record as a JSON object without its time (syslog stamps it).
func (h *syslogHandler) format(r slog.Record) string {
	if h.json {
		var buf strings.Builder
		noTime := func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
		jh := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: noTime}).WithAttrs(h.attrs)
		_ = jh.Handle(context.Background(), r)
		return strings.TrimSuffix(buf.String(), "\n")
	}
	var b strings.Builder
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	return b.String()
}

// SyslogReachable reports whether a syslog daemon listens on one of the
// sockets log/syslog tries (/dev/log, /var/run/syslog, /var/run/log).
func SyslogReachable() bool {
	for _, path := range []string{"/dev/log", "/var/run/syslog", "/var/run/log"} {
		for _, network := range []string{"unixgram", "unix"} {
			if c, err := net.Dial(network, path); err == nil {
				c.Close()
				return true
			}
		}
	}
	return false
}

// NoLogDestination says why no log line of a daemon detached from its
// terminal would reach anyone ("" if one would): the console (-l) is gone
// once detached, so without a log file (-g) only syslog is left, and it is
// off (-G) or has no socket. syslogUp is SyslogReachable, injected for
// tests.
func NoLogDestination(o LogOptions, syslogUp func() bool) string {
	if o.File != "" {
		return ""
	}
	switch {
	case o.NoSyslog:
		return "syslog is off (-G) and there is no log file (-g)"
	case !syslogUp():
		return "no syslog daemon listens on /dev/log and there is no log file (-g)"
	}
	return ""
}

func (h *syslogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *syslogHandler) WithGroup(string) slog.Handler { return h }
