package bgp

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/vrrp"
)

var (
	vip1 = netip.MustParseAddr("203.0.113.10")
	vip2 = netip.MustParseAddr("203.0.113.11")
	any1 = netip.MustParseAddr("198.51.100.10")
)

func pfx(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, 32) }

var cmpAddr = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

func conf(backup Backup, value int) Config {
	return Config{
		VRRP: []VRRPAnnounce{{Instance: "VI_1", VIPs: []netip.Addr{vip1, vip2}, Backup: backup, BackupValue: value,
			Attrs: Attrs{LocalPref: -1, MED: -1, Communities: []uint32{65001<<16 | 7}}}},
		Servers: []ServerAnnounce{{Addr: any1, Port: 80, Attrs: Attrs{LocalPref: -1, MED: -1}}},
	}
}

func TestDesired(t *testing.T) {
	c7 := []uint32{65001<<16 | 7}
	none := Attrs{LocalPref: -1, MED: -1}
	vr := func(a netip.Addr, st PathState, why string, at Attrs) Path {
		return Path{Prefix: pfx(a), Source: "vrrp VI_1", State: st, Reason: why, Attrs: at}
	}
	vs := func(st PathState, why string, at Attrs) Path {
		return Path{Prefix: pfx(any1), Source: "virtual_server 198.51.100.10:80", State: st, Reason: why, Attrs: at}
	}
	base := Attrs{LocalPref: -1, MED: -1, Communities: c7}
	up := []Server{{Addr: any1, Port: 80, Quorum: true}}
	down := []Server{{Addr: any1, Port: 80}}
	for _, tc := range []struct {
		name string
		c    Config
		in   Inputs
		want []Path
	}{
		{"master announces, quorum up announces", conf(BackupWithdraw, 0),
			Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateMaster}, Servers: up},
			[]Path{vs(Announced, "quorum up", none), vr(vip1, Announced, "VI_1 is MASTER", base), vr(vip2, Announced, "VI_1 is MASTER", base)}},
		{"backup withdraws, quorum lost withdraws", conf(BackupWithdraw, 0),
			Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateBackup}, Servers: down},
			[]Path{vs(Withdrawn, "quorum lost (198.51.100.10:80)", none), vr(vip1, Withdrawn, "VI_1 is BACKUP", base), vr(vip2, Withdrawn, "VI_1 is BACKUP", base)}},
		{"backup prepends", conf(BackupPrepend, 3),
			Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateBackup}},
			[]Path{vs(Withdrawn, "no virtual server running on 198.51.100.10", none),
				vr(vip1, Prepended, "VI_1 is BACKUP: AS path prepended 3 times", Attrs{LocalPref: -1, MED: -1, Prepend: 3, Communities: c7}),
				vr(vip2, Prepended, "VI_1 is BACKUP: AS path prepended 3 times", Attrs{LocalPref: -1, MED: -1, Prepend: 3, Communities: c7})}},
		{"backup local_pref", conf(BackupLocalPref, 50),
			Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateBackup}},
			[]Path{vs(Withdrawn, "no virtual server running on 198.51.100.10", none),
				vr(vip1, Prepended, "VI_1 is BACKUP: local-pref 50", Attrs{LocalPref: 50, MED: -1, Communities: c7}),
				vr(vip2, Prepended, "VI_1 is BACKUP: local-pref 50", Attrs{LocalPref: 50, MED: -1, Communities: c7})}},
		{"backup med", conf(BackupMED, 200),
			Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateBackup}},
			[]Path{vs(Withdrawn, "no virtual server running on 198.51.100.10", none),
				vr(vip1, Prepended, "VI_1 is BACKUP: MED 200", Attrs{LocalPref: -1, MED: 200, Communities: c7}),
				vr(vip2, Prepended, "VI_1 is BACKUP: MED 200", Attrs{LocalPref: -1, MED: 200, Communities: c7})}},
		{"fault withdraws whatever the backup policy", conf(BackupPrepend, 3),
			Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateFault}},
			[]Path{vs(Withdrawn, "no virtual server running on 198.51.100.10", none),
				vr(vip1, Withdrawn, "VI_1 is FAULT", base), vr(vip2, Withdrawn, "VI_1 is FAULT", base)}},
		{"unknown instance is INIT", conf(BackupPrepend, 3), Inputs{},
			[]Path{vs(Withdrawn, "no virtual server running on 198.51.100.10", none),
				vr(vip1, Withdrawn, "VI_1 is INIT", base), vr(vip2, Withdrawn, "VI_1 is INIT", base)}},
		{"draining adds GRACEFUL_SHUTDOWN and local-pref 0 to announced paths only", conf(BackupWithdraw, 0),
			Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateBackup}, Servers: up, Drain: Draining, DrainWhy: "stopping"},
			[]Path{vs(DrainingNow, "graceful shutdown (stopping): GRACEFUL_SHUTDOWN community, local-pref 0, then withdrawn",
				Attrs{LocalPref: 0, MED: -1, Communities: []uint32{GracefulShutdown}}),
				vr(vip1, Withdrawn, "VI_1 is BACKUP", base), vr(vip2, Withdrawn, "VI_1 is BACKUP", base)}},
		{"drained withdraws everything", conf(BackupWithdraw, 0),
			Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateMaster}, Servers: up, Drain: Drained, DrainWhy: "maintenance"},
			[]Path{vs(Withdrawn, "withdrawn: maintenance", none), vr(vip1, Withdrawn, "withdrawn: maintenance", base),
				vr(vip2, Withdrawn, "withdrawn: maintenance", base)}},
		{"any port: one virtual server with quorum is enough",
			Config{Servers: []ServerAnnounce{{Addr: any1, Attrs: none}}},
			Inputs{Servers: []Server{{Addr: any1, Port: 80}, {Addr: any1, Port: 443, Quorum: true}}},
			[]Path{{Prefix: pfx(any1), Source: "virtual_server 198.51.100.10", State: Announced, Reason: "quorum up", Attrs: none}}},
		{"same prefix twice: the announced source wins",
			Config{VRRP: []VRRPAnnounce{{Instance: "VI_1", VIPs: []netip.Addr{any1}, Attrs: none}},
				Servers: []ServerAnnounce{{Addr: any1, Port: 80, Attrs: none}}},
			Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateBackup}, Servers: up},
			[]Path{vs(Announced, "quorum up", none)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Desired(tc.c, tc.in)
			if diff := cmp.Diff(tc.want, got, cmpAddr); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// The configuration's communities are never changed by a drain.
func TestDesiredDoesNotAlias(t *testing.T) {
	c := conf(BackupWithdraw, 0)
	Desired(c, Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateMaster}, Drain: Draining})
	if got := c.VRRP[0].Attrs.Communities; len(got) != 1 {
		t.Errorf("configuration communities changed: %v", got)
	}
}

