// Package kmod loads kernel modules (modprobe). Loading can take seconds:
// callers run it on their own goroutine, never on a real-time loop.
package kmod

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Timeout bounds one Load.
const Timeout = 5 * time.Second

// Load runs `modprobe -q name`, bounded by Timeout and ctx. Its error
// carries modprobe's output.
func Load(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "modprobe", "-q", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("modprobe %s: %v %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
