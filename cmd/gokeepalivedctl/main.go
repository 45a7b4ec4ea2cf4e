// Command gokeepalivedctl talks to a running gokeepalived over its control
// socket: `status` (a table, or --json), `reload`.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"gokeepalived/internal/cli/ctlcli"
	"gokeepalived/internal/ctl"
)

func main() {
	var o ctlcli.Options
	fs := ctlcli.NewFlagSet(&o)
	sock, asJSON, timeout := &o.Socket, &o.JSON, &o.Timeout
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: gokeepalivedctl [--socket PATH] [--json] status|reload [--allow-empty]\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	cmd := ctl.CmdStatus
	if fs.NArg() > 0 {
		cmd = fs.Arg(0)
	}
	if cmd != ctl.CmdStatus && cmd != ctl.CmdReload {
		fs.Usage()
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	resp, err := ctl.Call(ctx, *sock, ctl.Request{Cmd: cmd, AllowEmpty: o.AllowEmpty})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gokeepalivedctl:", err)
		os.Exit(1)
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if resp.Status != nil {
			err = enc.Encode(resp.Status)
		} else {
			err = enc.Encode(resp)
		}
	case resp.Status != nil:
		err = ctl.WriteTable(os.Stdout, resp.Status)
	default:
		fmt.Println(resp.Message)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gokeepalivedctl:", err)
		os.Exit(1)
	}
}
