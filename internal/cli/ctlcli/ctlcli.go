// Package ctlcli is gokeepalivedctl's command line: its flags and commands,
// kept out of cmd/ so that the man page and the shell completion are
// generated from the same definitions (internal/cli/mangen). It imports
// nothing of the daemon, so gokeepalivedctl stays small.
package ctlcli

import (
	"time"

	"github.com/spf13/pflag"
)

// DefaultSocket is the daemon's control socket (gokeepalived --control-socket).
const DefaultSocket = "/run/gokeepalived/control.sock"

// Options are gokeepalivedctl's parsed flags.
type Options struct {
	Socket  string
	JSON    bool
	Timeout time.Duration
	// AllowEmpty lets a reload apply a configuration that stops every VRRP
	// instance and virtual server (refused otherwise).
	AllowEmpty bool
}

// Command is one gokeepalivedctl command.
type Command struct {
	Name string
	Help string
}

// Commands are the commands, the first being the default.
var Commands = []Command{
	{"status", "Print the VRRP instances, trackers, warnings and virtual/real servers (the default)"},
	{"reload", "Reload the configuration, like SIGHUP, and print the result and any errors"},
}

// NewFlagSet returns gokeepalivedctl's flags, bound to o.
func NewFlagSet(o *Options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("gokeepalivedctl", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&o.Socket, "socket", DefaultSocket, "control socket of the daemon")
	fs.BoolVar(&o.JSON, "json", false, "print the status as JSON")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Second, "how long to wait for the daemon")
	fs.BoolVar(&o.AllowEmpty, "allow-empty", false, "reload: apply a configuration even if it stops every VRRP instance and virtual server")
	return fs
}