func TestDiff(t *testing.T) {
	c := conf(BackupPrepend, 2)
	master := Desired(c, Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateMaster}})
	backup := Desired(c, Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateBackup}})
	fault := Desired(c, Inputs{Instances: map[string]vrrp.State{"VI_1": vrrp.StateFault}})
	add, del := Diff(nil, master)
	if len(add) != 2 || len(del) != 0 {
		t.Errorf("from nothing to master: add %v del %v", add, del)
	}
	if add, del := Diff(master, master); len(add) != 0 || len(del) != 0 {
		t.Errorf("no change: add %v del %v", add, del)
	}
	add, del = Diff(master, backup)
	if len(add) != 2 || add[0].Attrs.Prepend != 2 || len(del) != 0 {
		t.Errorf("master to prepended backup: the paths are sent again with the prepend: add %v del %v", add, del)
	}
	add, del = Diff(backup, fault)
	if len(add) != 0 || !cmp.Equal(del, []netip.Prefix{pfx(vip1), pfx(vip2)}, cmpAddr) {
		t.Errorf("backup to fault: withdraw both: add %v del %v", add, del)
	}
	// A prefix gone from the configuration is withdrawn.
	add, del = Diff(master, nil)
	if len(add) != 0 || len(del) != 2 {
		t.Errorf("configuration emptied: add %v del %v", add, del)
	}
}

func TestPeerWanted(t *testing.T) {
	n := Neighbor{BFD: "tor"}
	for _, tc := range []struct {
		name string
		n    Neighbor
		bfd  map[string]bool
		want bool
		why  string
	}{
		{"no bfd", Neighbor{}, map[string]bool{"tor": false}, true, ""},
		{"bfd never seen", n, nil, true, ""},
		{"bfd up", n, map[string]bool{"tor": true}, true, ""},
		{"bfd down", n, map[string]bool{"tor": false}, false, "BFD session tor is down"},
	} {
		got, why := PeerWanted(tc.n, tc.bfd)
		if got != tc.want || why != tc.why {
			t.Errorf("%s: got %v %q, want %v %q", tc.name, got, why, tc.want, tc.why)
		}
	}
}

func TestDiffPeers(t *testing.T) {
	a := Neighbor{Address: netip.MustParseAddr("192.0.2.1"), RemoteAS: 65000}
	b := Neighbor{Address: netip.MustParseAddr("192.0.2.2"), RemoteAS: 65000}
	c := Neighbor{Address: netip.MustParseAddr("192.0.2.3"), RemoteAS: 65000}
	b2 := b
	b2.HoldTime = 9e9
	got := DiffPeers([]Neighbor{a, b, c}, []Neighbor{a, b2, {Address: netip.MustParseAddr("192.0.2.4")}})
	want := map[netip.Addr]PeerChange{a.Address: PeerKeep, b.Address: PeerReplace, c.Address: PeerDelete, netip.MustParseAddr("192.0.2.4"): PeerAdd}
	if !cmp.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
