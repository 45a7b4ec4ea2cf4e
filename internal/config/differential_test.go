package config

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gokeepalived/internal/config/syntax"
)

// The differential test: every configuration in testdata/diff/ is checked
// by our loader (what `gokeepalived -t` does: Load, then CheckHost against
// the interfaces of a network namespace) and by the real keepalived 2.2.7
// (`keepalived -t -f FILE`) inside the same namespace, and the verdicts
// (valid / invalid) are compared with each file's header:
//
//	# diff: what the file tests
//	# verdict: valid | invalid
//
// Files in the subdirectories are include fragments, not corpus entries.
// The two tables below list every case where the verdicts differ on
// purpose; everywhere else they must agree.

const (
	keepalivedBin = "/usr/sbin/keepalived"
	diffConfigID  = "gkdiff" // -i for keepalived, ConfigID for us (@gkdiff lines)
	diffNSPrefix  = "gkdiff-"
)

// diffIfaces are the interfaces the corpus names; each is one end of a veth
// pair (the kernel here has no dummy links).
var diffIfaces = []string{"eth0", "eth1", "eth2", "ens33"}

type verdict string

const (
	valid   verdict = "valid"
	invalid verdict = "invalid"
	crashed verdict = "crashed" // keepalived died on a signal
)

// diffStricter lists the files gokeepalived refuses although keepalived
// 2.2.7 -t does not, with keepalived's verdict and the reason.
var diffStricter = map[string]struct {
	keepalived verdict
	reason     string
}{
	"e29-undefined-vs-group.conf": {valid, "keepalived -t says nothing about a virtual_server naming an undefined " +
		"virtual_server_group and exits 0; the service would silently never exist"},
	"e81-regex-invalid.conf": {valid, "keepalived 2.2.7 -t does not check a regex (it logs \"Invalid regex\" at start and " +
		"checks the url without it); we refuse it at its position"},
	"e82-regex-possessive.conf": {valid, "PCRE2 has possessive quantifiers, regexp2 (our engine) does not: we refuse the pattern " +
		"at the quantifier rather than match differently"},
	"e73-sync-daemon-unknown-inst.conf": {valid, "keepalived -t does not look up lvs_sync_daemon's instance; at run " +
		"time it logs \"Unable to find vrrp instance\" and runs no sync daemon: connections would silently not be synced"},
	"e49-http-no-path.conf": {crashed, "keepalived 2.2.7 -t segfaults (exit 139) on an HTTP_GET url block " +
		"without a path; we report 'url has no path'"},
}

// diffLenient lists the files gokeepalived accepts although keepalived
// 2.2.7 -t exits non-zero, because keepalived counts a notice about
// something that changes nothing at run time as a configuration error. We
// must still warn: warning is the substring our diagnostics must contain.
var diffLenient = map[string]struct {
	warning string
	reason  string
}{
	"l90-instance-linkbeat.conf": {"'linkbeat_use_polling' in vrrp_instance is deprecated",
		"keepalived 2.2.7 polls the instance's interface as asked, but -t exits non-zero on its deprecation notice; we do the same and warn"},
	"l01-nb-get-retry.conf": {"'nb_get_retry' is deprecated; use 'retry'",
		"issue 2 requires accepting nb_get_retry (common in real configs); keepalived -t exits 5 on its deprecation notice"},
	"l02-auth-pass-long.conf": {"auth_pass is longer than 8 characters",
		"keepalived truncates auth_pass to 8 characters and so does every peer: the truncated password interoperates; -t exits 5 on the notice"},
	"l03-track-own-interface.conf": {"is the instance's own interface",
		"keepalived ignores a track_interface entry naming the instance's own interface (always tracked) and -t exits 5; the line changes nothing"},
	"l06-track-own-if-no-primary.conf": {"is the instance's own interface",
		"the same under dont_track_primary: keepalived drops the entry (and its weight) and -t exits 5; we drop it and warn"},
	"l04-vs-default-sched.conf": {"has no lvs_sched (lb_algo); using wlc",
		"without lvs_sched/lvs_method keepalived uses wlc/NAT and -t exits 5 on the notice; we use the same defaults"},
	"l05-script-security.conf": {"enable_script_security is not set",
		"keepalived -t exits 6 (script security) when scripts would run as root without enable_script_security; " +
			"whether to require it is the operator's policy, and we warn"},
	"l80-nb-get-retry-tcp.conf": {"'nb_get_retry' is ignored",
		"keepalived 2.2.7 says \"Unknown keyword\" for nb_get_retry outside HTTP_GET/SSL_GET and -t exits 5; the checker runs " +
			"with its default retry, and so does ours (issue 12: behave as the user's cluster does today), with a warning"},
	"l81-persistence-timeout-zero.conf": {"is outside keepalived's range 1..2678400",
		"keepalived 2.2.7 refuses persistence_timeout 0 (\"persistence_timeout invalid\", -t exits 5) and keeps the previous " +
			"value (no persistence); we keep it too and warn"},
	"l70-lvs-sync-daemon-interface.conf": {"'lvs_sync_daemon_interface' is deprecated",
		"keepalived 2.2.7 runs a vrrp_instance's lvs_sync_daemon_interface (the second most common refusal in published " +
			"director configs, issue 12) but -t exits 5 on its deprecation notice; we run it the same way and warn"},
	"l07-script-after-instance.conf": {"is defined after it: gokeepalived attaches it",
		"keepalived 2.2.7 resolves a track_script when it reads it, so a vrrp_script defined later is ignored " +
			"(\"not found, ignoring\") and -t exits 5; the instance would silently run untracked, so we attach it and warn"},
	"l08-vrrp-iptables.conf": {"uses nftables instead (table 'keepalived'",
		"keepalived 2.2.7 built without iptables (Debian's) maps vrrp_iptables onto nftables, as we do, but -t exits 5 on " +
			"its notice \"iptables not supported, using nftables instead\"; we warn with the same advice"},
	"l09-vrrp-ipsets.conf": {"the names are ignored",
		"keepalived 2.2.7 built without ipset support calls vrrp_ipsets an unknown keyword (-t exits 5); with vrrp_iptables " +
			"mapped onto nftables the set names have no use, so we accept them and warn"},
	"l10-sync-member-weight.conf": {"track_script chk with weight -20 is ignored, as in keepalived",
		"keepalived 2.2.7 runs this configuration with the member's weighted track_script dropped and reports the drop " +
			"as a configuration error, so -t exits non-zero; we run it the same way and warn"},
	"l90-vrf.conf": {"keepalived 2.2.7 refuses every instance without interface",
		"keepalived 2.2.7 checks for unicast before it knows the instance is unicast, so every instance without interface " +
			"fails with \"Unknown interface!\" (fixed in 2.2.8, commit 75f30737): its vrf keyword can never run; we run it, as 2.2.8 does, and warn"},
	"l11-global-tracking.conf": {"'global_tracking' is deprecated",
		"keepalived 2.2.7 reports the deprecated global_tracking as a configuration error (-t exits non-zero) and runs " +
			"it as sync_group_tracking_weight; so do we, with a warning"},
}

