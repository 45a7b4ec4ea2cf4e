package vrrp

import (
	"testing"
	"time"
)

// BenchmarkHandleAdvertSteadyState measures the two hot paths: a BACKUP
// accepting its master's advert, and a MASTER's Adver_Timer. Both must not
// allocate (TestSteadyStateAllocs enforces it).
func BenchmarkHandleAdvertSteadyState(b *testing.B) {
	b.Run("backup-receives-advert", func(b *testing.B) {
		i := mustInstance(b, baseConfig(3, 100))
		i.Handle(t0, Startup{})
		in := advert(3, higher, 200, 100)
		now := t0
		b.ReportAllocs()
		for b.Loop() {
			now = now.Add(time.Second)
			i.Handle(now, in)
		}
	})
	b.Run("master-adver-timer", func(b *testing.B) {
		c := baseConfig(3, 255)
		c.GARPMasterDelay = 0
		i := mustInstance(b, c)
		out := i.Handle(t0, Startup{})
		b.ReportAllocs()
		for b.Loop() {
			out = i.Handle(out.Deadline, TimerFired{})
		}
	})
}

func TestSteadyStateAllocs(t *testing.T) {
	i := mustInstance(t, baseConfig(3, 100))
	i.Handle(t0, Startup{})
	in := advert(3, higher, 200, 100)
	now := t0
	if n := testing.AllocsPerRun(1000, func() { now = now.Add(time.Second); i.Handle(now, in) }); n != 0 {
		t.Errorf("BACKUP advert path: %v allocs/op, want 0", n)
	}
	m := mustInstance(t, baseConfig(3, 255))
	out := m.Handle(t0, Startup{})
	if n := testing.AllocsPerRun(1000, func() { out = m.Handle(out.Deadline, TimerFired{}) }); n != 0 {
		t.Errorf("MASTER timer path: %v allocs/op, want 0", n)
	}
}
