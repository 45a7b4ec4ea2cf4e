package daemon

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recThread records the settings each thread asks for.
type recThread struct {
	testThread
	mu  sync.Mutex
	got []ThreadSettings
}

func (r *recThread) Setup(s ThreadSettings) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, s)
	return nil
}

func (r *recThread) snapshot() []ThreadSettings {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ThreadSettings(nil), r.got...)
}

// TestThreadSettingsFromConfig: global_defs vrrp_rt_priority, vrrp_priority,
// vrrp_cpu_affinity and max_auto_priority become the VRRP threads'
// scheduling.
func TestThreadSettingsFromConfig(t *testing.T) {
	for _, c := range []struct {
		globals string
		want    ThreadSettings
	}{
		{"", ThreadSettings{RTPriority: DefaultRTPriority}},
		{"vrrp_rt_priority 30\nvrrp_cpu_affinity 0 1", ThreadSettings{RTPriority: 30, CPUs: []int{0, 1}}},
		{"vrrp_rt_priority 30\nmax_auto_priority 5", ThreadSettings{RTPriority: 30}},
		{"max_auto_priority 5", ThreadSettings{RTPriority: 5}},
		{"max_auto_priority 50", ThreadSettings{RTPriority: DefaultRTPriority}},
		{"max_auto_priority -1\nvrrp_priority -5", ThreadSettings{Nice: -5}},
		// keepalived ignores vrrp_priority when vrrp_rt_priority is set; the
		// setting is kept, the kernel uses the RT priority.
		{"vrrp_rt_priority 20\nvrrp_priority 3", ThreadSettings{RTPriority: 20, Nice: 3}},
	} {
		cfg := load(t, "global_defs {\n"+c.globals+"\n}\n"+oneInstance)
		if d := cmp.Diff(c.want, threadSettings(&cfg.Global)); d != "" {
			t.Errorf("%q (-want +got):\n%s", c.globals, d)
		}
	}
}

// TestVRRPThreadsGetSettings: the loop and every socket reader thread ask
// their Thread port for the configured scheduling.
func TestVRRPThreadsGetSettings(t *testing.T) {
	f := newFakeEnv()
	th := &recThread{}
	ports := f.ports()
	ports.Thread = th
	d := New(load(t, "global_defs {\n    vrrp_rt_priority 30\n    vrrp_cpu_affinity 0\n}\n"+oneInstance), Options{Ports: ports})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	want := ThreadSettings{RTPriority: 30, CPUs: []int{0}}
	eventually(t, 5*time.Second, func() (bool, string) {
		got := th.snapshot()
		return len(got) >= 2, fmt.Sprintf("threads set up: %+v (want the loop and a reader)", got)
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, s := range th.snapshot() {
		if d := cmp.Diff(want, s); d != "" {
			t.Errorf("a VRRP thread got other settings (-want +got):\n%s", d)
		}
	}
}

// TestAutoPriority: keepalived's max_auto_priority: a loop that wakes more
// than min_auto_priority_delay after its timer was due goes up one RT
// priority, up to the maximum; never with max_auto_priority 0 or -1.
func TestAutoPriority(t *testing.T) {
	due := time.Unix(1000, 0)
	for _, c := range []struct {
		max, cur int
		late     time.Duration
		next     int
		raise    bool
	}{
		{max: 20, cur: 10, late: 1500 * time.Millisecond, next: 11, raise: true},
		{max: 20, cur: 0, late: 1500 * time.Millisecond, next: 1, raise: true},
		{max: 20, cur: 10, late: time.Second, next: 10},      // not more than the delay
		{max: 20, cur: 20, late: 5 * time.Second, next: 20},  // at the maximum
		{max: 0, cur: 10, late: 5 * time.Second, next: 10},   // unset
		{max: -1, cur: 10, late: 5 * time.Second, next: 10},  // disabled
		{max: 20, cur: 10, late: -5 * time.Second, next: 10}, // woke early (kicked)
	} {
		a := autoPriority{max: c.max, delay: time.Second}
		next, raise := a.raise(c.cur, due, due.Add(c.late))
		if next != c.next || raise != c.raise {
			t.Errorf("max %d cur %d late %v: got %d %v, want %d %v", c.max, c.cur, c.late, next, raise, c.next, c.raise)
		}
	}
	if _, raise := (autoPriority{max: 20, delay: time.Second}).raise(1, time.Time{}, due); raise {
		t.Error("raised without a deadline")
	}
}

// TestLateWakeRaisesLoop: the loop's late wake-up sets the raised
// priority on its thread and keeps it for the next one.
func TestLateWakeRaisesLoop(t *testing.T) {
	th := &recThread{}
	clk := &schedClock{t: time.Unix(1000, 0)}
	ports := newFakeEnv().ports()
	ports.Thread, ports.Clock = th, clk
	d := New(load(t, "global_defs {\n    max_auto_priority 12\n    min_auto_priority_delay 500000\n}\n"+oneInstance), Options{Ports: ports})
	d.auto = newAutoPriority(&d.cfg.Global)
	loop := threadSettings(&d.cfg.Global)
	for i := 0; i < 4; i++ {
		due := clk.t
		clk.t = clk.t.Add(600 * time.Millisecond)
		d.lateWake(&loop, due)
	}
	due := clk.t
	clk.t = clk.t.Add(400 * time.Millisecond) // within the delay
	d.lateWake(&loop, due)
	var got []int
	for _, s := range th.snapshot() {
		got = append(got, s.RTPriority)
	}
	if d := cmp.Diff([]int{11, 12}, got); d != "" || loop.RTPriority != 12 {
		t.Errorf("priorities set (-want +got):\n%s; loop at %d", d, loop.RTPriority)
	}
}

type schedClock struct{ t time.Time }

func (c *schedClock) Now() time.Time { return c.t }