func TestDifferential(t *testing.T) {
	if _, err := os.Stat(keepalivedBin); err != nil {
		t.Skipf("differential test needs keepalived 2.2.7 at %s (apt-get install keepalived; make test installs it): %v", keepalivedBin, err)
	}
	requireRoot(t)
	files, err := filepath.Glob(filepath.Join("testdata", "diff", "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("corpus has %d configs, want at least 40", len(files))
	}
	seen := map[string]bool{}
	for _, f := range files {
		seen[filepath.Base(f)] = true
	}
	for name := range diffStricter {
		if !seen[name] {
			t.Errorf("diffStricter names %s, which is not in testdata/diff", name)
		}
	}
	for name := range diffLenient {
		if !seen[name] {
			t.Errorf("diffLenient names %s, which is not in testdata/diff", name)
		}
	}

	ns := newDiffNS(t)
	ifaces := ns.links(t)
	agree := 0
	for _, f := range files {
		name := filepath.Base(f)
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(name, ".conf"), func(t *testing.T) {
			want := corpusHeader(t, abs)
			ours, ds := ourVerdict(abs, ifaces)
			theirs, out := ns.keepalivedVerdict(t, abs)
			explain := func() string {
				return fmt.Sprintf("\n--- gokeepalived:\n%s--- keepalived -t (%s):\n%s", diagText(ds), theirs, out)
			}
			if ours != want {
				t.Errorf("gokeepalived says %s, the header says %s%s", ours, want, explain())
			}
			if s, ok := diffStricter[name]; ok {
				if want != invalid {
					t.Errorf("listed as stricter but the header verdict is %s", want)
				}
				if theirs != s.keepalived {
					t.Errorf("listed as stricter (keepalived: %s) but keepalived says %s: remove it from diffStricter%s", s.keepalived, theirs, explain())
				}
				t.Logf("deliberately stricter: %s", s.reason)
				return
			}
			if l, ok := diffLenient[name]; ok {
				if want != valid {
					t.Errorf("listed as lenient but the header verdict is %s", want)
				}
				if theirs != invalid {
					t.Errorf("listed as lenient but keepalived says %s: remove it from diffLenient%s", theirs, explain())
				}
				if !strings.Contains(diagText(ds), l.warning) {
					t.Errorf("lenient case must warn %q%s", l.warning, explain())
				}
				t.Logf("deliberately lenient: %s", l.reason)
				return
			}
			if theirs != want {
				t.Errorf("keepalived -t says %s, the header says %s (list the case in diffStricter/diffLenient only if the difference is deliberate)%s", theirs, want, explain())
				return
			}
			if ours == theirs {
				agree++
			}
		})
	}
	t.Logf("%d configs: %d verdicts agree, %d deliberately stricter, %d deliberately lenient",
		len(files), agree, len(diffStricter), len(diffLenient))

	// The silent-failure trap: keepalived -t exits 0 for a file that
	// does not exist; we refuse it.
	t.Run("missing-file", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope.conf")
		if theirs, out := ns.keepalivedVerdict(t, missing); theirs != valid {
			t.Errorf("keepalived -t on a missing file: %s, expected its (documented here) exit 0\n%s", theirs, out)
		}
		if ours, ds := ourVerdict(missing, ifaces); ours != invalid {
			t.Errorf("gokeepalived on a missing file: %s, want invalid\n%s", ours, diagText(ds))
		}
	})
}

