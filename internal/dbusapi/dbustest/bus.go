// Package dbustest runs a private dbus-daemon for tests: a system-type
// bus on a socket in a temporary directory, with a policy that lets any
// local user own any name (the DBus tests need no real system bus and
// never touch it).
package dbustest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Need skips t when a binary is missing, or fails it when the run
// requires every dependency (GOKEEPALIVED_REQUIRE_ROOT=1, as in CI).
func Need(t testing.TB, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("GOKEEPALIVED_REQUIRE_ROOT") == "1" {
				t.Fatalf("%s not installed (scripts/deps.sh installs dbus-daemon and systemd's busctl): %v", b, err)
			}
			t.Skipf("%s not installed (scripts/deps.sh installs it): %v", b, err)
		}
	}
}

// Bus is a private dbus-daemon.
type Bus struct {
	// Address is the bus address, for DBUS_SYSTEM_BUS_ADDRESS or Connect.
	Address string
	cmd     *exec.Cmd
	dir     string
}

const policy = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
`

// Start runs a private bus until t ends (the daemon is killed by its PID).
func Start(t testing.TB) *Bus {
	t.Helper()
	Need(t, "dbus-daemon")
	dir, err := os.MkdirTemp("", "gk-dbus-")
	if err != nil {
		t.Fatal(err)
	}
	b := &Bus{dir: dir}
	sock := filepath.Join(dir, "bus.sock")
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(policy, sock)), 0o644); err != nil {
		t.Fatal(err)
	}
	b.cmd = exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address")
	out, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	b.cmd.Stderr = os.Stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			t.Fatal("dbus-daemon printed no address")
		}
		b.Address = a
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon did not start within 10s")
	}
	return b
}

// Stop kills the bus daemon and removes its directory (idempotent).
func (b *Bus) Stop() {
	if b.cmd != nil && b.cmd.Process != nil {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		_, _ = b.cmd.Process.Wait()
		b.cmd = nil
	}
	os.RemoveAll(b.dir)
}

// Connect opens a client connection to the bus, closed when t ends.
func (b *Bus) Connect(t testing.TB) *dbus.Conn {
	t.Helper()
	c, err := dbus.Connect(b.Address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Busctl runs busctl against the bus and returns its output.
func (b *Bus) Busctl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "busctl", append([]string{"--address=" + b.Address, "--no-pager"}, args...)...).CombinedOutput()
	return string(out), err
}

// Signals subscribes c to every signal sent from an object path under
// root (by any sender: keepalived sends VrrpStarted before it owns its
// name) and returns the channel they arrive on.
func Signals(t testing.TB, c *dbus.Conn, root string) chan *dbus.Signal {
	t.Helper()
	if err := c.AddMatchSignal(dbus.WithMatchPathNamespace(dbus.ObjectPath(root))); err != nil {
		t.Fatal(err)
	}
	ch := make(chan *dbus.Signal, 256)
	c.Signal(ch)
	return ch
}
