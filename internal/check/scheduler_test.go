package check

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// step is one scripted event: at offset `at`, the checker due then returns ok.
type step struct {
	at time.Duration
	ok bool
}

// drive runs one checker through results, asserting each run happens exactly
// when the scheduler said, and returns a transcript of runs and changes.
func drive(t *testing.T, p Params, steps []step) []string {
	t.Helper()
	s := NewScheduler(SchedulerOptions{Spread: -1})
	p.Warmup = 0
	if err := s.Add(t0, CheckSpec{ID: "c", Server: "rs", Params: p, Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	var log []string
	for i, st := range steps {
		next, ok := s.NextDeadline()
		if !ok {
			t.Fatalf("step %d: nothing scheduled", i)
		}
		if got := next.Sub(t0); got != st.at {
			t.Fatalf("step %d: next run at %v, want %v (log so far %q)", i, got, st.at, log)
		}
		if early := s.Due(next.Add(-time.Nanosecond), 0); len(early) != 0 {
			t.Fatalf("step %d: due before its deadline", i)
		}
		runs := s.Due(next, 0)
		if len(runs) != 1 {
			t.Fatalf("step %d: %d runs due", i, len(runs))
		}
		r := Result{OK: st.ok, Reason: fmt.Sprintf("r%d", i)}
		if !st.ok {
			r.Reason = fmt.Sprintf("fail%d", i)
		}
		for _, c := range s.Complete(next, "c", r) {
			log = append(log, fmt.Sprintf("%v check=%v server=%v changed=%v %s", c.At.Sub(t0), c.CheckUp, c.ServerUp, c.ServerChanged, c.Reason))
		}
	}
	return log
}

func TestSchedulerRetrySemantics(t *testing.T) {
	p := Params{DelayLoop: 10 * time.Second, DelayBeforeRetry: 2 * time.Second, Retry: 3}
	tests := []struct {
		name  string
		p     Params
		steps []step
		want  []string
	}{
		{
			name: "down after retry consecutive failures spaced by delay_before_retry",
			p:    p,
			steps: []step{
				{0, true}, {10 * time.Second, false}, {12 * time.Second, false}, {14 * time.Second, false},
				{16 * time.Second, false}, {26 * time.Second, false}, {36 * time.Second, true},
			},
			want: []string{
				"16s check=false server=false changed=true fail4 (after 3 retries)",
				"36s check=true server=true changed=true r6",
			},
		},
		{
			name:  "a success during retries resets the counter",
			p:     p,
			steps: []step{{0, false}, {2 * time.Second, false}, {4 * time.Second, true}, {14 * time.Second, false}, {16 * time.Second, true}},
			want:  nil,
		},
		{
			name:  "retry 0 goes down on the first failure",
			p:     Params{DelayLoop: 5 * time.Second, DelayBeforeRetry: time.Second},
			steps: []step{{0, false}, {5 * time.Second, false}, {10 * time.Second, true}},
			want:  []string{"0s check=false server=false changed=true fail0", "10s check=true server=true changed=true r2"},
		},
		{
			name:  "alpha starts down and one success brings it up",
			p:     Params{DelayLoop: 5 * time.Second, DelayBeforeRetry: time.Second, Retry: 1, Alpha: true},
			steps: []step{{0, true}},
			want:  []string{"0s check=true server=true changed=true r0"},
		},
		{
			name: "alpha: first failures still retry, then stay down without retries",
			p:    Params{DelayLoop: 5 * time.Second, DelayBeforeRetry: time.Second, Retry: 1, Alpha: true},
			steps: []step{
				{0, false}, {1 * time.Second, false}, {6 * time.Second, false}, {11 * time.Second, true},
			},
			want: []string{"11s check=true server=true changed=true r3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := drive(t, tt.p, tt.steps)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchedulerServerAggregatesCheckers(t *testing.T) {
	s := NewScheduler(SchedulerOptions{Spread: -1})
	p := Params{DelayLoop: time.Second, DelayBeforeRetry: time.Second}
	for _, id := range []CheckID{"a", "b"} {
		if err := s.Add(t0, CheckSpec{ID: id, Server: "rs", Params: p}); err != nil {
			t.Fatal(err)
		}
	}
	if !s.ServerUp("rs") {
		t.Fatal("server should start up without alpha")
	}
	runs := s.Due(t0, 0)
	if len(runs) != 2 {
		t.Fatalf("got %d runs, want 2", len(runs))
	}
	ch := s.Complete(t0, "a", Result{Reason: "a broke"})
	if len(ch) != 1 || !ch[0].ServerChanged || ch[0].ServerUp {
		t.Fatalf("a down: got %+v, want server down", ch)
	}
	if ch := s.Complete(t0, "b", Result{Reason: "b broke"}); len(ch) != 1 || ch[0].ServerChanged {
		t.Fatalf("b down while server already down: got %+v", ch)
	}
	s.Due(t0.Add(time.Second), 0)
	if ch := s.Complete(t0.Add(time.Second), "a", Result{OK: true}); len(ch) != 1 || ch[0].ServerChanged || ch[0].ServerUp {
		t.Fatalf("a up, b still down: got %+v", ch)
	}
	ch = s.Remove(t0.Add(time.Second), "b")
	if len(ch) != 1 || !ch[0].ServerUp || !ch[0].ServerChanged {
		t.Fatalf("removing the last down checker: got %+v, want server up", ch)
	}
	// A result for a removed checker is ignored.
	if ch := s.Complete(t0.Add(2*time.Second), "b", Result{}); ch != nil {
		t.Fatalf("stray result produced %+v", ch)
	}
}

func TestSchedulerDynamicWeight(t *testing.T) {
	s := NewScheduler(SchedulerOptions{Spread: -1})
	if err := s.Add(t0, CheckSpec{ID: "m", Server: "rs", Params: Params{DelayLoop: time.Second}}); err != nil {
		t.Fatal(err)
	}
	w := func(n int) *int { return &n }
	var got []string
	for i, r := range []Result{{OK: true, Weight: w(10)}, {OK: true, Weight: w(10)}, {OK: true, Weight: w(3)}, {OK: true}} {
		now := t0.Add(time.Duration(i) * time.Second)
		s.Due(now, 0)
		for _, c := range s.Complete(now, "m", r) {
			if c.Weight == nil {
				got = append(got, fmt.Sprintf("%d:reset", i))
			} else {
				got = append(got, fmt.Sprintf("%d:%d", i, *c.Weight))
			}
		}
	}
	if diff := cmp.Diff([]string{"0:10", "2:3", "3:reset"}, got); diff != "" {
		t.Errorf("weight changes (-want +got):\n%s", diff)
	}
}

func TestSchedulerSpreadsStartsDeterministically(t *testing.T) {
	const n = 5000
	first := func(seed uint64) map[CheckID]time.Time {
		s := NewScheduler(SchedulerOptions{Seed: seed})
		for i := 0; i < n; i++ {
			id := CheckID(fmt.Sprintf("c%d", i))
			p := Params{DelayLoop: 60 * time.Second, Warmup: 0}
			if err := s.Add(t0, CheckSpec{ID: id, Server: ServerID(id), Params: p}); err != nil {
				t.Fatal(err)
			}
		}
		return firstRuns(t, s)
	}
	a, b := first(1), first(1)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed gave different schedules:\n%s", diff)
	}
	perMs := map[int64]int{}
	for _, at := range a {
		d := at.Sub(t0)
		if d < 0 || d >= time.Second+time.Hour {
			t.Fatalf("start %v outside window", d)
		}
		perMs[d.Milliseconds()]++
	}
	worst := 0
	for _, c := range perMs {
		worst = max(worst, c)
	}
	// 5000 starts over 1000 ms: a uniform spread puts ~5 per ms.
	if worst > 25 {
		t.Errorf("%d checks start in the same millisecond", worst)
	}
	if c := first(2); cmp.Equal(a, c) {
		t.Error("different seeds gave identical schedules")
	}
}

// firstRuns pops every scheduled run in order and records when it was due.
func firstRuns(t *testing.T, s *Scheduler) map[CheckID]time.Time {
	t.Helper()
	out := map[CheckID]time.Time{}
	for {
		next, ok := s.NextDeadline()
		if !ok {
			return out
		}
		for _, r := range s.Due(next, 1) {
			out[r.ID] = next
		}
	}
}

func TestSchedulerWarmupWindow(t *testing.T) {
	s := NewScheduler(SchedulerOptions{Seed: 7, Bootstrap: time.Second})
	p := Params{DelayLoop: 60 * time.Second, Warmup: 10 * time.Second}
	for i := 0; i < 200; i++ {
		if err := s.Add(t0, CheckSpec{ID: CheckID(fmt.Sprint(i)), Server: "rs", Params: p}); err != nil {
			t.Fatal(err)
		}
	}
	runs := firstRuns(t, s)
	if len(runs) != 200 {
		t.Fatalf("%d first runs, want 200", len(runs))
	}
	var lo, hi time.Duration = time.Hour, 0
	for _, at := range runs {
		lo, hi = min(lo, at.Sub(t0)), max(hi, at.Sub(t0))
	}
	if lo < time.Second || hi >= 11*time.Second {
		t.Errorf("first runs span [%v, %v], want within [1s, 11s)", lo, hi)
	}
	if hi-lo < 5*time.Second {
		t.Errorf("first runs span only %v of a 10s warmup", hi-lo)
	}
}

func TestSchedulerDueLimitAndDuplicates(t *testing.T) {
	s := NewScheduler(SchedulerOptions{Spread: -1})
	p := Params{DelayLoop: time.Second}
	for i := 0; i < 10; i++ {
		if err := s.Add(t0, CheckSpec{ID: CheckID(fmt.Sprint(i)), Server: "rs", Params: p}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Add(t0, CheckSpec{ID: "3", Server: "rs", Params: p}); err == nil || !strings.Contains(err.Error(), "already") {
		t.Fatalf("duplicate add: err = %v", err)
	}
	if got := len(s.Due(t0, 4)); got != 4 {
		t.Fatalf("Due limit 4 returned %d", got)
	}
	if got := len(s.Due(t0, 0)); got != 6 {
		t.Fatalf("remaining due = %d, want 6", got)
	}
	if _, ok := s.NextDeadline(); ok {
		t.Fatal("running checks must not be due again until completed")
	}
}

// An External checker (BFD_CHECK) is never due; Set gives its state, and
// only a change of state (or the first verdict) counts.
func TestSchedulerExternal(t *testing.T) {
	s := NewScheduler(SchedulerOptions{})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Add(now, CheckSpec{ID: "bfd", Server: "rs", External: true, Params: Params{Alpha: true}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(now, CheckSpec{ID: "tcp", Server: "rs", Params: Params{DelayLoop: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	if runs := s.Due(now.Add(2*time.Hour), 0); len(runs) != 1 || runs[0].ID != "tcp" {
		t.Fatalf("due %+v, want only tcp", runs)
	}
	if s.ServerUp("rs") {
		t.Fatal("up before the session was reported (alpha)")
	}
	if ch := s.Set(now, "bfd", false, "session Down"); len(ch) != 0 {
		t.Errorf("Down while down: %+v", ch)
	}
	ch := s.Set(now, "bfd", true, "session Up")
	if len(ch) != 1 || !ch[0].CheckUp || !ch[0].ServerUp || !ch[0].ServerChanged || ch[0].Reason != "session Up" {
		t.Fatalf("Up: %+v", ch)
	}
	if ch := s.Set(now, "bfd", true, "again"); len(ch) != 0 {
		t.Errorf("Up while up: %+v", ch)
	}
	if ch := s.Set(now, "bfd", false, "session Down"); len(ch) != 1 || ch[0].ServerUp || !ch[0].ServerChanged {
		t.Errorf("Down: %+v", ch)
	}
	if ch := s.Set(now, "tcp", false, "not external"); len(ch) != 0 {
		t.Errorf("Set on a checker that runs: %+v", ch)
	}
	if ch := s.Set(now, "nope", true, ""); ch != nil {
		t.Errorf("unknown: %+v", ch)
	}
	if next, ok := s.NextDeadline(); ok && next.Before(now.Add(time.Hour)) {
		t.Errorf("next deadline %v", next)
	}
}
