package snmp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/testutil/poll"
	"gokeepalived/internal/vrrp"
)

// snmpd is a net-snmp master agent run by a test: its own configuration, a
// private AgentX socket in a temporary directory, SNMP on a loopback UDP
// port, notifications (when trapAddr is set) to a receiver on loopback.
type snmpd struct {
	t        *testing.T
	dir      string
	Socket   string // AgentX unix socket
	Addr     string // udp:127.0.0.1:port for the snmp tools
	trapAddr string
	cmd      *exec.Cmd
}

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func need(t *testing.T, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed (scripts/deps.sh installs snmpd and snmp): %v", b, err)
		}
	}
}

// snmpEnv keeps net-snmp's persistent files in dir and loads no MIB (every
// OID is numeric).
func snmpEnv(dir string) []string {
	return append(os.Environ(), "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "persist"), "MIBS=", "MIBDIRS="+filepath.Join(dir, "mibs"))
}

func startSnmpd(t *testing.T, trapAddr string) *snmpd {
	t.Helper()
	need(t, "snmpd", "snmpwalk", "snmpget", "snmpbulkwalk")
	dir := t.TempDir()
	_ = os.Mkdir(filepath.Join(dir, "mibs"), 0o755)
	s := &snmpd{t: t, dir: dir, Socket: filepath.Join(dir, "agentx.sock"),
		Addr: fmt.Sprintf("udp:127.0.0.1:%d", freeUDPPort(t)), trapAddr: trapAddr}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *snmpd) start() {
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
	s.cmd.Env = snmpEnv(s.dir)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		_, err := os.Stat(s.Socket)
		return err == nil, "snmpd's AgentX socket " + s.Socket + " to appear: " + s.logTail()
	})
}

