package httpget

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"time"
)

// GenhashCLI is the genhash command (keepalived's genhash, also reached as
// gokeepalived -T): fetch a URL from a real server and print the MD5 digest
// of its body for HTTP_GET/SSL_GET digest lines. It returns the exit code.
func GenhashCLI(args []string, stdout, stderr io.Writer) int {

	fs := flag.NewFlagSet("genhash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("s", "", "server IP address (required)")
	port := fs.Uint("p", 0, "TCP port (default 80, or 443 with -S)")
	url := fs.String("u", "/", "URL path to fetch")
	ssl := fs.Bool("S", false, "use TLS (SSL_GET)")
	vhost := fs.String("V", "", "virtual host (Host header)")
	sni := fs.Bool("I", false, "send the virtual host as TLS SNI")
	proto := fs.String("r", "1.0", "HTTP protocol: 1.0, 1.0C or 1.1")
	timeout := fs.Duration("t", 5*time.Second, "connect and read timeout")
	verbose := fs.Bool("v", false, "print the status and headers too")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	addr, err := netip.ParseAddr(*server)
	if err != nil || *port > 65535 {
		fmt.Fprintln(stderr, "genhash: -s needs an IP address and -p a port (see -h)")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3**timeout)
	defer cancel()
	res, err := Genhash(ctx, GenhashOptions{
		Server: addr, Port: uint16(*port), URL: *url, SSL: *ssl, VirtualHost: *vhost,
		SNI: *sni, Protocol: Protocol(*proto), Timeout: *timeout,
	})
	if err != nil {
		fmt.Fprintln(stderr, "genhash:", err)
		return 1
	}
	if *verbose {
		fmt.Fprintf(stdout, "HTTP status: %d\n", res.Status)
		keys := make([]string, 0, len(res.Header))
		for k := range res.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range res.Header[k] {
				fmt.Fprintf(stdout, "%s: %s\n", k, v)
			}
		}
	}
	fmt.Fprintf(stdout, "MD5SUM = %s\n", res.Digest)
	return 0
}
