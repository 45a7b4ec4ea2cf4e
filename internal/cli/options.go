// Package cli is gokeepalived's command line: keepalived 2.2.7's complete
// option set (GNU style, short and long forms, via spf13/pflag), mapped onto
// an Options value that cmd/gokeepalived hands to the daemon. It holds no
// daemon logic.
package cli

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// DefaultConfigFile is where keepalived looks when -f is not given.
const DefaultConfigFile = "/etc/keepalived/keepalived.conf"

// Options are the parsed command-line options. Field comments name the
// keepalived flag they come from.
type Options struct {
	ConfigFile    string // -f, --use-file
	VRRPOnly      bool   // -P, --vrrp
	CheckOnly     bool   // -C, --check
	NoBFD         bool   // -B, --no_bfd
	All           bool   // --all
	LogConsole    bool   // -l, --log-console
	LogDetail     bool   // -D, --log-detail
	LogFacility   string // -S, --log-facility (normalised: "daemon", "user", "local0".."local7")
	LogFile       string // -g, --log-file
	FlushLogFile  bool   // --flush-log-file
	NoSyslog      bool   // -G, --no-syslog
	Umask         int    // -u, --umask (-1 = not set)
	ReleaseVIPs   bool   // -X, --release-vips
	DontReleaseVR bool   // -V, --dont-release-vrrp
	DontReleaseLB bool   // -I, --dont-release-ipvs
	DontRespawn   bool   // -R, --dont-respawn
	DontFork      bool   // -n, --dont-fork
	DumpConf      bool   // -d, --dump-conf
	PidFile       string // -p, --pid
	VRRPPidFile   string // -r, --vrrp_pid
	CheckPidFile  string // -c, --checkers_pid
	BFDPidFile    string // -b, --bfd_pid
	Genhash       bool   // -T, --genhash
	AddrMonitor   bool   // -a, --address-monitoring
	SNMP          bool   // -x, --snmp
	SNMPSocket    string // -A, --snmp-agent-socket
	Namespace     string // -s, --namespace
	CoreDump      bool   // -m, --core-dump
	CorePattern   string // -M, --core-dump-pattern
	AllConfig     bool   // -e, --all-config
	ConfigID      string // -i, --config-id (default: host name up to the first dot)
	Signum        string // --signum
	ConfigTest    bool   // -t, --config-test
	ConfigTestLog string // -t=LOG_FILE
	Version       bool   // -v, --version
	Help          bool   // -h, --help

	// gokeepalived additions.
	ControlSocket       string // --control-socket
	UnsupportedKeywords bool   // --unsupported-keywords
	Strict              bool   // --strict: warnings are errors too
	MetricsListen       string // --metrics-listen: serve Prometheus /metrics on this address
	BGPConfig           string // --bgp-config: a file holding the gokeepalived-only bgp block
	LBBackend           string // --lb-backend: auto, ipvs or nft
	LogFormat           string // --log-format: text or json
	PprofListen         string // --pprof-listen (hidden): net/http/pprof on a loopback address, for bench/scale

	// GenhashArgs are the arguments after -T, handed to genhash mode.
	GenhashArgs []string
}

// Usage errors exit with ExitUsage; see ExitCodes for the whole table.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

// Parse parses args (without the program name). Output for -h goes to the
// returned Options' Help flag; the caller prints Usage.
func Parse(args []string, hostname func() (string, error)) (Options, error) {
	var o Options
	// keepalived: -T must be the first option; everything after belongs to genhash.
	if len(args) > 0 && (args[0] == "-T" || args[0] == "--genhash") {
		o.Genhash = true
		o.GenhashArgs = append([]string(nil), args[1:]...)
		return o, nil
	}
	fs := newFlagSet(&o)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return o, &UsageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return o, &UsageError{fmt.Sprintf("unexpected argument %q (options only; see --help)", fs.Arg(0))}
	}
	if fs.Changed("config-test") {
		o.ConfigTest = true
		if o.ConfigTestLog == "-" {
			o.ConfigTestLog = ""
		}
	}
	if fs.Changed("genhash") {
		return o, &UsageError{"-T/--genhash must be the first option"}
	}
	fac, err := normaliseFacility(o.LogFacility)
	if err != nil {
		return o, &UsageError{err.Error()}
	}
	o.LogFacility = fac
	umask := fs.Lookup("umask").Value.String()
	o.Umask = -1
	if umask != "" {
		v, err := strconv.ParseInt(umask, 0, 32)
		if err != nil || v < 0 || v > 0777 {
			return o, &UsageError{fmt.Sprintf("invalid umask %q: want an octal number such as 022", umask)}
		}
		o.Umask = int(v)
	}
	if o.LogFormat != "text" && o.LogFormat != "json" {
		return o, &UsageError{fmt.Sprintf("--log-format %q: want text or json", o.LogFormat)}
	}
	switch o.LBBackend {
	case "auto", "ipvs", "nft":
	default:
		return o, &UsageError{fmt.Sprintf("--lb-backend %q: want auto, ipvs or nft", o.LBBackend)}
	}
	if o.PprofListen != "" {
		if ap, err := netip.ParseAddrPort(o.PprofListen); err != nil || !ap.Addr().IsLoopback() {
			return o, &UsageError{fmt.Sprintf("--pprof-listen %q: want a loopback address and port such as 127.0.0.1:6060", o.PprofListen)}
		}
	}
	if o.VRRPOnly && o.CheckOnly {
		return o, &UsageError{"-P/--vrrp and -C/--check exclude each other"}
	}
	if o.ConfigID == "" && hostname != nil {
		if h, err := hostname(); err == nil {
			o.ConfigID, _, _ = strings.Cut(h, ".")
		}
	}
	return o, nil
}

