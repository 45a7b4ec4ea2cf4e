package snmp

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/snmp/agentx"
	"gokeepalived/internal/snmp/snmptest"
	"gokeepalived/internal/testutil/poll"
)

// checkerFixture is a configuration with a group (a fwmark, a range and
// an address), three virtual servers (an address with a sorry server and
// two real servers, a fwmark, the group) and the load balancer's status:
// the second real server of the first one is down with one failed check.
func checkerFixture() (*ctl.Snapshot, Settings) {
	a := netip.MustParseAddr
	web := VSSettings{Name: "192.0.2.100:80/TCP", Addr: a("192.0.2.100"), Port: 80, Protocol: "TCP", Scheduler: "wrr",
		Method: "NAT", Persistence: 300 * time.Second, GranularityBits: 24, DelayLoop: 2 * time.Second,
		ConnectTimeout: 3 * time.Second, Quorum: 2, Hysteresis: 1, QuorumUp: "'/bin/true' 'up'", Weight: 1,
		Flags: []string{"ops"}, SNMPName: "web-vip", Alpha: true,
		Sorry: &RSSettings{Addr: a("198.18.0.200"), Port: 80, Method: "NAT"},
		Real: []RSSettings{
			{Addr: a("198.18.0.2"), Port: 80, Method: "NAT", Weight: 1, DelayLoop: 2 * time.Second, ConnectTimeout: 3 * time.Second, SNMPName: "web-1"},
			{Addr: a("198.18.0.3"), Port: 8080, Method: "DR", Weight: 2, UThreshold: 100, Inhibit: true, NotifyDown: "'/bin/false'"},
		}}
	mark := VSSettings{Name: "fwmark 7", FWMark: 7, Scheduler: "rr", Method: "TUN", Tunnel: Tunnel{Type: "gue", Port: 6080, Checksum: "csum"},
		Quorum: 1, Weight: 1, DelayLoop: 60 * time.Second, ConnectTimeout: 5 * time.Second,
		Real: []RSSettings{{Addr: a("2001:db8::2"), Port: 0, Method: "TUN", Tunnel: Tunnel{Type: "gue", Port: 6080, Checksum: "csum"}, Weight: 1}}}
	mark.IPv6 = true
	grp := VSSettings{Name: "group G", Group: "G", Protocol: "UDP", Scheduler: "sh", Method: "DR", Quorum: 1, Weight: 1,
		Flags: []string{"sh-port"}, DelayLoop: 60 * time.Second, ConnectTimeout: 5 * time.Second}
	set := testSettings()
	set.Checker = &CheckerSettings{
		Groups: []VSGroupSettings{{Name: "G", Members: []VSGroupMember{{FWMark: 9},
			{First: a("192.0.2.10"), Last: a("192.0.2.20"), Port: 53}, {First: a("192.0.2.30"), Last: a("192.0.2.30"), Port: 53}}}},
		Servers: []VSSettings{web, mark, grp},
		Sync:    &SyncSettings{Interface: "eth0", Instance: "VI_1", SyncID: 51},
	}
	set.Checker.Timeouts.TCP = 900
	snap := &ctl.Snapshot{VirtualServers: []ctl.VirtualServerStatus{
		{Name: "192.0.2.100:80/TCP", Quorum: false, RealServers: []ctl.RealServerStatus{
			{Addr: "198.18.0.2:80", Weight: 1, Up: true}, {Addr: "198.18.0.3:8080", Weight: 5, FailedCheckers: 1}}},
		{Name: "fwmark 7", Quorum: true, RealServers: []ctl.RealServerStatus{{Addr: "[2001:db8::2]:0", Weight: 1, Up: true}}},
		{Name: "group G", Quorum: false, Error: "no such group"},
	}}
	return snap, set
}

// render is a varbind as snmpwalk -On -Oe shows it, roughly: the value by
// type.
func render(vb agentx.VarBind) string {
	switch vb.Type {
	case agentx.Integer:
		return fmt.Sprintf("INTEGER: %d", int32(vb.Int))
	case agentx.Gauge32:
		return fmt.Sprintf("Gauge32: %d", vb.Int)
	case agentx.OctetString:
		return fmt.Sprintf("STRING: %q", vb.Bytes)
	}
	return fmt.Sprintf("%v", vb)
}

