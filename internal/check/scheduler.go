package check

import (
	"fmt"
	"hash/fnv"
	"time"

	"gokeepalived/internal/check/probe"
)

// Checker and Result are the port every checker implements (see probe).
type (
	Checker = probe.Checker
	Result  = probe.Result
)

// CheckID names one checker; ServerID names the real server it belongs to.
// Both are chosen by the caller (e.g. "vs 192.0.2.10:80 rs 198.51.100.2:80 #0").
type (
	CheckID  string
	ServerID string
)

// CheckSpec is what the scheduler needs to know about one checker.
type CheckSpec struct {
	ID     CheckID
	Server ServerID
	Params Params
	// Timeout is the hard limit on one run, enforced by the runner.
	Timeout time.Duration
	// External marks a checker whose state something else reports
	// (BFD_CHECK follows a BFD session): it is never run; Set gives its
	// state. Params.DelayLoop is not used.
	External bool
}

// Run is a check the scheduler wants executed now.
type Run struct {
	ID       CheckID
	Deadline time.Time // start + Timeout
	Attempt  int       // 0 for a regular check, n for the n-th retry
}

// Change is a state change produced by Complete or Remove.
type Change struct {
	At     time.Time
	Server ServerID
	Check  CheckID
	// CheckUp is the checker's state after the change; CheckChanged says
	// it is a new state (not a weight change or a checker removed).
	CheckUp      bool
	CheckChanged bool
	// ServerUp is the real server's state: up when all its checkers are up.
	ServerUp      bool
	ServerChanged bool
	// WeightChanged is set when a dynamic weight (MISC_CHECK misc_dynamic,
	// FILE_CHECK dynamic) changed; Weight nil means "back to configured".
	WeightChanged bool
	Weight        *int
	Reason        string
}

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	// Seed makes first-run jitter deterministic.
	Seed uint64
	// Spread is the jitter window for checkers whose warmup is 0, so that
	// thousands of checks do not start in the same millisecond. Default
	// 1 s, never more than the checker's delay_loop; negative disables.
	Spread time.Duration
	// Bootstrap is added before the first run (keepalived BOOTSTRAP_DELAY).
	Bootstrap time.Duration
}

// Scheduler is the pure timing logic of health checking: delay_loop, retry,
// delay_before_retry, alpha and warmup, as in keepalived's check_*.c
// epilogues. It never reads the clock and starts nothing: time is an argument.
// It is not safe for concurrent use; one loop owns it.
type Scheduler struct {
	opts    SchedulerOptions
	checks  map[CheckID]*checkState
	servers map[ServerID]*serverState
	queue   dueQueue
	seq     uint64
}

type checkState struct {
	spec    CheckSpec
	up      bool
	hasRun  bool
	retryIt int
	weight  *int
	running bool
	next    time.Time
	gen     uint64 // matches the live queue entry
}

type serverState struct {
	checks int
	down   int
}

// NewScheduler returns an empty scheduler.
func NewScheduler(opts SchedulerOptions) *Scheduler {
	if opts.Spread == 0 {
		opts.Spread = time.Second
	}
	return &Scheduler{opts: opts, checks: map[CheckID]*checkState{}, servers: map[ServerID]*serverState{}}
}

// Add registers a checker at now. Its first run is at now + Bootstrap + a
// deterministic jitter in [0, warmup) (or [0, Spread) when warmup is 0).
// A checker starts up, or down with alpha.
func (s *Scheduler) Add(now time.Time, spec CheckSpec) error {
	if _, dup := s.checks[spec.ID]; dup {
		return fmt.Errorf("checker %q already scheduled", spec.ID)
	}
	if spec.Params.DelayLoop <= 0 && !spec.External {
		return fmt.Errorf("checker %q: delay_loop must be positive", spec.ID)
	}
	cs := &checkState{spec: spec, up: !spec.Params.Alpha}
	s.checks[spec.ID] = cs
	srv := s.servers[spec.Server]
	if srv == nil {
		srv = &serverState{}
		s.servers[spec.Server] = srv
	}
	srv.checks++
	if !cs.up {
		srv.down++
	}
	if !spec.External {
		s.schedule(cs, now.Add(s.opts.Bootstrap+s.jitter(spec)))
	}
	return nil
}

// Set gives an External checker its state at now (keepalived's
// check_bfd.c bfd_check_handle_event: nothing changes when the state is
// the same and the checker has a verdict already). It returns the change,
// if any; a checker that is not External, or unknown, is left alone.
func (s *Scheduler) Set(now time.Time, id CheckID, up bool, reason string) []Change {
	cs, ok := s.checks[id]
	if !ok || !cs.spec.External {
		return nil
	}
	if cs.up == up && cs.hasRun {
		return nil
	}
	cs.hasRun = true
	if cs.up == up {
		return nil
	}
	return []Change{s.setUp(now, cs, up, reason)}
}

// jitter hashes (seed, id) into the warmup window.
func (s *Scheduler) jitter(spec CheckSpec) time.Duration {
	window := spec.Params.Warmup
	if window <= 0 {
		window = min(s.opts.Spread, spec.Params.DelayLoop)
	}
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(s.opts.Seed >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(spec.ID))
	return time.Duration(h.Sum64() % uint64(window))
}

// Remove forgets a checker. If that makes its server's state change (the
// removed checker was the only one down), a Change says so.
func (s *Scheduler) Remove(now time.Time, id CheckID) []Change {
	cs, ok := s.checks[id]
	if !ok {
		return nil
	}
	delete(s.checks, id)
	srv := s.servers[cs.spec.Server]
	wasUp := srv.down == 0
	srv.checks--
	if !cs.up {
		srv.down--
	}
	if srv.checks == 0 {
		delete(s.servers, cs.spec.Server)
		return nil
	}
	if isUp := srv.down == 0; isUp != wasUp {
		return []Change{{At: now, Server: cs.spec.Server, Check: id, CheckUp: cs.up, ServerUp: isUp,
			ServerChanged: true, Reason: "checker removed"}}
	}
	return nil
}

