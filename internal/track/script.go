package track

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"gokeepalived/internal/notify"
)

// Snapshot is a tracker's current result for status output and for the
// daemon's priority computation.
type Snapshot struct {
	Name   string
	Status Status
	Since  time.Time // last change of Status
	Reason string    // why it has that status ("exited with status 1", "3 processes, quorum 1..2")
	Value  int       // track_file: the value read; track_process: the process count
}

// ScriptState is the pure rise/fall counter of a vrrp_script
// (vrrp_scheduler.c vrrp_script_child_thread). result counts from 0 to
// rise+fall-1: below rise the script is failed, from rise on it is good.
//
//   - initially result is rise-1 (one success is enough) and the status is
//     INIT; with init_fail it is 0 and the status is DOWN;
//   - a success below rise-1 increments; otherwise, coming from below rise it
//     becomes UP, and result jumps to rise+fall-1;
//   - a failure above rise decrements; otherwise, coming from rise (or from
//     INIT) it becomes DOWN, and result drops to 0.
type ScriptState struct {
	rise, fall int
	result     int
	status     Status
	since      time.Time
	reason     string
}

// NewScriptState returns the state of a script that has not run yet. rise
// and fall below 1 mean 1.
func NewScriptState(rise, fall int, initFail bool, now time.Time) *ScriptState {
	rise, fall = max(rise, 1), max(fall, 1)
	s := &ScriptState{rise: rise, fall: fall, result: rise - 1, since: now, reason: "not run yet"}
	if initFail {
		s.result = 0
		s.status = StatusDown
		s.reason = "init_fail"
	}
	return s
}

// Observe records one run: ok is exit status 0, reason describes the run.
// It returns true if the status changed.
func (s *ScriptState) Observe(now time.Time, ok bool, reason string) bool {
	old := s.status
	top := s.rise + s.fall - 1
	if ok {
		switch {
		case s.result < s.rise-1:
			s.result++
		case s.result != top:
			if s.result < s.rise {
				s.status = StatusUp
			}
			s.result = top
		}
	} else {
		if s.result > s.rise {
			s.result--
		} else {
			if s.result == s.rise || s.status == StatusInit {
				s.status = StatusDown
			}
			s.result = 0
		}
	}
	if s.status != old {
		s.since = now
		s.reason = reason
		return true
	}
	return false
}

// Status returns the current status.
func (s *ScriptState) Status() Status { return s.status }

// Snapshot returns the state for status output.
func (s *ScriptState) Snapshot(name string) Snapshot {
	return Snapshot{Name: name, Status: s.status, Since: s.since, Reason: s.reason, Value: s.result}
}

// ScriptConfig is one vrrp_script block.
type ScriptConfig struct {
	Name     string
	Script   *notify.Script // script (with its user/group)
	Interval time.Duration  // interval; zero means 1 s
	Timeout  time.Duration  // timeout; zero means Interval
	Weight   int            // weight (per-instance overrides are applied by the daemon)
	Reverse  bool           // weight ... reverse
	Rise     int            // rise; zero means 1
	Fall     int            // fall; zero means 1
	InitFail bool           // init_fail
}

// Options are shared by the tracker runners.
type Options struct {
	// Wake gets a non-blocking send whenever a tracker's status changes; a
	// buffer of 1 is enough. On a wake, read every tracker's Snapshot.
	Wake chan<- struct{}
	// Exec runs scripts; nil means a default notify.Exec.
	Exec   *notify.Exec
	Logger *slog.Logger
	// Now is the clock stamped on results; nil means time.Now.
	Now func() time.Time
}

func (o *Options) fill() {
	if o.Exec == nil {
		o.Exec = &notify.Exec{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func (o *Options) wake() {
	if o.Wake == nil {
		return
	}
	select {
	case o.Wake <- struct{}{}:
	default:
	}
}

// ScriptTracker runs a vrrp_script every Interval on its own goroutine.
type ScriptTracker struct {
	cfg  ScriptConfig
	opts Options

	mu    sync.Mutex
	state *ScriptState
	runs  uint64
	fails uint64
}

// NewScriptTracker builds the tracker; nothing runs until Run.
func NewScriptTracker(cfg ScriptConfig, opts Options) *ScriptTracker {
	opts.fill()
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = cfg.Interval
	}
	return &ScriptTracker{cfg: cfg, opts: opts, state: NewScriptState(cfg.Rise, cfg.Fall, cfg.InitFail, opts.Now())}
}

// Config returns the tracker's configuration (after defaults).
func (t *ScriptTracker) Config() ScriptConfig { return t.cfg }

// Snapshot returns the current result.
func (t *ScriptTracker) Snapshot() Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state.Snapshot(t.cfg.Name)
}

// Counts returns how many times the script ran and how many runs failed.
func (t *ScriptTracker) Counts() (runs, failures uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.runs, t.fails
}

// Run executes the script at once and then every Interval (measured from
// the start of one run to the start of the next; a run that overruns delays
// the next), until ctx is done. A running script is killed on return.
func (t *ScriptTracker) Run(ctx context.Context) error {
	tick := time.NewTicker(t.cfg.Interval)
	defer tick.Stop()
	for {
		r := t.opts.Exec.Run(ctx, t.cfg.Script, t.cfg.Timeout)
		if ctx.Err() != nil {
			return nil
		}
		reason := "exited with status 0"
		if r.Err != nil {
			reason = r.Err.Error()
		}
		t.mu.Lock()
		t.runs++
		if r.Err != nil {
			t.fails++
		}
		changed := t.state.Observe(t.opts.Now(), r.Err == nil, reason)
		st := t.state.Status()
		t.mu.Unlock()
		if changed {
			t.opts.Logger.Info(fmt.Sprintf("VRRP_Script(%s) %s", t.cfg.Name, map[Status]string{StatusUp: "succeeded", StatusDown: "failed"}[st]),
				"script", t.cfg.Name, "reason", reason)
			t.opts.wake()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
