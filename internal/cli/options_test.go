package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func host() (string, error) { return "lb1.example.test", nil }

func TestParseKeepalivedOptions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		mod  func(o *Options)
	}{
		{"defaults", nil, func(o *Options) {}},
		{"short forms", []string{"-f", "/x.conf", "-P", "-l", "-D", "-S", "3", "-G", "-X", "-V", "-I", "-R", "-n", "-d",
			"-p", "/p", "-r", "/r", "-c", "/c", "-b", "/b", "-a", "-s", "ns1", "-m", "-M", "core.%p", "-e", "-i", "node1", "-x", "-A", "/snmp", "-B", "-g", "/log", "-u", "022"},
			func(o *Options) {
				o.ConfigFile, o.VRRPOnly, o.LogConsole, o.LogDetail, o.LogFacility = "/x.conf", true, true, true, "local3"
				o.NoSyslog, o.ReleaseVIPs, o.DontReleaseVR, o.DontReleaseLB, o.DontRespawn, o.DontFork, o.DumpConf = true, true, true, true, true, true, true
				o.PidFile, o.VRRPPidFile, o.CheckPidFile, o.BFDPidFile = "/p", "/r", "/c", "/b"
				o.AddrMonitor, o.Namespace, o.CoreDump, o.CorePattern, o.AllConfig, o.ConfigID = true, "ns1", true, "core.%p", true, "node1"
				o.SNMP, o.SNMPSocket, o.NoBFD, o.LogFile, o.Umask = true, "/snmp", true, "/log", 0o22
			}},
		{"long forms", []string{"--use-file=/y.conf", "--check", "--all", "--log-console", "--log-detail", "--log-facility=local7",
			"--no-syslog", "--dont-fork", "--dump-conf", "--pid=/p", "--vrrp_pid=/r", "--checkers_pid=/c", "--config-id=n2", "--signum=RELOAD", "--flush-log-file"},
			func(o *Options) {
				o.ConfigFile, o.CheckOnly, o.All, o.LogConsole, o.LogDetail, o.LogFacility = "/y.conf", true, true, true, true, "local7"
				o.NoSyslog, o.DontFork, o.DumpConf, o.PidFile, o.VRRPPidFile, o.CheckPidFile = true, true, true, "/p", "/r", "/c"
				o.ConfigID, o.Signum, o.FlushLogFile = "n2", "RELOAD", true
			}},
		{"combined short flags", []string{"-lnD"}, func(o *Options) { o.LogConsole, o.DontFork, o.LogDetail = true, true, true }},
		{"config test to stderr", []string{"-t"}, func(o *Options) { o.ConfigTest = true }},
		{"config test to file", []string{"--config-test=/tmp/t.log"}, func(o *Options) { o.ConfigTest, o.ConfigTestLog = true, "/tmp/t.log" }},
		{"facility names", []string{"-S", "user"}, func(o *Options) { o.LogFacility = "user" }},
		{"version help", []string{"-v", "-h"}, func(o *Options) { o.Version, o.Help = true, true }},
		{"genhash first", []string{"-T", "-s", "192.0.2.1", "-p", "80", "-u", "/"}, func(o *Options) {
			*o = Options{Genhash: true, GenhashArgs: []string{"-s", "192.0.2.1", "-p", "80", "-u", "/"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.args, host)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			want := defaults()
			tt.mod(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func defaults() Options {
	return Options{
		ConfigFile: DefaultConfigFile, LogFacility: "daemon", Umask: -1,
		PidFile: "/run/keepalived.pid", VRRPPidFile: "/run/vrrp.pid", CheckPidFile: "/run/checkers.pid", BFDPidFile: "/run/bfd.pid",
		ConfigID: "lb1", ControlSocket: "/run/gokeepalived/control.sock", LBBackend: "auto", LogFormat: "text",
	}
}

func TestParseUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--no-such"}, "unknown flag: --no-such"},
		{[]string{"-S", "local9"}, `invalid log facility "local9": want 0-7, local0-local7, user or daemon`},
		{[]string{"-u", "999"}, `invalid umask "999": want an octal number such as 022`},
		{[]string{"-P", "-C"}, "-P/--vrrp and -C/--check exclude each other"},
		{[]string{"--lb-backend=lvs"}, `--lb-backend "lvs": want auto, ipvs or nft`},
		{[]string{"-l", "-T"}, "-T/--genhash must be the first option"},
		{[]string{"--pprof-listen", "0.0.0.0:6060"}, `--pprof-listen "0.0.0.0:6060": want a loopback address and port such as 127.0.0.1:6060`},
		{[]string{"--pprof-listen", "localhost"}, `--pprof-listen "localhost": want a loopback address and port such as 127.0.0.1:6060`},
		{[]string{"stray"}, `unexpected argument "stray" (options only; see --help)`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.args, host)
		var ue *UsageError
		if !errors.As(err, &ue) || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v, want usage error %q", tt.args, err, tt.want)
		}
	}
}

// --pprof-listen (for bench/scale) takes a loopback address and stays out
// of --help.
func TestPprofListenHidden(t *testing.T) {
	o, err := Parse([]string{"--pprof-listen", "[::1]:6060"}, host)
	if err != nil || o.PprofListen != "[::1]:6060" {
		t.Fatalf("Parse: %+v, %v", o.PprofListen, err)
	}
	var b strings.Builder
	Usage(&b)
	if strings.Contains(b.String(), "pprof") {
		t.Error("--help lists the hidden --pprof-listen")
	}
}

func TestSignumMatchesKeepalived(t *testing.T) {
	// Numbers measured with keepalived 2.2.7 --signum on glibc (research §2.2).
	for name, want := range map[string]int{"STOP": 15, "RELOAD": 1, "DATA": 10, "STATS": 12, "STATS_CLEAR": 63, "JSON": 36, "json": 36} {
		got, err := Signum(name)
		if err != nil || got != want {
			t.Errorf("Signum(%s) = %d, %v; want %d", name, got, err, want)
		}
	}
	if _, err := Signum("TDATA"); err == nil || !strings.Contains(err.Error(), "unknown sigfunc TDATA") {
		t.Errorf("Signum(TDATA) error = %v", err)
	}
}

// TestUsageText: --help shows no "[=true|false]" on boolean flags, and says
// which flags have no effect and that -s is refused (issue 13).
func TestUsageText(t *testing.T) {
	var b strings.Builder
	Usage(&b)
	help := b.String()
	if strings.Contains(help, "[=true|false]") {
		t.Errorf("--help shows [=true|false]:\n%s", help)
	}
	for _, want := range []string{
		"\n  -P, --vrrp                                Only run with VRRP subsystem\n",
		"\nAccepted for compatibility with a warning, no effect yet: -X, -a, -m, -M, -e.\n",
		"\nRefused (exit 2): -s/--namespace; run gokeepalived inside the namespace (ip netns exec NAME gokeepalived ...).\n",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q:\n%s", want, help)
		}
	}
}
