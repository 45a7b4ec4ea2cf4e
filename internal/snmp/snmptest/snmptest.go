// Package snmptest runs net-snmp's snmpd and snmptrapd for tests: a
// private configuration, an AgentX unix socket in a temporary directory,
// SNMP and notifications on loopback UDP ports only, and numeric output
// from the command-line tools.
package snmptest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/testutil/poll"
)

// Need skips the test when one of bins is not installed.
func Need(t testing.TB, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed (scripts/deps.sh installs snmpd, snmp and snmptrapd): %v", b, err)
		}
	}
}

// FreeUDPPort returns a loopback UDP port that was free a moment ago.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// env keeps net-snmp's persistent files in dir and loads no MIB (every OID
// is numeric).
func env(dir string) []string {
	_ = os.MkdirAll(filepath.Join(dir, "mibs"), 0o755)
	return append(os.Environ(), "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "persist"), "MIBS=", "MIBDIRS="+filepath.Join(dir, "mibs"))
}

// Snmpd is a master agent run by a test.
type Snmpd struct {
	t        testing.TB
	dir      string
	Socket   string // AgentX unix socket
	Addr     string // udp:127.0.0.1:PORT, for the tools
	trapAddr string
	cmd      *exec.Cmd
}

// StartSnmpd starts snmpd; trapAddr (udp:127.0.0.1:PORT), when set,
// receives its SNMPv2 notifications. It stops at the test's cleanup.
func StartSnmpd(t testing.TB, trapAddr string) *Snmpd {
	t.Helper()
	Need(t, "snmpd", "snmpwalk", "snmpget", "snmpbulkwalk")
	// A short directory: a unix socket path has at most 107 bytes.
	dir, err := os.MkdirTemp("", "snmpd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Snmpd{t: t, dir: dir, Socket: filepath.Join(dir, "agentx.sock"),
		Addr: fmt.Sprintf("udp:127.0.0.1:%d", FreeUDPPort(t)), trapAddr: trapAddr}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start (re)starts snmpd and waits for its AgentX socket.
func (s *Snmpd) Start() {
	t := s.t
	t.Helper()
	conf := fmt.Sprintf("master agentx\nagentXSocket unix:%s\nagentXPerms 0600 0700\nagentaddress %s\nrocommunity public 127.0.0.1\n", s.Socket, s.Addr)
	if s.trapAddr != "" {
		conf += fmt.Sprintf("trap2sink %s public\n", s.trapAddr)
	}
	path := filepath.Join(s.dir, "snmpd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.OpenFile(filepath.Join(s.dir, "snmpd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	// -f foreground, -C only our configuration, -Lo log to stdout.
	s.cmd = exec.Command("snmpd", "-f", "-C", "-c", path, "-Lo", "-p", filepath.Join(s.dir, "snmpd.pid"))
	s.cmd.Env = env(s.dir)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		_, err := os.Stat(s.Socket)
		return err == nil, "snmpd's AgentX socket " + s.Socket + " to appear: " + s.LogTail()
	})
}

// Stop stops snmpd (SIGTERM, then SIGKILL after 10 s).
func (s *Snmpd) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
	_ = os.Remove(s.Socket)
}

// LogTail is the end of snmpd's log, for failure messages.
func (s *Snmpd) LogTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "snmpd.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Tool runs one of net-snmp's tools (snmpwalk, snmpget, ...) against the
// agent with numeric OIDs and no enum labels.
func (s *Snmpd) Tool(name string, args ...string) (string, error) {
	full := append([]string{"-v2c", "-c", "public", "-On", "-Oe", "-t", "3", "-r", "2", s.Addr}, args...)
	cmd := exec.Command(name, full...)
	cmd.Env = env(s.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Walk is snmpwalk of oid as OID -> "TYPE: value" (the tool's own text).
func (s *Snmpd) Walk(oid string) (map[string]string, error) {
	out, err := s.Tool("snmpwalk", oid)
	if err != nil {
		return nil, fmt.Errorf("snmpwalk %s: %w: %s", oid, err, out)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(l, " = "); ok {
			m[k] = v
		}
	}
	return m, nil
}

// Trapd is a snmptrapd run by a test; each notification is one line of its
// log: "TRAP " and the varbinds separated by "|".
type Trapd struct {
	Addr string // udp:127.0.0.1:PORT
	log  string
}

// StartTrapd starts snmptrapd, accepting every notification; it stops at
// the test's cleanup.
func StartTrapd(t testing.TB) *Trapd {
	t.Helper()
	Need(t, "snmptrapd")
	dir := t.TempDir()
	tr := &Trapd{Addr: fmt.Sprintf("udp:127.0.0.1:%d", FreeUDPPort(t)), log: filepath.Join(dir, "traps.log")}
	conf := filepath.Join(dir, "snmptrapd.conf")
	if err := os.WriteFile(conf, []byte("disableAuthorization yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("snmptrapd", "-f", "-C", "-c", conf, "-On", "-Lf", tr.log, "-F", "TRAP %V|%v\n", tr.Addr)
	cmd.Env = env(dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return tr
}

// Traps returns the notifications received so far, one line each: the
// varbinds after sysUpTime.0 (which snmpd adds, and which changes).
func (tr *Trapd) Traps() []string {
	b, _ := os.ReadFile(tr.log)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "TRAP "); ok {
			if strings.HasPrefix(rest, ".1.3.6.1.2.1.1.3.0 = ") {
				_, rest, _ = strings.Cut(rest, "|")
			}
			out = append(out, rest)
		}
	}
	return out
}
