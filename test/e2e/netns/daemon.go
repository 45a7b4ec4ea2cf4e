package netns

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
)

// Daemon is a VRRP daemon running on a node: real keepalived or gokeepalived. Scenarios
// take a DaemonFactory per node, so the same scenario runs either, or a mix (interop).
type Daemon interface {
	// Start writes the config and starts the daemon in the node.
	Start() error
	// Stop shuts it down gracefully (SIGTERM: a master sends priority 0 and drops its VIPs)
	// and waits; after a grace period it is killed and an error returned.
	Stop() error
	// Kill ends it with SIGKILL: no priority 0 advert, VIPs stay on the interface (a crash).
	Kill()
	// Logs returns everything the daemon printed so far.
	Logs() string
}

// DaemonFactory makes a daemon for a node from a keepalived.conf text.
type DaemonFactory func(n *Node, config string) Daemon

// Keepalived is the DaemonFactory for real keepalived.
func Keepalived(n *Node, config string) Daemon {
	return &KeepalivedRunner{Node: n, Config: config}
}

// Gokeepalived is the DaemonFactory for our daemon (built once per test binary, see
// GokeepalivedBinary).
func Gokeepalived(n *Node, config string) Daemon {
	return &GokeepalivedRunner{KeepalivedRunner: KeepalivedRunner{Node: n, Config: config}}
}

// Factories maps the names used in GOKEEPALIVED_E2E_DAEMONS to factories.
var Factories = map[string]DaemonFactory{"keepalived": Keepalived, "gokeepalived": Gokeepalived}

// KeepalivedBin is real keepalived's path.
const KeepalivedBin = "/usr/sbin/keepalived"

// KeepalivedRunner runs real keepalived in a node:
//
//	keepalived -P -n -l -D -f <dir>/keepalived.conf -p <dir>/keepalived.pid -r <dir>/vrrp.pid -c ... -b ...
//
// -P because this kernel has no IPVS (the checker child would fail); no --namespace because
// the process already runs inside `ip netns exec`. Pid files live in a directory per node,
// so two keepalived processes never see each other's pid file.
type KeepalivedRunner struct {
	Node   *Node
	Config string
	Bin    string   // default KeepalivedBin
	Args   []string // extra arguments, appended
	// AllProcesses drops -P: the checkers and the load balancer run as well
	// (virtual_server tests with gokeepalived; keepalived's checker needs IPVS).
	AllProcesses bool

	Dir  string // set by Start: config, pid files
	Proc *Proc  // set by Start

	extra []string // runner-specific arguments (gokeepalived's control socket)
}

func (r *KeepalivedRunner) argv(bin string) []string {
	argv := []string{bin, "-P", "-n", "-l", "-D"}
	if r.AllProcesses {
		argv = []string{bin, "-n", "-l", "-D"}
	}
	return append(append(argv,
		"-f", filepath.Join(r.Dir, "keepalived.conf"),
		"-p", filepath.Join(r.Dir, "keepalived.pid"),
		"-r", filepath.Join(r.Dir, "vrrp.pid"),
		// keepalived refuses to start ("daemon is already running") while a
		// live pid is in any pid file of its enabled children: with the
		// defaults, another test's keepalived with a BFD child (-P leaves
		// BFD on) blocked every keepalived started meanwhile.
		"-c", filepath.Join(r.Dir, "checkers.pid"),
		"-b", filepath.Join(r.Dir, "bfd.pid")), append(r.extra, r.Args...)...)
}

// Start implements Daemon.
func (r *KeepalivedRunner) Start() error {
	bin := r.Bin
	if bin == "" {
		bin = KeepalivedBin
	}
	return r.start("keepalived", bin)
}

func (r *KeepalivedRunner) start(what, bin string) error {
	if r.Proc != nil && !r.Proc.Exited() {
		return fmt.Errorf("%s on %s already running (pid %d)", what, r.Node.Name, r.Proc.PID())
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s binary: %w", what, err)
	}
	r.Dir = r.Node.Dir(what)
	if err := os.WriteFile(filepath.Join(r.Dir, "keepalived.conf"), []byte(r.Config), 0o644); err != nil {
		return err
	}
	r.Proc = r.Node.Start(r.argv(bin)...)
	return nil
}

// Stop implements Daemon.
func (r *KeepalivedRunner) Stop() error {
	if r.Proc == nil {
		return errors.New("not started")
	}
	return r.Proc.Stop(10 * time.Second)
}

// Signal sends sig to the running daemon's process group (for example SIGHUP: reload).
func (r *KeepalivedRunner) Signal(sig syscall.Signal) error {
	if r.Proc == nil || r.Proc.Exited() {
		return errors.New("not running")
	}
	return r.Proc.Signal(sig)
}

// Rewrite replaces the configuration file of the running daemon (before a SIGHUP reload).
func (r *KeepalivedRunner) Rewrite(config string) error {
	if r.Dir == "" {
		return errors.New("not started")
	}
	r.Config = config
	return os.WriteFile(filepath.Join(r.Dir, "keepalived.conf"), []byte(config), 0o644)
}