// diagText is the diagnostics one per line, as -t prints them.
func diagText(ds Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}

// requireRoot skips without root (network namespaces), unless
// GOKEEPALIVED_REQUIRE_ROOT=1 forbids skipping.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	const why = "the differential test runs keepalived in a network namespace and needs root"
	if os.Getenv("GOKEEPALIVED_REQUIRE_ROOT") == "1" {
		t.Fatalf("%s, and GOKEEPALIVED_REQUIRE_ROOT=1 forbids skipping", why)
	}
	t.Skip(why)
}

// corpusHeader returns the verdict of a corpus file's header, failing the
// test if the header is missing.
func corpusHeader(t *testing.T, path string) verdict {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var desc bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		if strings.HasPrefix(line, "# diff: ") {
			desc = true
		}
		if v, ok := strings.CutPrefix(line, "# verdict: "); ok {
			if !desc {
				t.Fatalf("%s: '# diff:' must come before '# verdict:'", path)
			}
			switch w, _, _ := strings.Cut(v, " "); verdict(w) {
			case valid:
				return valid
			case invalid:
				return invalid
			}
			t.Fatalf("%s: verdict %q is not valid or invalid", path, v)
		}
	}
	t.Fatalf("%s: no '# verdict: valid|invalid' header line", path)
	return ""
}

// ourVerdict is what `gokeepalived -t -i gkdiff -f path` decides inside the
// namespace: a missing file, any error from Load, or from CheckHost
// against the namespace's interfaces, makes it invalid.
func ourVerdict(path string, ifaces map[string]bool) (verdict, Diagnostics) {
	if _, err := os.Stat(path); err != nil {
		var ds Diagnostics
		ds.Errorf(Pos{File: path}, "cannot read the configuration file: %v", err)
		return invalid, ds
	}
	cfg, ds := Load(path, LoadOptions{Syntax: syntax.Options{ConfigID: diffConfigID}})
	if cfg != nil && !ds.HasErrors() {
		ds = append(ds, CheckHost(cfg, slices.Collect(maps.Keys(ifaces)))...)
	}
	if ds.HasErrors() {
		return invalid, ds
	}
	return valid, ds
}

// diffNS is a network namespace holding the corpus's interfaces.
type diffNS struct{ name string }

func newDiffNS(t *testing.T) *diffNS {
	t.Helper()
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	ns := &diffNS{name: diffNSPrefix + hex.EncodeToString(rnd[:])}
	if out, err := exec.Command("ip", "netns", "add", ns.name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", ns.name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v\n%s", ns.name, err, out)
		}
	})
	ns.ip(t, "link", "set", "lo", "up")
	for i, name := range diffIfaces {
		peer := fmt.Sprintf("gkpeer%d", i)
		ns.ip(t, "link", "add", name, "type", "veth", "peer", "name", peer)
		ns.ip(t, "link", "set", name, "up")
		ns.ip(t, "link", "set", peer, "up")
	}
	return ns
}

func (ns *diffNS) ip(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns.name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %s: %v\n%s", ns.name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// links returns the names of the namespace's links.
func (ns *diffNS) links(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, line := range strings.Split(ns.ip(t, "-o", "link", "show"), "\n") {
		// "2: eth0@gkpeer0: <BROADCAST,...> ..."
		_, rest, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, ":")
		name, _, _ = strings.Cut(name, "@")
		names[name] = true
	}
	for _, want := range diffIfaces {
		if !names[want] {
			t.Fatalf("namespace %s has no %s (links: %v)", ns.name, want, names)
		}
	}
	return names
}

// keepalivedVerdict runs keepalived -t in the namespace. keepalived 2.2.7
// exits 0 for a valid configuration (and for a missing file), 4, 5 or 6
// for an invalid one (config, config test, script security), and 2 when
// parsing stops early (a keyword missing its argument).
func (ns *diffNS) keepalivedVerdict(t *testing.T, path string) (verdict, string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns.name, keepalivedBin,
		"-t", "-f", path, "-i", diffConfigID, "--log-console", "--dont-fork")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return valid, string(out)
	case errors.As(err, &ee) && !ee.Exited():
		return crashed, string(out)
	case errors.As(err, &ee):
		switch ee.ExitCode() {
		case 2, 4, 5, 6:
			return invalid, string(out)
		case 139: // a shell-style report of SIGSEGV (ip netns exec forwards it)
			return crashed, string(out)
		}
	}
	t.Fatalf("keepalived -t -f %s: unexpected result %v\n%s", path, err, out)
	return "", ""
}
