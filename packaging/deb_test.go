// Package packaging holds the test of the Debian package that
// build-deb.sh builds: it must be lintian clean, install into a scratch
// root, pass systemd-analyze verify with its man pages, and purge cleanly.
package packaging

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// require skips the test for why, unless GOKEEPALIVED_REQUIRE_ROOT=1 (CI)
// forbids skipping.
func require(t *testing.T, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("GOKEEPALIVED_REQUIRE_ROOT") == "1" {
		t.Fatalf("%s, and GOKEEPALIVED_REQUIRE_ROOT=1 forbids skipping", why)
	}
	t.Skip(why)
}

func have(name string) bool { _, err := exec.LookPath(name); return err == nil }

// run runs argv with env added, fails the test on a non-zero exit, and
// returns stdout and stderr together.
func run(t *testing.T, env []string, argv ...string) string {
	t.Helper()
	stdout, stderr := run2(t, env, argv...)
	return stdout + stderr
}

// run2 is run with stdout and stderr apart.
func run2(t *testing.T, env []string, argv ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s%s", strings.Join(argv, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// hostStatus is the host dpkg database's view of the package, which the
// test must not change.
func hostStatus() string {
	out, _ := exec.Command("dpkg-query", "-W", "-f=${Status} ${Version}", "gokeepalived").CombinedOutput()
	return string(out)
}

// The files the package installs, with their modes.
var installed = map[string]os.FileMode{
	"usr/sbin/gokeepalived":                                 0o755,
	"usr/bin/gokeepalivedctl":                               0o755,
	"lib/systemd/system/gokeepalived.service":               0o644,
	"etc/default/gokeepalived":                              0o644,
	"usr/share/dbus-1/system.d/gokeepalived.conf":           0o644,
	"usr/share/man/man8/gokeepalived.8.gz":                  0o644,
	"usr/share/man/man8/gokeepalivedctl.8.gz":               0o644,
	"usr/share/man/man5/gokeepalived.conf.5.gz":             0o644,
	"usr/share/bash-completion/completions/gokeepalived":    0o644,
	"usr/share/bash-completion/completions/gokeepalivedctl": 0o644,
	"usr/share/zsh/vendor-completions/_gokeepalived":        0o644,
	"usr/share/zsh/vendor-completions/_gokeepalivedctl":     0o644,
	"usr/share/doc/gokeepalived/README.md":                  0o644,
	"usr/share/doc/gokeepalived/operations.md":              0o644,
	"usr/share/doc/gokeepalived/copyright":                  0o644,
	"usr/share/doc/gokeepalived/changelog.gz":               0o644,
	"usr/share/lintian/overrides/gokeepalived":              0o644,
}

func TestDeb(t *testing.T) {
	require(t, os.Geteuid() == 0, "installing the .deb into a scratch root with dpkg --root needs root")
	for tool, pkg := range map[string]string{"dpkg-deb": "dpkg", "lintian": "lintian", "man": "man-db", "groff": "groff-base"} {
		require(t, have(tool), tool+" is not installed (Debian package "+pkg+"; scripts/deps.sh installs it)")
	}
	before := hostStatus()

	// Build.
	out := t.TempDir()
	const version, debVersion = "9.8.7-test+0123456789ab", "9.8.7~test"
	deb := strings.TrimSpace(run(t, []string{"OUT=" + out, "VERSION=" + version, "DEB_VERSION=" + debVersion},
		"bash", "build-deb.sh"))
	deb = deb[strings.LastIndexByte(deb, '\n')+1:]
	if filepath.Dir(deb) != out || !strings.HasPrefix(filepath.Base(deb), "gokeepalived_"+debVersion+"_") {
		t.Fatalf("build-deb.sh printed %q, want a .deb in %s", deb, out)
	}

	// lintian: no error or warning (the overrides and why are in
	// lintian-overrides).
	lint := exec.Command("lintian", "--fail-on", "error,warning", "--no-tag-display-limit", deb)
	lout, err := lint.CombinedOutput()
	for _, l := range strings.Split(string(lout), "\n") {
		if strings.HasPrefix(l, "E: ") || strings.HasPrefix(l, "W: ") {
			t.Errorf("lintian: %s", l)
		}
	}
	if err != nil {
		t.Errorf("lintian %s: %v\n%s", deb, err, lout)
	}

	// Install into a scratch root with its own dpkg database; the
	// maintainer scripts run outside it (--force-script-chrootless, with
	// DPKG_ROOT set, so they leave the host's systemd alone).
	root := t.TempDir()
	admin := filepath.Join(root, "var/lib/dpkg")
	for _, d := range []string{"info", "updates", "triggers"} {
		if err := os.MkdirAll(filepath.Join(admin, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(admin, "status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dpkg := func(args ...string) string {
		t.Helper()
		return run(t, nil, append([]string{"dpkg", "--root=" + root, "--force-script-chrootless",
			"--log=" + filepath.Join(root, "dpkg.log")}, args...)...)
	}
	query := func(format string) string {
		out, _ := exec.Command("dpkg-query", "--admindir="+admin, "-W", "-f="+format, "gokeepalived").CombinedOutput()
		return string(out)
	}
	dpkg("--install", deb)
	purged := false
	t.Cleanup(func() {
		if !purged {
			_ = exec.Command("dpkg", "--root="+root, "--force-script-chrootless", "--log=/dev/null", "--purge", "gokeepalived").Run()
		}
	})
	if got := query("${Status} ${Version}"); got != "install ok installed "+debVersion {
		t.Errorf("scratch dpkg database: %q", got)
	}
	if got := query("${Conffiles}"); !strings.Contains(got, "/etc/default/gokeepalived ") {
		t.Errorf("conffiles: %q, want /etc/default/gokeepalived", got)
	}
	for path, mode := range installed {
		fi, err := os.Stat(filepath.Join(root, path))
		if err != nil {
			t.Errorf("not installed: %v", err)
			continue
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), mode)
		}
	}
	if got := run(t, nil, filepath.Join(root, "usr/sbin/gokeepalived"), "--version"); !strings.Contains(got, "gokeepalived "+version+" ") {
		t.Errorf("installed gokeepalived --version: %q, want version %s", got, version)
	}

	// The installed man pages: man finds them by name (as after a real
	// install) and renders them without a warning.
	manEnv := []string{"MANPATH=" + filepath.Join(root, "usr/share/man"), "LC_ALL=C.UTF-8", "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat"}
	for _, page := range []string{"gokeepalived", "gokeepalivedctl", "gokeepalived.conf"} {
		if got, warn := run2(t, manEnv, "man", "--warnings", page); !strings.Contains(got, "NAME") || warn != "" {
			t.Errorf("man %s:\n%s%s", page, got, warn)
		}
	}
	if got := run(t, manEnv, "man", "--warnings", "-l", filepath.Join(root, "usr/share/man/man8/gokeepalived.8.gz")); !strings.Contains(got, "--use-file") {
		t.Errorf("man -l gokeepalived.8.gz lacks --use-file:\n%s", got)
	}

	verifyUnit(t, root, manEnv)

	// Purge: every file and the conffile are gone, and so is the package.
	dpkg("--purge", "gokeepalived")
	purged = true
	for path := range installed {
		if _, err := os.Stat(filepath.Join(root, path)); !os.IsNotExist(err) {
			t.Errorf("%s is still there after purge (%v)", path, err)
		}
	}
	if got := query("${Status}"); strings.Contains(got, "installed") && !strings.Contains(got, "not-installed") {
		t.Errorf("after purge the scratch database says %q", got)
	}
	if after := hostStatus(); after != before {
		t.Errorf("the host's dpkg database changed: %q, then %q", before, after)
	}
}

// verifyUnit runs systemd-analyze verify on the installed unit, inside the
// scratch root (so ExecStart= finds the installed binary) and with MANPATH
// at its man pages (so Documentation=man: finds them). The root has no
// systemd, so sysinit.target and shutdown.target, which every service
// depends on by default, get stubs for the time of the check.
func verifyUnit(t *testing.T, root string, manEnv []string) {
	t.Helper()
	if !have("systemd-analyze") {
		t.Log("systemd-analyze is not installed: the unit is not verified")
		return
	}
	stubs := filepath.Join(root, "etc/systemd/system")
	if err := os.MkdirAll(stubs, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Join(root, "etc/systemd"))
	for _, u := range []string{"sysinit.target", "shutdown.target"} {
		if err := os.WriteFile(filepath.Join(stubs, u), []byte("[Unit]\nDescription=stub for systemd-analyze verify\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := run(t, manEnv, "systemd-analyze", "verify", "--root="+root, "/lib/systemd/system/gokeepalived.service"); got != "" {
		t.Errorf("systemd-analyze verify:\n%s", got)
	}
}
