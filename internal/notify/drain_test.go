package notify

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDrainDeliversStop is the daemon's shutdown: the STOP event is queued just before
// the notifier is stopped. Drain must wait until its script ran and its FIFO line was
// written (found by the e2e notify scenario: gokeepalived killed notify_stop and lost
// the STOP line, where keepalived runs them before it exits).
func TestDrainDeliversStop(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	stop := writeScript(t, dir, "stop.sh", "sleep 0.2; echo stopped > "+out)
	fifo := filepath.Join(dir, "fifo")
	n, _ := startNotifier(t, Config{FIFOs: []FIFO{{Path: fifo}}})
	waitFor(t, "the FIFO to be created", func() bool { _, err := os.Stat(fifo); return err == nil })
	n.Enqueue(Event{Kind: KindInstance, Name: "VI_1", State: StateStop, Priority: 100, Scripts: &Scripts{Stop: &Script{Argv: []string{stop}}}})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !n.Drain(ctx) {
		t.Fatal("Drain gave up before the STOP script finished")
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "stopped\n" {
		t.Errorf("after Drain the STOP script has not run: %q, %v", b, err)
	}
	if s := n.Stats(); s.FIFOLines != 1 || s.ScriptsRun != 1 {
		t.Errorf("after Drain: %+v, want 1 FIFO line and 1 script run", s)
	}
}

// TestDrainBounded: a hung script does not hold Drain past its context.
func TestDrainBounded(t *testing.T) {
	dir := t.TempDir()
	hang := writeScript(t, dir, "hang.sh", "exec sleep 60")
	n, _ := startNotifier(t, Config{})
	n.Enqueue(Event{Kind: KindInstance, Name: "VI_1", State: StateStop, Scripts: &Scripts{Stop: &Script{Argv: []string{hang}}}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if n.Drain(ctx) {
		t.Fatal("Drain reported everything delivered while the script hangs")
	}
}
