package track

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ParamMatch is vrrp_track_process' param_match.
type ParamMatch int

const (
	// ParamMatchNone: no parameters configured and no param_match: match
	// the process name only, whatever its parameters.
	ParamMatchNone ParamMatch = iota
	// ParamMatchExact: the parameters must be exactly those configured
	// (the default when parameters are given; with none, the process must
	// have no parameters).
	ParamMatchExact
	// ParamMatchPartial: the first n parameters match exactly; the process
	// may have more.
	ParamMatchPartial
	// ParamMatchInitial: like partial, but the last configured parameter
	// need only be a prefix of the process's.
	ParamMatchInitial
)

// commLen is the kernel's TASK_COMM_LEN - 1: /proc/PID/comm is truncated.
const commLen = 15

// ProcessConfig is one vrrp_track_process block.
type ProcessConfig struct {
	Name        string
	Process     string   // process: the name (or, with Params or FullCommand, argv[0])
	Params      []string // the rest of the process line
	ParamMatch  ParamMatch
	FullCommand bool // full_command: match argv[0] of cmdline instead of the name
	Quorum      int  // quorum; zero means 1
	// QuorumMax is quorum_max; nil means no maximum. 0 means "must not run".
	QuorumMax      *int
	ForkDelay      time.Duration // fork_delay (delay sets both)
	TerminateDelay time.Duration // terminate_delay
	Weight         int           // weight (keepalived default 1; applied by the daemon)
	Reverse        bool
	// Interval is how often /proc is scanned; zero means 1 s. keepalived
	// uses the proc connector instead; Rescan forces a scan.
	Interval time.Duration
	// Proc is the procfs root; empty means /proc.
	Proc string
}

// Matches reports whether a process with the given comm (the Name: in
// /proc/PID/status) and argv (/proc/PID/cmdline) is one of those tracked.
func (c *ProcessConfig) Matches(comm string, argv []string) bool {
	useCmdline := c.FullCommand || len(c.Params) > 0 || c.ParamMatch != ParamMatchNone
	if useCmdline {
		if len(argv) == 0 || argv[0] != c.Process {
			return false
		}
	} else {
		want := c.Process
		if len(want) > commLen {
			want = want[:commLen]
		}
		return comm == want
	}
	got := argv[1:]
	switch c.ParamMatch {
	case ParamMatchNone, ParamMatchExact:
		if len(c.Params) == 0 && c.ParamMatch == ParamMatchNone {
			return true // full_command without parameters: argv[0] only
		}
		return slicesEqual(got, c.Params)
	case ParamMatchPartial:
		return len(got) >= len(c.Params) && slicesEqual(got[:len(c.Params)], c.Params)
	case ParamMatchInitial:
		n := len(c.Params)
		if n == 0 {
			return true
		}
		return len(got) >= n && slicesEqual(got[:n-1], c.Params[:n-1]) && strings.HasPrefix(got[n-1], c.Params[n-1])
	}
	return false
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ProcessState is the pure quorum logic with fork/terminate delays. Feed it
// process counts with Observe; it reports when the status changes and when
// it must be looked at again (a pending delayed change).
type ProcessState struct {
	quorum, quorumMax    int
	forkDelay, termDelay time.Duration

	status   Status
	count    int
	since    time.Time
	reason   string
	pending  bool
	pendTo   Status
	pendWhen time.Time
}

// NewProcessState returns the state before the first scan. quorumMax < 0
// means no maximum.
func NewProcessState(quorum, quorumMax int, forkDelay, termDelay time.Duration, now time.Time) *ProcessState {
	if quorumMax < 0 {
		quorumMax = int(^uint(0) >> 1)
	}
	return &ProcessState{quorum: quorum, quorumMax: quorumMax, forkDelay: forkDelay, termDelay: termDelay, since: now, reason: "not scanned yet"}
}

func (p *ProcessState) describe(n int) string {
	if p.quorumMax == int(^uint(0)>>1) {
		return fmt.Sprintf("%d running, quorum %d", n, p.quorum)
	}
	return fmt.Sprintf("%d running, quorum %d..%d", n, p.quorum, p.quorumMax)
}

// Observe records a count at now. The first observation sets the status at
// once (keepalived's start-up scan); later, gaining quorum waits fork_delay
// and losing it waits terminate_delay, and a change that reverts within the
// delay is forgotten. It returns whether the status changed and, if a change
// is pending, when to call Observe (or Tick) again.
func (p *ProcessState) Observe(now time.Time, count int) (changed bool, next time.Time) {
	p.count = count
	want := StatusDown
	if count >= p.quorum && count <= p.quorumMax {
		want = StatusUp
	}
	if p.status == StatusInit {
		p.set(now, want)
		return true, time.Time{}
	}
	if want == p.status {
		p.pending = false
		return false, time.Time{}
	}
	delay := p.termDelay
	if want == StatusUp {
		delay = p.forkDelay
	}
	if !p.pending || p.pendTo != want {
		p.pending, p.pendTo, p.pendWhen = true, want, now.Add(delay)
	}
	if !now.Before(p.pendWhen) {
		p.set(now, want)
		return true, time.Time{}
	}
	return false, p.pendWhen
}

// Tick re-evaluates the last count at now (for a pending delay).
func (p *ProcessState) Tick(now time.Time) (changed bool, next time.Time) {
	return p.Observe(now, p.count)
}

func (p *ProcessState) set(now time.Time, st Status) {
	p.status, p.since, p.pending = st, now, false
	verb := "lost"
	if st == StatusUp {
		verb = "gained"
	}
	p.reason = fmt.Sprintf("quorum %s: %s", verb, p.describe(p.count))
}

// Status returns the current status.
func (p *ProcessState) Status() Status { return p.status }

// Snapshot returns the state for status output.
func (p *ProcessState) Snapshot(name string) Snapshot {
	return Snapshot{Name: name, Status: p.status, Since: p.since, Reason: p.reason, Value: p.count}
}

// CountProcesses scans procRoot (normally /proc) and counts live (not
// zombie) processes that c matches. Processes that vanish mid-scan are
// skipped.
func CountProcesses(procRoot string, c *ProcessConfig) (int, error) {
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return 0, err
	}
	needCmdline := c.FullCommand || len(c.Params) > 0 || c.ParamMatch != ParamMatchNone
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		dir := filepath.Join(procRoot, e.Name())
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// comm is between the first '(' and the last ')'; state follows.
		lp, rp := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if lp < 0 || rp < lp || rp+2 >= len(stat) {
			continue
		}
		if st := stat[rp+2]; st == 'Z' || st == 'X' {
			continue
		}
		comm := string(stat[lp+1 : rp])
		var argv []string
		if needCmdline {
			b, err := os.ReadFile(filepath.Join(dir, "cmdline"))
			if err != nil || len(b) == 0 {
				continue // kernel threads have no cmdline
			}
			argv = strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		}
		if c.Matches(comm, argv) {
			n++
		}
	}
	return n, nil
}

