package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
)

// fakeTimeFile is the reload time file of a schedule under test.
type fakeTimeFile struct {
	line    string
	exists  bool
	removed int
	reloads []time.Time
}

func newSchedule(f *fakeTimeFile, repeat bool, now *time.Time) *reloadSchedule {
	return &reloadSchedule{file: "/run/reload-at", repeat: repeat, loc: time.UTC,
		log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		read:   func() (string, bool, error) { return f.line, f.exists, nil },
		remove: func() error { f.exists = false; f.removed++; return nil },
		reload: func() { f.reloads = append(f.reloads, *now) },
	}
}

// stepTo steps s from *now to until, jumping from one wanted step to the next.
func stepTo(s *reloadSchedule, now *time.Time, until time.Time) {
	for next := s.step(*now); next.Before(until) || next.Equal(until); next = s.step(*now) {
		*now = next
	}
	*now = until
}

// reload_time_file, on an injected clock: the reload happens at the time
// in the file, once, and the file is removed; a date in the past is
// ignored; a time only that has passed today means tomorrow; the file
// changed reschedules, removed cancels; a bad line schedules nothing.
func TestReloadTimeSchedule(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		line    string
		reloads []time.Time
	}{
		{"date and time", "2026-12-06 10:00:30Z", []time.Time{t0.Add(30 * time.Second)}},
		{"short date", "26-12-06 10:01:00Z", []time.Time{t0.Add(time.Minute)}},
		{"time only, later today", "10:00:05Z", []time.Time{t0.Add(5 * time.Second)}},
		{"time only, passed: tomorrow", "09:59:00Z", []time.Time{t0.Add(24*time.Hour - time.Minute)}},
		{"date passed", "2026-12-06 09:00:00Z", nil},
		{"leading space", " 10:00:05Z", nil},
		{"no seconds", "10:00Z", nil},
		{"bad hour", "25:00:00Z", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := t0
			f := &fakeTimeFile{line: c.line, exists: true}
			s := newSchedule(f, false, &now)
			stepTo(s, &now, t0.Add(48*time.Hour))
			if len(f.reloads) != len(c.reloads) || (len(c.reloads) == 1 && !f.reloads[0].Equal(c.reloads[0])) {
				t.Fatalf("reloads at %v, want %v", f.reloads, c.reloads)
			}
			if len(c.reloads) > 0 && (f.exists || f.removed != 1) {
				t.Errorf("file exists %v, removed %d times: want removed once after the reload", f.exists, f.removed)
			}
		})
	}
	t.Run("rescheduled, then cancelled", func(t *testing.T) {
		now := t0
		f := &fakeTimeFile{line: "10:00:30Z", exists: true}
		s := newSchedule(f, false, &now)
		stepTo(s, &now, t0.Add(10*time.Second))
		f.line = "10:01:00Z" // the file updated
		stepTo(s, &now, t0.Add(45*time.Second))
		if len(f.reloads) != 0 {
			t.Fatalf("reloaded at %v, the old time", f.reloads)
		}
		stepTo(s, &now, t0.Add(2*time.Minute))
		if len(f.reloads) != 1 || !f.reloads[0].Equal(t0.Add(time.Minute)) {
			t.Fatalf("reloads %v, want one at the new time 10:01:00", f.reloads)
		}
		f.line, f.exists = "10:05:00Z", true
		stepTo(s, &now, t0.Add(3*time.Minute))
		f.exists = false // removed before its time
		stepTo(s, &now, t0.Add(10*time.Minute))
		if len(f.reloads) != 1 {
			t.Errorf("reloads %v: the removed file's reload still happened", f.reloads)
		}
	})
	t.Run("local time", func(t *testing.T) {
		loc := time.FixedZone("UTC+2", 2*3600)
		at, date, past, err := parseReloadTime("2026-12-06 12:00:10", t0, loc)
		if err != nil || past || !date || !at.Equal(t0.Add(10*time.Second)) {
			t.Errorf("12:00:10 at UTC+2: %v %v %v %v, want %v", at, date, past, err, t0.Add(10*time.Second))
		}
	})
}

// reload_repeat with a time only: the file stays and the reload happens
// every day at that time; with a date, the file goes as without it.
func TestReloadTimeRepeat(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	now := t0
	f := &fakeTimeFile{line: "10:00:30Z", exists: true}
	s := newSchedule(f, true, &now)
	stepTo(s, &now, t0.Add(72*time.Hour))
	if len(f.reloads) != 3 || !f.reloads[2].Equal(t0.Add(48*time.Hour+30*time.Second)) || f.removed != 0 {
		t.Errorf("reloads %v, removed %d: want 3 (one a day at 10:00:30), the file kept", f.reloads, f.removed)
	}
	now = t0
	f = &fakeTimeFile{line: "2026-12-06 10:00:30Z", exists: true}
	s = newSchedule(f, true, &now)
	stepTo(s, &now, t0.Add(72*time.Hour))
	if len(f.reloads) != 1 || f.removed != 1 {
		t.Errorf("with a date: reloads %v, removed %d, want 1 and the file removed", f.reloads, f.removed)
	}
}

