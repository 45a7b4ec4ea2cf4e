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
	"gokeepalived/internal/snmp/snmptest"
	"gokeepalived/internal/testutil/poll"
	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// fixed is a status snapshot of two instances: a VRRPv2 master and a
// VRRPv3 backup (interval in centiseconds, accept shown), one of them
// without an interface.
func fixed() *ctl.Snapshot {
	return &ctl.Snapshot{PID: 1, Instances: []*ctl.InstanceSnapshot{
		{Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: vrrp.StateMaster, BasePriority: 150,
			EffectivePriority: 140, AdvertInterval: time.Second, VIPsHeld: true, PreemptDelay: 5 * time.Second,
			VIPs: []string{"192.0.2.100/32", "192.0.2.99/32"}, LastAdvertFrom: netip.MustParseAddr("192.0.2.2"),
			Master: netip.MustParseAddr("192.0.2.1"), Counters: vi1Counters()},
		{Name: "VI_6", Interface: "", VRID: 7, IPv6: true, Version: 3, State: vrrp.StateBackup, BasePriority: 100,
			EffectivePriority: 100, AdvertInterval: 250 * time.Millisecond, Accept: true, NoPreempt: true,
			VIPs: []string{"2001:db8::6/64"}, LastAdvertFrom: netip.MustParseAddr("fe80::2"), Counters: &ctl.InstanceCounters{}},
	}}
}

func vi1Counters() *ctl.InstanceCounters {
	var c ctl.InstanceCounters
	c.Add(ctl.BecameMaster, 3)
	c.Add(ctl.AdvertsReceived, 7)
	c.Drop(packet.DropTTL)
	c.Drop(packet.DropChecksum)
	return &c
}

const wantWalk = `.1.3.6.1.4.1.9586.100.5.1.1.0 = STRING: "gokeepalived test"
.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "lb-1"
.1.3.6.1.4.1.9586.100.5.2.3.1.2.1 = STRING: "VI_1"
.1.3.6.1.4.1.9586.100.5.2.3.1.2.2 = STRING: "VI_6"
.1.3.6.1.4.1.9586.100.5.2.3.1.3.1 = Gauge32: 51
.1.3.6.1.4.1.9586.100.5.2.3.1.3.2 = Gauge32: 7
.1.3.6.1.4.1.9586.100.5.2.3.1.4.1 = INTEGER: 2
.1.3.6.1.4.1.9586.100.5.2.3.1.4.2 = INTEGER: 1
.1.3.6.1.4.1.9586.100.5.2.3.1.5.1 = INTEGER: 2
.1.3.6.1.4.1.9586.100.5.2.3.1.5.2 = INTEGER: 0
.1.3.6.1.4.1.9586.100.5.2.3.1.7.1 = INTEGER: 150
.1.3.6.1.4.1.9586.100.5.2.3.1.7.2 = INTEGER: 100
.1.3.6.1.4.1.9586.100.5.2.3.1.8.1 = INTEGER: 140
.1.3.6.1.4.1.9586.100.5.2.3.1.8.2 = INTEGER: 100
.1.3.6.1.4.1.9586.100.5.2.3.1.9.1 = INTEGER: 1
.1.3.6.1.4.1.9586.100.5.2.3.1.9.2 = INTEGER: 2
.1.3.6.1.4.1.9586.100.5.2.3.1.10.1 = STRING: "eth0"
.1.3.6.1.4.1.9586.100.5.2.3.1.12.1 = Gauge32: 1
.1.3.6.1.4.1.9586.100.5.2.3.1.12.2 = Gauge32: 25
.1.3.6.1.4.1.9586.100.5.2.3.1.13.1 = INTEGER: 1
.1.3.6.1.4.1.9586.100.5.2.3.1.13.2 = INTEGER: 2
.1.3.6.1.4.1.9586.100.5.2.3.1.14.1 = Gauge32: 5
.1.3.6.1.4.1.9586.100.5.2.3.1.14.2 = Gauge32: 0
.1.3.6.1.4.1.9586.100.5.2.3.1.27.1 = INTEGER: 0
.1.3.6.1.4.1.9586.100.5.2.3.1.27.2 = INTEGER: 1
.1.3.6.1.4.1.9586.100.5.2.3.1.30.1 = INTEGER: 2
.1.3.6.1.4.1.9586.100.5.2.3.1.30.2 = INTEGER: 3
`

func testSettings() Settings {
	return Settings{Version: "gokeepalived test", RouterID: "lb-1", InitialStates: map[string]vrrp.State{"VI_1": vrrp.StateMaster}}
}

func runAgent(t *testing.T, opts Options, snap *ctl.Snapshot) *Agent {
	t.Helper()
	opts.Snapshot = func() *ctl.Snapshot { return snap }
	opts.MinBackoff, opts.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
	a := New(opts, testSettings())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return a
}