// The check tree from the configuration and the load balancer's status,
// object by object with keepalived's indexes (the sorry server is the
// first real server of its virtual server), its codes and the objects it
// leaves out (a fwmark's address, a sorry server's state, unset scripts).
func TestViewChecker(t *testing.T) {
	snap, set := checkerFixture()
	v := buildView(snap, &set, &Options{Checker: true})
	got := map[string]string{}
	for _, vb := range v {
		got[vb.Name.String()] = render(vb)
	}
	const k = "1.3.6.1.4.1.9586.100.5."
	want := map[string]string{
		k + "1.1.0":        `STRING: "` + set.Version + `"`,
		k + "3.1.1.2.1":    `STRING: "G"`,
		k + "3.2.1.2.1.1":  "INTEGER: 1", // fwmark member first
		k + "3.2.1.3.1.1":  "Gauge32: 9",
		k + "3.2.1.2.1.2":  "INTEGER: 3", // range
		k + "3.2.1.6.1.2":  `STRING: "\xc0\x00\x02\n"`,
		k + "3.2.1.7.1.2":  `STRING: "\xc0\x00\x02\x14"`,
		k + "3.2.1.8.1.2":  "Gauge32: 53",
		k + "3.2.1.2.1.3":  "INTEGER: 2", // one address
		k + "3.2.1.5.1.3":  `STRING: "\xc0\x00\x02\x1e"`,
		k + "3.3.1.2.1":    "INTEGER: 2",
		k + "3.3.1.5.1":    "INTEGER: 1",
		k + "3.3.1.6.1":    `STRING: "\xc0\x00\x02d"`,
		k + "3.3.1.7.1":    "Gauge32: 80",
		k + "3.3.1.8.1":    "INTEGER: 1",
		k + "3.3.1.9.1":    "INTEGER: 2",
		k + "3.3.1.10.1":   "INTEGER: 1",
		k + "3.3.1.11.1":   "INTEGER: 1",
		k + "3.3.1.13.1":   "INTEGER: 1",
		k + "3.3.1.14.1":   "Gauge32: 300",
		k + "3.3.1.15.1":   `STRING: "\xff\xff\xff\x00"`,
		k + "3.3.1.16.1":   "Gauge32: 2",
		k + "3.3.1.18.1":   "INTEGER: 1",
		k + "3.3.1.20.1":   "Gauge32: 2",
		k + "3.3.1.21.1":   "Gauge32: 1",
		k + "3.3.1.22.1":   "Gauge32: 2",
		k + "3.3.1.23.1":   "INTEGER: 2",
		k + "3.3.1.24.1":   `STRING: "'/bin/true' 'up'"`,
		k + "3.3.1.26.1":   "Gauge32: 1",
		k + "3.3.1.37.1":   "INTEGER: 1",
		k + "3.3.1.64.1":   "Gauge32: 2000000",
		k + "3.3.1.67.1":   "Gauge32: 3000000",
		k + "3.3.1.71.1":   `STRING: "web-vip"`,
		k + "3.3.1.2.2":    "INTEGER: 1",
		k + "3.3.1.4.2":    "Gauge32: 7",
		k + "3.3.1.5.2":    "INTEGER: 2",
		k + "3.3.1.15.2":   `STRING: "\xff\xff\xff\xff"`,
		k + "3.3.1.51.2":   "Gauge32: 4294967295",
		k + "3.3.1.68.2":   "INTEGER: 2",
		k + "3.3.1.69.2":   "Gauge32: 6080",
		k + "3.3.1.70.2":   "INTEGER: 2",
		k + "3.3.1.2.3":    "INTEGER: 3",
		k + "3.3.1.3.3":    `STRING: "G"`,
		k + "3.3.1.8.3":    "INTEGER: 2",
		k + "3.3.1.9.3":    "INTEGER: 8",
		k + "3.3.1.11.3":   "INTEGER: 2", // not programmed
		k + "3.3.1.54.3":   "INTEGER: 1",
		k + "3.3.1.63.3":   "INTEGER: 1", // mh-port is the same kernel bit as sh-port
		k + "3.3.1.53.3":   "INTEGER: 2",
		k + "3.4.1.2.1.1":  "INTEGER: 2", // the sorry server
		k + "3.4.1.4.1.1":  `STRING: "\xc6\x12\x00\xc8"`,
		k + "3.4.1.42.1.1": "INTEGER: 2",
		k + "3.4.1.51.1.1": "Gauge32: 0",
		k + "3.4.1.2.1.2":  "INTEGER: 1",
		k + "3.4.1.6.1.2":  "INTEGER: 1",
		k + "3.4.1.7.1.2":  "INTEGER: 1",
		k + "3.4.1.10.1.2": "INTEGER: 1",
		k + "3.4.1.13.1.2": "Gauge32: 0",
		k + "3.4.1.46.1.2": "Gauge32: 2",
		k + "3.4.1.51.1.2": "Gauge32: 3000000",
		k + "3.4.1.55.1.2": `STRING: "web-1"`,
		k + "3.4.1.5.1.3":  "Gauge32: 8080",
		k + "3.4.1.6.1.3":  "INTEGER: 2",
		k + "3.4.1.7.1.3":  "INTEGER: 5", // the dynamic weight
		k + "3.4.1.8.1.3":  "Gauge32: 100",
		k + "3.4.1.10.1.3": "INTEGER: 2",
		k + "3.4.1.12.1.3": `STRING: "'/bin/false'"`,
		k + "3.4.1.13.1.3": "Gauge32: 1",
		k + "3.4.1.40.1.3": "INTEGER: 2",
		k + "3.4.1.3.2.1":  "INTEGER: 2",
		k + "3.4.1.52.2.1": "INTEGER: 2",
		k + "3.6.1.0":      "INTEGER: 1",
		k + "3.6.2.0":      `STRING: "eth0"`,
		k + "3.6.3.0":      `STRING: "VI_1"`,
		k + "3.6.4.0":      "INTEGER: 51",
		k + "3.7.1.0":      "INTEGER: 900",
	}
	for oid, w := range want {
		if got[oid] != w {
			t.Errorf("%s = %q, want %q", oid, got[oid], w)
		}
	}
	for _, absent := range []string{
		k + "3.3.1.6.2", k + "3.3.1.7.2", k + "3.3.1.8.2", // a fwmark has no address, port, protocol
		k + "3.3.1.25.1",                     // no quorum_down script
		k + "3.3.1.51.1",                     // an IPv4 server has no IPv6 granularity
		k + "3.3.1.68.1",                     // not TUN
		k + "3.4.1.6.1.1", k + "3.4.1.7.1.1", // the sorry server has no state or weight
		k + "3.4.1.9.1.3", // no lthreshold
		k + "3.7.2.0",     // lvs_timeouts tcpfin not set
		k + "2.3.1.2.1",   // the vrrp tree is not served
	} {
		if s, ok := got[absent]; ok {
			t.Errorf("%s served (%s), want absent", absent, s)
		}
	}
	for i := 1; i < len(v); i++ {
		if v[i-1].Name.Compare(v[i].Name) >= 0 {
			t.Fatalf("view not sorted at %s", v[i].Name)
		}
	}
	// Without enable_snmp_checker nothing of the check tree is served.
	for _, vb := range buildView(snap, &set, &Options{VRRP: true}) {
		if vb.Name.HasPrefix(CheckOID) {
			t.Fatalf("check tree served without Checker: %s", vb.Name)
		}
	}
}

