package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestNbGetRetryOutsideHTTP: keepalived 2.2.7 knows nb_get_retry only in
// HTTP_GET/SSL_GET; elsewhere it is an unknown keyword and the checker keeps
// its default retry. So here: the line is ignored, with a warning.
func TestNbGetRetryOutsideHTTP(t *testing.T) {
	for _, ck := range []string{"TCP_CHECK", "SMTP_CHECK", "UDP_CHECK", "PING_CHECK", "DNS_CHECK", "MISC_CHECK"} {
		body := "            nb_get_retry 7\n"
		if ck == "MISC_CHECK" {
			body += "            misc_path /bin/true\n"
		}
		text := lvsConf("", "        "+ck+" {\n"+body+"        }\n")
		cfg, ds := LoadBytes("t.conf", []byte(text), LoadOptions{})
		if ds.HasErrors() {
			t.Fatalf("%s: %s", ck, ds.Error())
		}
		if !strings.Contains(diagText(ds), "'nb_get_retry' is ignored") {
			t.Errorf("%s: no warning that nb_get_retry is ignored:\n%s", ck, diagText(ds))
		}
		if r := cfg.VirtualServers[0].RealServers[0].Checkers[0].Timing.Retry; r == 7 {
			t.Errorf("%s: nb_get_retry set the retry count to 7", ck)
		}
	}
	// In HTTP_GET it still is the deprecated spelling of retry.
	cfg := load(t, lvsConf("", "        HTTP_GET {\n            nb_get_retry 7\n            url {\n                path /\n            }\n        }\n"))
	if r := cfg.VirtualServers[0].RealServers[0].Checkers[0].Timing.Retry; r != 7 {
		t.Errorf("HTTP_GET nb_get_retry 7: retry %d", r)
	}
}

// TestPersistenceTimeoutRange: keepalived refuses 0 and values above
// 2678400 and keeps the previous value.
func TestPersistenceTimeoutRange(t *testing.T) {
	for _, tc := range []struct {
		lines string
		want  string
		warn  bool
	}{
		{"    persistence_timeout 0\n", "0s", true},
		{"    persistence_timeout 2678401\n", "0s", true},
		{"    persistence_timeout 50\n    persistence_timeout 0\n", "50s", true},
		{"    persistence_timeout 2678400\n", "744h0m0s", false},
	} {
		cfg, ds := LoadBytes("t.conf", []byte(lvsConf(tc.lines, "")), LoadOptions{})
		if ds.HasErrors() {
			t.Fatalf("%q: %s", tc.lines, ds.Error())
		}
		if got := cfg.VirtualServers[0].Persistence.String(); got != tc.want {
			t.Errorf("%q: persistence %s, want %s", tc.lines, got, tc.want)
		}
		warned := strings.Contains(diagText(ds), "outside keepalived's range")
		if warned != tc.warn {
			t.Errorf("%q: warned=%v\n%s", tc.lines, warned, diagText(ds))
		}
	}
}

