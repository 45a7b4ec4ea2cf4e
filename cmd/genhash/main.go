// Command genhash fetches a URL the way HTTP_GET/SSL_GET do and prints the
// MD5 digest of the body, for the `digest` keyword, like keepalived's genhash:
//
//	genhash -s 192.0.2.10 -p 80 -u /health
//	genhash -S -s 192.0.2.10 -p 443 -u /health -V www.example.com
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"time"

	"gokeepalived/internal/check/httpget"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("genhash", flag.ContinueOnError)
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
		fmt.Fprintln(os.Stderr, "genhash: -s needs an IP address and -p a port (see -h)")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3**timeout)
	defer cancel()
	res, err := httpget.Genhash(ctx, httpget.GenhashOptions{
		Server: addr, Port: uint16(*port), URL: *url, SSL: *ssl, VirtualHost: *vhost,
		SNI: *sni, Protocol: httpget.Protocol(*proto), Timeout: *timeout,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "genhash:", err)
		return 1
	}
	if *verbose {
		fmt.Printf("HTTP status: %d\n", res.Status)
		keys := make([]string, 0, len(res.Header))
		for k := range res.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range res.Header[k] {
				fmt.Printf("%s: %s\n", k, v)
			}
		}
	}
	fmt.Printf("MD5SUM = %s\n", res.Digest)
	return 0
}
