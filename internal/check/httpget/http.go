// Package httpget implements keepalived's HTTP_GET and SSL_GET checkers
// (check_http.c, check_ssl.c) and the genhash digest helper.
//
// One Check fetches every url block in order and fails on the first url that
// fails. keepalived instead spreads the urls over several delay_loop periods
// while recovering unless fast_recovery is set; we always behave as with
// fast_recovery, which reaches the same verdict sooner.
package httpget

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/regexcompat"
)

// Protocol is http_protocol.
type Protocol string

// http_protocol values. "1.0C" is HTTP/1.0 plus "Connection: close".
const (
	HTTP10      Protocol = "1.0"
	HTTP10Close Protocol = "1.0C"
	HTTP11      Protocol = "1.1"
)

// URL is one url block.
type URL struct {
	Path string
	// Digest is the lower-case MD5 hex of the body; empty = not checked.
	Digest string
	// StatusCodes is status_code; empty = 200-299.
	StatusCodes StatusSet
	// VirtualHost overrides the checker's virtualhost for this url.
	VirtualHost string

	// Regex is matched against the body (keepalived's PCRE2 pattern, run
	// by internal/regexcompat on regexp2).
	Regex        string
	RegexNoMatch bool
	// RegexOptions are keepalived's regex_options names that take effect
	// (regexcompat.Option).
	RegexOptions []string
	// RegexMinOffset: the match must start at or after it (body bytes).
	RegexMinOffset int
	// RegexMaxEnd is one beyond the last offset a match may start at
	// (regex_max_offset + 1, as keepalived keeps it); 0 = no bound.
	RegexMaxEnd int
	// RegexStackMax is regex_stack's max: bounds backtracking (0 = default).
	RegexStackMax int
}

// Config is an HTTP_GET or SSL_GET block.
type Config struct {
	Conn probe.Conn
	URLs []URL
	// VirtualHost is the checker's virtualhost, already inherited from the
	// real or virtual server by the caller.
	VirtualHost string
	// Protocol is http_protocol; empty = 1.0.
	Protocol Protocol

	// TLS selects SSL_GET.
	TLS bool
	// EnableSNI sends SNI (SNIName, else the virtual host) in the handshake.
	EnableSNI bool
	SNIName   string
	// TLSConfig, when set (the global SSL{} block), is cloned for each check.
	// Without it the certificate is not verified, as in keepalived.
	TLSConfig *tls.Config
}

// MaxRegexBody is how much of the body is kept for regex matching
// (keepalived streams the whole body through PCRE2; a match must start in
// the first MaxRegexBody bytes here).
const MaxRegexBody = 4 << 20

type compiledURL struct {
	URL
	re *regexcompat.Regex
}

// Checker is an HTTP_GET or SSL_GET.
type Checker struct {
	cfg  Config
	urls []compiledURL
}

// New validates cfg and compiles the regexes. It opens nothing.
func New(cfg Config) (*Checker, error) {
	if len(cfg.URLs) == 0 {
		return nil, fmt.Errorf("%s: no url block", cfg.kind())
	}
	switch cfg.Protocol {
	case "", HTTP10, HTTP10Close, HTTP11:
	default:
		return nil, fmt.Errorf("http_protocol %q: want 1.0, 1.0C or 1.1", cfg.Protocol)
	}
	c := &Checker{cfg: cfg}
	for _, u := range cfg.URLs {
		cu := compiledURL{URL: u}
		if u.Path == "" {
			return nil, fmt.Errorf("%s: url block without path", cfg.kind())
		}
		if u.Digest != "" {
			d := strings.ToLower(u.Digest)
			if b, err := hex.DecodeString(d); err != nil || len(b) != md5.Size {
				return nil, fmt.Errorf("url %s: digest %q is not 32 hex digits", u.Path, u.Digest)
			}
			cu.Digest = d
		}
		if u.Regex != "" {
			re, err := regexcompat.Compile(u.Regex, u.RegexOptions, u.RegexStackMax)
			if err != nil {
				return nil, fmt.Errorf("url %s: regex: %w", u.Path, err)
			}
			cu.re = re
		}
		c.urls = append(c.urls, cu)
	}
	return c, nil
}

