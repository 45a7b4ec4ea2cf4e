// Package misccheck implements keepalived's MISC_CHECK (check_misc.c): run
// misc_path as an argv (never through a shell), bounded by misc_timeout.
//
// Exit 0 is success. With misc_dynamic, exit 2..255 is also success and sets
// the real server's weight to status-2; exit 1 (or any other status without
// misc_dynamic) is failure. On timeout the process group gets SIGTERM, then
// SIGKILL, and the check fails.
package misccheck

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"gokeepalived/internal/check/probe"
)

// KillGrace is how long a timed-out script has between SIGTERM and SIGKILL.
const KillGrace = time.Second

// Config is a MISC_CHECK block.
type Config struct {
	// Argv is misc_path split into words (see SplitCommand).
	Argv []string
	// Timeout is misc_timeout; the caller passes delay_loop when unset.
	Timeout time.Duration
	// Dynamic is misc_dynamic.
	Dynamic bool
	// Credential is `user`, resolved by the caller; nil = our own identity.
	Credential *syscall.Credential
	// Env, when non-nil, replaces the environment.
	Env []string
}

// Checker is a MISC_CHECK.
type Checker struct{ cfg Config }

// New validates cfg. It starts nothing.
func New(cfg Config) (*Checker, error) {
	if len(cfg.Argv) == 0 || cfg.Argv[0] == "" {
		return nil, errors.New("MISC_CHECK: misc_path is empty")
	}
	if cfg.Timeout <= 0 {
		return nil, errors.New("MISC_CHECK: timeout must be positive (misc_timeout or delay_loop)")
	}
	return &Checker{cfg: cfg}, nil
}

// SplitCommand splits a misc_path/notify value into argv the way keepalived
// does: words separated by blanks, where single or double quotes group
// blanks into a word and a backslash escapes the next character. No shell
// expansion of any kind happens.
func SplitCommand(s string) ([]string, error) {
	var (
		argv  []string
		cur   strings.Builder
		inTok bool
		quote byte
	)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\' && quote != '\'':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("command %q: trailing backslash", s)
			}
			i++
			cur.WriteByte(s[i])
			inTok = true
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				cur.WriteByte(ch)
			}
		case ch == '"' || ch == '\'':
			quote = ch
			inTok = true
		case ch == ' ' || ch == '\t':
			if inTok {
				argv = append(argv, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteByte(ch)
			inTok = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("command %q: unterminated %c quote", s, quote)
	}
	if inTok {
		argv = append(argv, cur.String())
	}
	return argv, nil
}

// Check runs the program once.
func (c *Checker) Check(ctx context.Context) probe.Result {
	name := c.cfg.Argv[0]
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, c.cfg.Argv[1:]...)
	cmd.Env = c.cfg.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.cfg.Credential}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = KillGrace
	err := cmd.Run()
	if cmd.Process != nil {
		// Reap anything the script left behind in its group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return probe.Failf("misc_path %s: timed out after %s", name, c.cfg.Timeout)
		}
		return probe.Failf("misc_path %s: %s", name, ctx.Err())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return probe.Okf("misc_path %s: exit 0", name)
	case errors.As(err, &ee):
		ws, _ := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return probe.Failf("misc_path %s: killed by signal %s", name, ws.Signal())
		}
		code := ee.ExitCode()
		if c.cfg.Dynamic && code >= 2 && code <= 255 {
			w := code - 2
			r := probe.Okf("misc_path %s: exit %d, weight %d", name, code, w)
			r.Weight = &w
			return r
		}
		return probe.Failf("misc_path %s: exited with status %d", name, code)
	default:
		return probe.Failf("misc_path %s: %s", name, err)
	}
}
