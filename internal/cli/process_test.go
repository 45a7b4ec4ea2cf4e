package cli

import (
	"testing"

	"gokeepalived/internal/config"
)

// TestUmaskFor: -u/--umask wins over global_defs umask, which applies
// when the option is not given (keepalived's rule); neither: leave it.
func TestUmaskFor(t *testing.T) {
	for _, c := range []struct{ opt, cfg, want int }{{-1, 0o27, 0o27}, {0o22, 0o27, 0o22}, {-1, -1, -1}, {0o77, -1, 0o77}} {
		if got := umaskFor(Options{Umask: c.opt}, &config.Global{Umask: c.cfg}); got != c.want {
			t.Errorf("option %#o, config %#o: %#o, want %#o", c.opt, c.cfg, got, c.want)
		}
	}
}

// TestPidFiles: keepalived's pid file rules for instance NAME and
// use_pid_dir; -p/-r win.
func TestPidFiles(t *testing.T) {
	def := Options{PidFile: defaultPidFile, VRRPPidFile: defaultVRRPPidFile}
	for _, c := range []struct {
		name            string
		o               Options
		g               config.Global
		main, vrrp, dir string
	}{
		{"defaults", def, config.Global{}, "/run/keepalived.pid", "/run/vrrp.pid", ""},
		{"use_pid_dir", def, config.Global{UsePidDir: true}, "/run/keepalived/keepalived.pid", "/run/keepalived/vrrp.pid", "/run/keepalived"},
		{"instance", def, config.Global{InstanceName: "lb1"}, "/run/keepalived/keepalived_lb1.pid", "/run/keepalived/vrrp_lb1.pid", "/run/keepalived"},
		{"net_namespace", def, config.Global{NetNamespace: "blue"}, "/run/keepalived/blue/keepalived.pid", "/run/keepalived/blue/vrrp.pid", "/run/keepalived/blue"},
		{"-s over net_namespace", Options{PidFile: defaultPidFile, VRRPPidFile: defaultVRRPPidFile, Namespace: "red"}, config.Global{NetNamespace: "blue", InstanceName: "lb1"},
			"/run/keepalived/red/keepalived_lb1.pid", "/run/keepalived/red/vrrp_lb1.pid", "/run/keepalived/red"},
		{"-p and -r win", Options{PidFile: "/x/k.pid", VRRPPidFile: "/x/v.pid"}, config.Global{InstanceName: "lb1"}, "/x/k.pid", "/x/v.pid", ""},
	} {
		m, v, d := pidFiles(c.o, &c.g)
		if m != c.main || v != c.vrrp || d != c.dir {
			t.Errorf("%s: %s %s %q, want %s %s %q", c.name, m, v, d, c.main, c.vrrp, c.dir)
		}
	}
}

// TestDumpPath: data_use_instance puts the instance name in the data
// file's name (not the stats or JSON file's, as keepalived), and $TMPDIR,
// when absolute, replaces /tmp.
func TestDumpPath(t *testing.T) {
	t.Setenv("TMPDIR", "")
	g := config.Global{InstanceName: "lb1", DataUseInstance: true}
	if got := dumpPath("/tmp/keepalived.data", &g); got != "/tmp/keepalived.lb1.data" {
		t.Errorf("data_use_instance: %s", got)
	}
	if got := dumpPath("/tmp/keepalived.stats", &g); got != "/tmp/keepalived.stats" {
		t.Errorf("stats with data_use_instance: %s", got)
	}
	t.Setenv("TMPDIR", "/var/tmp")
	if got := dumpPath("/tmp/keepalived.data", &g); got != "/var/tmp/keepalived.lb1.data" {
		t.Errorf("TMPDIR: %s", got)
	}
	t.Setenv("TMPDIR", "relative")
	if got := dumpPath("/tmp/keepalived.json", &g); got != "/tmp/keepalived.json" {
		t.Errorf("relative TMPDIR: %s", got)
	}
	g.DataUseInstance = false
	if got := dumpPath("/tmp/keepalived.json", &g); got != "/tmp/keepalived.json" {
		t.Errorf("without data_use_instance: %s", got)
	}
}
