// Package nsexec re-executes the running program inside a named network
// namespace (keepalived's net_namespace and -s/--namespace). A Go program
// has many threads, and setns changes only the calling one; execve from
// that thread starts the new program entirely in its namespace.
package nsexec

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// Dir is where `ip netns add` names namespaces (keepalived opens
// /var/run/netns/NAME too).
const Dir = "/var/run/netns"

// Exec enters the network namespace name and executes this program again
// with argv (argv[0] included) and env. It returns only on failure.
func Exec(name string, argv, env []string) error {
	if name == "" || name != filepath.Base(name) {
		return fmt.Errorf("network namespace %q: not a namespace name", name)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fd, err := unix.Open(filepath.Join(Dir, name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("network namespace %s: %w (create it with: ip netns add %s)", name, err, name)
	}
	defer unix.Close(fd)
	// This thread enters the namespace and never leaves it: execve
	// replaces the process from here, or, on failure, the thread dies
	// with its goroutine instead of serving others.
	runtime.LockOSThread()
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("network namespace %s: setns: %w", name, err)
	}
	return unix.Exec(self, argv, env)
}