func (s *snmpd) stop() {
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

func (s *snmpd) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "snmpd.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// tool runs one of net-snmp's command-line tools against the agent, with
// numeric OIDs and no enum labels.
func (s *snmpd) tool(name string, args ...string) (string, error) {
	full := append([]string{"-v2c", "-c", "public", "-On", "-Oe", "-t", "3", "-r", "2", s.Addr}, args...)
	cmd := exec.Command(name, full...)
	cmd.Env = snmpEnv(s.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// fixed is a status snapshot of two instances: a VRRPv2 master and a
// VRRPv3 backup (interval in centiseconds, accept shown), one of them
// without an interface.
func fixed() *ctl.Snapshot {
	return &ctl.Snapshot{PID: 1, Instances: []*ctl.InstanceSnapshot{
		{Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: vrrp.StateMaster, BasePriority: 150,
			EffectivePriority: 140, AdvertInterval: time.Second, VIPsHeld: true, PreemptDelay: 5 * time.Second,
			Master: netip.MustParseAddr("192.0.2.1"), Counters: &ctl.InstanceCounters{}},
		{Name: "VI_6", Interface: "", VRID: 7, IPv6: true, Version: 3, State: vrrp.StateBackup, BasePriority: 100,
			EffectivePriority: 100, AdvertInterval: 250 * time.Millisecond, Accept: true, NoPreempt: true,
			Counters: &ctl.InstanceCounters{}},
	}}
}

const wantWalk = `.1.3.6.1.4.1.9586.100.5.1.1.0 = STRING: "gokeepalived test"
.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "lb-1"
.1.3.6.1.4.1.9586.100.5.2.3.1.2.1 = STRING: "VI_1"
.1.3.6.1.4.1.9586.100.5.2.3.1.2.2 = STRING: "VI_6"
.1.3.6.1.4.1.9586.100.5.2.3.1.3.1 = Gauge32: 51
.1.3.6.1.4.1.9586.100.5.2.3.1.3.2 = Gauge32: 7
.1.3.6.1.4.1.9586.100.5.2.3.1.4.1 = INTEGER: 2
.1.3.6.1.4.1.9586.100.5.2.3.1.4.2 = INTEGER: 1
.1.3.6.1.4.1.9586.100.5.2.3.1.5.1 = INTEGER: 2
.1.3.6.1.4.1.9586.100.5.2.3.1.5.2 = INTEGER: 0
.1.3.6.1.4.1.9586.100.5.2.3.1.7.1 = INTEGER: 150
.1.3.6.1.4.1.9586.100.5.2.3.1.7.2 = INTEGER: 100
.1.3.6.1.4.1.9586.100.5.2.3.1.8.1 = INTEGER: 140
.1.3.6.1.4.1.9586.100.5.2.3.1.8.2 = INTEGER: 100
.1.3.6.1.4.1.9586.100.5.2.3.1.9.1 = INTEGER: 1
.1.3.6.1.4.1.9586.100.5.2.3.1.9.2 = INTEGER: 2
.1.3.6.1.4.1.9586.100.5.2.3.1.10.1 = STRING: "eth0"
.1.3.6.1.4.1.9586.100.5.2.3.1.12.1 = Gauge32: 1
.1.3.6.1.4.1.9586.100.5.2.3.1.12.2 = Gauge32: 25
.1.3.6.1.4.1.9586.100.5.2.3.1.13.1 = INTEGER: 1
.1.3.6.1.4.1.9586.100.5.2.3.1.13.2 = INTEGER: 2
.1.3.6.1.4.1.9586.100.5.2.3.1.14.1 = Gauge32: 5
.1.3.6.1.4.1.9586.100.5.2.3.1.14.2 = Gauge32: 0
.1.3.6.1.4.1.9586.100.5.2.3.1.27.1 = INTEGER: 0
.1.3.6.1.4.1.9586.100.5.2.3.1.27.2 = INTEGER: 1
.1.3.6.1.4.1.9586.100.5.2.3.1.30.1 = INTEGER: 2
.1.3.6.1.4.1.9586.100.5.2.3.1.30.2 = INTEGER: 3
`

func testSettings() Settings {
	return Settings{Version: "gokeepalived test", RouterID: "lb-1", InitialStates: map[string]vrrp.State{"VI_1": vrrp.StateMaster}}
}

func runAgent(t *testing.T, opts Options, snap *ctl.Snapshot) *Agent {
	t.Helper()
	opts.Snapshot = func() *ctl.Snapshot { return snap }
	opts.MinBackoff, opts.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
	a := New(opts, testSettings())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return a
}

func waitSessions(t *testing.T, a *Agent, n uint64, s *snmpd) {
	t.Helper()
	poll.Until(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
		return a.Sessions() >= n, fmt.Sprintf("%d AgentX registrations (have %d); snmpd log: %s", n, a.Sessions(), s.logTail())
	})
}

// The subagent registers with a real snmpd; snmpwalk, snmpbulkwalk and
// snmpget read keepalived's OIDs with keepalived's encodings; when snmpd
// restarts the subagent registers again and the tree is back.
func TestSnmpdWalk(t *testing.T) {
	s := startSnmpd(t, "")
	a := runAgent(t, Options{Socket: "unix:" + s.Socket, VRRP: true}, fixed())
	waitSessions(t, a, 1, s)

	check := func(what string) {
		t.Helper()
		for _, tool := range []string{"snmpwalk", "snmpbulkwalk"} {
			out, err := s.tool(tool, KeepalivedOID.String())
			if err != nil || out != wantWalk {
				t.Errorf("%s %s (%s): %v\n got:\n%s\nwant:\n%s", tool, KeepalivedOID, what, err, out, wantWalk)
			}
		}
		out, err := s.tool("snmpget", InstanceEntryOID.Append(colState, 1).String(), InstanceEntryOID.Append(colState, 3).String(),
			KeepalivedOID.Append(9, 0).String())
		want := ".1.3.6.1.4.1.9586.100.5.2.3.1.4.1 = INTEGER: 2\n" +
			".1.3.6.1.4.1.9586.100.5.2.3.1.4.3 = No Such Instance currently exists at this OID\n" +
			".1.3.6.1.4.1.9586.100.5.9.0 = No Such Object available on this agent at this OID\n"
		if err != nil || out != want {
			t.Errorf("snmpget (%s): %v\n got:\n%s\nwant:\n%s", what, err, out, want)
		}
	}
	check("first session")

	s.stop()
	s.start()
	waitSessions(t, a, 2, s)
	check("after snmpd restarted")
}

// Without enable_snmp_vrrp only the global scalars are registered.
func TestSnmpdGlobalOnly(t *testing.T) {
	s := startSnmpd(t, "")
	a := runAgent(t, Options{Socket: s.Socket}, fixed())
	waitSessions(t, a, 1, s)
	out, err := s.tool("snmpwalk", KeepalivedOID.String())
	want := strings.Join(strings.SplitAfter(wantWalk, "\n")[:2], "")
	if err != nil || out != want {
		t.Errorf("snmpwalk: %v\n got:\n%s\nwant:\n%s", err, out, want)
	}
}

// A state change handed to the subagent reaches a real snmptrapd through
// snmpd as keepalived's vrrpInstanceStateChange, with keepalived's
// varbinds; with traps disabled nothing is queued.
func TestSnmpTrap(t *testing.T) {
	need(t, "snmptrapd")
	dir := t.TempDir()
	trapAddr := fmt.Sprintf("udp:127.0.0.1:%d", freeUDPPort(t))
	conf := filepath.Join(dir, "snmptrapd.conf")
	if err := os.WriteFile(conf, []byte("disableAuthorization yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "traps.log")
	trapd := exec.Command("snmptrapd", "-f", "-C", "-c", conf, "-On", "-Lf", logPath, "-F", "TRAP %V|%v\n", trapAddr)
	trapd.Env = snmpEnv(dir)
	_ = os.Mkdir(filepath.Join(dir, "mibs"), 0o755)
	if err := trapd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = trapd.Process.Kill(); _ = trapd.Wait() })

	s := startSnmpd(t, trapAddr)
	a := runAgent(t, Options{Socket: s.Socket, VRRP: true, Traps: true}, fixed())
	waitSessions(t, a, 1, s)
	a.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: vrrp.StateMaster})
	a.VRRPState(vrrp.StateEvent{Instance: "VI_6", State: vrrp.StateStop})
	want := []string{
		`.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.2.10.0.2|.1.3.6.1.4.1.9586.100.5.2.3.1.2 = STRING: "VI_1"|.1.3.6.1.4.1.9586.100.5.2.3.1.4 = INTEGER: 2|.1.3.6.1.4.1.9586.100.5.2.3.1.5 = INTEGER: 2|.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "lb-1"`,
		`.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.2.10.0.2|.1.3.6.1.4.1.9586.100.5.2.3.1.2 = STRING: "VI_6"|.1.3.6.1.4.1.9586.100.5.2.3.1.4 = INTEGER: 5|.1.3.6.1.4.1.9586.100.5.2.3.1.5 = INTEGER: 0|.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "lb-1"`,
	}
	poll.Until(t, 30*time.Second, 50*time.Millisecond, func() (bool, string) {
		b, _ := os.ReadFile(logPath)
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				return false, fmt.Sprintf("trap %q in snmptrapd's log:\n%s", w, b)
			}
		}
		return true, ""
	})
	if a.NotificationsSent() != 2 {
		t.Errorf("%d notifications sent, want 2", a.NotificationsSent())
	}

	quiet := New(Options{Socket: s.Socket}, testSettings())
	quiet.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: vrrp.StateMaster})
	if len(quiet.events) != 0 {
		t.Error("a state change was queued with traps disabled")
	}
}
