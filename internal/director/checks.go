package director

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"

	"gokeepalived/internal/check"
	"gokeepalived/internal/check/dnscheck"
	"gokeepalived/internal/check/filecheck"
	"gokeepalived/internal/check/httpget"
	"gokeepalived/internal/check/misccheck"
	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/smtpcheck"
	"gokeepalived/internal/check/udpcheck"
	"gokeepalived/internal/config"
	"gokeepalived/internal/notify"
)

// job is one configured checker, ready for the check runner, with a
// fingerprint of everything that defines it: a reload keeps a running
// checker (and its state) when the fingerprint is unchanged.
type job struct {
	check.Job
	vs          string // VirtualServer.Name()
	kind        string // HTTP_GET, TCP_CHECK, ... (the checker's mail text)
	fingerprint string
	// bfd is the bfd_instance a BFD_CHECK follows ("" for the others,
	// which run).
	bfd string
}

// serverID names a real server of a virtual server for the check runner:
// the same address may be a real server of several virtual servers, each
// with its own checkers and health.
func serverID(vs *config.VirtualServer, rs *config.RealServer) check.ServerID {
	return check.ServerID(vs.Name() + " " + rsAddr(rs).String())
}

func rsAddr(rs *config.RealServer) netip.AddrPort {
	return netip.AddrPortFrom(rs.Addr.Unmap(), rs.Port)
}

// jobs maps every checker of cfg's virtual servers to a check.Job, its
// checker made by build (check.Build, or fakes in tests). Checkers that
// cannot be built are returned as errors (the rest run).
func jobs(cfg *config.Config, build BuildChecker) ([]job, []error) {
	var out []job
	var errs []error
	tlsCfg, err := sslConfig(cfg.SSL)
	if err != nil {
		errs = append(errs, err)
	}
	for _, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			for i, c := range rs.Checkers {
				j, err := checkJob(cfg, vs, rs, i, c, tlsCfg, build)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: virtual_server %s real_server %s %s: %w", c.Pos, vs.Name(), rsAddr(rs), c.Type, err))
					continue
				}
				out = append(out, j)
			}
		}
	}
	return out, errs
}

// ConnectAddr is where a checker connects: connect_ip and connect_port,
// each defaulting to the real server's.
func ConnectAddr(rs *config.RealServer, c *config.Checker) netip.AddrPort {
	addr := c.ConnectIP
	if !addr.IsValid() {
		addr = rs.Addr
	}
	port := c.ConnectPort
	if port == 0 {
		port = rs.Port
	}
	return netip.AddrPortFrom(addr.Unmap(), port)
}