// The view follows the load balancer: a new published status (a real
// server came back) is a new view.
func TestViewCheckerFollowsStatus(t *testing.T) {
	snap, set := checkerFixture()
	cur := snap
	a := New(Options{Checker: true, Snapshot: func() *ctl.Snapshot { return cur }}, set)
	status := RealServerEntryOID.Append(rsColStatus, 1, 3)
	if vb := a.view().get(status, a.served()); vb.Int != 2 {
		t.Fatalf("real server 3 status %d, want 2", vb.Int)
	}
	next := *snap
	next.VirtualServers = append([]ctl.VirtualServerStatus(nil), snap.VirtualServers...)
	next.VirtualServers[0].RealServers = []ctl.RealServerStatus{{Up: true}, {Up: true, Weight: 2}}
	cur = &next
	if vb := a.view().get(status, a.served()); vb.Int != 1 {
		t.Errorf("after the status changed: real server 3 status %d, want 1", vb.Int)
	}
	if vb := a.view().get(VirtualServerEntryOID.Append(vsColRealUp, 1), a.served()); vb.Int != 2 {
		t.Errorf("virtualServerRealServersUp %d, want 2", vb.Int)
	}
}

// The notifications' varbinds, as keepalived's check_snmp_rs_trap sends
// them: index-less column OIDs, the virtual server by address, fwmark or
// group, the protocol as tcp(1)/other(2), and nothing for a virtual server
// a reload removed.
func TestCheckerNotification(t *testing.T) {
	_, set := checkerFixture()
	names := func(vbs []agentx.VarBind) string {
		var s []string
		for _, vb := range vbs[1:] {
			s = append(s, strings.TrimPrefix(vb.Name.String(), "1.3.6.1.4.1.9586.100.5.")+"="+strings.TrimPrefix(render(vb), "INTEGER: "))
		}
		return strings.Join(s, " ")
	}
	vbs, ok := checkerNotification(ctl.LBEvent{VS: "192.0.2.100:80/TCP", VSIndex: 0, RS: "198.18.0.3:8080", RSIndex: 1, Up: false, RealUp: 1, RealTotal: 2}, &set)
	if !ok || vbs[0].OID.Compare(RealServerStateChangeOID) != 0 {
		t.Fatalf("realServerStateChange: %v %v", ok, vbs)
	}
	want := `3.4.1.3=1 3.4.1.4=STRING: "\xc6\x12\x00\x03" 3.4.1.5=Gauge32: 8080 3.4.1.6=2 3.3.1.2=2 3.3.1.5=1 3.3.1.6=STRING: "\xc0\x00\x02d" 3.3.1.7=Gauge32: 80 3.3.1.8=1 3.3.1.21=Gauge32: 1 3.3.1.20=Gauge32: 2 1.2.0=STRING: "` + set.RouterID + `"`
	if g := names(vbs); g != want {
		t.Errorf("realServerStateChange varbinds\n got %s\nwant %s", g, want)
	}
	vbs, ok = checkerNotification(ctl.LBEvent{VS: "group G", VSIndex: 2, RSIndex: -1, Up: true}, &set)
	if !ok || vbs[0].OID.Compare(QuorumStateChangeOID) != 0 {
		t.Fatalf("virtualServerQuorumStateChange: %v %v", ok, vbs)
	}
	want = `3.3.1.2=3 3.3.1.3=STRING: "G" 3.3.1.8=2 3.3.1.23=1 3.3.1.22=Gauge32: 1 3.3.1.21=Gauge32: 0 3.3.1.20=Gauge32: 0 1.2.0=STRING: "` + set.RouterID + `"`
	if g := names(vbs); g != want {
		t.Errorf("virtualServerQuorumStateChange varbinds\n got %s\nwant %s", g, want)
	}
	if _, ok := checkerNotification(ctl.LBEvent{VS: "fwmark 8", VSIndex: 1}, &set); ok {
		t.Error("a virtual server no longer configured: notification built")
	}
}

