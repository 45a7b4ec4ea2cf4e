package ctlcli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gokeepalived/internal/ctl"
)

// fakeDaemon serves the control protocol on a real unix socket with
// canned answers and records the requests.
type fakeDaemon struct {
	sock   string
	mu     sync.Mutex
	reqs   []ctl.Request
	answer func(ctl.Request) ctl.Response
}

func startFake(t *testing.T, answer func(ctl.Request) ctl.Response) *fakeDaemon {
	t.Helper()
	f := &fakeDaemon{sock: filepath.Join(t.TempDir(), "run", "control.sock"), answer: answer}
	l, err := ctl.Listen(f.sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ctl.Serve(ctx, l, func(_ context.Context, req ctl.Request) ctl.Response {
			f.mu.Lock()
			f.reqs = append(f.reqs, req)
			f.mu.Unlock()
			return f.answer(req)
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

func (f *fakeDaemon) requests() []ctl.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ctl.Request(nil), f.reqs...)
}

var twoInstances = &ctl.Status{PID: 42, Instances: []ctl.InstanceStatus{
	{Name: "VI_1", Interface: "eth0", VRID: 51, State: "MASTER", Family: "ipv4", VIPs: []string{"192.0.2.100"}},
	{Name: "VI_2", Interface: "eth1", VRID: 52, State: "BACKUP", Family: "ipv4", VIPs: []string{"198.51.100.100"}},
}}

// statusDaemon answers like the daemon: status filtered by Status.Filter.
func statusDaemon(req ctl.Request) ctl.Response {
	switch req.Cmd {
	case ctl.CmdStatus:
		st, err := twoInstances.Filter(req.Instances)
		if err != nil {
			return ctl.Response{Error: err.Error()}
		}
		return ctl.Response{Status: st}
	case ctl.CmdReload:
		return ctl.Response{Message: "configuration reloaded", Reload: &ctl.ReloadSummary{Kept: []string{"VI_1"},
			Restarted: []ctl.Restart{{Instance: "VI_2", Reason: "its configuration changed"}}, Added: []string{"VI_3"},
			Removed: []string{"VI_4"}, Priorities: []ctl.PriorityChange{{Instance: "VI_1", From: 100, To: 120, InPlace: true}}}}
	}
	return ctl.Response{Error: "unknown command " + req.Cmd}
}

func run(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Run(ctx, args, &o, &e)
	return code, o.String(), e.String()
}

func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		code, out, errOut := run(context.Background(), arg)
		if code != ExitOK || errOut != "" {
			t.Errorf("%s: exit %d, stderr %q", arg, code, errOut)
		}
		for _, want := range []string{"Usage: gokeepalivedctl", "status [INSTANCE...]", "maintenance on|off INSTANCE...|--all",
			"failover INSTANCE", "--watch", "Exit status:", "3  The daemon could not be reached"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", arg, want, out)
			}
		}
	}
	for _, arg := range []string{"--version", "-v"} {
		code, out, _ := run(context.Background(), arg)
		if code != ExitOK || out != "gokeepalivedctl "+Version+"\n" {
			t.Errorf("%s: exit %d, output %q", arg, code, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"-x"}, "unknown shorthand flag: 'x'"},
		{[]string{"frobnicate"}, `unknown command "frobnicate" (commands: status, reload, maintenance, failover)`},
		{[]string{"reload", "now"}, `reload takes no arguments, got "now"`},
		{[]string{"maintenance"}, "maintenance needs on or off"},
		{[]string{"maintenance", "on"}, "maintenance on needs either instance names or --all"},
		{[]string{"maintenance", "off", "VI_1", "--all"}, "maintenance off needs either instance names or --all"},
		{[]string{"failover"}, "failover needs exactly one instance"},
		{[]string{"reload", "--watch"}, "--watch is for status only"},
		{[]string{"status", "--watch", "--interval", "10ms"}, "--interval 10ms is below 100ms"},
	} {
		code, out, errOut := run(context.Background(), append([]string{"--socket", "/nonexistent/sock"}, tc.args...)...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "gokeepalivedctl --help") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

func TestExitCodes(t *testing.T) {
	code, _, errOut := run(context.Background(), "--socket", filepath.Join(t.TempDir(), "none.sock"))
	if code != ExitUnreachable || !strings.Contains(errOut, "cannot reach gokeepalived") {
		t.Errorf("no daemon: exit %d, stderr %q; want 3", code, errOut)
	}
	f := startFake(t, func(ctl.Request) ctl.Response { return ctl.Response{Error: "new configuration refused"} })
	code, _, errOut = run(context.Background(), "--socket", f.sock, "reload")
	if code != ExitDaemonError || !strings.Contains(errOut, "new configuration refused") {
		t.Errorf("daemon error: exit %d, stderr %q; want 1", code, errOut)
	}
}

func TestStatusFilter(t *testing.T) {
	f := startFake(t, statusDaemon)
	code, out, errOut := run(context.Background(), "--socket", f.sock, "status", "VI_2")
	if code != ExitOK || !strings.Contains(out, "VI_2") || strings.Contains(out, "VI_1") {
		t.Errorf("status VI_2: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
	if reqs := f.requests(); len(reqs) != 1 || strings.Join(reqs[0].Instances, ",") != "VI_2" {
		t.Errorf("requests = %+v", reqs)
	}
	code, out, _ = run(context.Background(), "--socket", f.sock, "--json", "status", "VI_1")
	var st ctl.Status
	if err := json.Unmarshal([]byte(out), &st); code != ExitOK || err != nil || len(st.Instances) != 1 || st.Instances[0].Name != "VI_1" {
		t.Errorf("--json status VI_1: exit %d, err %v, output %s", code, err, out)
	}
	code, _, errOut = run(context.Background(), "--socket", f.sock, "status", "VI_9")
	if code != ExitDaemonError || !strings.Contains(errOut, "no vrrp_instance VI_9 (instances: VI_1, VI_2)") {
		t.Errorf("status VI_9: exit %d, stderr %q", code, errOut)
	}
}

func TestStatusWatch(t *testing.T) {
	f := startFake(t, statusDaemon)
	code, out, _ := run(context.Background(), "--socket", f.sock, "status", "--watch", "--count", "3", "--interval", "100ms", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 3 || len(f.requests()) != 3 {
		t.Fatalf("--watch --count 3: exit %d, %d requests, output:\n%s", code, len(f.requests()), out)
	}
	for _, l := range lines {
		var st ctl.Status
		if err := json.Unmarshal([]byte(l), &st); err != nil || len(st.Instances) != 2 {
			t.Errorf("line %q: %v", l, err)
		}
	}

	// Interrupted (the context SIGINT cancels) after the second refresh:
	// it stops there and exits 0.
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	g := startFake(t, func(req ctl.Request) ctl.Response {
		if n++; n == 2 {
			cancel()
		}
		return statusDaemon(req)
	})
	code, out, _ = run(ctx, "--socket", g.sock, "-w", "--interval", "100ms")
	if code != ExitOK || strings.Count(out, "--- ") != 2 || len(g.requests()) != 2 {
		t.Errorf("interrupted watch: exit %d, %d requests, output:\n%s", code, len(g.requests()), out)
	}
}

func TestReloadPrintsWhatChanged(t *testing.T) {
	f := startFake(t, statusDaemon)
	code, out, _ := run(context.Background(), "--socket", f.sock, "reload")
	want := "configuration reloaded\nkept: VI_1\nrestarted: VI_2 (its configuration changed)\nadded: VI_3\nremoved: VI_4\n" +
		"priority: VI_1 100 -> 120 (in place)\n"
	if code != ExitOK || out != want {
		t.Errorf("reload: exit %d, output:\n%s\nwant:\n%s", code, out, want)
	}
	code, out, _ = run(context.Background(), "--socket", f.sock, "reload", "--json")
	var sum ctl.ReloadSummary
	if err := json.Unmarshal([]byte(out), &sum); code != ExitOK || err != nil || sum.Added[0] != "VI_3" || sum.Priorities[0].To != 120 {
		t.Errorf("reload --json: exit %d, err %v, output %s", code, err, out)
	}
}

func TestMaintenanceAndFailover(t *testing.T) {
	f := startFake(t, func(req ctl.Request) ctl.Response {
		switch req.Cmd {
		case ctl.CmdMaintenance:
			return ctl.Response{Message: "maintenance on: VI_1", Maintenance: &ctl.Maintenance{Changed: req.Instances, InMaintenance: []string{"VI_1"}}}
		case ctl.CmdFailover:
			return ctl.Response{Error: req.Instances[0] + " is BACKUP, not MASTER: nothing to hand over"}
		}
		return ctl.Response{Error: "unexpected"}
	})
	code, out, _ := run(context.Background(), "--socket", f.sock, "maintenance", "on", "VI_1")
	if code != ExitOK || out != "maintenance on: VI_1\nin maintenance: VI_1\n" {
		t.Errorf("maintenance on VI_1: exit %d, output %q", code, out)
	}
	code, out, _ = run(context.Background(), "--socket", f.sock, "--json", "maintenance", "off", "--all")
	var m ctl.Maintenance
	if err := json.Unmarshal([]byte(out), &m); code != ExitOK || err != nil {
		t.Errorf("maintenance off --all --json: exit %d, err %v, output %q", code, err, out)
	}
	reqs := f.requests()
	if len(reqs) != 2 || !reqs[0].On || strings.Join(reqs[0].Instances, ",") != "VI_1" || reqs[1].On || !reqs[1].All || len(reqs[1].Instances) != 0 {
		t.Errorf("requests = %+v", reqs)
	}
	code, _, errOut := run(context.Background(), "--socket", f.sock, "failover", "VI_2")
	if code != ExitDaemonError || !strings.Contains(errOut, "VI_2 is BACKUP, not MASTER") {
		t.Errorf("failover VI_2: exit %d, stderr %q", code, errOut)
	}
}
