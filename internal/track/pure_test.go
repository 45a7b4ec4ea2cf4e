package track

import (
	"strings"
	"testing"
	"time"
)

func TestWeightEffect(t *testing.T) {
	tests := []struct {
		weight  int
		reverse bool
		st      Status
		delta   int
		fault   bool
		init    bool
	}{
		{0, false, StatusUp, 0, false, false},
		{0, false, StatusDown, 0, true, false},
		{0, false, StatusInit, 0, false, true},
		{0, true, StatusUp, 0, true, false}, // 'weight 0 reverse': down when up
		{0, true, StatusDown, 0, false, false},
		{10, false, StatusUp, 10, false, false},
		{10, false, StatusDown, 0, false, false},
		{10, false, StatusInit, 0, false, false},
		{-10, false, StatusUp, 0, false, false},
		{-10, false, StatusDown, -10, false, false},
		{-10, false, StatusInit, 0, false, false},
		{10, true, StatusUp, -10, false, false}, // reverse: decreased when up
		{10, true, StatusDown, 0, false, false},
		{-10, true, StatusDown, 10, false, false}, // reverse: increased when down
	}
	for _, tt := range tests {
		e := WeightEffect("script", "chk", tt.weight, tt.reverse, tt.st)
		if e.Delta != tt.delta || e.Fault != tt.fault || e.Init != tt.init {
			t.Errorf("WeightEffect(w=%d rev=%v %v) = %+v, want delta %d fault %v init %v",
				tt.weight, tt.reverse, tt.st, e, tt.delta, tt.fault, tt.init)
		}
	}
	if e := InterfaceEffect("eth0", false, 0, false); !e.Fault || !strings.Contains(e.Reason, "interface eth0 is DOWN") {
		t.Errorf("unweighted interface down = %+v, want FAULT", e)
	}
	if e := InterfaceEffect("eth1", true, 5, false); e.Delta != 5 || e.Fault {
		t.Errorf("weighted interface up = %+v", e)
	}
}

func TestFileEffect(t *testing.T) {
	tests := []struct {
		value, weight int
		reverse       bool
		delta         int
		fault         bool
	}{
		{0, 0, false, 0, false},
		{1, 0, false, 0, true}, // weight 0: non-zero means failure
		{-3, 0, false, 0, true},
		{5, 1, false, 5, false},
		{5, -2, false, -10, false},
		{5, 2, true, -10, false},
		{200, 2, false, 253, false},   // clamped to 253
		{-200, 2, false, 0, true},     // clamped to -254: FAULT
		{-253, 1, false, -253, false}, // -253 still only lowers the priority
		{-254, 1, false, 0, true},
	}
	for _, tt := range tests {
		e := FileEffect("f", tt.value, tt.weight, tt.reverse)
		if e.Delta != tt.delta || e.Fault != tt.fault {
			t.Errorf("FileEffect(v=%d w=%d rev=%v) = %+v, want delta %d fault %v", tt.value, tt.weight, tt.reverse, e, tt.delta, tt.fault)
		}
	}
}

func TestEffectivePriority(t *testing.T) {
	up := func(w int) Effect { return WeightEffect("script", "s", w, false, StatusUp) }
	down := func(w int) Effect { return WeightEffect("script", "s", w, false, StatusDown) }
	tests := []struct {
		name    string
		base    int
		effects []Effect
		want    int
		fault   bool
		init    bool
	}{
		{"no trackers", 100, nil, 100, false, false},
		{"positive weight up", 100, []Effect{up(20)}, 120, false, false},
		{"negative weight down", 100, []Effect{down(-30)}, 70, false, false},
		{"sum", 100, []Effect{up(20), down(-30), up(5)}, 95, false, false},
		{"clamped to 254", 240, []Effect{up(50)}, 254, false, false},
		{"clamped to 1", 20, []Effect{down(-50)}, 1, false, false},
		{"owner unaffected", 255, []Effect{down(-50)}, 255, false, false},
		{"owner still faults", 255, []Effect{down(0)}, 255, true, false},
		{"weight 0 down is FAULT", 100, []Effect{up(20), down(0)}, 120, true, false},
		{"weight 0 init", 100, []Effect{WeightEffect("script", "s", 0, false, StatusInit)}, 100, false, true},
		{"fault wins over init", 100, []Effect{WeightEffect("script", "s", 0, false, StatusInit), down(0)}, 100, true, false},
		{"file fault", 100, []Effect{FileEffect("f", -254, 1, false)}, 100, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := EffectivePriority(tt.base, tt.effects...)
			if p.Value != tt.want || p.Fault != tt.fault || p.Init != tt.init {
				t.Errorf("EffectivePriority = %+v, want %d fault %v init %v", p, tt.want, tt.fault, tt.init)
			}
			if (p.Fault || p.Init) && p.Reason == "" {
				t.Errorf("no reason for %+v", p)
			}
		})
	}
}

