// Package nsexec re-executes the running program inside a named network
// namespace (keepalived's net_namespace and -s/--namespace). A Go program
// has many threads, and setns changes only the calling one; execve from
// that thread starts the new program entirely in its namespace.
package nsexec

import (
	"errors"
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

// Path is the file of a network namespace as keepalived opens it for
// net_namespace_ipvs: /var/run/netns/NAME, or, for "", the default
// namespace (pid 1's).
func Path(name string) string {
	if name == "" {
		return "/proc/1/ns/net"
	}
	return filepath.Join(Dir, name)
}

// Do runs fn on an OS thread of its own switched into the network
// namespace fd, so that the sockets fn opens live there (a socket stays in
// the namespace it was created in). The thread switches back afterwards;
// if it cannot, it is retired with its goroutine rather than reused.
func Do(fd int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("network namespace: open the current one: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("network namespace: setns: %w", err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("network namespace: switching back: %w", err))
			return // the thread stays locked and ends with this goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
