// Command genhash prints the MD5 digest of a URL's body, for the digest
// lines of HTTP_GET and SSL_GET checks (keepalived's genhash).
package main

import (
	"os"

	"gokeepalived/internal/check/httpget"
)

func main() {
	os.Exit(httpget.GenhashCLI(os.Args[1:], os.Stdout, os.Stderr))
}
