package notify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/testutil/poll"
)

// waitFor polls cond (poll.Until every 5 ms) until it holds; the 10 s bound
// only stops a broken test from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 10*time.Second, 5*time.Millisecond, func() (bool, string) { return cond(), "waiting for " + what })
}

// writeScript writes an executable shell script into dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// results collects OnScript callbacks.
type results struct {
	mu  sync.Mutex
	all []ScriptResult
}

func (r *results) add(sr ScriptResult) { r.mu.Lock(); r.all = append(r.all, sr); r.mu.Unlock() }
func (r *results) len() int            { r.mu.Lock(); defer r.mu.Unlock(); return len(r.all) }
func (r *results) get(i int) ScriptResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.all[i]
}

func startNotifier(t *testing.T, cfg Config) (*Notifier, *results) {
	t.Helper()
	res := &results{}
	cfg.OnScript = res.add
	n := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return n, res
}

func TestNotifyScriptArgvPerTransition(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "args.log")
	rec := writeScript(t, dir, "rec.sh", `for a in "$0" "$@"; do printf '[%s]' "$a"; done >> `+log+`; echo >> `+log)
	mk := func(args ...string) *Script { return &Script{Argv: append([]string{rec}, args...)} }
	scripts := &Scripts{
		Master: mk("master", "two words"),
		Backup: mk("backup"),
		Fault:  mk("fault"),
		Stop:   mk("stop"),
		Notify: mk("generic"),
	}
	grp := &Scripts{Notify: mk("g")}
	nt, res := startNotifier(t, Config{})
	evs := []Event{
		{Kind: KindInstance, Name: "VI_1", State: StateBackup, Priority: 100, Scripts: scripts},
		{Kind: KindInstance, Name: "VI_1", State: StateMaster, Priority: 100, Scripts: scripts},
		{Kind: KindInstance, Name: "VI_1", State: StateFault, Priority: 90, Scripts: scripts},
		{Kind: KindInstance, Name: "VI_1", State: StateStop, Priority: 0, Scripts: scripts},
		{Kind: KindInstance, Name: "VI_1", State: EventMasterPriority, Priority: 80, Scripts: scripts}, // FIFO only
	}
	for _, e := range evs {
		if !nt.Enqueue(e) {
			t.Fatalf("Enqueue(%v) dropped", e.State)
		}
	}
	waitFor(t, "8 scripts", func() bool { return res.len() == 8 })
	if !nt.Enqueue(Event{Kind: KindGroup, Name: "G1", State: StateMaster, Scripts: grp}) {
		t.Fatal("group event dropped")
	}
	waitFor(t, "group script", func() bool { return res.len() == 9 })
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"[" + rec + "][backup]",
		"[" + rec + "][generic][INSTANCE][VI_1][BACKUP][100]",
		"[" + rec + "][master][two words]",
		"[" + rec + "][generic][INSTANCE][VI_1][MASTER][100]",
		"[" + rec + "][fault]",
		"[" + rec + "][generic][INSTANCE][VI_1][FAULT][90]",
		"[" + rec + "][stop]",
		"[" + rec + "][generic][INSTANCE][VI_1][STOP][0]",
		"[" + rec + "][g][GROUP][G1][MASTER][0]",
	}
	if d := cmp.Diff(want, strings.Split(strings.TrimSpace(string(b)), "\n")); d != "" {
		t.Errorf("argv log (-want +got):\n%s", d)
	}
	for i := range res.len() {
		if r := res.get(i); r.Err != nil {
			t.Errorf("script %d: %v", i, r.Err)
		}
	}
	if s := nt.Stats(); s.ScriptsRun != 9 || s.ScriptFailures != 0 {
		t.Errorf("stats = %+v, want 9 run, 0 failures", s)
	}
}

// The caller's Enqueue must return while a notify script is still running.
// The script blocks opening a FIFO that only the test can release, so the
// script provably cannot have finished when Enqueue returns.
func TestEnqueueDoesNotWaitForScript(t *testing.T) {
	dir := t.TempDir()
	ctl := filepath.Join(dir, "ctl")
	if err := unix.Mkfifo(ctl, 0o600); err != nil {
		t.Fatal(err)
	}
	blocker := writeScript(t, dir, "block.sh", `read x < `+ctl)
	nt, res := startNotifier(t, Config{ScriptTimeout: time.Minute})
	ev := Event{Name: "VI_1", State: StateMaster, Scripts: &Scripts{Master: &Script{Argv: []string{blocker}}}}
	if !nt.Enqueue(ev) {
		t.Fatal("dropped")
	}
	// Enqueue returned; the script cannot complete until we write to ctl.
	if got := res.len(); got != 0 {
		t.Fatalf("%d scripts finished before the test released them", got)
	}
	// More events for other instances are accepted while the first hangs.
	for i := range 10 {
		if !nt.Enqueue(Event{Name: fmt.Sprint("other", i), State: StateBackup}) {
			t.Fatal("dropped while a script hangs")
		}
	}
	f, err := os.OpenFile(ctl, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "go")
	f.Close()
	waitFor(t, "released script", func() bool { return res.len() == 1 })
	if r := res.get(0); r.Err != nil {
		t.Fatalf("released script: %v", r.Err)
	}
}

