package ctl

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestWriteBFD(t *testing.T) {
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	st := &Status{BFD: &BFDStatus{
		Sessions: []BFDSessionStatus{{Name: "to-router", Remote: "192.0.2.2", State: "Up", RemoteState: "Up",
			LocalDiscr: 11, RemoteDiscr: 22, LocalDiag: "No Diagnostic", TxIntervalUS: 10000, RxIntervalUS: 10000,
			DetectionTimeUS: 30000, Ups: 2, Downs: 1, LastChange: at, LastReason: "the neighbor is Init",
			PacketsReceived: 5, PacketsSent: 6, Drops: map[string]uint64{"ttl": 3, "admin_down": 0}}},
		Drops: map[string]uint64{"ttl": 3, "no_session": 4}}}
	var b strings.Builder
	if err := WriteTable(&b, st); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"BFD SESSION", "to-router", "192.0.2.2", "11/22", "10ms", "30ms", "No Diagnostic", "2/1", "5/6",
		"bfd to-router: Up since 10:00:00.000: the neighbor is Init",
		"bfd to-router: dropped packets: ttl=3\n",
		"bfd: dropped packets (all sessions and unmatched): no_session=4 ttl=3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	j, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"bfd":{"sessions":[{"name":"to-router"`, `"local_discriminator":11`, `"detection_time_us":30000`,
		`"last_change":"2026-01-01T10:00:00Z"`, `"drops":{"admin_down":0,"ttl":3}`} {
		if !strings.Contains(string(j), want) {
			t.Errorf("JSON lacks %s: %s", want, j)
		}
	}
	// No BFD: no section, no key.
	b.Reset()
	if err := WriteTable(&b, &Status{}); err != nil || strings.Contains(b.String(), "BFD") {
		t.Errorf("empty status: %q %v", b.String(), err)
	}
	if j, _ := json.Marshal(&Status{}); strings.Contains(string(j), "bfd") {
		t.Errorf("empty status JSON: %s", j)
	}
}
