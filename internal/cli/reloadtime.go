package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"gokeepalived/internal/config"
)

// Scheduled reloads (global_defs reload_time_file, reload_repeat), as
// keepalived 2.2.7's reload_monitor.c: the first line of the file is a
// time, "HH:MM:SS", "YY-MM-DD HH:MM:SS" or "YYYY-MM-DD HH:MM:SS", with an
// optional 'Z' for UTC (else local time); nothing else on the line. At
// that time the daemon reloads (keepalived sends itself SIGHUP, and so do
// we), and the file is removed, unless reload_repeat is set and the file
// holds a time only: then it stays and the reload happens every day at
// that time. A time only that has passed today means tomorrow; a date
// and time that have passed are ignored. The file changed reschedules,
// removed (or unreadable, or invalid) cancels. keepalived watches it
// with inotify; gokeepalived reads it every second (reloadTimeFilePoll).
//
// reloadSchedule is the logic, stepped with the clock and the file's
// content injected (tests); runReloadTimer runs it on the wall clock.

// reloadTimeFilePoll is how often the file is read for changes.
const reloadTimeFilePoll = time.Second

// reloadSchedule is one reload_time_file's state.
type reloadSchedule struct {
	file   string
	repeat bool
	loc    *time.Location
	log    *slog.Logger

	// read returns the file's first line (ok false: no such file);
	// remove deletes it; reload asks for the reload (SIGHUP).
	read   func() (line string, ok bool, err error)
	remove func() error
	reload func()

	line      string    // the line last read (the schedule comes from it)
	readErr   string    // the read error last reported
	at        time.Time // when to reload; zero: nothing scheduled
	dateGiven bool
}

// parseReloadTime reads keepalived's reload time formats at now: the time
// to reload at and whether a date was given. past: a date and time that
// have passed (ignored, as keepalived).
func parseReloadTime(s string, now time.Time, loc *time.Location) (at time.Time, dateGiven, past bool, err error) {
	utc := strings.HasSuffix(s, "Z")
	body := strings.TrimSuffix(s, "Z")
	if utc {
		loc = time.UTC
	}
	var layout string
	switch len(body) {
	case 8:
		layout = "15:04:05"
	case 17:
		layout = "06-01-02 15:04:05"
	case 19:
		layout = "2006-01-02 15:04:05"
	default:
		return time.Time{}, false, false, fmt.Errorf("reload time %q: not HH:MM:SS, YY-MM-DD HH:MM:SS or YYYY-MM-DD HH:MM:SS (optionally ending in Z)", s)
	}
	t, err := time.ParseInLocation(layout, body, loc)
	if err != nil {
		return time.Time{}, false, false, fmt.Errorf("reload time %q: %v", s, err)
	}
	now = now.In(loc)
	if len(body) == 8 {
		t = time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)
	}
	// A local time that does not exist (a daylight-saving gap) comes back
	// normalised: keepalived refuses it.
	if t.Hour() != atoi2(body[len(body)-8:]) {
		return time.Time{}, false, false, fmt.Errorf("reload time %q does not exist in %s", s, loc)
	}
	if !t.After(now) {
		if len(body) != 8 {
			return time.Time{}, true, true, nil
		}
		t = time.Date(now.Year(), now.Month(), now.Day()+1, t.Hour(), t.Minute(), t.Second(), 0, loc)
	}
	return t, len(body) != 8, false, nil
}

// atoi2 is the hour of "HH:MM:SS".
func atoi2(hms string) int { return int(hms[0]-'0')*10 + int(hms[1]-'0') }

