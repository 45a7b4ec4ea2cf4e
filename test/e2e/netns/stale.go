package netns

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var staleOnce sync.Once

// RemoveStale deletes namespaces named "gke2e-<pid>x..." whose creating test process is
// gone (a crashed or killed run), after killing the processes still running inside them
// (processes an earlier run of this harness started). Namespaces of live runs are left alone.
// New calls it once per test binary; logf receives one line per removed namespace.
func RemoveStale(logf func(format string, args ...any)) {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, NamePrefix) || !isStale(name) {
			continue
		}
		out, _ := run(context.Background(), nil, "ip", "netns", "pids", name)
		for _, f := range strings.Fields(out) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if _, err := run(context.Background(), nil, "ip", "netns", "del", name); err != nil {
			logf("e2e: could not remove stale namespace %s: %v", name, err)
			continue
		}
		logf("e2e: removed stale namespace %s (left by a run that no longer exists)", name)
	}
}

// isStale reports whether the process that created namespace name is gone. Names that do
// not carry a creator PID are stale by definition.
func isStale(name string) bool {
	rest := strings.TrimPrefix(name, NamePrefix)
	i := strings.IndexByte(rest, 'x')
	if i <= 0 {
		return true
	}
	pid, err := strconv.Atoi(rest[:i])
	if err != nil || pid <= 0 {
		return true
	}
	if pid == os.Getpid() {
		return false
	}
	proc := "/proc/" + strconv.Itoa(pid)
	if status, err := os.ReadFile(proc + "/status"); err != nil ||
		strings.Contains(string(status), "\nState:\tZ") || strings.Contains(string(status), "\nState:\tX") {
		return true // gone, or killed and not yet reaped
	}
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		return true
	}
	// A live PID that was reused by something other than a Go test binary is not our creator.
	argv0 := string(cmdline)
	if j := strings.IndexByte(argv0, 0); j >= 0 {
		argv0 = argv0[:j]
	}
	return !strings.HasSuffix(argv0, ".test")
}