// checkJob builds one checker: its connection (connect_ip/port default to
// the real server), its kind's config, its resolved timing and hard timeout.
func checkJob(cfg *config.Config, vs *config.VirtualServer, rs *config.RealServer, i int, c *config.Checker, tlsCfg *tls.Config, build BuildChecker) (job, error) {
	spec := check.Spec{Kind: check.Kind(c.Type)}
	spec.Conn = probe.Conn{Addr: ConnectAddr(rs, c), BindAddr: c.BindTo, BindPort: c.BindPort,
		BindIf: c.BindIf, Fwmark: c.FWMark, Timeout: c.Timing.ConnectTimeout}
	// The config package has already resolved inheritance (virtual server →
	// real server → checker) and each kind's defaults into c.Timing.
	alpha := c.Alpha || rs.Alpha || vs.Alpha
	t := c.Timing
	params := check.Params{DelayLoop: t.DelayLoop, DelayBeforeRetry: t.DelayBeforeRetry, Retry: t.Retry,
		Warmup: t.Warmup, Alpha: alpha}
	if params.DelayLoop <= 0 {
		params.DelayLoop = check.DefaultDelayLoop
	}
	switch c.Type {
	case string(check.KindBFD):
		return bfdJob(vs, rs, i, c), nil
	case "HTTP_GET", "SSL_GET":
		h := c.HTTP
		hc := httpget.Config{VirtualHost: h.VirtualHost, Protocol: httpget.Protocol(h.Protocol), EnableSNI: h.EnableSNI}
		for _, u := range h.URLs {
			var codes httpget.StatusSet
			for _, r := range u.StatusCodes {
				codes = append(codes, httpget.StatusRange{Lo: r.From, Hi: r.To})
			}
			hc.URLs = append(hc.URLs, httpget.URL{Path: u.Path, Digest: u.Digest, StatusCodes: codes, VirtualHost: u.VirtualHost,
				Regex: u.Regex, RegexNoMatch: u.RegexNoMatch, RegexOptions: u.RegexOptions, RegexMinOffset: u.RegexMinOffset,
				RegexMaxEnd: u.RegexMaxOffset + 1, RegexStackMax: u.RegexStackMax})
		}
		spec.Config = hc
	case "SMTP_CHECK":
		spec.Config = smtpcheck.Config{HeloName: c.SMTP.HeloName}
	case "DNS_CHECK":
		spec.Config = dnscheck.Config{Type: c.DNS.Type, Name: c.DNS.Name}
	case "UDP_CHECK":
		u := udpcheck.Config{Payload: c.UDP.Payload, RequireReply: c.UDP.RequireReply,
			MinReplyLength: c.UDP.MinReplyLength, MaxReplyLength: c.UDP.MaxReplyLength}
		if len(c.UDP.ReplyValue) > 0 {
			u.ReplyPattern = udpcheck.Pattern{Value: c.UDP.ReplyValue, Mask: c.UDP.ReplyMask}
		}
		spec.Config = u
	case "MISC_CHECK":
		m := misccheck.Config{Argv: c.Misc.Command.Args, Timeout: c.Misc.Timeout, Dynamic: c.Misc.Dynamic}
		cred, err := notify.ResolveUser(c.Misc.Command.User, c.Misc.Command.Group, cfg.Global.ScriptUser, cfg.Global.ScriptGroup)
		if err != nil {
			return job{}, err
		}
		if cred != nil {
			m.Credential = &misccheck.Credential{UID: cred.UID, GID: cred.GID}
		}
		spec.Config = m
	case "FILE_CHECK":
		f := filecheck.Config{Name: c.File.TrackFile, Weight: c.File.Weight, Reverse: c.File.Reverse, Dynamic: c.File.Dynamic}
		for _, tf := range cfg.TrackFiles {
			if tf.Name == c.File.TrackFile {
				f.Path = tf.Path
				if f.Weight == 0 {
					f.Weight, f.Reverse = tf.Weight, tf.Reverse || f.Reverse
				}
			}
		}
		if f.Path == "" {
			return job{}, fmt.Errorf("track_file %q is not defined", c.File.TrackFile)
		}
		spec.Config = f
	}
	fp, err := json.Marshal(struct {
		Spec   check.Spec
		Params check.Params
		TLS    bool
	}{spec, params, tlsCfg != nil})
	if err != nil {
		return job{}, fmt.Errorf("fingerprint: %w", err)
	}
	if hc, ok := spec.Config.(httpget.Config); ok && tlsCfg != nil {
		hc.TLSConfig = tlsCfg
		spec.Config = hc
	}
	checker, timeout, err := build(spec, params)
	if err != nil {
		return job{}, err
	}
	sid := serverID(vs, rs)
	return job{
		Job: check.Job{
			Spec:    check.CheckSpec{ID: check.CheckID(fmt.Sprintf("%s %s#%d", sid, c.Type, i)), Server: sid, Params: params, Timeout: timeout},
			Checker: checker,
		},
		vs:          vs.Name(),
		kind:        c.Type,
		fingerprint: string(fp),
	}, nil
}

// bfdJob is a BFD_CHECK: nothing runs; the checker is up while its
// bfd_instance's session is Up (Director.BFDState). It starts down,
// whatever alpha says: keepalived's BFD process reports every session's
// state (Down) as the checkers start, which takes a non-alpha checker
// down at once.
func bfdJob(vs *config.VirtualServer, rs *config.RealServer, i int, c *config.Checker) job {
	sid := serverID(vs, rs)
	params := check.Params{Alpha: true}
	return job{
		Job: check.Job{Spec: check.CheckSpec{ID: check.CheckID(fmt.Sprintf("%s %s#%d", sid, c.Type, i)), Server: sid,
			Params: params, External: true}},
		vs:          vs.Name(),
		kind:        c.Type,
		fingerprint: "BFD_CHECK " + c.BFD.Name,
		bfd:         c.BFD.Name,
	}
}

// sslConfig turns the top-level SSL block into a TLS client config for
// SSL_GET: the CA verifies servers, certificate and key authenticate us.
// Without the block SSL_GET does not verify, as in keepalived.
func sslConfig(s *config.SSLConfig) (*tls.Config, error) {
	if s == nil {
		return nil, nil
	}
	tc := &tls.Config{InsecureSkipVerify: s.CA == ""} //nolint:gosec // keepalived verifies only with a CA
	if s.CA != "" {
		pem, err := os.ReadFile(s.CA)
		if err != nil {
			return nil, fmt.Errorf("%s: SSL ca: %w", s.Pos, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: SSL ca %s: no PEM certificate", s.Pos, s.CA)
		}
		tc.RootCAs = pool
	}
	if s.Certificate != "" {
		key := s.KeyFile
		if key == "" {
			key = s.Certificate
		}
		cert, err := tls.LoadX509KeyPair(s.Certificate, key)
		if err != nil {
			return nil, fmt.Errorf("%s: SSL certificate: %w", s.Pos, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
