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
