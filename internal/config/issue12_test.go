package config

import (
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