func waitSessions(t *testing.T, a *Agent, n uint64, s *snmptest.Snmpd) {
	t.Helper()
	poll.Until(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
		return a.Sessions() >= n, fmt.Sprintf("%d AgentX registrations (have %d); snmpd log: %s", n, a.Sessions(), s.LogTail())
	})
}

// The subagent registers with a real snmpd; snmpwalk, snmpbulkwalk and
// snmpget read keepalived's OIDs with keepalived's encodings; when snmpd
// restarts the subagent registers again and the tree is back.
func TestSnmpdWalk(t *testing.T) {
	s := snmptest.StartSnmpd(t, "")
	a := runAgent(t, Options{Socket: "unix:" + s.Socket, VRRP: true}, fixed())
	waitSessions(t, a, 1, s)

	check := func(what string) {
		t.Helper()
		for _, tool := range []string{"snmpwalk", "snmpbulkwalk"} {
			out, err := s.Tool(tool, KeepalivedOID.String())
			if err != nil || out != wantWalk {
				t.Errorf("%s %s (%s): %v\n got:\n%s\nwant:\n%s", tool, KeepalivedOID, what, err, out, wantWalk)
			}
		}
		out, err := s.Tool("snmpget", InstanceEntryOID.Append(colState, 1).String(), InstanceEntryOID.Append(colState, 3).String(),
			KeepalivedOID.Append(9, 0).String())
		want := ".1.3.6.1.4.1.9586.100.5.2.3.1.4.1 = INTEGER: 2\n" +
			".1.3.6.1.4.1.9586.100.5.2.3.1.4.3 = No Such Instance currently exists at this OID\n" +
			".1.3.6.1.4.1.9586.100.5.9.0 = No Such Object available on this agent at this OID\n"
		if err != nil || out != want {
			t.Errorf("snmpget (%s): %v\n got:\n%s\nwant:\n%s", what, err, out, want)
		}
	}
	check("first session")

	s.Stop()
	s.Start()
	waitSessions(t, a, 2, s)
	check("after snmpd restarted")
}

// enable_snmp_rfcv2 alone serves VRRP-MIB (RFC 2787) as keepalived does,
// indexed by interface index and VRID, for VRRPv2 IPv4 instances with
// addresses only, and registers nothing of KEEPALIVED-MIB.
func TestSnmpdRFC2787(t *testing.T) {
	s := snmptest.StartSnmpd(t, "")
	lookup := func(name string) (Iface, bool) {
		return Iface{Index: 4, MAC: []byte{0x02, 0, 0, 0, 0, 1}, Primary: netip.MustParseAddr("192.0.2.1")}, name == "eth0"
	}
	a := runAgent(t, Options{Socket: s.Socket, RFC2787: true, Traps: true, Lookup: lookup}, fixed())
	waitSessions(t, a, 1, s)
	out, err := s.Tool("snmpwalk", RFC2787OID.String())
	want := `.1.3.6.1.2.1.68.1.1.0 = INTEGER: 2
.1.3.6.1.2.1.68.1.2.0 = INTEGER: 1
.1.3.6.1.2.1.68.1.3.1.2.4.51 = Hex-STRING: 02 00 00 00 00 01 
.1.3.6.1.2.1.68.1.3.1.3.4.51 = INTEGER: 3
.1.3.6.1.2.1.68.1.3.1.4.4.51 = INTEGER: 1
.1.3.6.1.2.1.68.1.3.1.5.4.51 = INTEGER: 150
.1.3.6.1.2.1.68.1.3.1.6.4.51 = INTEGER: 2
.1.3.6.1.2.1.68.1.3.1.7.4.51 = IpAddress: 192.0.2.2
.1.3.6.1.2.1.68.1.3.1.8.4.51 = IpAddress: 192.0.2.1
.1.3.6.1.2.1.68.1.3.1.9.4.51 = INTEGER: 1
.1.3.6.1.2.1.68.1.3.1.11.4.51 = INTEGER: 1
.1.3.6.1.2.1.68.1.3.1.12.4.51 = INTEGER: 1
.1.3.6.1.2.1.68.1.3.1.14.4.51 = INTEGER: 1
.1.3.6.1.2.1.68.1.3.1.15.4.51 = INTEGER: 1
.1.3.6.1.2.1.68.1.4.1.2.4.51.192.0.2.99 = INTEGER: 1
.1.3.6.1.2.1.68.1.4.1.2.4.51.192.0.2.100 = INTEGER: 1
.1.3.6.1.2.1.68.2.1.0 = Counter32: 1
.1.3.6.1.2.1.68.2.2.0 = Counter32: 0
.1.3.6.1.2.1.68.2.3.0 = Counter32: 0
.1.3.6.1.2.1.68.2.4.1.1.4.51 = Counter32: 3
.1.3.6.1.2.1.68.2.4.1.2.4.51 = Counter32: 7
.1.3.6.1.2.1.68.2.4.1.3.4.51 = Counter32: 0
.1.3.6.1.2.1.68.2.4.1.4.4.51 = Counter32: 0
.1.3.6.1.2.1.68.2.4.1.5.4.51 = Counter32: 1
.1.3.6.1.2.1.68.2.4.1.6.4.51 = Counter32: 0
.1.3.6.1.2.1.68.2.4.1.7.4.51 = Counter32: 0
.1.3.6.1.2.1.68.2.4.1.8.4.51 = Counter32: 0
.1.3.6.1.2.1.68.2.4.1.9.4.51 = Counter32: 0
.1.3.6.1.2.1.68.2.4.1.10.4.51 = Counter32: 0
.1.3.6.1.2.1.68.2.4.1.11.4.51 = Counter32: 0
.1.3.6.1.2.1.68.2.4.1.12.4.51 = Counter32: 0
`
	if err != nil || out != want {
		t.Errorf("snmpwalk: %v\n got:\n%s\nwant:\n%s", err, out, want)
	}
	if out, _ := s.Tool("snmpwalk", KeepalivedOID.String()); !strings.Contains(out, "No Such Object") {
		t.Errorf("KEEPALIVED-MIB served without enable_snmp_vrrp:\n%s", out)
	}
}

