package notify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Credential is the user and group a script runs as (script_user, or the
// "[username [groupname]]" suffix of a script keyword), already resolved.
type Credential struct {
	UID uint32
	GID uint32
}

// Script is one configured script: argv as SplitScript returns it, and the
// credential it runs as. A nil User means "as the daemon" (uid and gid of
// this process); the daemon resolves script_user / keepalived_script into
// User when it maps the config.
type Script struct {
	Argv []string
	User *Credential
}

// String renders the script for logs, quoting words that need it.
func (s *Script) String() string {
	if s == nil {
		return "<nil>"
	}
	parts := make([]string, len(s.Argv))
	for i, a := range s.Argv {
		if a == "" || strings.ContainsAny(a, " \t\"'\\") {
			parts[i] = fmt.Sprintf("%q", a)
		} else {
			parts[i] = a
		}
	}
	return strings.Join(parts, " ")
}

// runsAsRoot reports whether the script executes with root user or group
// privilege, which is when keepalived applies its security check.
func (s *Script) runsAsRoot() bool {
	if s.User == nil {
		return os.Geteuid() == 0 || os.Getegid() == 0
	}
	return s.User.UID == 0 || s.User.GID == 0
}

// Errors a script run or check can wrap; match them with errors.Is.
var (
	ErrScriptNotFound   = errors.New("script not found")
	ErrScriptInsecure   = errors.New("script is insecure")
	ErrScriptNotExec    = errors.New("script is not executable")
	ErrScriptTimeout    = errors.New("script timed out")
	ErrScriptExitStatus = errors.New("script exited with non-zero status")
)

// InsecureError says which path component makes a script unsafe to run as
// root: owned by a non-root user, or writable by a non-root group or by
// everyone (keepalived lib/notify.c check_script_secure).
type InsecureError struct {
	Script string      // the script as configured (argv[0])
	Path   string      // the offending file or directory
	Mode   fs.FileMode // its permission bits
	UID    uint32      // its owner
	Why    string      // "owned by uid 1000", "world-writable", ...
}

func (e *InsecureError) Error() string {
	return fmt.Sprintf("unsafe permissions for script %s: %s is %s (mode %04o, owner uid %d); "+
		"a script run as root must not be replaceable by a non-root user", e.Script, e.Path, e.Why, e.Mode.Perm(), e.UID)
}

func (e *InsecureError) Unwrap() error { return ErrScriptInsecure }

// Check is the config-time check for a script that runs as root: it resolves
// path (searching $PATH for a bare name), and returns ErrScriptNotFound
// (wrapped) if it does not exist, an *InsecureError if the file or any
// directory above it is owned by a non-root user or writable by a non-root
// group or by all (directories with the sticky bit are allowed to be
// world-writable, like /tmp), or ErrScriptNotExec if nobody may execute it.
func Check(path string) error {
	return check(&Script{Argv: []string{path}, User: &Credential{}})
}

// CheckScript runs Check's checks for s as the user s runs as: the ownership
// and permission rules apply only when s runs with root user or group
// privilege, exactly as in keepalived.
func CheckScript(s *Script) error { return check(s) }

func check(s *Script) error {
	if s == nil || len(s.Argv) == 0 {
		return ErrEmptyScript
	}
	name := s.Argv[0]
	path := name
	if !strings.Contains(name, "/") {
		p, err := exec.LookPath(name)
		if err != nil {
			return fmt.Errorf("%w: %s not found in $PATH", ErrScriptNotFound, name)
		}
		path = p
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrScriptNotFound, name, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrScriptNotFound, name, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrScriptNotExec, name)
	}
	if s.runsAsRoot() {
		// Check the path as written and the path after symlinks: replacing
		// either a link or its target would let a user run code as root.
		paths := []string{abs}
		if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
			paths = append(paths, real)
		}
		for _, p := range paths {
			if err := checkComponents(name, p); err != nil {
				return err
			}
		}
	}
	if !executableBy(fi, s.User) {
		return fmt.Errorf("%w: %s (mode %04o) for the user it runs as", ErrScriptNotExec, name, fi.Mode().Perm())
	}
	return nil
}

// checkComponents applies keepalived's rule to "/" and every component of
// the absolute path p, using lstat so each link is judged itself.
func checkComponents(script, p string) error {
	comps := []string{"/"}
	cur := "/"
	for _, part := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		comps = append(comps, cur)
	}
	for _, c := range comps {
		fi, err := os.Lstat(c)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrScriptNotFound, script, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		mode := fi.Mode()
		ie := &InsecureError{Script: script, Path: c, Mode: mode, UID: st.Uid}
		if st.Uid != 0 {
			ie.Why = fmt.Sprintf("owned by non-root uid %d", st.Uid)
			return ie
		}
		if mode&fs.ModeSymlink != 0 {
			continue // a root-owned link's own mode bits mean nothing
		}
		if mode.IsDir() && mode&fs.ModeSticky != 0 {
			continue
		}
		if st.Gid != 0 && mode&0o020 != 0 {
			ie.Why = fmt.Sprintf("writable by non-root group gid %d", st.Gid)
			return ie
		}
		if mode&0o002 != 0 {
			ie.Why = "world-writable"
			return ie
		}
	}
	return nil
}

