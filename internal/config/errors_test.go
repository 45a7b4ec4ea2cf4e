package config

import (
	"strings"
	"testing"
)

// base is a valid configuration the table cases modify.
const base = `global_defs {
    router_id test
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.10/24
    }
}
`

func TestMistakes(t *testing.T) {
	tests := []struct {
		name string
		conf string
		want string // one full diagnostic line
	}{
		{"typo in instance", strings.Replace(base, "priority 100", "priorty 100", 1),
			"t.conf:8:5: error: unknown keyword 'priorty' in vrrp_instance; did you mean 'priority'?"},
		{"typo in global_defs", strings.Replace(base, "router_id test", "routr_id test", 1),
			"t.conf:2:5: error: unknown keyword 'routr_id' in global_defs; did you mean 'router_id'?"},
		{"keyword in wrong block", strings.Replace(base, "router_id test", "priority 100", 1),
			"t.conf:2:5: error: keyword 'priority' is not valid in global_defs; it belongs in vrrp_instance"},
		{"keyword without its argument", strings.Replace(base, "router_id test", "vrrp_garp_extra_if", 1),
			"t.conf:2:5: error: 'vrrp_garp_extra_if' needs at least 1 argument, got 0"},
		{"vrid out of range", strings.Replace(base, "virtual_router_id 51", "virtual_router_id 300", 1),
			"t.conf:7:23: error: virtual_router_id '300' is out of range [1, 255]"},
		{"priority zero", strings.Replace(base, "priority 100", "priority 0", 1),
			"t.conf:8:14: error: priority '0' is out of range [1, 255]"},
		{"priority not a number", strings.Replace(base, "priority 100", "priority high", 1),
			"t.conf:8:14: error: priority 'high' is not an integer"},
		{"state lower case", strings.Replace(base, "state BACKUP", "state backup", 1),
			"t.conf:5:11: error: state 'backup' is not one of MASTER|BACKUP; did you mean 'BACKUP'?"},
		{"missing argument", strings.Replace(base, "interface eth0", "interface", 1),
			"t.conf:6:5: error: 'interface' needs 1 argument, got 0"},
		{"too many arguments", strings.Replace(base, "interface eth0", "interface eth0 eth1", 1),
			"t.conf:6:20: error: 'interface' takes at most 1 argument, got 2"},
		{"flag with argument", strings.Replace(base, "advert_int 1", "advert_int 1\n    nopreempt yes", 1),
			"t.conf:10:15: error: 'nopreempt' takes no arguments, got 1"},
		{"v2 fractional advert_int", strings.Replace(base, "advert_int 1", "advert_int 0.5", 1),
			"t.conf:9:16: error: vrrp_instance VI_1: VRRPv2 advert_int must be whole seconds in [1, 255], got 0.5; use 'version 3' for sub-second intervals"},
		{"v3 advert_int too big", strings.Replace(base, "advert_int 1", "advert_int 41\n    version 3", 1),
			"t.conf:9:16: error: vrrp_instance VI_1: VRRPv3 advert_int must be in [0.01, 40.95] seconds, got 41"},
		{"v3 advert_int not centiseconds", strings.Replace(base, "advert_int 1", "advert_int 0.015\n    version 3", 1),
			"t.conf:9:16: error: vrrp_instance VI_1: VRRPv3 advert_int is in centiseconds; 0.015 is not a multiple of 0.01"},
		{"block expected", strings.Replace(base, "advert_int 1", "advert_int 1\n    authentication", 1),
			"t.conf:10:5: error: 'authentication' must be followed by a { } block"},
		{"block not expected", strings.Replace(base, "priority 100", "priority 100 {\n    }", 1),
			"t.conf:8:5: error: 'priority' does not open a { } block"},
		{"empty unicast_peer", strings.Replace(base, "advert_int 1", "advert_int 1\n    unicast_peer {\n    }", 1),
			"t.conf:10:5: error: unicast_peer block is empty; list at least one peer (keepalived 2.2.7 would silently fall back to multicast)"},
		{"bad VIP", strings.Replace(base, "192.0.2.10/24", "192.0.2.300/24", 1),
			"t.conf:11:9: error: virtual_ipaddress: '192.0.2.300/24' is not an IP address or ADDR/LEN"},
		{"VIP option typo", strings.Replace(base, "192.0.2.10/24", "192.0.2.10/24 lable eth0:1", 1),
			"t.conf:11:23: error: virtual_ipaddress 192.0.2.10/24: unknown option 'lable'; did you mean 'label'?"},
		{"mixed families", strings.Replace(base, "192.0.2.10/24", "192.0.2.10/24\n        2001:db8::1", 1),
			"t.conf:12:9: error: vrrp_instance VI_1: 2001:db8::1 is IPv6 but the instance is IPv4 (from its first virtual address); move it to virtual_ipaddress_excluded"},
		{"undefined track_script", strings.Replace(base, "advert_int 1", "advert_int 1\n    track_script {\n        chk_ngnix\n    }", 1) +
			"vrrp_script chk_nginx {\n    script \"/usr/bin/pgrep nginx\"\n}\n",
			"t.conf:11:9: error: track_script 'chk_ngnix' is not defined (no vrrp_script chk_ngnix); did you mean 'chk_nginx'?"},
		{"duplicate VRID", base + strings.Replace(strings.Replace(base[strings.Index(base, "vrrp_instance"):], "VI_1", "VI_2", 1), "192.0.2.10", "192.0.2.11", 1),
			"t.conf:14:1: error: vrrp_instance VI_2 uses VRID 51 with IPv4 on interface eth0, like vrrp_instance VI_1 at t.conf:4:1"},
		{"undefined sync group member", base + "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_3\n    }\n}\n",
			"t.conf:17:9: error: vrrp_sync_group G: vrrp_instance 'VI_3' is not defined; did you mean 'VI_1'?"},
		{"snmp_socket over udp", strings.Replace(base, "router_id test", "snmp_socket udp:127.0.0.1:705", 1),
			"t.conf:2:17: error: snmp_socket 'udp:127.0.0.1:705' is not an AgentX stream socket: use unix:/PATH, /PATH or tcp:HOST:PORT"},
		{"garp interval zero", strings.Replace(base, "router_id test", "vrrp_garp_interval 0", 1),
			"t.conf:2:24: error: vrrp_garp_interval '0' is out of range [0.000001, 4294.967295] seconds"},
		{"missing brace in authentication", strings.Replace(base, "advert_int 1", "advert_int 1\n    authentication {\n        auth_type PASS\n        auth_pass 1111", 1),
			"t.conf:10:5: error: missing '}': block 'authentication' is not closed before 'virtual_ipaddress' at line 13, which belongs in vrrp_instance"},
		{"missing brace of an instance", strings.Replace(base, "    }\n}\n", "    }\n", 1) + "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n}\n",
			"t.conf:4:1: error: missing '}': block 'vrrp_instance' is not closed before 'vrrp_sync_group' at line 13, which belongs in the top level"},
		{"absent interface", strings.Replace(base, "interface eth0", "interface eth1", 1),
			"t.conf:6:15: error: vrrp_instance VI_1: interface eth1 does not exist; this host has eth0, lo; did you mean eth0?"},
		{"strict state MASTER", strings.Replace(strings.Replace(base, "router_id test", "vrrp_strict", 1), "state BACKUP", "state MASTER", 1),
			"t.conf:5:11: error: vrrp_instance VI_1: state MASTER under vrrp_strict requires priority 255 (address owner), priority is 100"},
		{"lb_algo value", base + "virtual_server 192.0.2.10 80 {\n    lb_algo roundrobin\n    protocol TCP\n}\n",
			"t.conf:15:13: error: lb_algo 'roundrobin' is not one of rr|wrr|lc|wlc|lblc|sh|mh|dh|fo|ovf|lblcr|sed|nq|twos"},
		{"lb_kind value", base + "virtual_server 192.0.2.10 80 {\n    lb_kind dr\n    protocol TCP\n}\n",
			"t.conf:15:13: error: lb_kind 'dr' is not one of NAT|DR|TUN; did you mean 'DR'?"},
		{"granularity not a netmask", base + "virtual_server 192.0.2.10 80 {\n    protocol TCP\n    persistence_timeout 10\n    persistence_granularity 255.0.255.0\n}\n",
			"t.conf:17:29: error: persistence_granularity '255.0.255.0' is not a netmask (255.255.255.0) or a prefix length [1, 128]"},
		{"gue port", base + "virtual_server 192.0.2.10 80 {\n    protocol TCP\n    lb_kind TUN type gue port 70000\n}\n",
			"t.conf:16:31: error: lb_kind TUN: gue port '70000' is not a port number [1, 65535]"},
		{"checker keyword in wrong checker", base + "virtual_server 192.0.2.10 80 {\n    protocol TCP\n    real_server 192.0.2.20 80 {\n        MISC_CHECK {\n            misc_path /bin/true\n            connect_port 80\n        }\n    }\n}\n",
			"t.conf:19:13: error: keyword 'connect_port' is not valid in MISC_CHECK; it belongs in TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, SMTP_CHECK host, DNS_CHECK, UDP_CHECK or PING_CHECK"},
		{"bad digest", base + "virtual_server 192.0.2.10 80 {\n    protocol TCP\n    real_server 192.0.2.20 80 {\n        HTTP_GET {\n            url {\n                path /\n                digest xyz\n            }\n        }\n    }\n}\n",
			"t.conf:20:24: error: digest 'xyz' is not an MD5 sum (32 hexadecimal digits)"},
		{"undefined vs group", base + "virtual_server group WEB {\n    protocol TCP\n}\n",
			"t.conf:14:1: error: virtual_server group 'WEB' is not defined (no virtual_server_group WEB)"},
		{"AH auth", strings.Replace(base, "advert_int 1", "advert_int 1\n    authentication {\n        auth_type AH\n        auth_pass secret\n    }", 1),
			"t.conf:11:19: error: auth_type AH is known to keepalived but not implemented by gokeepalived yet"},
		{"long auth_pass", strings.Replace(base, "advert_int 1", "advert_int 1\n    authentication {\n        auth_type PASS\n        auth_pass 123456789012\n    }", 1),
			"t.conf:12:19: warning: auth_pass is longer than 8 characters; only '12345678' is used, as in keepalived"},
		{"missing vrid", strings.Replace(base, "    virtual_router_id 51\n", "", 1),
			"t.conf:4:1: error: vrrp_instance VI_1 has no virtual_router_id"},
		// Found by the differential test against keepalived 2.2.7 -t.
		{"unicast peer of the other family", strings.Replace(base, "advert_int 1", "advert_int 1\n    unicast_peer {\n        2001:db8::2\n    }", 1),
			"t.conf:11:9: error: vrrp_instance VI_1: unicast_peer 2001:db8::2 is IPv6 but the instance is IPv4; an instance's peers are all of its family"},
		{"status_code above 599", base + "virtual_server 192.0.2.10 80 {\n    protocol TCP\n    real_server 192.0.2.20 80 {\n        HTTP_GET {\n            url {\n                path /\n                status_code 999\n            }\n        }\n    }\n}\n",
			"t.conf:20:29: error: status_code '999' is not a code or range in 100-599"},
		{"virtual_server without protocol", base + "virtual_server 192.0.2.10 80 {\n    lb_algo rr\n    lb_kind DR\n}\n",
			"t.conf:14:1: error: virtual_server 192.0.2.10 80 has no protocol; keepalived 2.2.7 would default to UDP: write 'protocol TCP' (or UDP, SCTP)"},
		{"fwmark service with protocol", base + "virtual_server fwmark 7 {\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n}\n",
			"t.conf:17:5: error: virtual_server fwmark 7: protocol has no meaning for a fwmark service (keepalived ignores it and -t refuses it); remove it"},
		{"fwmark service real_server port", base + "virtual_server fwmark 7 {\n    lb_algo rr\n    lb_kind DR\n    real_server 192.0.2.20 80 {\n    }\n}\n",
			"t.conf:17:5: error: real_server 192.0.2.20: a fwmark service forwards every port, so a real_server port has no meaning (keepalived ignores it and -t refuses it); remove it"},
		{"track_interface of the own interface", strings.Replace(base, "advert_int 1", "advert_int 1\n    track_interface {\n        eth0 weight -10\n    }", 1),
			"t.conf:11:9: warning: vrrp_instance VI_1: track_interface eth0 is the instance's own interface, tracked by itself unless dont_track_primary; this line and its weight are ignored, as keepalived does"},
		{"track_interface of the own interface with dont_track_primary", strings.Replace(base, "advert_int 1", "advert_int 1\n    dont_track_primary\n    track_interface {\n        eth0 weight -10\n    }", 1),
			"t.conf:12:9: warning: vrrp_instance VI_1: track_interface eth0 is the instance's own interface, tracked by itself unless dont_track_primary; this line and its weight are ignored, as keepalived does"},
		{"virtual_server without lb_algo", base + "virtual_server 192.0.2.10 80 {\n    protocol TCP\n}\n",
			"t.conf:14:1: warning: virtual_server 192.0.2.10 80 has no lvs_sched (lb_algo); using wlc, as keepalived does"},
		{"virtual_server without lb_kind", base + "virtual_server 192.0.2.10 80 {\n    protocol TCP\n}\n",
			"t.conf:14:1: warning: virtual_server 192.0.2.10 80 has no lvs_method (lb_kind); using NAT, as keepalived does"},
	}
	// These cases want their diagnostic and nothing else.
	exact := map[string]bool{"absent interface": true, "missing brace in authentication": true}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, ds := LoadBytes("t.conf", []byte(tc.conf), LoadOptions{})
			if cfg != nil && !ds.HasErrors() {
				// The host checks, on a host with eth0 and lo.
				ds = append(ds, CheckHost(cfg, []string{"lo", "eth0"})...)
			}
			if exact[tc.name] {
				// Nothing else: no follow-on errors.
				var got []string
				for _, d := range ds {
					got = append(got, d.String())
				}
				if strings.Join(got, "\n") != tc.want {
					t.Errorf("want exactly\n  %s\ngot\n  %s", tc.want, strings.Join(got, "\n  "))
				}
				return
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.String())
				if d.String() == tc.want {
					return
				}
			}
			t.Errorf("want diagnostic\n  %s\ngot\n  %s", tc.want, strings.Join(got, "\n  "))
		})
	}
}

func TestBaseIsClean(t *testing.T) {
	_, ds := LoadBytes("t.conf", []byte(base), LoadOptions{})
	if len(ds) != 0 {
		t.Fatalf("diagnostics:\n%s", ds.Error())
	}
}