// enable_snmp_rfcv3 serves VRRPv3-MIB (RFC 6527) as keepalived does (built
// with SNMP_V3_FOR_V2, as Debian's is: VRRPv2 instances too), indexed by
// interface index, VRID and address type.
func TestSnmpdRFC6527(t *testing.T) {
	s := snmptest.StartSnmpd(t, "")
	lookup := func(name string) (Iface, bool) {
		return Iface{Index: 4, MAC: []byte{0x02, 0, 0, 0, 0, 1}, Primary: netip.MustParseAddr("192.0.2.1"),
			Primary6: netip.MustParseAddr("fe80::1")}, true
	}
	a := runAgent(t, Options{Socket: s.Socket, RFC6527: true, Lookup: lookup}, fixed())
	waitSessions(t, a, 1, s)
	out, err := s.Tool("snmpwalk", RFC6527OID.String())
	if err != nil || out != wantV3Walk {
		t.Errorf("snmpwalk: %v\n got:\n%s\nwant:\n%s", err, out, wantV3Walk)
	}
}

// A state change handed to the subagent reaches a real snmptrapd through
// snmpd as keepalived's vrrpInstanceStateChange, with keepalived's
// varbinds; with traps disabled nothing is queued.
func TestSnmpTrap(t *testing.T) {
	trapd := snmptest.StartTrapd(t)
	s := snmptest.StartSnmpd(t, trapd.Addr)
	a := runAgent(t, Options{Socket: s.Socket, VRRP: true, Traps: true}, fixed())
	waitSessions(t, a, 1, s)
	a.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: vrrp.StateMaster})
	a.VRRPState(vrrp.StateEvent{Instance: "VI_6", State: vrrp.StateStop})
	want := []string{
		`.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.2.10.0.2|.1.3.6.1.4.1.9586.100.5.2.3.1.2 = STRING: "VI_1"|.1.3.6.1.4.1.9586.100.5.2.3.1.4 = INTEGER: 2|.1.3.6.1.4.1.9586.100.5.2.3.1.5 = INTEGER: 2|.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "lb-1"`,
		`.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.2.10.0.2|.1.3.6.1.4.1.9586.100.5.2.3.1.2 = STRING: "VI_6"|.1.3.6.1.4.1.9586.100.5.2.3.1.4 = INTEGER: 5|.1.3.6.1.4.1.9586.100.5.2.3.1.5 = INTEGER: 0|.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "lb-1"`,
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
	if a.NotificationsSent() != 2 {
		t.Errorf("%d notifications sent, want 2", a.NotificationsSent())
	}

	// A change while snmpd is down is stale once it is back: not sent.
	s.Stop()
	a.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: vrrp.StateFault})
	s.Start()
	waitSessions(t, a, 2, s)
	a.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: vrrp.StateBackup})
	fresh := strings.Replace(want[0], "INTEGER: 2|", "INTEGER: 1|", 1)
	poll.Until(t, 30*time.Second, 50*time.Millisecond, func() (bool, string) {
		return slices.Contains(trapd.Traps(), fresh), fmt.Sprintf("trap %q after snmpd restarted; received:\n%q", fresh, trapd.Traps())
	})
	if stale := strings.Replace(want[0], "INTEGER: 2|", "INTEGER: 3|", 1); slices.Contains(trapd.Traps(), stale) {
		t.Errorf("the change queued while snmpd was down was sent after it came back: %q", stale)
	}

	quiet := New(Options{Socket: s.Socket}, testSettings())
	quiet.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: vrrp.StateMaster})
	if len(quiet.events) != 0 {
		t.Error("a state change was queued with traps disabled")
	}
}

