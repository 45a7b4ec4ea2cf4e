// Command gokeepalivedctl talks to a running gokeepalived over its control
// socket: status, reload, maintenance, failover (internal/cli/ctlcli).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"gokeepalived/internal/cli/ctlcli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := ctlcli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
