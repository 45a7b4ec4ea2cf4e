package track

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/notify"
	"gokeepalived/internal/testutil/poll"
)

// waitFor polls cond (poll.Until every 5 ms) until it holds; the 10 s bound
// only stops a broken test from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 10*time.Second, 5*time.Millisecond, func() (bool, string) { return cond(), "waiting for " + what })
}

func run(t *testing.T, r interface{ Run(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestScriptTrackerRunner(t *testing.T) {
	dir := t.TempDir()
	ctl := filepath.Join(dir, "rc")
	os.WriteFile(ctl, []byte("0"), 0o644)
	script := filepath.Join(dir, "chk.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nrc=$(cat "+ctl+")\n[ \"$rc\" = hang ] && exec sleep 30\nexit $rc\n"), 0o755)
	wake := make(chan struct{}, 1)
	tr := NewScriptTracker(ScriptConfig{
		Name: "chk", Script: &notify.Script{Argv: []string{script}},
		Interval: 20 * time.Millisecond, Timeout: 300 * time.Millisecond, Rise: 2, Fall: 2, Weight: -20,
	}, Options{Wake: wake, Exec: &notify.Exec{Grace: 100 * time.Millisecond}})
	if s := tr.Snapshot(); s.Status != StatusInit {
		t.Fatalf("before Run: %v", s.Status)
	}
	run(t, tr)
	waitFor(t, "UP", func() bool { return tr.Snapshot().Status == StatusUp })
	// The tracker publishes the status, then logs, then wakes: the wake may
	// follow the status by a moment.
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Error("no wake on INIT -> UP")
	}
	os.WriteFile(ctl, []byte("1"), 0o644)
	waitFor(t, "DOWN", func() bool { return tr.Snapshot().Status == StatusDown })
	if s := tr.Snapshot(); !strings.Contains(s.Reason, "exited with status 1") {
		t.Errorf("reason = %q", s.Reason)
	}
	if e := WeightEffect("script", "chk", tr.Config().Weight, false, tr.Snapshot().Status); e.Delta != -20 {
		t.Errorf("effect = %+v", e)
	}
	os.WriteFile(ctl, []byte("0"), 0o644)
	waitFor(t, "UP again", func() bool { return tr.Snapshot().Status == StatusUp })
	// A hanging script is killed at the timeout and counts as a failure.
	os.WriteFile(ctl, []byte("hang"), 0o644)
	waitFor(t, "DOWN on timeout", func() bool { return tr.Snapshot().Status == StatusDown })
	if s := tr.Snapshot(); !strings.Contains(s.Reason, "timed out") {
		t.Errorf("reason = %q, want a timeout", s.Reason)
	}
	runs, fails := tr.Counts()
	if runs < 6 || fails < 4 {
		t.Errorf("runs %d failures %d", runs, fails)
	}
}

func TestFileTrackerInotify(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prio")
	init := 7
	wake := make(chan struct{}, 1)
	tr := NewFileTracker(FileConfig{Name: "f", Path: path, Weight: -2, InitFile: &init}, Options{Wake: wake})
	run(t, tr)
	waitFor(t, "init_file value", func() bool { return tr.Snapshot().Value == 7 })
	if e := tr.Effect(); e.Delta != -14 {
		t.Errorf("effect = %+v", e)
	}
	// Written in place (close after write).
	os.WriteFile(path, []byte("200\n"), 0o644)
	waitFor(t, "new value", func() bool { return tr.Snapshot().Value == 200 })
	if e := tr.Effect(); !e.Fault { // 200 x -2 = -400, clamped to -254: FAULT
		t.Errorf("effect = %+v, want FAULT", e)
	}
	// Replaced by rename.
	tmp := filepath.Join(dir, "tmp")
	os.WriteFile(tmp, []byte("3"), 0o644)
	os.Rename(tmp, path)
	waitFor(t, "renamed value", func() bool { return tr.Snapshot().Value == 3 })
	// Removed: counts as 0.
	os.Remove(path)
	waitFor(t, "removed -> 0", func() bool { return tr.Snapshot().Value == 0 })
}

func TestProcessTrackerRealProcess(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	dir := t.TempDir()
	name := "gkatrk" + strings.ReplaceAll(filepath.Base(dir), "0", "") // unique-ish comm
	if len(name) > 15 {
		name = name[:15]
	}
	bin := filepath.Join(dir, name)
	src, _ := os.Open(sleep)
	dst, _ := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	io.Copy(dst, src)
	src.Close()
	dst.Close()

	wake := make(chan struct{}, 1)
	tr := NewProcessTracker(ProcessConfig{Name: "p", Process: name, Interval: time.Hour}, Options{Wake: wake})
	exact := NewProcessTracker(ProcessConfig{Name: "p2", Process: bin, Params: []string{"30"}, Interval: time.Hour}, Options{})
	run(t, tr)
	run(t, exact)
	waitFor(t, "initial scan", func() bool { return tr.Snapshot().Status == StatusDown })

	cmd := exec.Command(bin, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for _, x := range []*ProcessTracker{tr, exact} {
		x.Rescan()
	}
	waitFor(t, "UP", func() bool { return tr.Snapshot().Status == StatusUp && tr.Snapshot().Value == 1 })
	waitFor(t, "exact params UP", func() bool { return exact.Snapshot().Status == StatusUp })
	if n, err := CountProcesses("/proc", &ProcessConfig{Process: bin, Params: []string{"31"}}); err != nil || n != 0 {
		t.Errorf("wrong params matched %d processes (err %v)", n, err)
	}
	if n, err := CountProcesses("/proc", &ProcessConfig{Process: bin, Params: []string{"3"}, ParamMatch: ParamMatchInitial}); err != nil || n != 1 {
		t.Errorf("initial param match counted %d (err %v), want 1", n, err)
	}

	cmd.Process.Kill()
	cmd.Wait()
	tr.Rescan()
	waitFor(t, "DOWN after kill", func() bool { return tr.Snapshot().Status == StatusDown })
	if s := tr.Snapshot(); !strings.Contains(s.Reason, "quorum lost: 0 running") {
		t.Errorf("reason = %q", s.Reason)
	}
}