const wantV3Walk = `.1.3.6.1.2.1.207.1.1.1.1.3.4.7.2 = Hex-STRING: FE 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02 
.1.3.6.1.2.1.207.1.1.1.1.3.4.51.1 = Hex-STRING: C0 00 02 01 
.1.3.6.1.2.1.207.1.1.1.1.4.4.7.2 = Hex-STRING: FE 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01 
.1.3.6.1.2.1.207.1.1.1.1.4.4.51.1 = Hex-STRING: C0 00 02 01 
.1.3.6.1.2.1.207.1.1.1.1.5.4.7.2 = Hex-STRING: 02 00 00 00 00 01 
.1.3.6.1.2.1.207.1.1.1.1.5.4.51.1 = Hex-STRING: 02 00 00 00 00 01 
.1.3.6.1.2.1.207.1.1.1.1.6.4.7.2 = INTEGER: 2
.1.3.6.1.2.1.207.1.1.1.1.6.4.51.1 = INTEGER: 3
.1.3.6.1.2.1.207.1.1.1.1.7.4.7.2 = Gauge32: 100
.1.3.6.1.2.1.207.1.1.1.1.7.4.51.1 = Gauge32: 150
.1.3.6.1.2.1.207.1.1.1.1.8.4.7.2 = INTEGER: 1
.1.3.6.1.2.1.207.1.1.1.1.8.4.51.1 = INTEGER: 2
.1.3.6.1.2.1.207.1.1.1.1.9.4.7.2 = INTEGER: 25
.1.3.6.1.2.1.207.1.1.1.1.9.4.51.1 = INTEGER: 100
.1.3.6.1.2.1.207.1.1.1.1.10.4.7.2 = INTEGER: 2
.1.3.6.1.2.1.207.1.1.1.1.10.4.51.1 = INTEGER: 1
.1.3.6.1.2.1.207.1.1.1.1.11.4.7.2 = INTEGER: 1
.1.3.6.1.2.1.207.1.1.1.1.11.4.51.1 = INTEGER: 2
.1.3.6.1.2.1.207.1.1.1.1.13.4.7.2 = INTEGER: 1
.1.3.6.1.2.1.207.1.1.1.1.13.4.51.1 = INTEGER: 1
.1.3.6.1.2.1.207.1.1.2.1.2.4.7.2.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.6 = INTEGER: 1
.1.3.6.1.2.1.207.1.1.2.1.2.4.51.1.192.0.2.99 = INTEGER: 1
.1.3.6.1.2.1.207.1.1.2.1.2.4.51.1.192.0.2.100 = INTEGER: 1
.1.3.6.1.2.1.207.1.2.1.0 = Counter64: 1
.1.3.6.1.2.1.207.1.2.2.0 = Counter64: 0
.1.3.6.1.2.1.207.1.2.3.0 = Counter64: 0
.1.3.6.1.2.1.207.1.2.4.0 = Timeticks: (0) 0:00:00.00
.1.3.6.1.2.1.207.1.2.5.1.1.4.7.2 = Counter32: 0
.1.3.6.1.2.1.207.1.2.5.1.1.4.51.1 = Counter32: 3
.1.3.6.1.2.1.207.1.2.5.1.3.4.7.2 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.3.4.51.1 = Counter64: 7
.1.3.6.1.2.1.207.1.2.5.1.4.4.7.2 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.4.4.51.1 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.5.4.7.2 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.5.4.51.1 = Counter64: 1
.1.3.6.1.2.1.207.1.2.5.1.7.4.7.2 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.7.4.51.1 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.8.4.7.2 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.8.4.51.1 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.9.4.7.2 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.9.4.51.1 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.10.4.7.2 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.10.4.51.1 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.11.4.7.2 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.11.4.51.1 = Counter64: 0
.1.3.6.1.2.1.207.1.2.5.1.12.4.7.2 = Timeticks: (0) 0:00:00.00
.1.3.6.1.2.1.207.1.2.5.1.12.4.51.1 = Timeticks: (0) 0:00:00.00
.1.3.6.1.2.1.207.1.2.5.1.13.4.7.2 = Gauge32: 250
.1.3.6.1.2.1.207.1.2.5.1.13.4.51.1 = Gauge32: 1000
`