func (cfg Config) kind() string {
	if cfg.TLS {
		return "SSL_GET"
	}
	return "HTTP_GET"
}

// Check fetches every url.
func (c *Checker) Check(ctx context.Context) probe.Result {
	for _, u := range c.urls {
		if r := c.fetchOne(ctx, u); !r.OK {
			return r
		}
	}
	return probe.Okf("%d url(s) ok on %s", len(c.urls), c.cfg.Conn.Addr)
}

// fetched is what one GET returned.
type fetched struct {
	status int
	digest string
	body   []byte // first MaxRegexBody bytes, only when keep was requested
	header http.Header
}

func (c *Checker) fetchOne(ctx context.Context, u compiledURL) probe.Result {
	vhost := u.VirtualHost
	if vhost == "" {
		vhost = c.cfg.VirtualHost
	}
	f, fail := get(ctx, request{
		conn: c.cfg.Conn, path: u.Path, vhost: vhost, proto: c.cfg.Protocol,
		tls: c.cfg.TLS, sni: c.sni(vhost), tlsConfig: c.cfg.TLSConfig, keepBody: u.re != nil,
	})
	if fail != "" {
		return probe.Failf("%s", fail)
	}
	if !u.StatusCodes.Contains(f.status) {
		return probe.Failf("GET %s: status %d not in %s", u.Path, f.status, u.StatusCodes)
	}
	if u.Digest != "" && f.digest != u.Digest {
		return probe.Failf("digest mismatch on %s: got %s want %s", u.Path, f.digest, u.Digest)
	}
	if u.re != nil {
		matched, err := regexMatch(u, f.body)
		why := ""
		if err != nil {
			why = fmt.Sprintf(" (match error, counted as no match as keepalived does: %v)", err)
		}
		if matched && u.RegexNoMatch {
			return probe.Failf("regex %q matched body of %s (regex_no_match)", u.Regex, u.Path)
		}
		if !matched && !u.RegexNoMatch {
			return probe.Failf("regex %q did not match body of %s%s", u.Regex, u.Path, why)
		}
	}
	return probe.Okf("GET %s: status %d", u.Path, f.status)
}

// regexMatch finds the leftmost match starting at or after the min offset
// and says whether it starts at or before the max offset (keepalived
// check_regex). A match error (time or stack bound) counts as no match, as
// a PCRE2 error does in keepalived.
func regexMatch(u compiledURL, body []byte) (bool, error) {
	at, err := u.re.Find(body, u.RegexMinOffset)
	if err != nil || at < 0 {
		return false, err
	}
	return u.RegexMaxEnd == 0 || at < u.RegexMaxEnd, nil
}

func (c *Checker) sni(vhost string) string {
	if !c.cfg.TLS || !c.cfg.EnableSNI {
		return ""
	}
	if c.cfg.SNIName != "" {
		return c.cfg.SNIName
	}
	return vhost
}

type request struct {
	conn      probe.Conn
	path      string
	vhost     string
	proto     Protocol
	tls       bool
	sni       string
	tlsConfig *tls.Config
	keepBody  bool
}

// hostHeader is the virtual host verbatim when set; otherwise the address
// (bracketed for IPv6) with ":port" unless the port is the scheme's default.
func hostHeader(r request) string {
	if r.vhost != "" {
		return r.vhost
	}
	a := r.conn.Addr.Addr().Unmap()
	host := a.String()
	if a.Is6() {
		host = "[" + host + "]"
	}
	port := r.conn.Addr.Port()
	if (r.tls && port == 443) || (!r.tls && port == 80) {
		return host
	}
	return host + ":" + strconv.Itoa(int(port))
}

