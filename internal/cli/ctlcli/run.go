package ctlcli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"gokeepalived/internal/ctl"
)

// MinInterval is the shortest --interval of status --watch.
const MinInterval = 100 * time.Millisecond

// Run runs gokeepalivedctl with args (without the program name) and
// returns its exit code. ctx ending (SIGINT) stops status --watch, which
// then exits 0.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o Options
	fs := NewFlagSet(&o)
	fs.SetOutput(io.Discard)
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "gokeepalivedctl: "+format+"\n", a...)
		fmt.Fprintln(stderr, "Run 'gokeepalivedctl --help' for usage.")
		return ExitUsage
	}
	if err := fs.Parse(args); err != nil {
		return usageErr("%v", err)
	}
	if o.Help {
		fmt.Fprint(stdout, Usage())
		return ExitOK
	}
	if o.Version {
		fmt.Fprintf(stdout, "gokeepalivedctl %s\n", Version)
		return ExitOK
	}
	cmd, rest := "status", []string(nil)
	if fs.NArg() > 0 {
		cmd, rest = fs.Arg(0), fs.Args()[1:]
	}
	req := ctl.Request{Cmd: cmd}
	switch cmd {
	case ctl.CmdStatus:
		req.Instances = rest
		if o.Interval < MinInterval {
			return usageErr("--interval %v is below %v", o.Interval, MinInterval)
		}
	case ctl.CmdReload:
		if len(rest) > 0 {
			return usageErr("reload takes no arguments, got %q", strings.Join(rest, " "))
		}
	case ctl.CmdMaintenance:
		if len(rest) == 0 || (rest[0] != "on" && rest[0] != "off") {
			return usageErr("maintenance needs on or off, then instances or --all")
		}
		req.On, req.Instances, req.All = rest[0] == "on", rest[1:], o.All
		if o.All == (len(req.Instances) > 0) {
			return usageErr("maintenance %s needs either instance names or --all", rest[0])
		}
	case ctl.CmdFailover:
		if len(rest) != 1 {
			return usageErr("failover needs exactly one instance")
		}
		req.Instances = rest
	default:
		return usageErr("unknown command %q (commands: %s)", cmd, commandNames())
	}
	if o.Watch && cmd != ctl.CmdStatus {
		return usageErr("--watch is for status only")
	}
	if !o.Watch {
		o.Count = 1
	}
	for i := 0; o.Count == 0 || i < o.Count; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ExitOK
			case <-time.After(o.Interval):
			}
		}
		if code := call(ctx, o, req, stdout, stderr); code != ExitOK {
			if o.Watch && ctx.Err() != nil {
				return ExitOK
			}
			return code
		}
	}
	return ExitOK
}

// call sends one request and prints its answer.
func call(ctx context.Context, o Options, req ctl.Request, stdout, stderr io.Writer) int {
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	resp, err := ctl.Call(cctx, o.Socket, req)
	if err != nil {
		fmt.Fprintln(stderr, "gokeepalivedctl:", err)
		if resp.Error != "" {
			return ExitDaemonError
		}
		return ExitUnreachable
	}
	if o.JSON {
		enc := json.NewEncoder(stdout)
		if !o.Watch {
			enc.SetIndent("", "  ")
		}
		var v any = resp
		switch {
		case resp.Status != nil:
			v = resp.Status
		case resp.Reload != nil:
			v = resp.Reload
		case resp.Maintenance != nil:
			v = resp.Maintenance
		}
		err = enc.Encode(v)
	} else {
		err = writeText(stdout, o, resp)
	}
	if err != nil {
		fmt.Fprintln(stderr, "gokeepalivedctl:", err)
		return ExitDaemonError
	}
	return ExitOK
}

func writeText(w io.Writer, o Options, resp ctl.Response) error {
	switch {
	case resp.Status != nil:
		if o.Watch {
			fmt.Fprintf(w, "--- %s\n", time.Now().Format(time.DateTime))
		}
		return ctl.WriteTable(w, resp.Status)
	case resp.Reload != nil:
		resp.Reload.Write(w)
	case resp.Maintenance != nil:
		m := resp.Maintenance
		fmt.Fprintf(w, "%s\n", resp.Message)
		if len(m.InMaintenance) > 0 {
			fmt.Fprintf(w, "in maintenance: %s\n", strings.Join(m.InMaintenance, ", "))
		} else {
			fmt.Fprintln(w, "in maintenance: none")
		}
	default:
		fmt.Fprintln(w, resp.Message)
	}
	return nil
}

func commandNames() string {
	names := make([]string, len(Commands))
	for i, c := range Commands {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// Usage is the --help text.
func Usage() string {
	var b strings.Builder
	b.WriteString("Usage: gokeepalivedctl [OPTION...] [COMMAND [ARG...]]\n\nQuery and control a running gokeepalived over its control socket.\n\nCommands:\n")
	for _, c := range Commands {
		fmt.Fprintf(&b, "  %s %s\n      %s.\n", c.Name, c.Args, c.Help)
	}
	var o Options
	b.WriteString("\nOptions:\n")
	b.WriteString(NewFlagSet(&o).FlagUsages())
	b.WriteString("\nExit status:\n")
	for _, e := range ExitCodes {
		fmt.Fprintf(&b, "  %d  %s\n", e.Code, e.Text)
	}
	return b.String()
}
