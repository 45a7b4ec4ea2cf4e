package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"gokeepalived/internal/ctl"
)

func TestBFDMetrics(t *testing.T) {
	snap := &ctl.Snapshot{BFD: &ctl.BFDStatus{
		Sessions: []ctl.BFDSessionStatus{{Name: "r1", Remote: "192.0.2.2", State: "Down", RemoteState: "Down",
			LocalDiscr: 11, RemoteDiscr: 0, LocalDiag: "Control Detection Time Expired", TxIntervalUS: 1000000,
			RxIntervalUS: 10000, DetectionTimeUS: 30000, Ups: 2, Downs: 2, LastChange: time.Unix(1700000000, 500000000),
			PacketsReceived: 5, PacketsSent: 6, SendErrors: 1, Drops: map[string]uint64{"ttl": 3}}},
		Drops: map[string]uint64{"ttl": 3, "no_session": 4}}}
	reg := NewRegistry(func() *ctl.Snapshot { return snap })
	want := `
# HELP gokeepalived_bfd_session_up 1 while the BFD session is Up, else 0.
# TYPE gokeepalived_bfd_session_up gauge
gokeepalived_bfd_session_up{session="r1"} 0
# HELP gokeepalived_bfd_session_detection_time_seconds Detection time: without a packet from the peer for this long, the session goes Down; 0 before the peer is heard.
# TYPE gokeepalived_bfd_session_detection_time_seconds gauge
gokeepalived_bfd_session_detection_time_seconds{session="r1"} 0.03
# HELP gokeepalived_bfd_session_downs_total Transitions of the session from Up.
# TYPE gokeepalived_bfd_session_downs_total counter
gokeepalived_bfd_session_downs_total{session="r1"} 2
# HELP gokeepalived_bfd_session_last_change_timestamp_seconds Unix time of the session's last state change; absent if none yet.
# TYPE gokeepalived_bfd_session_last_change_timestamp_seconds gauge
gokeepalived_bfd_session_last_change_timestamp_seconds{session="r1"} 1.7000000005e+09
# HELP gokeepalived_bfd_session_packets_sent_total Control packets sent to the peer.
# TYPE gokeepalived_bfd_session_packets_sent_total counter
gokeepalived_bfd_session_packets_sent_total{session="r1"} 6
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gokeepalived_bfd_session_up",
		"gokeepalived_bfd_session_detection_time_seconds", "gokeepalived_bfd_session_downs_total",
		"gokeepalived_bfd_session_last_change_timestamp_seconds", "gokeepalived_bfd_session_packets_sent_total"); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(New(func() *ctl.Snapshot { return snap }))
	if err != nil || len(problems) > 0 {
		t.Errorf("promlint: %v %v", problems, err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				if l.GetName() != "session" {
					key += "," + l.GetValue()
				}
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			got[key] = v
		}
	}
	for k, v := range map[string]float64{
		"gokeepalived_bfd_session_state,Down":                          1,
		"gokeepalived_bfd_session_state,Up":                            0,
		"gokeepalived_bfd_session_diag,Control Detection Time Expired": 1,
		"gokeepalived_bfd_session_diag,No Diagnostic":                  0,
		"gokeepalived_bfd_session_drops_total,ttl":                     3,
		"gokeepalived_bfd_session_drops_total,no_session":              0,
		"gokeepalived_bfd_drops_total,no_session":                      4,
		"gokeepalived_bfd_drops_total,admin_down":                      0,
		"gokeepalived_bfd_session_tx_interval_seconds":                 1,
		"gokeepalived_bfd_session_local_discriminator":                 11,
		"gokeepalived_bfd_session_send_errors_total":                   1,
	} {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
}
