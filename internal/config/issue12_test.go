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