func newFlagSet(o *Options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("gokeepalived", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVarP(&o.ConfigFile, "use-file", "f", DefaultConfigFile, "Use the specified configuration file")
	fs.BoolVarP(&o.VRRPOnly, "vrrp", "P", false, "Only run with VRRP subsystem")
	fs.BoolVarP(&o.CheckOnly, "check", "C", false, "Only run with Health-checker subsystem")
	fs.BoolVarP(&o.NoBFD, "no_bfd", "B", false, "Don't run BFD subsystem")
	fs.BoolVar(&o.All, "all", false, "Force all subsystems to run, even if they have no configuration")
	fs.BoolVarP(&o.LogConsole, "log-console", "l", false, "Log messages to local console")
	fs.BoolVarP(&o.LogDetail, "log-detail", "D", false, "Detailed log messages")
	fs.StringVarP(&o.LogFacility, "log-facility", "S", "daemon", "Set syslog facility to LOG_LOCAL[0-7], user or daemon")
	fs.StringVarP(&o.LogFile, "log-file", "g", "", "Also log to FILE")
	fs.BoolVar(&o.FlushLogFile, "flush-log-file", false, "Flush the log file after each write")
	fs.BoolVarP(&o.NoSyslog, "no-syslog", "G", false, "Don't log via syslog")
	fs.StringVar(&o.LogFormat, "log-format", "text", "Log line format: text (key=value) or json (one JSON object a line), on the console, the log file and syslog")
	fs.StringP("umask", "u", "", "umask for file creation (in numeric form)")
	fs.BoolVarP(&o.ReleaseVIPs, "release-vips", "X", false, "Drop VIPs on transition from signal")
	fs.BoolVarP(&o.DontReleaseVR, "dont-release-vrrp", "V", false, "Don't remove VRRP VIPs and VROUTEs on daemon stop")
	fs.BoolVarP(&o.DontReleaseLB, "dont-release-ipvs", "I", false, "Don't remove IPVS/nftables load-balancer state on daemon stop")
	fs.BoolVarP(&o.DontRespawn, "dont-respawn", "R", false, "Don't respawn child processes (accepted; gokeepalived is one process)")
	fs.BoolVarP(&o.DontFork, "dont-fork", "n", false, "Don't fork the daemon process")
	fs.BoolVarP(&o.DumpConf, "dump-conf", "d", false, "Dump the configuration data")
	fs.StringVarP(&o.PidFile, "pid", "p", "/run/keepalived.pid", "Use specified pidfile for parent process")
	fs.StringVarP(&o.VRRPPidFile, "vrrp_pid", "r", "/run/vrrp.pid", "Use specified pidfile for VRRP child process")
	fs.StringVarP(&o.CheckPidFile, "checkers_pid", "c", "/run/checkers.pid", "Use specified pidfile for checkers child process")
	fs.StringVarP(&o.BFDPidFile, "bfd_pid", "b", "/run/bfd.pid", "Use specified pidfile for BFD child process")
	fs.BoolVarP(&o.Genhash, "genhash", "T", false, "Enter into genhash utility mode (this must be the first option)")
	fs.BoolVarP(&o.AddrMonitor, "address-monitoring", "a", false, "Report all address additions/deletions notified via netlink")
	fs.BoolVarP(&o.SNMP, "snmp", "x", false, "Enable SNMP subsystem (enable_snmp_vrrp, enable_snmp_checker, enable_snmp_rfc)")
	fs.StringVarP(&o.SNMPSocket, "snmp-agent-socket", "A", "", "Use the specified socket for master agent (unless snmp_socket is set)")
	fs.StringVarP(&o.Namespace, "namespace", "s", "", "Run in network namespace NAME (overrides config)")
	fs.BoolVarP(&o.CoreDump, "core-dump", "m", false, "Produce core dump if terminate abnormally")
	fs.StringVarP(&o.CorePattern, "core-dump-pattern", "M", "", "Also set /proc/sys/kernel/core_pattern to PATN")
	fs.BoolVarP(&o.AllConfig, "all-config", "e", false, "Error if any configuration file is missing (same as includet)")
	fs.StringVarP(&o.ConfigID, "config-id", "i", "", "Skip configuration lines beginning '@' that don't match id, or beginning '@^' that do")
	fs.StringVar(&o.Signum, "signum", "", "Print the signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON")
	fs.StringVarP(&o.ConfigTestLog, "config-test", "t", "", "Check the configuration and exit; output to LOG_FILE or stderr")
	fs.Lookup("config-test").NoOptDefVal = "-"
	fs.BoolVarP(&o.Version, "version", "v", false, "Display the version number")
	fs.BoolVarP(&o.Help, "help", "h", false, "Display this help message")
	fs.StringVar(&o.ControlSocket, "control-socket", "/run/gokeepalived/control.sock", "Root-only unix socket for gokeepalivedctl")
	fs.BoolVar(&o.UnsupportedKeywords, "unsupported-keywords", false, "List keepalived keywords that gokeepalived recognises but does not implement yet, and exit")
	fs.BoolVar(&o.Strict, "strict", false, "Treat configuration warnings as errors")
	fs.StringVar(&o.LBBackend, "lb-backend", "auto", "Kernel load balancer for virtual_server blocks: auto (IPVS when the kernel has it, else nftables), ipvs or nft")
	fs.StringVar(&o.BGPConfig, "bgp-config", "", "Read the gokeepalived-only bgp block (BGP announcements, docs/bgp.md) from this file, keeping keepalived.conf keepalived's")
	fs.StringVar(&o.MetricsListen, "metrics-listen", "", "Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9650); off by default")
	// A developer's tool (bench/scale profiles both nodes with it), so it is
	// not in --help or the man page; only a loopback address is accepted.
	fs.StringVar(&o.PprofListen, "pprof-listen", "", "Serve net/http/pprof at http://ADDR/debug/pprof/ (loopback only)")
	_ = fs.MarkHidden("pprof-listen")
	return fs
}

// Usage writes the help text.
func Usage(w io.Writer) {
	var o Options
	fs := newFlagSet(&o)
	// pflag marks every boolean "[=true|false]", which says nothing a
	// user needs (a boolean flag takes no value); blank it, keeping the
	// columns aligned.
	usages := strings.ReplaceAll(fs.FlagUsages(), "[=true|false]", "             ")
	fmt.Fprintf(w, "Usage: gokeepalived [OPTION...]\n%s\n%s%s", usages, NoEffectHelp, ExitCodeHelp)
}

// NoEffectHelp says, in --help, which flags do nothing (yet) and which is
// refused.
const NoEffectHelp = `Accepted for compatibility with a warning, no effect yet: -X, -a, -m, -M, -e.
Accepted, nothing to do: -R, --all, --flush-log-file.
Refused (exit 2): -s/--namespace; run gokeepalived inside the namespace (ip netns exec NAME gokeepalived ...).

`

// ExitCodeHelp documents the exit codes, printed with --help.
const ExitCodeHelp = `Exit codes:
  0  success (with -t: the configuration loads with no error)
  1  fatal runtime error
  2  usage error (bad option)
  3  configuration has errors (all are printed with file:line:col)
  4  configuration file missing or unreadable
`

// Exit codes. Unlike keepalived 2.2.7 (whose -t exits 0 when the file is
// missing and 4/5/6 otherwise, not what its man page says), 0 always means
// the configuration loaded.
const (
	ExitOK         = 0
	ExitFatal      = 1
	ExitUsage      = 2
	ExitConfig     = 3
	ExitConfigMiss = 4
)

var facilities = map[string]string{"daemon": "daemon", "user": "user"}

func normaliseFacility(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if f, ok := facilities[s]; ok {
		return f, nil
	}
	if len(s) == 1 && s[0] >= '0' && s[0] <= '7' {
		return "local" + s, nil
	}
	if len(s) == 6 && strings.HasPrefix(s, "local") && s[5] >= '0' && s[5] <= '7' {
		return s, nil
	}
	return "", fmt.Errorf("invalid log facility %q: want 0-7, local0-local7, user or daemon", s)
}

// Signum returns the signal number keepalived's --signum prints for a
// signal function name.
func Signum(name string) (int, error) {
	switch strings.ToUpper(name) {
	case "STOP":
		return 15, nil
	case "RELOAD":
		return 1, nil
	case "DATA":
		return 10, nil
	case "STATS":
		return 12, nil
	case "STATS_CLEAR":
		return sigRTMax() - 1, nil
	case "JSON":
		return sigRTMin() + 2, nil
	}
	return 0, fmt.Errorf("unknown sigfunc %s", name)
}

// glibc reserves two real-time signals for itself, so SIGRTMIN is 34 and
// SIGRTMAX 64 for programs; keepalived reports those numbers.
func sigRTMin() int { return 34 }
func sigRTMax() int { return 64 }