// reload_file: created (empty) before a reload reads the configuration,
// removed once it has been read, before the new configuration is applied.
// The configuration is a FIFO here: it is written only after the reload
// file is seen, empty, so the file must exist while the read runs.
func TestReloadFileMarksReading(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, "gk.reload")
	if err := os.WriteFile(mark, []byte("updating\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "k.conf")
	if err := syscall.Mkfifo(conf, 0o600); err != nil {
		t.Fatal(err)
	}
	running, ds := config.LoadBytes("running.conf", []byte("global_defs {\n  reload_file "+mark+"\n}\n"+oneVS), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	seen := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(conf, os.O_WRONLY, 0) // waits for the reload to open it
		if err != nil {
			seen <- err
			return
		}
		defer w.Close()
		st, err := os.Stat(mark)
		if err == nil && (st.Size() != 0 || st.Mode().Perm() != 0o644) {
			err = os.ErrInvalid
		}
		seen <- err
		_, _ = io.WriteString(w, oneVS)
	}()
	vrrp := &checkMark{path: mark}
	o := Options{ConfigFile: conf}
	targets := &reloadTargets{vrrp: vrrp, lb: &fakeLB{}, running: subsystems(o, running)}
	if _, err := reload(context.Background(), o, targets, slog.New(slog.NewTextHandler(io.Discard, nil)), false); err != nil {
		t.Fatal(err)
	}
	if err := <-seen; err != nil {
		t.Errorf("while the configuration was read, the reload file was not there, empty and rw-r--r--: %v", err)
	}
	if vrrp.present {
		t.Errorf("the reload file was still there when the configuration was applied")
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("the reload file is still there after the reload")
	}
	// Without a path: keepalived's default beside the pid files.
	for _, c := range []struct {
		g    config.Global
		o    Options
		want string
	}{
		{config.Global{}, Options{}, "/run/keepalived.reload"},
		{config.Global{UsePidDir: true}, Options{}, "/run/keepalived/keepalived.reload"},
		{config.Global{InstanceName: "a"}, Options{}, "/run/keepalived/keepalived_a.reload"},
		{config.Global{}, Options{Namespace: "blue"}, "/run/keepalived/blue/keepalived.reload"},
	} {
		if got := reloadFilePath(c.o, &c.g); got != c.want {
			t.Errorf("%+v %+v: %s, want %s", c.g.InstanceName, c.o.Namespace, got, c.want)
		}
	}
}

// checkMark is a VRRP target noting whether the reload file exists when a
// configuration is applied.
type checkMark struct {
	path    string
	present bool
}

func (c *checkMark) ReloadSummary(ctx context.Context, cfg *config.Config) (sum ctl.ReloadSummary, err error) {
	_, err = os.Stat(c.path)
	c.present = err == nil
	return sum, nil
}

// The schedule on the wall clock (reloadTimer): the reload happens at the
// file's time and the file goes; configure with no file stops it. A bound
// on a hang, not a timing assertion.
func TestReloadTimerRuns(t *testing.T) {
	file := filepath.Join(t.TempDir(), "reload-at")
	reloaded := make(chan time.Time, 4)
	rt := &reloadTimer{log: slog.New(slog.NewTextHandler(io.Discard, nil)), ctx: context.Background(),
		reload: func() { reloaded <- time.Now() }}
	defer rt.close()
	rt.configure(&config.Global{ReloadTimeFile: file})
	at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second)
	if err := os.WriteFile(file, []byte(at.Format("2006-01-02 15:04:05")+"Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-reloaded:
		if got.Before(at) {
			t.Errorf("reloaded at %s, before %s", got, at)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no reload within 30 s")
	}
	if _, err := os.Stat(file); err == nil {
		t.Errorf("the file is still there after its reload")
	}
	rt.configure(&config.Global{}) // stopped: a new time in the file does nothing
	if err := os.WriteFile(file, []byte(time.Now().Add(time.Second).UTC().Format("2006-01-02 15:04:05")+"Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rt.configure(&config.Global{ReloadTimeFile: file + ".other"})
	rt.close()
	select {
	case <-reloaded:
		t.Errorf("a reload after the schedule was stopped")
	case <-time.After(3 * time.Second):
	}
}
