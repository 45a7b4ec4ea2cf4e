package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gokeepalived/internal/linux/netnstest"
)

// run calls Main and returns its exit code, stdout and stderr.
func run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// withEns33 returns a namespace with a link named ens33 (one end of a veth
// pair), the interface the seed's nginx configs use.
func withEns33(t *testing.T) *netnstest.NS {
	t.Helper()
	ns := netnstest.New(t)
	ns.Run(t, "ip", "link", "add", "ens33", "type", "veth", "peer", "name", "ens33-peer")
	ns.SetLinkUp(t, "ens33", true)
	ns.Run(t, "ip", "addr", "add", "192.0.2.1/24", "dev", "ens33")
	return ns
}

// TestConfigTestSeedNginxPair: the seed's nginx pair passes -t as written,
// on a host that has their interface ens33 (in 192.0.2.0/24: the seed's
// VIP outside it is a warning).
func TestConfigTestSeedNginxPair(t *testing.T) {
	ns := withEns33(t)
	for _, f := range []string{
		"../config/testdata/seed_nginx_master.conf",
		"../config/testdata/seed_nginx_backup.conf",
		"../../test/e2e/testdata/nginx-pair/master.conf",
		"../../test/e2e/testdata/nginx-pair/backup.conf",
	} {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			var code int
			var stdout, stderr string
			ns.Do(t, func() { code, stdout, stderr = run("-t", "-f", f, "-i", "lb1") })
			if code != ExitOK {
				t.Fatalf("-t exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitOK, stdout, stderr)
			}
			want := f + ": configuration OK (0 warning(s))\n"
			if strings.Contains(f, "seed_nginx") {
				// The seed's own VIP, 10.240.30.103, is outside this host's
				// 192.0.2.0/24 (the e2e copies use 192.0.2.100): a warning.
				want = f + ":21:9: warning: vrrp_instance VI_1: virtual_ipaddress 10.240.30.103 is outside every subnet of ens33 (192.0.2.0/24): " +
					"hosts on that link reach it only if a router sends it here; a typo?\n" + f + ": configuration OK (1 warning(s))\n"
			}
			if stderr != want {
				t.Errorf("-t stderr = %q, want %q", stderr, want)
			}
		})
	}
}

// TestConfigTestSeedNginxNoInterface: without ens33 the same config is
// refused, naming the interface at its interface line, with the
// interfaces the host has.
func TestConfigTestSeedNginxNoInterface(t *testing.T) {
	ns := netnstest.New(t)
	f := "../config/testdata/seed_nginx_master.conf"
	var code int
	var stderr string
	ns.Do(t, func() { code, _, stderr = run("-t", "-f", f) })
	if code != ExitConfig {
		t.Fatalf("-t exit %d, want %d\n%s", code, ExitConfig, stderr)
	}
	if want := f + ":11:15: error: vrrp_instance VI_1: interface ens33 does not exist; this host has lo\n"; !strings.HasPrefix(stderr, want) {
		t.Errorf("stderr = %q, want it to start with %q", stderr, want)
	}
}

// TestConfigTestSeedSample: the seed's full sample is refused with exactly
// the four errors keepalived 2.2.7 also reports, each at file:line:col.
func TestConfigTestSeedSample(t *testing.T) {
	f := "../config/testdata/seed_sample.conf"
	code, stdout, stderr := run("-t", "-f", f)
	if code != ExitConfig {
		t.Fatalf("-t exit %d, want %d\n%s", code, ExitConfig, stderr)
	}
	if stdout != "" {
		t.Errorf("-t wrote to stdout: %q", stdout)
	}
	want := strings.Join([]string{
		f + ":20:23: error: vrrp_garp_interval '0' is out of range [0.000001, 4294.967295] seconds",
		f + ":21:22: error: vrrp_gna_interval '0' is out of range [0.000001, 4294.967295] seconds",
		f + ":27:11: error: vrrp_instance VI_1: state MASTER under vrrp_strict requires priority 255 (address owner), priority is 100",
		f + ":37:5: error: vrrp_instance VI_1: authentication is not allowed under vrrp_strict (keepalived ignores it)",
		f + ": 4 error(s), 0 warning(s): configuration refused",
	}, "\n") + "\n"
	if stderr != want {
		t.Errorf("-t output:\n%s\nwant:\n%s", stderr, want)
	}
}

// TestConfigTestMissingFile: unlike keepalived 2.2.7 (exit 0), a missing
// configuration file is an error with its own exit code.
func TestConfigTestMissingFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "keepalived.conf")
	code, _, stderr := run("-t", "-f", f)
	if code != ExitConfigMiss {
		t.Fatalf("-t exit %d, want %d\n%s", code, ExitConfigMiss, stderr)
	}
	if want := f + ": error: cannot read the configuration file: no such file\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	// Without -t (starting the daemon) it is refused the same way.
	if code, _, _ := run("-n", "-f", f); code != ExitConfigMiss {
		t.Errorf("daemon start on a missing file: exit %d, want %d", code, ExitConfigMiss)
	}
}