// Kill implements Daemon.
func (r *KeepalivedRunner) Kill() {
	if r.Proc != nil {
		r.Proc.Kill()
	}
}

// Logs implements Daemon.
func (r *KeepalivedRunner) Logs() string {
	if r.Proc == nil {
		return ""
	}
	return r.Proc.Output()
}

// GokeepalivedRunner runs our daemon with exactly keepalived's flags (it is a drop-in
// replacement), plus --control-socket with a socket of its own, so the test can read the
// daemon's status (Status). The binary is $GOKEEPALIVED_BIN, or built from
// ./cmd/gokeepalived once per test binary.
type GokeepalivedRunner struct {
	KeepalivedRunner
	// Socket is the control socket, set by the first Start. It lives in a short directory
	// of its own (a unix socket path has at most 107 bytes; test scratch paths are longer),
	// removed at cleanup. The socket is a file, so the test reaches it from the host
	// namespace with ctl.Call.
	Socket string
}

// Start implements Daemon.
func (r *GokeepalivedRunner) Start() error {
	bin := r.Bin
	if bin == "" {
		var err error
		if bin, err = GokeepalivedBinary(); err != nil {
			return err
		}
	}
	if r.Socket == "" {
		dir, err := os.MkdirTemp("", "gkctl-")
		if err != nil {
			return err
		}
		r.Node.topo.t.Cleanup(func() { os.RemoveAll(dir) })
		r.Socket = filepath.Join(dir, r.Node.Name+".sock")
	}
	r.extra = []string{"--control-socket", r.Socket}
	return r.start("gokeepalived", bin)
}

// TryStatus asks the daemon for its status over the control socket (one attempt, 2 s
// timeout). Use it inside Eventually: right after Start the socket may not exist yet.
func (r *GokeepalivedRunner) TryStatus() (*ctl.Status, error) {
	if r.Socket == "" {
		return nil, errors.New("gokeepalived not started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := ctl.Call(ctx, r.Socket, ctl.Request{Cmd: ctl.CmdStatus})
	if err != nil {
		return nil, err
	}
	if resp.Status == nil {
		return nil, fmt.Errorf("status from %s: empty answer", r.Socket)
	}
	return resp.Status, nil
}

// Status is TryStatus that fails the test on error (`gokeepalivedctl --socket S status --json`).
func (r *GokeepalivedRunner) Status(t testing.TB) ctl.Status {
	t.Helper()
	st, err := r.TryStatus()
	if err != nil {
		t.Fatalf("e2e: status of gokeepalived on %s: %v\n%s", r.Node.Name, err, tail(r.Logs(), 15))
	}
	return *st
}

// Instance returns the status of one vrrp_instance by name (ok false if the daemon is not
// answering yet or has no such instance); for Eventually conditions.
func (r *GokeepalivedRunner) Instance(name string) (ctl.InstanceStatus, bool) {
	st, err := r.TryStatus()
	if err != nil {
		return ctl.InstanceStatus{}, false
	}
	for _, in := range st.Instances {
		if in.Name == name {
			return in, true
		}
	}
	return ctl.InstanceStatus{}, false
}

// EnvGokeepalivedBin overrides the gokeepalived binary used by GokeepalivedRunner.
const EnvGokeepalivedBin = "GOKEEPALIVED_BIN"

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// GokeepalivedBinary returns $GOKEEPALIVED_BIN if set, otherwise builds gokeepalived/cmd/gokeepalived
// (once per test binary) into a temporary directory that Main removes.
func GokeepalivedBinary() (string, error) {
	if bin := os.Getenv(EnvGokeepalivedBin); bin != "" {
		return bin, nil
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "gke2e-bin-")
		if build.err != nil {
			return
		}
		gomod, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil || len(strings.TrimSpace(string(gomod))) == 0 {
			build.err = fmt.Errorf("go env GOMOD: cannot find the module root to build gokeepalived (%v); set %s", err, EnvGokeepalivedBin)
			return
		}
		bin := filepath.Join(build.dir, "gokeepalived")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/gokeepalived")
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/gokeepalived (in %s): %v: %s", cmd.Dir, err, strings.TrimSpace(string(out)))
			return
		}
		build.bin = bin
	})
	return build.bin, build.err
}

// Main is for TestMain in e2e packages: it runs the tests, then removes the gokeepalived
// build directory. Use as `func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }`.
func Main(m interface{ Run() int }) int {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	return code
}

// DaemonsFromEnv returns the daemon names listed in $GOKEEPALIVED_E2E_DAEMONS
// (comma-separated), default "gokeepalived". Unknown names are returned as an error.
func DaemonsFromEnv() ([]string, error) {
	v := os.Getenv("GOKEEPALIVED_E2E_DAEMONS")
	if v == "" {
		return []string{"gokeepalived"}, nil
	}
	var names []string
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		if _, ok := Factories[name]; !ok {
			return nil, fmt.Errorf("GOKEEPALIVED_E2E_DAEMONS: unknown daemon %q (want keepalived or gokeepalived)", name)
		}
		names = append(names, name)
	}
	return names, nil
}