// TestSMTPHostBlocks: each host block is a checker of its own (keepalived
// 2.2.7 check_smtp.c); the SMTP_CHECK's own connection is checked too only
// when the block set a connection keyword; a host's connect_timeout comes
// from the real/virtual server; other keywords in a host set the SMTP_CHECK's.
func TestSMTPHostBlocks(t *testing.T) {
	cfg := load(t, lvsConf("    connect_timeout 9\n", `        SMTP_CHECK {
            retry 2
            host {
                connect_ip 192.0.2.20
                connect_port 2525
            }
            host {
                connect_timeout 3
                delay_before_retry 7
            }
        }
        SMTP_CHECK {
            connect_port 26
            host {
                connect_ip 192.0.2.21
            }
        }
`))
	cs := cfg.VirtualServers[0].RealServers[0].Checkers
	if len(cs) != 4 {
		t.Fatalf("%d checkers, want 2 hosts + (own connection + 1 host)", len(cs))
	}
	type got struct {
		ip, port, timeout, retry, dbr string
	}
	var g []got
	for _, c := range cs {
		g = append(g, got{c.ConnectIP.String(), fmt.Sprint(c.ConnectPort), c.Timing.ConnectTimeout.String(), fmt.Sprint(c.Timing.Retry), c.Timing.DelayBeforeRetry.String()})
	}
	want := []got{
		{"192.0.2.20", "2525", "9s", "2", "7s"},
		{"invalid IP", "80", "3s", "2", "7s"},
		{"invalid IP", "26", "9s", "1", "1s"},
		{"192.0.2.21", "80", "9s", "1", "1s"},
	}
	for i := range want {
		if g[i] != want[i] {
			t.Errorf("checker %d: %+v, want %+v", i, g[i], want[i])
		}
	}
	// keepalived's own sample.
	const sample = "/usr/share/doc/keepalived/samples/keepalived.conf.SMTP_CHECK"
	if _, err := os.Stat(sample); err != nil {
		t.Skipf("keepalived samples not installed: %v", err)
	}
	cfg, ds := Load(sample, LoadOptions{})
	if ds.HasErrors() {
		t.Fatalf("%s:\n%s", sample, ds.Error())
	}
	if n := len(cfg.VirtualServers[0].RealServers[1].Checkers); n != 4 {
		t.Errorf("sample real server 172.16.1.11: %d checkers, want its own connection + 3 hosts", n)
	}
}

// TestRegexKeywords: the url regex keywords parse into the model, with
// keepalived's rules for what it ignores and errors at the position of
// what regexp2 cannot run as PCRE2 would.
func TestRegexKeywords(t *testing.T) {
	conf := func(lines string) string {
		return lvsConf("", "        HTTP_GET {\n            url {\n                path /\n"+lines+"            }\n        }\n")
	}
	// As in keepalived, a backslash in the configuration escapes the next
	// character: the regex \d is written \\d.
	cfg, ds := LoadBytes("t.conf", []byte(conf(`                regex "(?<=id=)\\d+"
                regex_no_match
                regex_options caseless never_utf bogus
                regex_min_offset 3
                regex_max_offset 40
                regex_stack 1000 8000
`)), LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	u := cfg.VirtualServers[0].RealServers[0].Checkers[0].HTTP.URLs[0]
	if u.Regex != `(?<=id=)\d+` || !u.RegexNoMatch || strings.Join(u.RegexOptions, ",") != "caseless" ||
		u.RegexMinOffset != 3 || u.RegexMaxOffset != 40 || u.RegexStackMax != 8000 {
		t.Errorf("url %+v", u)
	}
	for _, want := range []string{"t.conf:10:50: warning: regex_options: 'bogus' is not a keepalived 2.2.7 regex option",
		"t.conf:10:40: warning: regex_options never_utf: no effect"} {
		if !strings.Contains(diagText(ds), want) {
			t.Errorf("no %q in\n%s", want, diagText(ds))
		}
	}
	var b strings.Builder
	if err := Dump(&b, cfg); err != nil || !strings.Contains(b.String(), `regex "(?<=id=)\\d+" no_match true options caseless min_offset 3 max_offset 40 stack_max 8000`) {
		t.Errorf("dump (%v):\n%s", err, b.String())
	}
	for _, tc := range []struct{ lines, want string }{
		{"                regex \"a++\"\n", "t.conf:8:26: error: regex: possessive quantifiers"},
		{"                regex \"a(?R)\"\n", "t.conf:8:25: error: regex: recursion"},
		{"                regex a\n                regex_options ungreedy\n", "t.conf:9:31: error: regex_options ungreedy: regexp2 has no ungreedy mode"},
		{"                regex_no_match\n", "warning: regex_no_match without regex in this url block: ignored"},
		{"                regex a\n                regex_min_offset 9\n                regex_max_offset 3\n", "warning: regex_min_offset 9 is beyond regex_max_offset 3"},
		{"                regex a\n                regex_stack 9 3\n", "warning: regex_stack: start 9 exceeds max 3; ignored"},
	} {
		_, ds := LoadBytes("t.conf", []byte(conf(tc.lines)), LoadOptions{})
		if !strings.Contains(diagText(ds), tc.want) {
			t.Errorf("%q: want %q in\n%s", tc.lines, tc.want, diagText(ds))
		}
	}
}