// step reads the file and reloads if its time has come; it returns when
// it wants to be stepped again (the reload time, if sooner than the next
// read of the file).
func (r *reloadSchedule) step(now time.Time) time.Time {
	line, ok, err := r.read()
	switch {
	case err != nil:
		if why := fmt.Sprintf("cannot read %s: %v", r.file, err); why != r.readErr {
			r.readErr = why
			r.cancel(why)
		}
		r.line = ""
	case !ok:
		if r.line != "" || !r.at.IsZero() {
			r.cancel(r.file + " removed")
		}
		r.line, r.readErr = "", ""
	case line != r.line:
		r.line, r.readErr = line, ""
		r.schedule(now)
	}
	if !r.at.IsZero() && !now.Before(r.at) {
		at := r.at
		r.at, r.line = time.Time{}, ""
		if !r.repeat || r.dateGiven {
			if err := r.remove(); err != nil && !errors.Is(err, fs.ErrNotExist) {
				r.log.Warn("cannot remove the reload time file after its reload", "file", r.file, "err", err)
			}
		}
		r.log.Info("scheduled reload (reload_time_file): reloading", "file", r.file, "at", at.Format("2006-01-02 15:04:05 MST"))
		r.reload()
	}
	next := now.Add(reloadTimeFilePoll)
	if !r.at.IsZero() && r.at.Before(next) {
		next = r.at
	}
	return next
}

func (r *reloadSchedule) schedule(now time.Time) {
	at, date, past, err := parseReloadTime(r.line, now, r.loc)
	switch {
	case err != nil:
		r.cancel(fmt.Sprintf("invalid reload time in %s: %v", r.file, err))
	case past:
		r.cancel(fmt.Sprintf("reload date and time %q in %s have passed: ignored", r.line, r.file))
	default:
		if !r.at.IsZero() {
			r.log.Info("reload time updated (reload_time_file)", "file", r.file, "from", r.at.Format("2006-01-02 15:04:05 MST"),
				"to", at.Format("2006-01-02 15:04:05 MST"))
		} else {
			r.log.Info("reload scheduled (reload_time_file)", "file", r.file, "at", at.Format("2006-01-02 15:04:05 MST"))
		}
		r.at, r.dateGiven = at, date
	}
}

func (r *reloadSchedule) cancel(why string) {
	if !r.at.IsZero() {
		r.log.Info("scheduled reload cancelled (reload_time_file)", "file", r.file, "was", r.at.Format("2006-01-02 15:04:05 MST"), "why", why)
	} else {
		r.log.Warn("no reload scheduled (reload_time_file)", "file", r.file, "why", why)
	}
	r.at = time.Time{}
}

// readFirstLine is the file's first line without its newline.
func readFirstLine(path string) (string, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return line, true, nil
}

// reloadTimer runs the reload_time_file of the running configuration on
// the wall clock; configure follows reloads.
type reloadTimer struct {
	log *slog.Logger
	ctx context.Context
	// reload asks for the reload; nil: SIGHUP to ourselves, as keepalived.
	reload func()

	mu     sync.Mutex
	file   string
	repeat bool
	stop   context.CancelFunc
	done   chan struct{}
}

// configure starts, changes or stops the schedule for g.
func (t *reloadTimer) configure(g *config.Global) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g.ReloadTimeFile == t.file && g.ReloadRepeat == t.repeat && (t.stop != nil) == (g.ReloadTimeFile != "") {
		return
	}
	if t.stop != nil {
		t.stop()
		<-t.done
		t.stop = nil
	}
	t.file, t.repeat = g.ReloadTimeFile, g.ReloadRepeat
	if t.file == "" {
		return
	}
	file := filepath.Clean(t.file)
	reload := t.reload
	if reload == nil {
		reload = func() { _ = syscall.Kill(os.Getpid(), syscall.SIGHUP) }
	}
	s := &reloadSchedule{file: file, repeat: t.repeat, loc: time.Local, log: t.log,
		read:   func() (string, bool, error) { return readFirstLine(file) },
		remove: func() error { return os.Remove(file) },
		reload: reload,
	}
	ctx, stop := context.WithCancel(t.ctx)
	t.stop, t.done = stop, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		for {
			next := s.step(time.Now())
			tm := time.NewTimer(time.Until(next))
			select {
			case <-ctx.Done():
				tm.Stop()
				return
			case <-tm.C:
			}
		}
	}(t.done)
}

// close stops the schedule.
func (t *reloadTimer) close() { t.configure(&config.Global{}) }
