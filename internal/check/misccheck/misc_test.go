package misccheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/check/probe/probetest"
)

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "check.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMiscCheckExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		dynamic    bool
		wantOK     bool
		wantWeight *int
		reason     string
	}{
		{"exit 0", "exit 0", false, true, nil, "exit 0"},
		{"exit 1", "exit 1", false, false, nil, "exited with status 1"},
		{"exit 12 static", "exit 12", false, false, nil, "exited with status 12"},
		{"exit 12 dynamic", "exit 12", true, true, ptr(10), "exit 12, weight 10"},
		{"exit 2 dynamic", "exit 2", true, true, ptr(0), "weight 0"},
		{"exit 255 dynamic", "exit 255", true, true, ptr(253), "weight 253"},
		{"exit 1 dynamic", "exit 1", true, false, nil, "exited with status 1"},
		{"exit 0 dynamic keeps weight", "exit 0", true, true, nil, "exit 0"},
		{"args passed without a shell", `[ "$1" = 'a b;c' ] && [ "$2" = '$HOME' ]`, false, true, nil, "exit 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{Argv: []string{script(t, tt.body), "a b;c", "$HOME"}, Timeout: 10 * time.Second, Dynamic: tt.dynamic})
			if err != nil {
				t.Fatal(err)
			}
			r := probetest.Check(t, c, tt.wantOK, tt.reason)
			if diff := cmp.Diff(tt.wantWeight, r.Weight); diff != "" {
				t.Errorf("weight (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr(n int) *int { return &n }

func TestMiscCheckTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "child-alive")
	// The script starts a child that would write the marker after 2 s; the
	// kill of the process group must take the child down too.
	body := "(sleep 2; touch " + marker + ") &\nsleep 30"
	c, err := New(Config{Argv: []string{script(t, body)}, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := c.Check(context.Background())
	if r.OK || !strings.Contains(r.Reason, "timed out after 200ms") {
		t.Fatalf("got %+v", r)
	}
	if el := time.Since(start); el > KillGrace+time.Second {
		t.Errorf("timed-out check took %v", el)
	}
	// Poll (bounded) for a child that escaped: it would create the marker at ~2 s.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(marker); err == nil {
			t.Fatal("child of the timed-out script survived the group kill")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMiscCheckMissingProgram(t *testing.T) {
	c, _ := New(Config{Argv: []string{"/nonexistent/check"}, Timeout: time.Second})
	if r := c.Check(context.Background()); r.OK || !strings.Contains(r.Reason, "misc_path /nonexistent/check: ") {
		t.Errorf("got %+v", r)
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"/usr/bin/check -p 80", []string{"/usr/bin/check", "-p", "80"}, false},
		{`/bin/check "a b" 'c d'`, []string{"/bin/check", "a b", "c d"}, false},
		{`/bin/check a\ b ""`, []string{"/bin/check", "a b", ""}, false},
		{"  /bin/x\t y  ", []string{"/bin/x", "y"}, false},
		{`/bin/x $(rm -rf /) ; ls`, []string{"/bin/x", "$(rm", "-rf", "/)", ";", "ls"}, false},
		{`/bin/x "unterminated`, nil, true},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("SplitCommand(%q) err = %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("SplitCommand(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