// The check tree through a real snmpd: snmpwalk reads every object the
// view holds, in order, with net-snmp's rendering of keepalived's types
// (addresses as Hex-STRING); a real server's state change handed to the
// subagent reaches snmptrapd as realServerStateChange and a quorum change
// as virtualServerQuorumStateChange, with keepalived's varbinds.
func TestSnmpdChecker(t *testing.T) {
	trapd := snmptest.StartTrapd(t)
	s := snmptest.StartSnmpd(t, trapd.Addr)
	snap, set := checkerFixture()
	a := New(Options{Socket: s.Socket, Checker: true, Traps: true, Snapshot: func() *ctl.Snapshot { return snap },
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}, set)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitSessions(t, a, 1, s)

	walk, err := s.Walk(".1.3.6.1.4.1.9586.100.5.3")
	if err != nil {
		t.Fatal(err)
	}
	var served int
	for _, vb := range buildView(snap, &set, &Options{Checker: true}) {
		if !vb.Name.HasPrefix(CheckOID) {
			continue
		}
		served++
		if _, ok := walk["."+vb.Name.String()]; !ok {
			t.Errorf("snmpwalk lacks %s", vb.Name)
		}
	}
	if len(walk) != served {
		t.Errorf("snmpwalk returned %d objects, the view holds %d", len(walk), served)
	}
	const k = ".1.3.6.1.4.1.9586.100.5.3."
	for oid, want := range map[string]string{
		k + "3.1.6.1":    "Hex-STRING: C0 00 02 64 ",
		k + "3.1.71.1":   `STRING: "web-vip"`,
		k + "3.1.7.1":    "Gauge32: 80",
		k + "3.1.23.1":   "INTEGER: 2",
		k + "4.1.55.1.2": `STRING: "web-1"`,
		k + "4.1.4.2.1":  "Hex-STRING: 20 01 0D B8 00 00 00 00 00 00 00 00 00 00 00 02 ",
		k + "4.1.13.1.3": "Gauge32: 1",
		k + "2.1.6.1.2":  "Hex-STRING: C0 00 02 0A ",
		k + "6.2.0":      `STRING: "eth0"`,
		k + "7.1.0":      "INTEGER: 900",
	} {
		if walk[oid] != want {
			t.Errorf("%s = %q, want %q", oid, walk[oid], want)
		}
	}

	a.LBEvent(ctl.LBEvent{VS: "192.0.2.100:80/TCP", VSIndex: 0, RS: "198.18.0.2:80", RSIndex: 0, Up: false, RealUp: 0, RealTotal: 2})
	a.LBEvent(ctl.LBEvent{VS: "fwmark 7", VSIndex: 1, RSIndex: -1, Up: false, RealUp: 0, RealTotal: 1})
	want := []string{
		`.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.3.5.0.1|.1.3.6.1.4.1.9586.100.5.3.4.1.3 = INTEGER: 1|.1.3.6.1.4.1.9586.100.5.3.4.1.4 = Hex-STRING: C6 12 00 02 |.1.3.6.1.4.1.9586.100.5.3.4.1.5 = Gauge32: 80|.1.3.6.1.4.1.9586.100.5.3.4.1.6 = INTEGER: 2|.1.3.6.1.4.1.9586.100.5.3.3.1.2 = INTEGER: 2|.1.3.6.1.4.1.9586.100.5.3.3.1.5 = INTEGER: 1|.1.3.6.1.4.1.9586.100.5.3.3.1.6 = Hex-STRING: C0 00 02 64 |.1.3.6.1.4.1.9586.100.5.3.3.1.7 = Gauge32: 80|.1.3.6.1.4.1.9586.100.5.3.3.1.8 = INTEGER: 1|.1.3.6.1.4.1.9586.100.5.3.3.1.21 = Gauge32: 0|.1.3.6.1.4.1.9586.100.5.3.3.1.20 = Gauge32: 2|.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "lb-1"`,
		`.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.3.5.0.2|.1.3.6.1.4.1.9586.100.5.3.3.1.2 = INTEGER: 1|.1.3.6.1.4.1.9586.100.5.3.3.1.4 = Gauge32: 7|.1.3.6.1.4.1.9586.100.5.3.3.1.8 = INTEGER: 2|.1.3.6.1.4.1.9586.100.5.3.3.1.23 = INTEGER: 2|.1.3.6.1.4.1.9586.100.5.3.3.1.22 = Gauge32: 1|.1.3.6.1.4.1.9586.100.5.3.3.1.21 = Gauge32: 0|.1.3.6.1.4.1.9586.100.5.3.3.1.20 = Gauge32: 1|.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "lb-1"`,
	}
	poll.Until(t, 30*time.Second, 50*time.Millisecond, func() (bool, string) {
		got := trapd.Traps()
		for _, w := range want {
			if !slices.Contains(got, w) {
				return false, fmt.Sprintf("trap %q; snmptrapd received:\n%q", w, got)
			}
		}
		return true, ""
	})

	// Without enable_traps (or without the check tree) nothing is queued.
	for _, o := range []Options{{Socket: s.Socket, Checker: true}, {Socket: s.Socket, VRRP: true, Traps: true}} {
		quiet := New(o, set)
		quiet.LBEvent(ctl.LBEvent{VS: "fwmark 7", VSIndex: 1})
		if len(quiet.events) != 0 {
			t.Errorf("%+v: a load balancer change was queued", o)
		}
	}
}