func executableBy(fi fs.FileInfo, u *Credential) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	perm := fi.Mode().Perm()
	if !ok {
		return perm&0o111 != 0
	}
	uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	if u != nil {
		uid, gid = u.UID, u.GID
	}
	if uid == 0 {
		return perm&0o111 != 0
	}
	switch {
	case uid == st.Uid:
		return perm&0o100 != 0
	case gid == st.Gid:
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

// Result is the outcome of one script execution.
type Result struct {
	Script   *Script
	Args     []string // the full argv that was (or would have been) executed
	ExitCode int      // -1 if it did not exit normally
	Duration time.Duration
	Err      error // nil on exit status 0; wraps one of the Err* values otherwise
}

// Exec runs scripts synchronously. It is safe for concurrent use; callers
// (the notify workers, the track runners) call it on their own goroutines.
type Exec struct {
	// Security is enable_script_security: refuse a script that runs as root
	// if it, or a directory above it, can be modified by a non-root user.
	// Without it such a script runs, and Warn is told (once per path).
	Security bool
	// Grace is how long a timed-out script's process group gets between
	// SIGTERM and SIGKILL. Zero means 2 s, as keepalived.
	Grace time.Duration
	// Warn, if set, receives the insecure-but-allowed warning, once per
	// script path.
	Warn func(err error)

	warned sync.Map // argv[0] -> struct{}
}

// Run executes s with extra arguments appended, waits at most timeout (zero
// means no limit), and returns the result. The script runs directly (never
// through a shell) in its own process group, with SIGTERM as its parent-death
// signal; on timeout the whole group gets SIGTERM, then SIGKILL after Grace.
// Standard input, output and error are /dev/null, as in keepalived.
func (x *Exec) Run(ctx context.Context, s *Script, timeout time.Duration, extra ...string) Result {
	start := time.Now()
	res := Result{Script: s, ExitCode: -1}
	if s == nil || len(s.Argv) == 0 {
		res.Err = ErrEmptyScript
		return res
	}
	res.Args = append(append([]string(nil), s.Argv...), extra...)
	if err := check(s); err != nil {
		var ie *InsecureError
		if errors.As(err, &ie) && !x.Security {
			if _, seen := x.warned.LoadOrStore(s.Argv[0], struct{}{}); !seen && x.Warn != nil {
				x.Warn(err)
			}
		} else {
			if errors.As(err, &ie) {
				err = fmt.Errorf("refusing to run script (enable_script_security): %w", err)
			}
			res.Err = err
			return res
		}
	}
	cmd := exec.Command(res.Args[0], res.Args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if s.User != nil && (uint32(os.Geteuid()) != s.User.UID || uint32(os.Getegid()) != s.User.GID) {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: s.User.UID, Gid: s.User.GID, Groups: []uint32{}}
	}
	if err := cmd.Start(); err != nil {
		res.Err = fmt.Errorf("%w: %s: %v", ErrScriptNotFound, s.Argv[0], err)
		if !errors.Is(err, fs.ErrNotExist) {
			res.Err = fmt.Errorf("starting script %s: %w", s.Argv[0], err)
		}
		return res
	}
	pid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	var werr error
	killed := ""
	select {
	case werr = <-done:
	case <-timer:
		killed = fmt.Sprintf("after %v", timeout)
	case <-ctx.Done():
		killed = "on shutdown"
	}
	if killed != "" {
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		grace := x.Grace
		if grace <= 0 {
			grace = 2 * time.Second
		}
		g := time.NewTimer(grace)
		select {
		case werr = <-done:
			g.Stop()
		case <-g.C:
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			werr = <-done
		}
		// Whatever the leader did, leave no child of a killed script behind.
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = werr
		res.Duration = time.Since(start)
		res.Err = fmt.Errorf("%w: %s killed %s", ErrScriptTimeout, s.Argv[0], killed)
		return res
	}
	res.Duration = time.Since(start)
	if werr == nil {
		res.ExitCode = 0
		return res
	}
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		res.ExitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Err = fmt.Errorf("%w: %s killed by signal %v", ErrScriptExitStatus, s.Argv[0], ws.Signal())
			return res
		}
		res.Err = fmt.Errorf("%w: %s exited with status %d", ErrScriptExitStatus, s.Argv[0], res.ExitCode)
		return res
	}
	res.Err = fmt.Errorf("waiting for script %s: %w", s.Argv[0], werr)
	return res
}
