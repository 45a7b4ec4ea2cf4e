package config

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checkerBodies are minimal valid bodies of each checker kind.
var checkerBodies = map[string]string{
	"HTTP_GET":   "url {\n path /\n }",
	"SSL_GET":    "url {\n path /\n }",
	"TCP_CHECK":  "",
	"SMTP_CHECK": "",
	"DNS_CHECK":  "name example.org",
	"MISC_CHECK": "misc_path /bin/true",
	"PING_CHECK": "",
	"UDP_CHECK":  "",
	"FILE_CHECK": "track_file tf",
}

// TestCheckerTimingDefaults: the config build resolves each checker's timing
// (virtual_server → real_server → checker, then the kind's keepalived
// default for what nobody set: check_api.c queue_checker default_retry 1 and
// default_delay_before_retry 1 s, check_http.c 3 s, check_misc.c retry 0,
// check_dns.c retry 3 and delay_before_retry = delay_loop, check_data.c
// warmup = delay_loop; FILE_CHECK never retries, keepalived's file checker
// acts on each change). The checker runtime takes these values as they are.
func TestCheckerTimingDefaults(t *testing.T) {
	type timing struct {
		DelayLoop, DelayBeforeRetry, Warmup time.Duration
		Retry                               int
	}
	const min = time.Minute
	tests := []struct {
		name    string
		kind    string
		vs, rs  string // timing keywords at the virtual_server and real_server level
		checker string // and in the checker block
		want    timing
	}{
		{"HTTP_GET defaults", "HTTP_GET", "", "", "", timing{min, 3 * time.Second, min, 1}},
		{"SSL_GET defaults", "SSL_GET", "", "", "", timing{min, 3 * time.Second, min, 1}},
		{"TCP_CHECK defaults", "TCP_CHECK", "", "", "", timing{min, time.Second, min, 1}},
		{"SMTP_CHECK defaults", "SMTP_CHECK", "", "", "", timing{min, time.Second, min, 1}},
		{"DNS_CHECK defaults", "DNS_CHECK", "", "", "", timing{min, min, min, 3}},
		{"MISC_CHECK defaults", "MISC_CHECK", "", "", "", timing{min, time.Second, min, 0}},
		{"PING_CHECK defaults", "PING_CHECK", "", "", "", timing{min, time.Second, min, 1}},
		{"UDP_CHECK defaults", "UDP_CHECK", "", "", "", timing{min, time.Second, min, 1}},
		{"FILE_CHECK defaults", "FILE_CHECK", "", "", "", timing{min, time.Second, min, 0}},
		{"FILE_CHECK never retries", "FILE_CHECK", "retry 3", "", "", timing{min, time.Second, min, 0}},
		{"DNS_CHECK delay_before_retry follows an inherited delay_loop", "DNS_CHECK", "delay_loop 7", "", "",
			timing{7 * time.Second, 7 * time.Second, 7 * time.Second, 3}},
		{"DNS_CHECK delay_before_retry follows its own delay_loop", "DNS_CHECK", "", "", "delay_loop 9",
			timing{9 * time.Second, 9 * time.Second, 9 * time.Second, 3}},
		{"DNS_CHECK takes an inherited retry", "DNS_CHECK", "", "retry 1", "", timing{min, min, min, 1}},
		{"MISC_CHECK takes an inherited retry", "MISC_CHECK", "retry 2", "", "", timing{min, time.Second, min, 2}},
		{"a later level overrides an earlier one", "HTTP_GET", "", "retry 5\n warmup 0", "retry 3\n delay_before_retry 2",
			timing{min, 2 * time.Second, 0, 3}},
		{"HTTP_GET takes an inherited delay_before_retry", "HTTP_GET", "delay_before_retry 4", "", "",
			timing{min, 4 * time.Second, min, 1}},
		{"warmup follows the checker's delay_loop", "TCP_CHECK", "delay_loop 10", "", "delay_loop 20",
			timing{20 * time.Second, time.Second, 20 * time.Second, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := fmt.Sprintf(`track_file tf {
    file /nonexistent/gk-test-weight
}
virtual_server 192.0.2.1 80 {
    protocol TCP
    %s
    real_server 192.0.2.10 80 {
        %s
        %s {
            %s
            %s
        }
    }
}
`, tt.vs, tt.rs, tt.kind, checkerBodies[tt.kind], tt.checker)
			c := load(t, text).VirtualServers[0].RealServers[0].Checkers[0]
			got := timing{c.Timing.DelayLoop, c.Timing.DelayBeforeRetry, c.Timing.Warmup, c.Timing.Retry}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("%s timing (-want +got):\n%s", tt.kind, d)
			}
		})
	}
}
