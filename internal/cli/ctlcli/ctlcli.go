// Package ctlcli is gokeepalivedctl's command line: its flags, commands and
// exit codes, kept out of cmd/ so that the man page and the shell
// completion are generated from the same definitions (internal/cli/mangen),
// and Run, which cmd/gokeepalivedctl calls. It imports nothing of the
// daemon, so gokeepalivedctl stays small.
package ctlcli

import (
	"time"

	"github.com/spf13/pflag"
)

// DefaultSocket is the daemon's control socket (gokeepalived --control-socket).
const DefaultSocket = "/run/gokeepalived/control.sock"

// Version is gokeepalivedctl's version; the .deb build stamps it like
// gokeepalived's (internal/cli.Version), and a test keeps the two equal.
var Version = "0.1.0-dev"

// Options are gokeepalivedctl's parsed flags.
type Options struct {
	Socket   string
	JSON     bool
	Timeout  time.Duration
	Watch    bool
	Interval time.Duration
	Count    int
	All      bool
	Help     bool
	Version  bool
	// AllowEmpty lets a reload apply a configuration that stops every VRRP
	// instance and virtual server (refused otherwise).
	AllowEmpty bool
}

// Command is one gokeepalivedctl command.
type Command struct {
	Name string
	// Args is its arguments' synopsis.
	Args string
	Help string
}

// Commands are the commands, the first being the default.
var Commands = []Command{
	{"status", "[INSTANCE...]", "Print the VRRP instances (only those named, if any), trackers, warnings and virtual/real servers (the default). With --watch, print it again every --interval until interrupted"},
	{"reload", "", "Reload the configuration, like SIGHUP, and print what changed: instances kept, restarted (with why), added and removed, and priority changes"},
	{"maintenance", "on|off INSTANCE...|--all", "Put instances in maintenance or take them out. In maintenance an instance hands over with a priority 0 advert, releases its virtual addresses and stays BACKUP, shown as MAINTENANCE, until off; the daemon keeps the set across restarts"},
	{"failover", "INSTANCE", "Make a MASTER hand over once: it sends a priority 0 advert and becomes BACKUP, the peer takes over after its Skew_Time; it does not preempt that peer (whatever its priority) until the peer goes away, then behaves as configured"},
}

// Exit codes.
const (
	ExitOK          = 0
	ExitDaemonError = 1
	ExitUsage       = 2
	ExitUnreachable = 3
)

// ExitCodes document each exit code (the man page's EXIT STATUS and
// docs/operations.md).
var ExitCodes = []struct {
	Code int
	Text string
}{
	{ExitOK, "Success."},
	{ExitDaemonError, "The daemon answered with an error (a refused reload, an unknown instance, ...)."},
	{ExitUsage, "Usage error: unknown option or command, missing or extra arguments."},
	{ExitUnreachable, "The daemon could not be reached (not running, wrong --socket, not root) or did not answer in time."},
}

// NewFlagSet returns gokeepalivedctl's flags, bound to o.
func NewFlagSet(o *Options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("gokeepalivedctl", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&o.Socket, "socket", DefaultSocket, "control socket of the daemon")
	fs.BoolVar(&o.JSON, "json", false, "print the answer as JSON (with --watch, one object per line)")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Second, "how long to wait for the daemon")
	fs.BoolVarP(&o.Watch, "watch", "w", false, "status: print it again every --interval until interrupted (SIGINT)")
	fs.DurationVar(&o.Interval, "interval", time.Second, "status --watch: time between two refreshes (at least 100ms)")
	fs.IntVar(&o.Count, "count", 0, "status --watch: stop after this many refreshes (0: until interrupted)")
	fs.BoolVar(&o.All, "all", false, "maintenance: every instance")
	fs.BoolVarP(&o.Help, "help", "h", false, "print this help and exit")
	fs.BoolVarP(&o.Version, "version", "v", false, "print the version and exit")
	fs.BoolVar(&o.AllowEmpty, "allow-empty", false, "reload: apply a configuration even if it stops every VRRP instance and virtual server")
	return fs
}