// ServerUp reports the aggregate state of a server (false if unknown).
func (s *Scheduler) ServerUp(id ServerID) bool {
	srv, ok := s.servers[id]
	return ok && srv.down == 0
}

// CheckUp reports a checker's state.
func (s *Scheduler) CheckUp(id CheckID) (up, ok bool) {
	cs, ok := s.checks[id]
	if !ok {
		return false, false
	}
	return cs.up, true
}

// NextDeadline is when the earliest waiting check is due.
func (s *Scheduler) NextDeadline() (time.Time, bool) {
	s.dropStale()
	if len(s.queue) == 0 {
		return time.Time{}, false
	}
	return s.queue[0].at, true
}

// Due pops at most limit checks due at or before now (limit <= 0: all) and
// marks them running. Each must be answered with Complete.
func (s *Scheduler) Due(now time.Time, limit int) []Run {
	return s.AppendDue(nil, now, limit)
}

// AppendDue is Due appending to runs (a caller's reused buffer).
func (s *Scheduler) AppendDue(runs []Run, now time.Time, limit int) []Run {
	n0 := len(runs)
	for {
		s.dropStale()
		if len(s.queue) == 0 || s.queue[0].at.After(now) || (limit > 0 && len(runs)-n0 >= limit) {
			return runs
		}
		it := s.queue.pop()
		cs := s.checks[it.id]
		cs.running = true
		runs = append(runs, Run{ID: it.id, Deadline: now.Add(cs.spec.Timeout), Attempt: cs.retryIt})
	}
}

// Complete records the result of a run finished at now and schedules the
// next one. It follows keepalived 2.2's epilogue (check_dns.c dns_final,
// check_misc.c misc_check_child_thread):
//   - failure while up (or before the first verdict): retry after
//     delay_before_retry until retry attempts are used, then go down;
//   - failure while down: no retries, next check after delay_loop;
//   - success: retry counter reset, up, next check after delay_loop.
func (s *Scheduler) Complete(now time.Time, id CheckID, r Result) []Change {
	cs, ok := s.checks[id]
	if !ok || !cs.running {
		return nil // removed while running, or a stray result
	}
	cs.running = false
	p := cs.spec.Params
	var changes []Change
	if !r.OK {
		if cs.up || !cs.hasRun {
			if cs.retryIt < p.Retry {
				cs.retryIt++
				cs.hasRun = true
				s.schedule(cs, now.Add(p.DelayBeforeRetry))
				return nil
			}
			reason := r.Reason
			if cs.hasRun && p.Retry > 0 {
				reason = fmt.Sprintf("%s (after %d retries)", reason, p.Retry)
			}
			cs.retryIt = 0
			if cs.up {
				changes = append(changes, s.setUp(now, cs, false, reason))
			}
		}
		cs.hasRun = true
		s.schedule(cs, now.Add(p.DelayLoop))
		return changes
	}
	cs.retryIt = 0
	cs.hasRun = true
	var ch *Change
	if !cs.up {
		c := s.setUp(now, cs, true, r.Reason)
		ch = &c
	}
	if !sameWeight(cs.weight, r.Weight) {
		cs.weight = r.Weight
		if ch == nil {
			srvUp := s.ServerUp(cs.spec.Server)
			ch = &Change{At: now, Server: cs.spec.Server, Check: id, CheckUp: true, ServerUp: srvUp, Reason: r.Reason}
		}
		ch.WeightChanged, ch.Weight = true, r.Weight
	}
	if ch != nil {
		changes = append(changes, *ch)
	}
	s.schedule(cs, now.Add(p.DelayLoop))
	return changes
}

func sameWeight(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func (s *Scheduler) setUp(now time.Time, cs *checkState, up bool, reason string) Change {
	srv := s.servers[cs.spec.Server]
	wasUp := srv.down == 0
	cs.up = up
	if up {
		srv.down--
	} else {
		srv.down++
	}
	isUp := srv.down == 0
	return Change{At: now, Server: cs.spec.Server, Check: cs.spec.ID, CheckUp: up, CheckChanged: true,
		ServerUp: isUp, ServerChanged: isUp != wasUp, Reason: reason}
}

func (s *Scheduler) schedule(cs *checkState, at time.Time) {
	s.seq++
	cs.gen = s.seq
	cs.next = at
	s.queue.push(dueItem{at: at, id: cs.spec.ID, gen: s.seq})
}

// dropStale discards queue heads whose checker was removed or re-queued.
func (s *Scheduler) dropStale() {
	for len(s.queue) > 0 {
		it := s.queue[0]
		if cs, ok := s.checks[it.id]; ok && cs.gen == it.gen && !cs.running {
			return
		}
		s.queue.pop()
	}
}

type dueItem struct {
	at  time.Time
	id  CheckID
	gen uint64
}

// dueQueue is a binary min-heap on (at, gen), typed so that a push or pop
// boxes nothing (container/heap's interface costs an allocation each).
type dueQueue []dueItem

func (q dueQueue) less(i, j int) bool {
	if q[i].at.Equal(q[j].at) {
		return q[i].gen < q[j].gen
	}
	return q[i].at.Before(q[j].at)
}

func (q *dueQueue) push(it dueItem) {
	*q = append(*q, it)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *dueQueue) pop() dueItem {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = dueItem{}
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h.less(l, m) {
			m = l
		}
		if r < len(h) && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}