// ProcessTracker scans /proc periodically (and on Rescan) for one
// vrrp_track_process.
type ProcessTracker struct {
	cfg    ProcessConfig
	opts   Options
	rescan chan struct{}

	mu    sync.Mutex
	state *ProcessState
}

// NewProcessTracker builds the tracker; nothing is scanned until Run.
func NewProcessTracker(cfg ProcessConfig, opts Options) *ProcessTracker {
	opts.fill()
	if cfg.Quorum <= 0 {
		cfg.Quorum = 1
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Proc == "" {
		cfg.Proc = "/proc"
	}
	qmax := -1
	if cfg.QuorumMax != nil {
		qmax = *cfg.QuorumMax
	}
	return &ProcessTracker{
		cfg: cfg, opts: opts, rescan: make(chan struct{}, 1),
		state: NewProcessState(cfg.Quorum, qmax, cfg.ForkDelay, cfg.TerminateDelay, opts.Now()),
	}
}

// Snapshot returns the current result; Value is the matching process count.
func (t *ProcessTracker) Snapshot() Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state.Snapshot(t.cfg.Name)
}

// Rescan asks for a scan now; it never blocks.
func (t *ProcessTracker) Rescan() {
	select {
	case t.rescan <- struct{}{}:
	default:
	}
}

// Run scans at once, then every Interval, on Rescan, and when a fork or
// terminate delay ends, until ctx is done.
func (t *ProcessTracker) Run(ctx context.Context) error {
	tick := time.NewTicker(t.cfg.Interval)
	defer tick.Stop()
	var delay *time.Timer
	var delayC <-chan time.Time
	defer func() {
		if delay != nil {
			delay.Stop()
		}
	}()
	for {
		n, err := CountProcesses(t.cfg.Proc, &t.cfg)
		if err != nil {
			t.opts.Logger.Warn("process scan failed", "track_process", t.cfg.Name, "err", err)
		} else {
			t.mu.Lock()
			changed, next := t.state.Observe(t.opts.Now(), n)
			snap := t.state.Snapshot(t.cfg.Name)
			t.mu.Unlock()
			if changed {
				t.opts.Logger.Info("tracked process "+snap.Reason, "track_process", t.cfg.Name)
				t.opts.wake()
			}
			if !next.IsZero() {
				if delay != nil {
					delay.Stop()
				}
				delay = time.NewTimer(time.Until(next))
				delayC = delay.C
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-t.rescan:
		case <-delayC:
			delayC = nil
		}
	}
}
