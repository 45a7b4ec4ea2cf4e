// Command gokeepalived is keepalived rebuilt in Go: it reads an unmodified
// keepalived.conf and accepts keepalived 2.2.7's command line. All logic
// lives in internal/; this file only wires it.
package main

import (
	"os"
	"runtime"

	"gokeepalived/internal/cli"
)

// main stays on the main OS thread, whose name is the process's
// (process_name); the VRRP threads are others (vrrp_process_name).
func init() { runtime.LockOSThread() }

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
