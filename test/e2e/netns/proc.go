package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Proc is a background process the harness started inside a namespace. It runs in its own
// process group (whose id is its PID), so stopping it also stops the children it forked
// (keepalived's VRRP child, nginx workers) and nothing else.
type Proc struct {
	Name    string   // label used for the log file name
	Argv    []string // command as given (without the `ip netns exec` wrapper)
	LogPath string   // stdout and stderr, interleaved

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// startIn starts argv inside namespace ns with `ip netns exec` (which execs, so the PID we
// hold is the program's own). The process is not tracked for cleanup; see Node.Start.
func (topo *Topo) startIn(ns, label string, argv ...string) *Proc {
	topo.t.Helper()
	topo.mu.Lock()
	topo.seq++
	logPath := filepath.Join(topo.dir, fmt.Sprintf("%02d-%s.log", topo.seq, label))
	topo.mu.Unlock()
	f, err := os.Create(logPath)
	if err != nil {
		topo.t.Fatalf("e2e: %v", err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		topo.t.Fatalf("e2e: start %v in %s: %v", argv, ns, err)
	}
	p := &Proc{Name: label, Argv: argv, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p
}

// PID is the process id (and process group id) of the started program.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits up to timeout for the process to exit and returns its exit error.
func (p *Proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(timeout):
		return fmt.Errorf("%s (pid %d) still running after %s", p.Name, p.PID(), timeout)
	}
}

// Signal sends sig to the process group of this process (only processes it started).
func (p *Proc) Signal(sig syscall.Signal) error {
	err := syscall.Kill(-p.PID(), sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil // already gone
	}
	return err
}

// Stop sends SIGTERM and waits up to grace for the process to exit; then SIGKILL. Children
// left behind in its process group are killed too. It returns the SIGTERM outcome: nil if
// the process exited on its own within grace.
func (p *Proc) Stop(grace time.Duration) error {
	var err error
	if !p.Exited() {
		_ = p.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			err = fmt.Errorf("%s (pid %d) ignored SIGTERM for %s; killed", p.Name, p.PID(), grace)
			_ = p.Signal(syscall.SIGKILL)
			<-p.done
		}
	}
	_ = p.Signal(syscall.SIGKILL) // stragglers in the group, if any
	return err
}

// Kill sends SIGKILL to the process group (a crash: no cleanup by the program) and waits.
func (p *Proc) Kill() {
	_ = p.Signal(syscall.SIGKILL)
	<-p.done
}

// Output returns everything the process wrote so far.
func (p *Proc) Output() string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.LogPath, err)
	}
	return string(b)
}

func (p *Proc) exitStatus() string {
	if !p.Exited() {
		return "running"
	}
	if p.waitErr == nil {
		return "exited 0"
	}
	return p.waitErr.Error()
}
