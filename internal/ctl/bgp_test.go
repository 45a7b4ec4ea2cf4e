package ctl

import (
	"strings"
	"testing"
	"time"
)

// WriteBGP: sessions (state, uptime, BFD, counts, last error; a held-down
// one with its reason) and prefixes with their state and reason.
func TestWriteBGP(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	up, down := true, false
	b := &BGPStatus{RouterID: "192.0.2.1", LocalAS: 65001, Drain: "draining", DrainWhy: "stopping",
		Peers: []BGPPeerStatus{
			{Address: "192.0.2.254", RemoteAS: 65000, State: "established", Up: true, UpSince: now.Add(-90 * time.Second), BFD: "tor", BFDUp: &up, Sent: 2, Received: 0},
			{Address: "192.0.2.253", RemoteAS: 65000, State: "shutdown", Reason: "BFD session tor2 is down", BFD: "tor2", BFDUp: &down, LastError: "admin-down"},
		},
		Prefixes: []BGPPrefixStatus{{Prefix: "203.0.113.10/32", Source: "vrrp VI_1", State: "less-preferred", Reason: "VI_1 is BACKUP: AS path prepended 2 times"}},
	}
	var w strings.Builder
	if err := WriteBGP(&w, b, now); err != nil {
		t.Fatal(err)
	}
	want := `BGP router-id 192.0.2.1 AS 65001: draining (stopping)
NEIGHBOR     AS     STATE                                UPTIME  BFD        SENT  RECEIVED  LAST ERROR
192.0.2.254  65000  established                          1m30s   tor up     2     0         -
192.0.2.253  65000  shutdown (BFD session tor2 is down)  -       tor2 down  0     0         admin-down
PREFIX           SOURCE     STATE           WHY
203.0.113.10/32  vrrp VI_1  less-preferred  VI_1 is BACKUP: AS path prepended 2 times
`
	if w.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", w.String(), want)
	}
}