// get performs one GET and returns the response facts, or a failure reason.
func get(ctx context.Context, r request) (fetched, string) {
	addr := r.conn.Addr
	// keepalived applies connect_timeout to each read and write; we bound the
	// whole exchange of one url by it, and by ctx.
	nc, done, err := r.conn.Connect(ctx, "tcp")
	if err != nil {
		return fetched{}, err.Error()
	}
	defer done()

	var conn net.Conn = nc
	if r.tls {
		tc := tlsConfig(r)
		tconn := tls.Client(nc, tc)
		if err := tconn.Handshake(); err != nil {
			return fetched{}, fmt.Sprintf("TLS handshake with %s: %s", addr, tlsErrText(err))
		}
		conn = tconn
	}

	if _, err := io.WriteString(conn, requestText(r)); err != nil {
		return fetched{}, fmt.Sprintf("GET %s: write request to %s: %s", r.path, addr, probe.ErrText(err))
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return fetched{}, fmt.Sprintf("GET %s: read response from %s: %s", r.path, addr, responseErrText(err))
	}
	defer resp.Body.Close()
	h := md5.New()
	var keep *limitedBuffer
	var w io.Writer = h
	if r.keepBody {
		keep = &limitedBuffer{max: MaxRegexBody}
		w = io.MultiWriter(h, keep)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fetched{}, fmt.Sprintf("GET %s: read body from %s: %s", r.path, addr, responseErrText(err))
	}
	f := fetched{status: resp.StatusCode, digest: sum(h), header: resp.Header}
	if keep != nil {
		f.body = keep.b
	}
	return f, ""
}

func sum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

func tlsConfig(r request) *tls.Config {
	var tc *tls.Config
	if r.tlsConfig != nil {
		tc = r.tlsConfig.Clone()
	} else {
		// keepalived does not verify the real server's certificate.
		tc = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // keepalived semantics
	}
	tc.ServerName = r.sni
	if tc.ServerName == "" && !tc.InsecureSkipVerify {
		tc.ServerName = r.conn.Addr.Addr().String()
	}
	return tc
}

func requestText(r request) string {
	version := "HTTP/1.0"
	var extra string
	switch r.proto {
	case HTTP10Close:
		extra = "Connection: close\r\n"
	case HTTP11:
		version = "HTTP/1.1"
		extra = "Connection: close\r\n"
	}
	return "GET " + r.path + " " + version + "\r\n" +
		"User-Agent: KeepAliveClient\r\n" +
		"Host: " + hostHeader(r) + "\r\n" + extra + "\r\n"
}

func responseErrText(err error) string {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "connection closed before a complete response"
	}
	if t := probe.ErrText(err); t == "timeout" || t == "canceled" {
		return t
	}
	return err.Error()
}

func tlsErrText(err error) string {
	if t := probe.ErrText(err); t == "timeout" || t == "canceled" {
		return t
	}
	return err.Error()
}

type limitedBuffer struct {
	b   []byte
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - len(l.b); room > 0 {
		if len(p) > room {
			l.b = append(l.b, p[:room]...)
		} else {
			l.b = append(l.b, p...)
		}
	}
	return len(p), nil
}

// GenhashOptions are genhash's flags.
type GenhashOptions struct {
	Server      netip.Addr // -s
	Port        uint16     // -p (default 80, or 443 with -S)
	URL         string     // -u
	SSL         bool       // -S
	VirtualHost string     // -V
	SNI         bool       // -I: send SNI (the virtual host)
	Protocol    Protocol   // -r
	Timeout     time.Duration
}

// GenhashResult is what genhash prints.
type GenhashResult struct {
	Status int
	Header http.Header
	Digest string // MD5 hex of the body: the value for `digest`
}

// Genhash fetches one URL the way the checker does and returns the MD5 of the
// body, like keepalived's genhash tool.
func Genhash(ctx context.Context, o GenhashOptions) (GenhashResult, error) {
	port := o.Port
	if port == 0 {
		port = 80
		if o.SSL {
			port = 443
		}
	}
	path := o.URL
	if path == "" {
		path = "/"
	}
	sni := ""
	if o.SNI {
		sni = o.VirtualHost
	}
	f, fail := get(ctx, request{
		conn: probe.Conn{Addr: netip.AddrPortFrom(o.Server, port), Timeout: o.Timeout},
		path: path, vhost: o.VirtualHost, proto: o.Protocol, tls: o.SSL, sni: sni,
	})
	if fail != "" {
		return GenhashResult{}, fmt.Errorf("%s", fail)
	}
	return GenhashResult{Status: f.status, Header: f.header, Digest: f.digest}, nil
}