func TestScriptFailures(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	hang := writeScript(t, dir, "hang.sh", `sleep 30 & echo $! > `+pidFile+`; wait`)
	fail := writeScript(t, dir, "fail.sh", `exit 3`)
	insecure := writeScript(t, dir, "insecure.sh", `exit 0`)
	if err := os.Chmod(insecure, 0o777); err != nil {
		t.Fatal(err)
	}
	root := os.Geteuid() == 0

	tests := []struct {
		name      string
		script    string
		user      *Credential
		wantErr   error
		wantText  string
		wantCount func(Stats) uint64
	}{
		{"hangs", hang, nil, ErrScriptTimeout, "killed after", func(s Stats) uint64 { return s.ScriptTimeouts }},
		{"exits non-zero", fail, nil, ErrScriptExitStatus, "exited with status 3", func(s Stats) uint64 { return s.ScriptFailures }},
		{"missing", filepath.Join(dir, "nope.sh"), nil, ErrScriptNotFound, "nope.sh", func(s Stats) uint64 { return s.ScriptRefused }},
		// Run as root (uid 0): the security rules apply whoever runs the test.
		{"world-writable", insecure, &Credential{}, ErrScriptInsecure, "enable_script_security", func(s Stats) uint64 { return s.ScriptRefused }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nt, res := startNotifier(t, Config{
				Exec:          &Exec{Security: true, Grace: 100 * time.Millisecond},
				ScriptTimeout: 300 * time.Millisecond,
			})
			nt.Enqueue(Event{Name: "VI_1", State: StateFault, Scripts: &Scripts{Fault: &Script{Argv: []string{tt.script}, User: tt.user}}})
			waitFor(t, "result", func() bool { return res.len() == 1 })
			r := res.get(0)
			if !errors.Is(r.Err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", r.Err, tt.wantErr)
			}
			if !strings.Contains(r.Err.Error(), tt.wantText) {
				t.Errorf("err = %q, want it to mention %q", r.Err, tt.wantText)
			}
			s := nt.Stats()
			if tt.wantCount(s) != 1 || s.ScriptFailures != 1 {
				t.Errorf("stats = %+v", s)
			}
			if tt.name == "world-writable" && root && !strings.Contains(r.Err.Error(), "world-writable") {
				t.Errorf("err = %q, want it to say world-writable", r.Err)
			}
		})
	}

	// The timed-out script's child was killed with its process group.
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	waitFor(t, "child of killed script to die", func() bool { return !alive(pid) })
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestCheck(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("ownership rules need files owned by root")
	}
	dir := t.TempDir()
	ok := writeScript(t, dir, "ok.sh", "exit 0")
	if err := Check(ok); err != nil {
		t.Errorf("Check(secure) = %v", err)
	}
	if err := Check("sh"); err != nil {
		t.Errorf("Check(sh via PATH) = %v", err)
	}
	if err := Check(filepath.Join(dir, "missing")); !errors.Is(err, ErrScriptNotFound) {
		t.Errorf("Check(missing) = %v", err)
	}
	noexec := filepath.Join(dir, "noexec.sh")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	if err := Check(noexec); !errors.Is(err, ErrScriptNotExec) {
		t.Errorf("Check(noexec) = %v", err)
	}
	// A parent directory writable by all (without the sticky bit).
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o777)
	s := writeScript(t, open, "s.sh", "exit 0")
	var ie *InsecureError
	if err := Check(s); !errors.As(err, &ie) || ie.Path != open || ie.Why != "world-writable" {
		t.Errorf("Check(in world-writable dir) = %v, want InsecureError for %s", err, open)
	}
	// The sticky bit makes a world-writable directory acceptable (like /tmp).
	os.Chmod(open, 0o777|os.ModeSticky)
	if err := Check(s); err != nil {
		t.Errorf("Check(in sticky dir) = %v", err)
	}
	// Owned by a non-root user.
	os.Chown(ok, 1000, 1000)
	if err := Check(ok); !errors.As(err, &ie) || !strings.Contains(err.Error(), "non-root uid 1000") {
		t.Errorf("Check(owned by 1000) = %v", err)
	}
	// Without enable_script_security an insecure script runs, with a warning.
	var warned []error
	x := &Exec{Warn: func(err error) { warned = append(warned, err) }}
	os.Chmod(ok, 0o777)
	os.Chown(ok, 0, 0)
	for range 2 {
		if r := x.Run(context.Background(), &Script{Argv: []string{ok}}, time.Minute); r.Err != nil {
			t.Errorf("insecure script without security: %v", r.Err)
		}
	}
	if len(warned) != 1 || !errors.Is(warned[0], ErrScriptInsecure) {
		t.Errorf("warnings = %v, want exactly one insecure warning", warned)
	}
}

func TestRunAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch user")
	}
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755) // t.TempDir's parent is 0700
	os.Chmod(dir, 0o755)
	out := filepath.Join(dir, "id")
	os.WriteFile(out, nil, 0o666)
	os.Chmod(out, 0o666)
	s := writeScript(t, dir, "id.sh", `echo "$(id -u):$(id -g)" > `+out)
	x := &Exec{Security: true}
	r := x.Run(context.Background(), &Script{Argv: []string{s}, User: &Credential{UID: 65534, GID: 65534}}, time.Minute)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	b, _ := os.ReadFile(out)
	if got := strings.TrimSpace(string(b)); got != "65534:65534" {
		t.Errorf("script ran as %q, want 65534:65534", got)
	}
}

func TestFIFOLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "notify.fifo")
	nt, _ := startNotifier(t, Config{FIFOs: []FIFO{{Path: path}}})
	evs := []Event{
		{Kind: KindInstance, Name: "VI_1", State: StateBackup, Priority: 100},
		{Kind: KindInstance, Name: "VI_1", State: StateMaster, Priority: 100},
		{Kind: KindInstance, Name: "VI_1", State: EventMasterRxLowerPri, Priority: 100},
		{Kind: KindInstance, Name: "VI_1", State: EventMasterPriority, Priority: 90},
		{Kind: KindGroup, Name: "G 1", State: StateFault},
		{Kind: KindInstance, Name: "VI_1", State: StateStop, Priority: 90},
	}
	for _, e := range evs {
		nt.Enqueue(e)
	}
	waitFor(t, "fifo created", func() bool {
		fi, err := os.Stat(path)
		return err == nil && fi.Mode()&os.ModeNamedPipe != 0
	})
	f, err := os.Open(path) // the notifier holds it read-write, so this does not block
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{
		`INSTANCE "VI_1" BACKUP 100`,
		`INSTANCE "VI_1" MASTER 100`,
		`INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100`,
		`INSTANCE "VI_1" MASTER_PRIORITY 90`,
		`GROUP "G 1" FAULT 0`,
		`INSTANCE "VI_1" STOP 90`,
	}
	sc := bufio.NewScanner(f)
	var got []string
	for len(got) < len(want) && sc.Scan() {
		got = append(got, sc.Text())
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("fifo lines (-want +got):\n%s", d)
	}
	// The worker counts a line after its write returns, so the reader may
	// see the last line first.
	waitFor(t, "6 fifo lines counted", func() bool { return nt.Stats().FIFOLines == 6 })
	if s := nt.Stats(); s.FIFOLines != 6 || s.FIFOErrors != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestFIFOScript(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vrrp.fifo")
	out := filepath.Join(dir, "out")
	reader := writeScript(t, dir, "reader.sh", `echo "fifo=$2" > `+out+`; while read line; do echo "$line" >> `+out+`; done < "$2"`)
	nt, _ := startNotifier(t, Config{FIFOs: []FIFO{{Path: path, Script: &Script{Argv: []string{reader, "arg"}}}}})
	nt.Enqueue(Event{Name: "VI_1", State: StateMaster, Priority: 150})
	want := "fifo=" + path + "\nINSTANCE \"VI_1\" MASTER 150\n"
	waitFor(t, "fifo script output", func() bool {
		b, _ := os.ReadFile(out)
		return string(b) == want
	})
}

func TestFIFOExistingNonFIFO(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plain")
	os.WriteFile(path, []byte("x"), 0o600)
	if _, err := openOne(FIFO{Path: path}); err == nil || !strings.Contains(err.Error(), "not a fifo") {
		t.Errorf("openOne(regular file) = %v, want 'not a fifo'", err)
	}
}
