package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
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
	var handlers []slog.Handler
	var closers []io.Closer
	if o.Console {
		handlers = append(handlers, slog.NewTextHandler(os.Stderr, hopts))
	}
	if o.File != "" {
		f, err := os.OpenFile(o.File, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		closers = append(closers, f)
		handlers = append(handlers, slog.NewTextHandler(f, hopts))
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
			handlers = append(handlers, &syslogHandler{w: w, level: level})
		} else if !o.Console {
			// No syslog daemon (containers, CI): fall back to stderr rather than silence.
			handlers = append(handlers, slog.NewTextHandler(os.Stderr, hopts))
		}
	}
	if len(handlers) == 0 {
		handlers = append(handlers, slog.NewTextHandler(os.Stderr, hopts))
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
}

func (h *syslogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *syslogHandler) Handle(_ context.Context, r slog.Record) error {
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
	s := b.String()
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

func (h *syslogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *syslogHandler) WithGroup(string) slog.Handler { return h }