func TestScriptStateRiseFall(t *testing.T) {
	t0 := time.Unix(1000, 0)
	type step struct {
		ok      bool
		want    Status
		changed bool
	}
	tests := []struct {
		name       string
		rise, fall int
		initFail   bool
		steps      []step
	}{
		{"first success is enough from INIT", 3, 2, false, []step{{true, StatusUp, true}}},
		{"first failure from INIT is DOWN", 3, 2, false, []step{{false, StatusDown, true}}},
		{"fall 2 needs two failures", 1, 2, false, []step{
			{true, StatusUp, true}, {false, StatusUp, false}, {true, StatusUp, false}, // success resets
			{false, StatusUp, false}, {false, StatusDown, true}, {false, StatusDown, false},
		}},
		{"rise 3 needs three successes", 3, 1, false, []step{
			{false, StatusDown, true}, {true, StatusDown, false}, {true, StatusDown, false},
			{false, StatusDown, false}, // resets the count
			{true, StatusDown, false}, {true, StatusDown, false}, {true, StatusUp, true},
			{false, StatusDown, true},
		}},
		{"init_fail starts DOWN and needs rise", 2, 1, true, []step{
			{true, StatusDown, false}, {true, StatusUp, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScriptState(tt.rise, tt.fall, tt.initFail, t0)
			want0 := StatusInit
			if tt.initFail {
				want0 = StatusDown
			}
			if s.Status() != want0 {
				t.Fatalf("initial status %v, want %v", s.Status(), want0)
			}
			for i, st := range tt.steps {
				now := t0.Add(time.Duration(i+1) * time.Second)
				changed := s.Observe(now, st.ok, "r")
				if s.Status() != st.want || changed != st.changed {
					t.Fatalf("step %d (ok=%v): status %v changed %v, want %v %v", i, st.ok, s.Status(), changed, st.want, st.changed)
				}
				if changed && !s.Snapshot("x").Since.Equal(now) {
					t.Errorf("step %d: Since not updated", i)
				}
			}
		})
	}
}

func TestProcessStateDelays(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	p := NewProcessState(2, 3, 2*time.Second, time.Second, t0)
	if ch, _ := p.Observe(at(0), 0); !ch || p.Status() != StatusDown {
		t.Fatalf("initial scan: %v", p.Status())
	}
	// Quorum gained: waits fork_delay.
	if ch, next := p.Observe(at(1), 2); ch || !next.Equal(at(3)) {
		t.Fatalf("gain: changed %v next %v", ch, next)
	}
	if ch, _ := p.Tick(at(2.9)); ch || p.Status() != StatusDown {
		t.Fatal("up before fork_delay")
	}
	if ch, _ := p.Tick(at(3)); !ch || p.Status() != StatusUp {
		t.Fatal("not up after fork_delay")
	}
	// Too many (quorum_max 3): down after terminate_delay... no: quorum_max
	// exceeded is a loss of quorum, so terminate_delay applies.
	if ch, next := p.Observe(at(4), 4); ch || !next.Equal(at(5)) {
		t.Fatalf("over max: changed %v next %v", ch, next)
	}
	// Back within quorum before the delay ends: the change is forgotten.
	if ch, next := p.Observe(at(4.5), 3); ch || !next.IsZero() {
		t.Fatalf("revert: changed %v next %v", ch, next)
	}
	if ch, _ := p.Tick(at(6)); ch || p.Status() != StatusUp {
		t.Fatal("reverted loss still applied")
	}
	// Without delays changes are immediate.
	q := NewProcessState(1, -1, 0, 0, t0)
	q.Observe(at(0), 1)
	if ch, _ := q.Observe(at(1), 0); !ch || q.Status() != StatusDown {
		t.Fatal("no-delay loss not immediate")
	}
	if !strings.Contains(q.Snapshot("p").Reason, "quorum lost: 0 running, quorum 1") {
		t.Errorf("reason = %q", q.Snapshot("p").Reason)
	}
}

func TestParseTrackFile(t *testing.T) {
	tests := map[string]int{
		"":          0,
		"0\n":       0,
		"5\n":       5,
		"  -20 x":   -20,
		"+7":        7,
		"0x10":      16,
		"010":       8,
		"08":        0,
		"abc":       0,
		"999999999": 254,
		"-1000":     -254,
		"12abc":     12,
	}
	for in, want := range tests {
		if got := ParseTrackFile([]byte(in)); got != want {
			t.Errorf("ParseTrackFile(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestProcessMatches(t *testing.T) {
	tests := []struct {
		name string
		cfg  ProcessConfig
		comm string
		argv []string
		want bool
	}{
		{"name", ProcessConfig{Process: "nginx"}, "nginx", []string{"nginx: master"}, true},
		{"name exact, not prefix", ProcessConfig{Process: "ssh"}, "sshd", nil, false},
		{"long name truncated like comm", ProcessConfig{Process: "a-very-long-process-name"}, "a-very-long-pro", nil, true},
		{"exact params", ProcessConfig{Process: "/bin/x", Params: []string{"a", "b"}}, "x", []string{"/bin/x", "a", "b"}, true},
		{"exact params, extra", ProcessConfig{Process: "/bin/x", Params: []string{"a"}}, "x", []string{"/bin/x", "a", "b"}, false},
		{"partial", ProcessConfig{Process: "/bin/x", Params: []string{"a"}, ParamMatch: ParamMatchPartial}, "x", []string{"/bin/x", "a", "b"}, true},
		{"partial, last differs", ProcessConfig{Process: "/bin/x", Params: []string{"a"}, ParamMatch: ParamMatchPartial}, "x", []string{"/bin/x", "ab"}, false},
		{"initial", ProcessConfig{Process: "/bin/x", Params: []string{"a", "--conf"}, ParamMatch: ParamMatchInitial}, "x", []string{"/bin/x", "a", "--config=/etc"}, true},
		{"param_match without params: none allowed", ProcessConfig{Process: "/bin/x", ParamMatch: ParamMatchExact}, "x", []string{"/bin/x", "a"}, false},
		{"full_command argv0", ProcessConfig{Process: "/usr/sbin/haproxy", FullCommand: true}, "haproxy", []string{"/usr/sbin/haproxy", "-f", "x"}, true},
	}
	for _, tt := range tests {
		if got := tt.cfg.Matches(tt.comm, tt.argv); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}
