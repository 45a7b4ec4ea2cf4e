package config

import (
	"strings"
	"testing"
)

// TestEveryRow: every implemented keyword carries its setter in its row,
// so that adding a keyword means adding one row, and prints its value in
// the dump (-d) from there, except those whose value another row prints.
func TestEveryRow(t *testing.T) {
	noSetter := map[string]bool{"global_defs include_check": true} // the preprocessor's
	shownElsewhere := map[string]bool{
		"vrrp_instance nopreempt":                 true, // preempt false
		"vrrp_instance no_accept":                 true, // accept false
		"vrrp_track_process delay":                true, // fork_delay and terminate_delay
		"global_defs enable_snmp_rfc":             true, // enable_snmp_rfcv2 and enable_snmp_rfcv3
		"vrrp_instance lvs_sync_daemon_interface": true, // global_defs lvs_sync_daemon ... inst NAME
	}
	rows := 0
	for _, r := range AllKeywords() {
		name, k := r.Block+" "+r.Keyword.Name, r.Keyword
		if k.Status != Implemented || !contains(Table().Where(k.Name), r.Block) || noSetter[name] {
			continue // not implemented, or inside an unimplemented block
		}
		rows++
		if k.set == nil {
			t.Errorf("%s: implemented but its row has no setter", name)
		}
		// url and authentication lines print as one line from their block's row.
		if k.dump == nil && k.AliasOf == "" && !shownElsewhere[name] && !strings.HasSuffix(r.Block, " url") && r.Block != "authentication" {
			t.Errorf("%s: its row has no dumper", name)
		}
	}
	if rows < 200 {
		t.Errorf("checked %d rows, want every implemented keyword", rows)
	}
}

// TestDumpLVS: the load-balancer blocks dump from their rows, nested
// blocks after the values, with inherited timing resolved.
func TestDumpLVS(t *testing.T) {
	cfg := load(t, lvsConf("    delay_loop 10\n    lvs_method TUN type gue port 6080\n", "        HTTP_GET {\n            url {\n                path /healthz\n                status_code 200\n            }\n        }\n"))
	var b strings.Builder
	if err := Dump(&b, cfg); err != nil {
		t.Fatal(err)
	}
	want := `virtual_server 192.0.2.1:80/TCP  # t.conf:1:1
  lvs_sched rr
  lvs_method TUN type gue port 6080
  protocol TCP
  persistence_timeout 0s
  ha_suspend false
  alpha false
  omega false
  quorum 1
  hysteresis 0
  inhibit_on_failure false
  weight 1
  connect_timeout 5s
  retry 1
  delay_before_retry 1s
  warmup 10s
  delay_loop 10s
  real_server 192.0.2.10 port 80  # t.conf:6:5
    weight 1
    lvs_method TUN type gue port 6080
    alpha false
    inhibit_on_failure false
    uthreshold 0
    lthreshold 0
    connect_timeout 5s
    retry 1
    delay_before_retry 1s
    warmup 10s
    delay_loop 10s
    HTTP_GET  # t.conf:7:9
      connect_port 80
      alpha false
      log_all_failures false
      connect_timeout 5s
      retry 1
      delay_before_retry 3s
      warmup 10s
      delay_loop 10s
      http_protocol 1.0
      fast_recovery false
      enable_sni false
      url path /healthz digest - status_code 200-200
`
	got := b.String()
	if i := strings.Index(got, "virtual_server "); i < 0 || got[i:] != want {
		t.Errorf("dump:\n%s\nwant the virtual server as:\n%s", got, want)
	}
}
