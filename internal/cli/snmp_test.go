package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/snmp/snmptest"
	"gokeepalived/internal/testutil/poll"
)

func snmpConf(t *testing.T, globals string) *config.Config {
	t.Helper()
	text := "global_defs {\n" + globals + "}\nvrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n" +
		"    priority 100\n    virtual_ipaddress {\n        192.0.2.10/24\n    }\n}\n"
	cfg, ds := config.LoadBytes("t.conf", []byte(text), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	return cfg
}

// The configuration starts the subagent (enable_snmp_vrrp, snmp_socket, or
// -x), a reload that changes only the router id keeps the same agent
// with the new value, one that turns SNMP off stops it, one that turns it
// on again starts a new one; while off, state changes go nowhere.
func TestSNMPRunnerFollowsReloads(t *testing.T) {
	s := snmptest.StartSnmpd(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &snmpRunner{ctx: ctx, log: slog.New(slog.DiscardHandler)}
	defer r.stop()
	routerID := func(want string) {
		t.Helper()
		poll.Until(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
			out, _ := s.Tool("snmpget", ".1.3.6.1.4.1.9586.100.5.1.2.0")
			return strings.Contains(out, fmt.Sprintf("STRING: %q", want)), "routerId " + want + " from snmpget: " + out
		})
	}
	on := func(id string) *config.Config {
		return snmpConf(t, fmt.Sprintf("    router_id %s\n    enable_snmp_vrrp\n    snmp_socket unix:%s\n", id, s.Socket))
	}

	r.apply(on("r1"))
	first := r.running.Load()
	if first == nil {
		t.Fatal("enable_snmp_vrrp: no agent")
	}
	routerID("r1")
	r.apply(on("r2"))
	if r.running.Load() != first {
		t.Error("a router_id change restarted the agent")
	}
	routerID("r2")

	r.apply(snmpConf(t, "    router_id r3\n"))
	if r.running.Load() != nil {
		t.Fatal("SNMP off: the agent still runs")
	}
	poll.Until(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
		out, _ := s.Tool("snmpget", ".1.3.6.1.4.1.9586.100.5.1.2.0")
		return strings.Contains(out, "No Such Object"), "the subtree unregistered once SNMP is off: " + out
	})

	// -x and -A stand for the keywords.
	r.o = Options{SNMP: true, SNMPSocket: s.Socket}
	r.apply(snmpConf(t, "    router_id r4\n"))
	if a := r.running.Load(); a == nil || a == first {
		t.Fatalf("-x: agent %p (first %p)", a, first)
	}
	routerID("r4")
}

// enable_snmp_checker (or -x) serves the check tree; the configuration
// becomes the tree's settings with keepalived's defaults and inheritance:
// delay_loop 60 s and connect timeout 5 s unless written, a real server
// taking its virtual server's timing, the sorry server with only its
// address and method, a group's fwmarks before its addresses.
func TestCheckerSettings(t *testing.T) {
	if o := snmpOptions(Options{}, snmpConf(t, "    enable_snmp_checker\n")); !o.Checker || o.VRRP {
		t.Errorf("enable_snmp_checker: checker %v vrrp %v", o.Checker, o.VRRP)
	}
	if o := snmpOptions(Options{SNMP: true}, snmpConf(t, "")); !o.Checker || !o.VRRP {
		t.Errorf("-x: checker %v vrrp %v", o.Checker, o.VRRP)
	}
	if o := snmpOptions(Options{}, snmpConf(t, "    enable_snmp_vrrp\n")); o.Checker {
		t.Error("enable_snmp_vrrp alone serves the check tree")
	}
	text := `global_defs {
    enable_snmp_checker
    smtp_alert_checker
    lvs_timeouts tcp 900 udp 30
}
virtual_server_group G {
    192.0.2.10-20 53
    fwmark 9
}
virtual_server 192.0.2.100 80 {
    protocol TCP
    delay_loop 2
    retry 4
    snmp_name web-vip
    sorry_server 198.18.0.200 8080
    real_server 198.18.0.2 80 {
        snmp_name web-1
        weight 3
        connect_timeout 2
        TCP_CHECK {
        }
    }
}
virtual_server group G {
    protocol UDP
    real_server 198.18.0.3 53 {
        smtp_alert no
        MISC_CHECK {
            misc_path /bin/true
        }
    }
}
`
	cfg, ds := config.LoadBytes("t.conf", []byte(text), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	cs := snmpSettings(cfg).Checker
	if len(cs.Servers) != 2 || len(cs.Groups) != 1 {
		t.Fatalf("%d servers, %d groups", len(cs.Servers), len(cs.Groups))
	}
	g := cs.Groups[0]
	if len(g.Members) != 2 || g.Members[0].FWMark != 9 || g.Members[1].First.String() != "192.0.2.10" || g.Members[1].Last.String() != "192.0.2.20" || g.Members[1].Port != 53 {
		t.Errorf("group members %+v", g.Members)
	}
	web := cs.Servers[0]
	if web.Name != "192.0.2.100:80/TCP" || web.SNMPName != "web-vip" || web.DelayLoop != 2*time.Second || web.Retry != 4 ||
		web.ConnectTimeout != 5*time.Second || web.Scheduler != "wlc" || !web.SMTPAlert {
		t.Errorf("virtual server %+v", web)
	}
	if so := web.Sorry; so == nil || so.Addr.String() != "198.18.0.200" || so.Port != 8080 || so.Method != "NAT" || so.DelayLoop != 0 || so.Alpha || so.SMTPAlert {
		t.Errorf("sorry server %+v", web.Sorry)
	}
	rs := web.Real[0]
	if rs.SNMPName != "web-1" || rs.Weight != 3 || rs.ConnectTimeout != 2*time.Second || rs.DelayLoop != 2*time.Second || rs.Retry != 4 || !rs.SMTPAlert {
		t.Errorf("real server %+v", rs)
	}
	grp := cs.Servers[1]
	if grp.Group != "G" || grp.Protocol != "UDP" || grp.DelayLoop != 60*time.Second || grp.Real[0].SMTPAlert || grp.Real[0].SNMPName != "" {
		t.Errorf("group virtual server %+v", grp)
	}
	if cs.Timeouts.TCP != 900 || cs.Timeouts.UDP != 30 || cs.Timeouts.TCPFin != 0 || cs.Sync != nil {
		t.Errorf("timeouts %+v sync %+v", cs.Timeouts, cs.Sync)
	}
	// Without any smtp_alert keepalived shows a virtual server's off and a
	// real server's on (its backward-compatible default).
	cfg, ds = config.LoadBytes("t.conf", []byte(strings.Replace(text, "    smtp_alert_checker\n", "", 1)), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	cs = snmpSettings(cfg).Checker
	if web := cs.Servers[0]; web.SMTPAlert || !web.Real[0].SMTPAlert || web.Sorry.SMTPAlert {
		t.Errorf("smtp_alert defaults: vs %v rs %v sorry %v, want false true false", web.SMTPAlert, web.Real[0].SMTPAlert, web.Sorry.SMTPAlert)
	}
}
