package ctl

import (
	"net/netip"
	"testing"
	"time"

	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// Status renders a snapshot at the reader's now: ages and expired warnings
// from timestamps, every counter (zero included), non-zero drops only, and
// live tracker counts.
func TestSnapshotStatus(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var c InstanceCounters
	c.Add(AdvertsReceived, 7)
	c.Drop(packet.DropTTL)
	c.SetLastAdvert(t0)
	runs := uint64(3)
	snap := &Snapshot{PID: 1, Instances: []*InstanceSnapshot{{
		Name: "VI_1", Interface: "eth0", VRID: 51, IPv6: true, Version: 3, State: vrrp.StateBackup,
		BasePriority: 100, EffectivePriority: 90, AdvertInterval: time.Second,
		Master: netip.MustParseAddr("fe80::2"), MasterPriority: 150,
		LastAdvertFrom: netip.MustParseAddr("fe80::2"), LastAdvertPriority: 150,
		Warnings: []Warning{{Text: "soon gone", Until: t0.Add(time.Second)}, {Text: "lasting", Until: t0.Add(time.Hour)}},
		Trackers: []TrackerSnapshot{{TrackerStatus: TrackerStatus{Kind: "script", Name: "chk"}, Counts: func() (uint64, uint64) { return runs, 1 }}},
		Counters: &c,
	}}}
	runs = 4 // read when rendered, not when published
	in := snap.Status(t0.Add(2 * time.Second)).Instances[0]
	if in.State != "BACKUP" || in.Family != "ipv6" || in.Master != "fe80::2" || in.MasterPriority != 150 || in.AdvertInterval != "1s" {
		t.Errorf("fields: %+v", in)
	}
	if in.LastAdvertAge != "2s" || in.Extra["last_advert_from"] != "fe80::2" || in.Extra["last_advert_priority"] != "150" {
		t.Errorf("last advert: age %q, extra %v", in.LastAdvertAge, in.Extra)
	}
	if len(in.Warnings) != 1 || in.Warnings[0] != "lasting" {
		t.Errorf("warnings at +2s: %q, want only the lasting one", in.Warnings)
	}
	if len(in.Counters) != int(NumCounters) || in.Counter(AdvertsReceived) != 7 || in.Counters["adverts_sent"] != 0 {
		t.Errorf("counters %v", in.Counters)
	}
	if len(in.Drops) != 1 || in.Dropped(packet.DropTTL) != 1 {
		t.Errorf("drops %v, want ttl=1 only", in.Drops)
	}
	if len(in.Trackers) != 1 || in.Trackers[0].Runs != 4 || in.Trackers[0].Failures != 1 {
		t.Errorf("trackers %+v, want the runs read at render time", in.Trackers)
	}
	// Nothing heard yet: no age, no extra.
	empty := (&InstanceSnapshot{Name: "VI_2"}).Status(t0)
	if empty.LastAdvertAge != "" || empty.Extra != nil || empty.Drops != nil || empty.Master != "" {
		t.Errorf("empty instance: %+v", empty)
	}
}