// TestConfigTestLogFile: -t=FILE writes the report to FILE.
func TestConfigTestLogFile(t *testing.T) {
	log := filepath.Join(t.TempDir(), "t.log")
	code, _, stderr := run("--config-test="+log, "-f", "../config/testdata/seed_sample.conf")
	if code != ExitConfig {
		t.Fatalf("exit %d, want %d", code, ExitConfig)
	}
	if stderr != "" {
		t.Errorf("stderr = %q, want the report in %s", stderr, log)
	}
	got, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(got), ": 4 error(s), 0 warning(s): configuration refused\n") {
		t.Errorf("%s:\n%s", log, got)
	}
}

// TestDumpConf: -d prints the normalised configuration, defaults included.
func TestDumpConf(t *testing.T) {
	ns := withEns33(t)
	var code int
	var stdout, stderr string
	ns.Do(t, func() { code, stdout, stderr = run("-t", "-d", "-f", "../config/testdata/seed_nginx_master.conf") })
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"global_defs\n",
		"  router_id LVS_DEVEL\n",
		"  vrrp_mcast_group4 224.0.0.18\n",
		"vrrp_instance VI_1",
		"interface ens33",
		"10.240.30.103",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dump lacks %q:\n%s", want, stdout)
		}
	}
	// A refused configuration is not dumped.
	if code, stdout, _ := run("-t", "-d", "-f", "../config/testdata/seed_sample.conf"); code != ExitConfig || stdout != "" {
		t.Errorf("-t -d on the refused sample: exit %d, stdout %q; want %d and nothing", code, stdout, ExitConfig)
	}
}

func TestUnsupportedKeywordsFlag(t *testing.T) {
	code, stdout, stderr := run("--unsupported-keywords")
	if code != ExitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.Contains(lines[0], "keepalived 2.2.7 keywords are recognised but not implemented by gokeepalived yet") {
		t.Errorf("first line = %q", lines[0])
	}
	// Every keepalived 2.2.7 keyword is implemented: the count is 0 and no
	// keyword follows the two header lines.
	if !strings.HasPrefix(lines[0], "0 ") || len(lines) != 2 {
		t.Errorf("want 0 keywords listed, got:\n%s", stdout)
	}
}

func TestVersionFlag(t *testing.T) {
	for _, arg := range []string{"-v", "--version"} {
		code, stdout, _ := run(arg)
		if code != ExitOK || stdout != "gokeepalived "+Version+" (keepalived 2.2.7 compatible)\n" {
			t.Errorf("%s: exit %d, stdout %q", arg, code, stdout)
		}
	}
}

func TestHelpFlag(t *testing.T) {
	code, stdout, _ := run("--help")
	if code != ExitOK || !strings.HasPrefix(stdout, "Usage: gokeepalived [OPTION...]\n") || !strings.Contains(stdout, "Exit codes:") {
		t.Errorf("exit %d, stdout:\n%s", code, stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "gokeepalived: unknown flag: --bogus\n"},
		{[]string{"-t", "extra"}, "gokeepalived: unexpected argument \"extra\" (options only; see --help)\n"},
		{[]string{"-P", "-C", "-t"}, "gokeepalived: -P/--vrrp and -C/--check exclude each other\n"},
		{[]string{"-f"}, "gokeepalived: flag needs an argument: 'f' in -f\n"},
		{[]string{"-S", "local9"}, ""},
		{[]string{"-u", "999"}, ""},
		{[]string{"--signum=NOSUCH"}, ""},
	} {
		code, stdout, stderr := run(tc.args...)
		if code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tc.args, code, ExitUsage, stderr)
		}
		if stdout != "" {
			t.Errorf("%q: stdout %q", tc.args, stdout)
		}
		if tc.want != "" && stderr != tc.want {
			t.Errorf("%q: stderr %q, want %q", tc.args, stderr, tc.want)
		} else if !strings.HasPrefix(stderr, "gokeepalived: ") {
			t.Errorf("%q: stderr %q, want a 'gokeepalived: ' message", tc.args, stderr)
		}
	}
}

// TestConfigTestRelativeMissing: a relative -f that cannot be read names
// the absolute path and the working directory (issue 13).
func TestConfigTestRelativeMissing(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run("-t", "-f", "no-such-gk.conf")
	want := "no-such-gk.conf: error: cannot read the configuration file: no such file (" + filepath.Join(wd, "no-such-gk.conf") +
		", relative to the working directory " + wd + ")\n"
	if code != ExitConfigMiss || stderr != want {
		t.Errorf("-t exit %d, stderr %q; want exit %d, %q", code, stderr, ExitConfigMiss, want)
	}
}

// TestConfigTestStrictWarning: with --strict a warning is printed as the
// error it is counted as (issue 13: it said "warning" and "1 error(s)").
func TestConfigTestStrictWarning(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "k.conf")
	conf := "vrrp_instance VI_1 {\n    interface lo\n    virtual_router_id 51\n    priority 100\n    unicast_src_ip 192.0.2.1\n    unicast_peer {\n        192.0.2.2\n    }\n}\n"
	if err := os.WriteFile(f, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run("-t", "--strict", "-f", f)
	want := f + ":1:1: error: vrrp_instance VI_1 has no virtual_ipaddress (a warning; an error with --strict)\n" +
		f + ": 1 error(s), 0 warning(s): configuration refused\n"
	if code != ExitConfig || stderr != want {
		t.Errorf("-t --strict exit %d, stderr\n%s\nwant exit %d,\n%s", code, stderr, ExitConfig, want)
	}
}
