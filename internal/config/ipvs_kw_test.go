package config

import (
	"strings"
	"testing"
	"time"
)

// TestIPVSKeywords: the IPVS keywords of issue 12 parse into the model
// with keepalived 2.2.7's semantics.
func TestIPVSKeywords(t *testing.T) {
	cfg := load(t, `global_defs {
    lvs_timeouts tcp 7200 tcpfin 60 udp 30
    lvs_sync_daemon eth1 inst VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 239.1.1.1
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.0.2.100
    }
}
virtual_server 192.0.2.1 5060 {
    protocol UDP
    lb_algo mh
    lb_kind NAT
    persistence_timeout 30
    persistence_engine sip
    mh-port
    mh-fallback
    sh-port
    hashed
    ops
    flag-3
    weight 5
    sorry_server 198.18.0.9 5060
    sorry_server_inhibit
    sorry_server_lvs_method DR
    real_server 198.18.0.2 5060 {
        uthreshold 1000
        lthreshold 800
    }
    real_server 198.18.0.3 5060 {
        weight 2
    }
}
`)
	g := cfg.Global
	if g.LVSTimeouts != (LVSTimeouts{TCP: 7200 * time.Second, TCPFin: 60 * time.Second, UDP: 30 * time.Second}) {
		t.Errorf("lvs_timeouts %+v", g.LVSTimeouts)
	}
	sd := g.LVSSyncDaemon
	if sd == nil || sd.Interface != "eth1" || sd.Instance != "VI_1" || sd.SyncID != 7 || sd.MaxLen != 1400 || sd.Port != 8849 ||
		sd.TTL != 2 || sd.Group.String() != "239.1.1.1" || cfg.EffectiveSyncID() != 7 {
		t.Errorf("lvs_sync_daemon %+v", sd)
	}
	vs := cfg.VirtualServers[0]
	if got := strings.Join(vs.Flags, ","); got != "mh-port,mh-fallback,ops,flag-3" {
		t.Errorf("flags %q: under mh, sh-port and hashed do nothing (keepalived)", got)
	}
	if vs.PersistenceEngine != "sip" || vs.Weight != 5 || !vs.Sorry.InhibitOnFailure || vs.Sorry.Method != "DR" {
		t.Errorf("pe %q weight %d sorry %+v", vs.PersistenceEngine, vs.Weight, vs.Sorry)
	}
	r0, r1 := vs.RealServers[0], vs.RealServers[1]
	if r0.Weight != 5 || r0.UThreshold != 1000 || r0.LThreshold != 800 || r1.Weight != 2 || r1.Method != "NAT" {
		t.Errorf("real servers %+v %+v", r0, r1)
	}
	var b strings.Builder
	if err := Dump(&b, cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lvs_timeouts tcp 7200 tcpfin 60 udp 30", "lvs_sync_daemon eth1 inst VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 239.1.1.1",
		"persistence_engine sip", "mh-port true", "mh-fallback true", "ops true", "flag-3 true", "sorry_server_inhibit true",
		"sorry_server_lvs_method DR", "uthreshold 1000", "lthreshold 800"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("dump lacks %q", want)
		}
	}

	// The old forms: lvs_sync_daemon_interface inside the instance (sync
	// id = VRID, with a deprecation warning), and a bare interface.
	cfg, ds := LoadBytes("t.conf", []byte(`vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    lvs_sync_daemon_interface eth2
    virtual_ipaddress {
        192.0.2.100
    }
}
`), LoadOptions{})
	if ds.HasErrors() || !strings.Contains(ds.Error(), "t.conf:4:5: warning: 'lvs_sync_daemon_interface' is deprecated; use global_defs 'lvs_sync_daemon eth2 inst VI_2'") {
		t.Errorf("diagnostics %q", ds.Error())
	}
	if sd := cfg.Global.LVSSyncDaemon; sd == nil || sd.Interface != "eth2" || sd.Instance != "VI_2" || cfg.EffectiveSyncID() != 52 {
		t.Errorf("lvs_sync_daemon_interface gave %+v, sync id %d", sd, cfg.EffectiveSyncID())
	}
	cfg = load(t, "global_defs {\n    lvs_sync_daemon eth1\n}\n")
	if sd := cfg.Global.LVSSyncDaemon; sd.Instance != "" || cfg.EffectiveSyncID() != 0 {
		t.Errorf("bare lvs_sync_daemon %+v", sd)
	}
}

