// Command gokeepalived is keepalived rebuilt in Go: it reads an unmodified
// keepalived.conf and accepts keepalived 2.2.7's command line. All logic
// lives in internal/; this file only wires it.
package main

import (
	"os"

	"gokeepalived/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
