package check

import (
	"fmt"
	"time"

	"gokeepalived/internal/check/dnscheck"
	"gokeepalived/internal/check/filecheck"
	"gokeepalived/internal/check/httpget"
	"gokeepalived/internal/check/misccheck"
	"gokeepalived/internal/check/pingcheck"
	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/smtpcheck"
	"gokeepalived/internal/check/tcpcheck"
	"gokeepalived/internal/check/udpcheck"
)

// Kind is a checker keyword as written in keepalived.conf.
type Kind string

// The checker kinds. BFD_CHECK (KindBFD) is not in the Registry: it runs
// nothing, its state follows a BFD session (Scheduler.Set).
const (
	KindHTTPGet Kind = "HTTP_GET"
	KindSSLGet  Kind = "SSL_GET"
	KindTCP     Kind = "TCP_CHECK"
	KindSMTP    Kind = "SMTP_CHECK"
	KindMisc    Kind = "MISC_CHECK"
	KindDNS     Kind = "DNS_CHECK"
	KindUDP     Kind = "UDP_CHECK"
	KindPing    Kind = "PING_CHECK"
	KindFile    Kind = "FILE_CHECK"
	KindBFD     Kind = "BFD_CHECK"
)

// Spec describes one checker to build: its kind, its connection options and
// the kind's own config (see Entry.Config for the type expected).
type Spec struct {
	Kind Kind
	Conn probe.Conn
	// Config is the kind-specific config by value: httpget.Config,
	// smtpcheck.Config, misccheck.Config, dnscheck.Config, udpcheck.Config,
	// filecheck.Config; nil for TCP_CHECK and PING_CHECK. Its own Conn field,
	// if any, is overwritten by Spec.Conn.
	Config any
}

// Entry is one row of the registry.
type Entry struct {
	Kind Kind
	// Config is a zero value of the Spec.Config type the kind expects.
	Config any
	// Build makes the checker and returns the hard timeout the runner puts
	// on each of its runs.
	Build func(s Spec, p Params) (probe.Checker, time.Duration, error)
}

// timeoutSlack is added to the checker's own timeouts for the hard limit.
const timeoutSlack = time.Second

// Registry returns the table of checker kinds, in man-page order. It is a
// function so that the table cannot be mutated.
func Registry() []Entry {
	return []Entry{
		{KindHTTPGet, httpget.Config{}, buildHTTP(false)},
		{KindSSLGet, httpget.Config{}, buildHTTP(true)},
		{KindTCP, nil, buildTCP},
		{KindSMTP, smtpcheck.Config{}, buildSMTP},
		{KindDNS, dnscheck.Config{}, buildDNS},
		{KindMisc, misccheck.Config{}, buildMisc},
		{KindPing, nil, buildPing},
		{KindUDP, udpcheck.Config{}, buildUDP},
		{KindFile, filecheck.Config{}, buildFile},
	}
}

// Lookup finds a kind in the registry.
func Lookup(kind Kind) (Entry, bool) {
	for _, e := range Registry() {
		if e.Kind == kind {
			return e, true
		}
	}
	return Entry{}, false
}

// Build makes the checker for s with resolved params p.
func Build(s Spec, p Params) (probe.Checker, time.Duration, error) {
	e, ok := Lookup(s.Kind)
	if !ok {
		return nil, 0, fmt.Errorf("unknown checker %q", s.Kind)
	}
	return e.Build(s, p)
}

func configAs[T any](s Spec) (T, error) {
	var zero T
	if s.Config == nil {
		return zero, nil
	}
	switch c := s.Config.(type) {
	case T:
		return c, nil
	case *T:
		return *c, nil
	}
	return zero, fmt.Errorf("%s: config is %T, want %T", s.Kind, s.Config, zero)
}

func buildHTTP(tls bool) func(Spec, Params) (probe.Checker, time.Duration, error) {
	return func(s Spec, _ Params) (probe.Checker, time.Duration, error) {
		cfg, err := configAs[httpget.Config](s)
		if err != nil {
			return nil, 0, err
		}
		cfg.Conn, cfg.TLS = s.Conn, tls
		c, err := httpget.New(cfg)
		if err != nil {
			return nil, 0, err
		}
		// Each url gets connect_timeout to connect and again to exchange.
		return c, 2*s.Conn.ConnectTimeout()*time.Duration(len(cfg.URLs)) + timeoutSlack, nil
	}
}

func buildTCP(s Spec, _ Params) (probe.Checker, time.Duration, error) {
	return tcpcheck.New(tcpcheck.Config{Conn: s.Conn}), s.Conn.ConnectTimeout() + timeoutSlack, nil
}

func buildSMTP(s Spec, _ Params) (probe.Checker, time.Duration, error) {
	cfg, err := configAs[smtpcheck.Config](s)
	if err != nil {
		return nil, 0, err
	}
	cfg.Conn = s.Conn
	return smtpcheck.New(cfg), 2*s.Conn.ConnectTimeout() + timeoutSlack, nil
}

func buildDNS(s Spec, _ Params) (probe.Checker, time.Duration, error) {
	cfg, err := configAs[dnscheck.Config](s)
	if err != nil {
		return nil, 0, err
	}
	cfg.Conn = s.Conn
	c, err := dnscheck.New(cfg)
	return c, 2*s.Conn.ConnectTimeout() + timeoutSlack, err
}

func buildMisc(s Spec, p Params) (probe.Checker, time.Duration, error) {
	cfg, err := configAs[misccheck.Config](s)
	if err != nil {
		return nil, 0, err
	}
	if cfg.Timeout <= 0 {
		// keepalived: misc_timeout defaults to delay_loop.
		cfg.Timeout = p.DelayLoop
	}
	c, err := misccheck.New(cfg)
	return c, cfg.Timeout + misccheck.KillGrace + timeoutSlack, err
}

func buildPing(s Spec, _ Params) (probe.Checker, time.Duration, error) {
	return pingcheck.New(pingcheck.Config{Conn: s.Conn}), s.Conn.ConnectTimeout() + timeoutSlack, nil
}

func buildUDP(s Spec, _ Params) (probe.Checker, time.Duration, error) {
	cfg, err := configAs[udpcheck.Config](s)
	if err != nil {
		return nil, 0, err
	}
	cfg.Conn = s.Conn
	c, err := udpcheck.New(cfg)
	return c, 2*s.Conn.ConnectTimeout() + timeoutSlack, err
}

func buildFile(s Spec, _ Params) (probe.Checker, time.Duration, error) {
	cfg, err := configAs[filecheck.Config](s)
	if err != nil {
		return nil, 0, err
	}
	c, err := filecheck.New(cfg)
	return c, 5 * time.Second, err
}