// TestIPVSKeywordMistakes: each refusal keepalived 2.2.7 -t makes for
// these keywords, with its position and reason.
func TestIPVSKeywordMistakes(t *testing.T) {
	vs := func(lines string) string {
		return "virtual_server 192.0.2.1 80 {\n    protocol TCP\n    lb_kind NAT\n" + lines + "    real_server 198.18.0.2 80 {\n    }\n}\n"
	}
	g := func(lines string) string { return "global_defs {\n" + lines + "}\n" }
	for _, tc := range []struct{ name, conf, want string }{
		{"sh-port under rr", vs("    lb_algo rr\n    sh-port\n"),
			"t.conf:5:5: error: sh-port applies only after lb_algo sh or mh (here: lb_algo rr; keepalived ignores it and -t refuses it)"},
		{"mh-fallback before lb_algo", vs("    mh-fallback\n    lb_algo mh\n"),
			"t.conf:4:5: error: mh-fallback applies only after lb_algo sh or mh (here: no lb_algo yet; keepalived ignores it and -t refuses it)"},
		{"hashed under wrr", vs("    lb_algo wrr\n    hashed\n"),
			"t.conf:5:5: error: hashed applies only after lb_algo sh or mh (here: lb_algo wrr; keepalived ignores it and -t refuses it)"},
		{"ops on TCP", vs("    lb_algo rr\n    ops\n"),
			"t.conf:5:5: error: virtual_server 192.0.2.1 80: ops (one-packet scheduling) needs protocol UDP or a fwmark service; keepalived turns it off and -t refuses it"},
		{"weight 0", vs("    lb_algo rr\n    weight 0\n"),
			"t.conf:5:12: error: weight '0' is out of range [1, 65535]"},
		{"sorry_server_inhibit first", vs("    lb_algo rr\n    sorry_server_inhibit\n    sorry_server 198.18.0.9 80\n"),
			"t.conf:5:5: error: sorry_server_inhibit before or without sorry_server (keepalived ignores it and -t refuses it); put it after sorry_server"},
		{"sorry_server_lvs_method alone", vs("    lb_algo rr\n    sorry_server_lvs_method DR\n"),
			"t.conf:5:5: error: sorry_server_lvs_method before or without sorry_server (keepalived ignores it and -t refuses it); put it after sorry_server"},
		{"persistence_engine too long", vs("    lb_algo rr\n    persistence_timeout 10\n    persistence_engine sip-with-a-long-name\n"),
			"t.conf:6:24: error: persistence_engine 'sip-with-a-long-name' is longer than 15 characters (IPVS persistence engine names are at most 15)"},
		{"uthreshold negative", strings.Replace(vs("    lb_algo rr\n"), "80 {\n    }", "80 {\n        uthreshold -1\n    }", 1),
			"t.conf:6:20: error: uthreshold '-1' is out of range [0, 4294967295]"},
		{"lvs_timeouts unknown option", g("    lvs_timeouts tcp 10 sctp 5\n"),
			"t.conf:2:25: error: lvs_timeouts: unknown option 'sctp' (want tcp, tcpfin or udp)"},
		{"lvs_timeouts too long", g("    lvs_timeouts udp 2678401\n"),
			"t.conf:2:22: error: lvs_timeouts udp '2678401' is not a number of seconds in [0, 2678400]"},
		{"lvs_timeouts no value", g("    lvs_timeouts tcp 10 udp\n"),
			"t.conf:2:25: error: lvs_timeouts udp has no value"},
		{"lvs_sync_daemon unknown instance", g("    lvs_sync_daemon eth1 inst VI_9\n"),
			"t.conf:2:5: error: lvs_sync_daemon: vrrp_instance VI_9 is not defined (keepalived would run no sync daemon)"},
		{"lvs_sync_daemon bad id", g("    lvs_sync_daemon eth1 id 256\n"),
			"t.conf:2:29: error: lvs_sync_daemon id '256' is not a number in [0, 255]"},
		{"lvs_sync_daemon group not multicast", g("    lvs_sync_daemon eth1 group 192.0.2.1\n"),
			"t.conf:2:32: error: lvs_sync_daemon group '192.0.2.1' is not a multicast address"},
		{"lvs_sync_daemon old syncid", g("    lvs_sync_daemon eth1 VI_1 5\n") + base[strings.Index(base, "vrrp_instance"):],
			"t.conf:2:31: error: lvs_sync_daemon: write 'id 5' for the sync id (keepalived 2.2.7 takes the bare number but -t refuses it)"},
		{"lvs_sync_daemon unknown option", g("    lvs_sync_daemon eth1 id 1 mtu 1500\n"),
			"t.conf:2:31: error: lvs_sync_daemon: unknown option 'mtu' (want inst, id, maxlen, port, ttl or group)"},
		{"lvs_sync_daemon twice", g("    lvs_sync_daemon eth1\n    lvs_sync_daemon eth2\n"),
			"t.conf:3:5: error: lvs_sync_daemon already given (at t.conf:2:5)"},
	} {
		_, ds := LoadBytes("t.conf", []byte(tc.conf), LoadOptions{})
		if !strings.Contains(ds.Error()+"\n", tc.want+"\n") {
			t.Errorf("%s:\n got: %s\nwant: %s", tc.name, ds.Error(), tc.want)
		}
	}
}
