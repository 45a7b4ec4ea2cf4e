// Package pidfile writes and removes the daemon's PID files, refusing one
// that a live process still owns.
package pidfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Write writes our PID to path, refusing when another live process
// already owns it (keepalived does the same check). A stale file is replaced.
func Write(path string) error {
	if path == "" {
		return nil
	}
	if b, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && pid != os.Getpid() {
			if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
				return fmt.Errorf("pid file %s: process %d is still running (another gokeepalived or keepalived?)", path, pid)
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	return os.Rename(tmp, path)
}

// Remove removes path if it still holds our PID.
func Remove(path string) {
	if path == "" {
		return
	}
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
		_ = os.Remove(path)
	}
}
