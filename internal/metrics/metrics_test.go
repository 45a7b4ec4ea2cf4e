package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

var (
	t0       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) // 1772366400
	fixedNow = func() time.Time { return t0 }
)

// fakeSnapshot is one MASTER instance with every field the collector reads.
func fakeSnapshot() *ctl.Snapshot {
	var c ctl.InstanceCounters
	for k, n := range map[ctl.Counter]uint64{
		ctl.AdvertsSent: 120, ctl.AdvertsReceived: 7, ctl.Transitions: 2, ctl.SplitBrainSuspected: 1,
		ctl.MasterRxLowerPri: 1, ctl.PriorityZeroSent: 1, ctl.BecameMaster: 1, ctl.ReleasedMaster: 1,
		ctl.NoMasterHeard: 1, ctl.GARPSent: 10, ctl.IgnoredLowerPriority: 3, ctl.IgnoredNotRunning: 4,
	} {
		c.Add(k, n)
	}
	for r, n := range map[packet.DropReason]int{packet.DropTTL: 4, packet.DropAuthMismatch: 2, packet.DropUnicastSrc: 5} {
		for range n {
			c.Drop(r)
		}
	}
	c.SetLastAdvert(t0.Add(-1500 * time.Millisecond))
	return &ctl.Snapshot{
		PID:        42,
		ConfigFile: "/etc/keepalived/keepalived.conf",
		StartedAt:  t0.Add(-time.Hour),
		ReloadedAt: t0.Add(-10 * time.Minute),
		Instances: []*ctl.InstanceSnapshot{{
			Name:              "VI_1",
			Interface:         "eth0",
			VRID:              51,
			Version:           2,
			State:             vrrp.StateMaster,
			BasePriority:      150,
			EffectivePriority: 130,
			VIPs:              []string{"192.0.2.100/24"},
			VIPsHeld:          true,
			LastTransition:    &ctl.Transition{From: "BACKUP", To: "MASTER", Reason: "no advert", At: t0.Add(-30 * time.Second)},
			Trackers: []ctl.TrackerSnapshot{
				{TrackerStatus: ctl.TrackerStatus{Kind: "script", Name: "chk_nginx", OK: true, Weight: -20}},
				{TrackerStatus: ctl.TrackerStatus{Kind: "interface", Name: "eth1", OK: false}},
			},
			Counters: &c,
		}},
	}
}

const wantFull = `
# HELP gokeepalived_daemon_last_reload_timestamp_seconds Unix time of the last successful configuration reload; absent if never reloaded.
# TYPE gokeepalived_daemon_last_reload_timestamp_seconds gauge
gokeepalived_daemon_last_reload_timestamp_seconds 1.7723658e+09
# HELP gokeepalived_daemon_start_time_seconds Unix time the daemon started.
# TYPE gokeepalived_daemon_start_time_seconds gauge
gokeepalived_daemon_start_time_seconds 1.7723628e+09
# HELP gokeepalived_vrrp_advert_send_errors_total Adverts that could not be sent.
# TYPE gokeepalived_vrrp_advert_send_errors_total counter
gokeepalived_vrrp_advert_send_errors_total{instance="VI_1",interface="eth0",vrid="51"} 0
# HELP gokeepalived_vrrp_adverts_received_total Valid advertisements received.
# TYPE gokeepalived_vrrp_adverts_received_total counter
gokeepalived_vrrp_adverts_received_total{instance="VI_1",interface="eth0",vrid="51"} 7
# HELP gokeepalived_vrrp_adverts_sent_total Advertisements sent.
# TYPE gokeepalived_vrrp_adverts_sent_total counter
gokeepalived_vrrp_adverts_sent_total{instance="VI_1",interface="eth0",vrid="51"} 120
# HELP gokeepalived_vrrp_base_priority Configured priority (0-255).
# TYPE gokeepalived_vrrp_base_priority gauge
gokeepalived_vrrp_base_priority{instance="VI_1",interface="eth0",vrid="51"} 150
# HELP gokeepalived_vrrp_became_master_total Transitions into MASTER.
# TYPE gokeepalived_vrrp_became_master_total counter
gokeepalived_vrrp_became_master_total{instance="VI_1",interface="eth0",vrid="51"} 1
# HELP gokeepalived_vrrp_drops_total Received advertisements dropped, by reason.
# TYPE gokeepalived_vrrp_drops_total counter
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="addr_count",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="addr_list",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="auth_mismatch",vrid="51"} 2
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="auth_type",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="auth_unsupported",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="checksum",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="checksum_pseudo_header_form",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="checksum_v2_form",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="destination",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="interval_mismatch",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="interval_zero",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="length",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="malformed",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="own_address",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="ttl",vrid="51"} 4
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="type",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="unicast_src",vrid="51"} 5
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="version",vrid="51"} 0
gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="vrid_mismatch",vrid="51"} 0
# HELP gokeepalived_vrrp_effective_priority Priority after tracker weights, as sent in adverts.
# TYPE gokeepalived_vrrp_effective_priority gauge
gokeepalived_vrrp_effective_priority{instance="VI_1",interface="eth0",vrid="51"} 130
# HELP gokeepalived_vrrp_garp_errors_total Gratuitous ARP / NA send failures.
# TYPE gokeepalived_vrrp_garp_errors_total counter
gokeepalived_vrrp_garp_errors_total{instance="VI_1",interface="eth0",vrid="51"} 0
# HELP gokeepalived_vrrp_garp_sent_total Gratuitous ARPs / unsolicited neighbour advertisements sent.
# TYPE gokeepalived_vrrp_garp_sent_total counter
gokeepalived_vrrp_garp_sent_total{instance="VI_1",interface="eth0",vrid="51"} 10
# HELP gokeepalived_vrrp_inputs_ignored_total Inputs (mostly adverts) the VRRP state machine ignored, by reason.
# TYPE gokeepalived_vrrp_inputs_ignored_total counter
gokeepalived_vrrp_inputs_ignored_total{instance="VI_1",interface="eth0",reason="lower_priority",vrid="51"} 3
gokeepalived_vrrp_inputs_ignored_total{instance="VI_1",interface="eth0",reason="not_running",vrid="51"} 4
# HELP gokeepalived_vrrp_last_advert_age_seconds Seconds since the last valid advertisement was received; absent if none yet.
# TYPE gokeepalived_vrrp_last_advert_age_seconds gauge
gokeepalived_vrrp_last_advert_age_seconds{instance="VI_1",interface="eth0",vrid="51"} 1.5
# HELP gokeepalived_vrrp_last_transition_timestamp_seconds Unix time of the instance's last state change; absent if none yet.
# TYPE gokeepalived_vrrp_last_transition_timestamp_seconds gauge
gokeepalived_vrrp_last_transition_timestamp_seconds{instance="VI_1",interface="eth0",vrid="51"} 1.77236637e+09
# HELP gokeepalived_vrrp_maintenance 1 while gokeepalivedctl maintenance holds the instance out (it never becomes MASTER), else 0.
# TYPE gokeepalived_vrrp_maintenance gauge
gokeepalived_vrrp_maintenance{instance="VI_1",interface="eth0",vrid="51"} 0
# HELP gokeepalived_vrrp_master_rx_lower_pri_total Adverts from a lower-priority master while MASTER (keepalived's MASTER_RX_LOWER_PRI event, notify_master_rx_lower_pri).
# TYPE gokeepalived_vrrp_master_rx_lower_pri_total counter
gokeepalived_vrrp_master_rx_lower_pri_total{instance="VI_1",interface="eth0",vrid="51"} 1
# HELP gokeepalived_vrrp_no_master_heard_total Master down timer expiries with no advert heard since start: alone, or cut off from the peers (firewall, unicast_peer, VRID).
# TYPE gokeepalived_vrrp_no_master_heard_total counter
gokeepalived_vrrp_no_master_heard_total{instance="VI_1",interface="eth0",vrid="51"} 1
# HELP gokeepalived_vrrp_priority_zero_received_total Priority 0 adverts received (the master gave up).
# TYPE gokeepalived_vrrp_priority_zero_received_total counter
gokeepalived_vrrp_priority_zero_received_total{instance="VI_1",interface="eth0",vrid="51"} 0
# HELP gokeepalived_vrrp_priority_zero_sent_total Priority 0 adverts sent (giving up mastership).
# TYPE gokeepalived_vrrp_priority_zero_sent_total counter
gokeepalived_vrrp_priority_zero_sent_total{instance="VI_1",interface="eth0",vrid="51"} 1
# HELP gokeepalived_vrrp_released_master_total Transitions out of MASTER.
# TYPE gokeepalived_vrrp_released_master_total counter
gokeepalived_vrrp_released_master_total{instance="VI_1",interface="eth0",vrid="51"} 1
# HELP gokeepalived_vrrp_routes_restored_total Virtual routes put back after something else deleted them while this instance was MASTER.
# TYPE gokeepalived_vrrp_routes_restored_total counter
gokeepalived_vrrp_routes_restored_total{instance="VI_1",interface="eth0",vrid="51"} 0
# HELP gokeepalived_vrrp_rules_restored_total Virtual rules put back after something else deleted them while this instance was MASTER.
# TYPE gokeepalived_vrrp_rules_restored_total counter
gokeepalived_vrrp_rules_restored_total{instance="VI_1",interface="eth0",vrid="51"} 0
# HELP gokeepalived_vrrp_split_brain_suspected_total Adverts from another master while this instance was MASTER and out-ranked it, after its first one (which may cross ours in a takeover): both held the virtual addresses.
# TYPE gokeepalived_vrrp_split_brain_suspected_total counter
gokeepalived_vrrp_split_brain_suspected_total{instance="VI_1",interface="eth0",vrid="51"} 1
# HELP gokeepalived_vrrp_stale_vips_removed_total Virtual addresses found on an interface while this instance was not MASTER (left by a crash, or added by hand) and removed.
# TYPE gokeepalived_vrrp_stale_vips_removed_total counter
gokeepalived_vrrp_stale_vips_removed_total{instance="VI_1",interface="eth0",vrid="51"} 0
# HELP gokeepalived_vrrp_state 1 for the instance's current VRRP state, 0 for the other states.
# TYPE gokeepalived_vrrp_state gauge
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="BACKUP",vrid="51"} 0
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="FAULT",vrid="51"} 0
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="INIT",vrid="51"} 0
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="MAINTENANCE",vrid="51"} 0
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="MASTER",vrid="51"} 1
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="STOP",vrid="51"} 0
# HELP gokeepalived_vrrp_state_code Current VRRP state as keepalived numbers it: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 98 STOP.
# TYPE gokeepalived_vrrp_state_code gauge
gokeepalived_vrrp_state_code{instance="VI_1",interface="eth0",vrid="51"} 2
# HELP gokeepalived_vrrp_tracker_up 1 when a tracked object (script, interface, file, process) is OK, else 0.
# TYPE gokeepalived_vrrp_tracker_up gauge
gokeepalived_vrrp_tracker_up{instance="VI_1",interface="eth0",kind="interface",tracker="eth1",vrid="51"} 0
gokeepalived_vrrp_tracker_up{instance="VI_1",interface="eth0",kind="script",tracker="chk_nginx",vrid="51"} 1
# HELP gokeepalived_vrrp_transitions_total VRRP state changes.
# TYPE gokeepalived_vrrp_transitions_total counter
gokeepalived_vrrp_transitions_total{instance="VI_1",interface="eth0",vrid="51"} 2
# HELP gokeepalived_vrrp_vip_errors_total Failures adding or removing virtual addresses, routes or rules.
# TYPE gokeepalived_vrrp_vip_errors_total counter
gokeepalived_vrrp_vip_errors_total{instance="VI_1",interface="eth0",vrid="51"} 0
# HELP gokeepalived_vrrp_vips_held 1 while the instance holds its virtual addresses on the interface, else 0.
# TYPE gokeepalived_vrrp_vips_held gauge
gokeepalived_vrrp_vips_held{instance="VI_1",interface="eth0",vrid="51"} 1
# HELP gokeepalived_vrrp_vips_restored_total Virtual addresses put back after something else removed them from the kernel while this instance was MASTER.
# TYPE gokeepalived_vrrp_vips_restored_total counter
gokeepalived_vrrp_vips_restored_total{instance="VI_1",interface="eth0",vrid="51"} 0
`

func TestCollectorFullExposition(t *testing.T) {
	c := New(fakeSnapshot, WithClock(fixedNow))
	if err := testutil.CollectAndCompare(c, strings.NewReader(wantFull)); err != nil {
		t.Fatal(err)
	}
}

func TestCollectorLint(t *testing.T) {
	problems, err := testutil.CollectAndLint(New(fakeSnapshot, WithClock(fixedNow)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// A BACKUP that has heard nothing and never changed state: the optional
// series (advert age, last transition, trackers, daemon times, ignored
// inputs) are absent; every counter and drop reason is there, at zero.
func TestCollectorSparseInstance(t *testing.T) {
	snap := func() *ctl.Snapshot {
		return &ctl.Snapshot{Instances: []*ctl.InstanceSnapshot{{
			Name: "VI_6", Interface: "eth1", VRID: 7, State: vrrp.StateBackup, BasePriority: 100, EffectivePriority: 100,
			Counters: &ctl.InstanceCounters{},
		}}}
	}
	want := `
# HELP gokeepalived_vrrp_adverts_sent_total Advertisements sent.
# TYPE gokeepalived_vrrp_adverts_sent_total counter
gokeepalived_vrrp_adverts_sent_total{instance="VI_6",interface="eth1",vrid="7"} 0
# HELP gokeepalived_vrrp_state_code Current VRRP state as keepalived numbers it: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 98 STOP.
# TYPE gokeepalived_vrrp_state_code gauge
gokeepalived_vrrp_state_code{instance="VI_6",interface="eth1",vrid="7"} 1
# HELP gokeepalived_vrrp_vips_held 1 while the instance holds its virtual addresses on the interface, else 0.
# TYPE gokeepalived_vrrp_vips_held gauge
gokeepalived_vrrp_vips_held{instance="VI_6",interface="eth1",vrid="7"} 0
`
	c := New(snap, WithClock(fixedNow))
	absent := []string{
		"gokeepalived_vrrp_inputs_ignored_total",
		"gokeepalived_vrrp_last_advert_age_seconds", "gokeepalived_vrrp_last_transition_timestamp_seconds",
		"gokeepalived_vrrp_tracker_up", "gokeepalived_daemon_start_time_seconds",
		"gokeepalived_daemon_last_reload_timestamp_seconds",
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		append(absent, "gokeepalived_vrrp_adverts_sent_total", "gokeepalived_vrrp_state_code", "gokeepalived_vrrp_vips_held")...); err != nil {
		t.Fatal(err)
	}
	// 6 state series (MAINTENANCE included) + state_code + 2 priorities +
	// vips_held + maintenance + 18 counters
	// (the 10 ignored-input ones are absent at zero) + one drop series per
	// DropReason but OK.
	if got, want := testutil.CollectAndCount(c), 6+1+2+1+1+18+int(packet.NumDropReasons)-1; got != want {
		t.Errorf("CollectAndCount = %d, want %d", got, want)
	}
}

// Every counter is exported under a name derived from its one definition
// (ctl.Counter's String), the ignored-input ones under a reason label.
func TestCounterMetricNames(t *testing.T) {
	c := New(fakeSnapshot, WithClock(fixedNow))
	for k := range ctl.NumCounters {
		name := "gokeepalived_vrrp_" + k.String() + "_total"
		if k == ctl.SendErrors {
			name = "gokeepalived_vrrp_advert_send_errors_total"
		}
		if _, ok := k.IgnoreReason(); ok {
			continue
		}
		if n := testutil.CollectAndCount(c, name); n != 1 {
			t.Errorf("counter %v: %d series named %s, want 1", k, n, name)
		}
	}
}

func TestCollectorUnknownStateAndNil(t *testing.T) {
	unknown := New(func() *ctl.Snapshot {
		return &ctl.Snapshot{Instances: []*ctl.InstanceSnapshot{{Name: "VI_1", Interface: "eth0", VRID: 1, State: vrrp.State(200)}}}
	})
	// No state is 1 and there is no state_code for a state we cannot number.
	if got := testutil.CollectAndCount(unknown, "gokeepalived_vrrp_state_code"); got != 0 {
		t.Errorf("state_code series for unknown state = %d, want 0", got)
	}
	want := `
# HELP gokeepalived_vrrp_state 1 for the instance's current VRRP state, 0 for the other states.
# TYPE gokeepalived_vrrp_state gauge
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="BACKUP",vrid="1"} 0
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="FAULT",vrid="1"} 0
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="INIT",vrid="1"} 0
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="MAINTENANCE",vrid="1"} 0
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="MASTER",vrid="1"} 0
gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="STOP",vrid="1"} 0
`
	if err := testutil.CollectAndCompare(unknown, strings.NewReader(want), "gokeepalived_vrrp_state"); err != nil {
		t.Error(err)
	}

	none := New(func() *ctl.Snapshot { return nil })
	if got := testutil.CollectAndCount(none); got != 0 {
		t.Errorf("nil snapshot exported %d series, want 0", got)
	}
}

// The age is computed at scrape time from the injected clock, never negative.
func TestLastAdvertAge(t *testing.T) {
	for _, tc := range []struct {
		name string
		last time.Time
		want string
	}{
		{"1.5s ago", t0.Add(-1500 * time.Millisecond), "1.5"},
		{"clock stepped back", t0.Add(2 * time.Second), "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var counters ctl.InstanceCounters
			counters.SetLastAdvert(tc.last)
			c := New(func() *ctl.Snapshot {
				return &ctl.Snapshot{Instances: []*ctl.InstanceSnapshot{{Name: "VI_1", Interface: "eth0", VRID: 1, Counters: &counters}}}
			}, WithClock(fixedNow))
			want := `
# HELP gokeepalived_vrrp_last_advert_age_seconds Seconds since the last valid advertisement was received; absent if none yet.
# TYPE gokeepalived_vrrp_last_advert_age_seconds gauge
gokeepalived_vrrp_last_advert_age_seconds{instance="VI_1",interface="eth0",vrid="1"} ` + tc.want + "\n"
			if err := testutil.CollectAndCompare(c, strings.NewReader(want), "gokeepalived_vrrp_last_advert_age_seconds"); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestHandlerScrape(t *testing.T) {
	calls := 0
	snap := func() *ctl.Snapshot { calls++; return fakeSnapshot() }
	srv := httptest.NewServer(Handler(snap, WithClock(fixedNow)))
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d\n%s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain exposition", ct)
	}
	if calls != 1 {
		t.Errorf("snapshot called %d times per scrape, want 1", calls)
	}
	var got []string
	for line := range strings.Lines(string(body)) {
		for _, want := range []string{
			`gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="MASTER",vrid="51"} 1`,
			`gokeepalived_vrrp_adverts_sent_total{instance="VI_1",interface="eth0",vrid="51"} 120`,
			`gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="ttl",vrid="51"} 4`,
		} {
			if strings.TrimSpace(line) == want {
				got = append(got, want)
			}
		}
		if strings.HasPrefix(line, "go_goroutines ") {
			got = append(got, "go_goroutines")
		}
	}
	wantLines := []string{ // exposition order: sorted by metric name
		"go_goroutines",
		`gokeepalived_vrrp_adverts_sent_total{instance="VI_1",interface="eth0",vrid="51"} 120`,
		`gokeepalived_vrrp_drops_total{instance="VI_1",interface="eth0",reason="ttl",vrid="51"} 4`,
		`gokeepalived_vrrp_state{instance="VI_1",interface="eth0",state="MASTER",vrid="51"} 1`,
	}
	if diff := cmp.Diff(wantLines, got); diff != "" {
		t.Errorf("scrape lines (-want +got):\n%s\nbody:\n%s", diff, body)
	}

	resp, err = http.Get(srv.URL + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /other: status %d, want 404", resp.StatusCode)
	}
}

// Two handlers (two daemons in one test binary) must not collide: no global
// registration.
func TestHandlersAreIndependent(t *testing.T) {
	_ = Handler(fakeSnapshot)
	_ = Handler(fakeSnapshot) // would panic on duplicate registration with a global registry
	if _, err := NewRegistry(fakeSnapshot).Gather(); err != nil {
		t.Fatal(err)
	}
}

// The shared sockets' drops (ctl.SocketCounter) are one series per reason,
// zero included, labelled with the socket's interface and family.
func TestSocketDrops(t *testing.T) {
	snap := func() *ctl.Snapshot {
		return &ctl.Snapshot{PID: 1, Sockets: []*ctl.SocketSnapshot{
			{Interface: "eth0", Counters: &ctl.FixedSocketCounts{ctl.SocketVRIDMismatch: 2, ctl.SocketKernelQueueFull: 5}},
			{Interface: "eth0", IPv6: true, Counters: &ctl.FixedSocketCounts{ctl.SocketMalformed: 1}},
		}}
	}
	want := `# HELP gokeepalived_vrrp_socket_drops_total Packets a shared VRRP socket dropped before an instance could be named, by reason (ctl.SocketCounter).
# TYPE gokeepalived_vrrp_socket_drops_total counter
gokeepalived_vrrp_socket_drops_total{family="ipv4",interface="eth0",reason="kernel_queue_full"} 5
gokeepalived_vrrp_socket_drops_total{family="ipv4",interface="eth0",reason="loop_queue_full"} 0
gokeepalived_vrrp_socket_drops_total{family="ipv4",interface="eth0",reason="malformed"} 0
gokeepalived_vrrp_socket_drops_total{family="ipv4",interface="eth0",reason="vrid_mismatch"} 2
gokeepalived_vrrp_socket_drops_total{family="ipv6",interface="eth0",reason="kernel_queue_full"} 0
gokeepalived_vrrp_socket_drops_total{family="ipv6",interface="eth0",reason="loop_queue_full"} 0
gokeepalived_vrrp_socket_drops_total{family="ipv6",interface="eth0",reason="malformed"} 1
gokeepalived_vrrp_socket_drops_total{family="ipv6",interface="eth0",reason="vrid_mismatch"} 0
`
	if err := testutil.CollectAndCompare(New(snap), strings.NewReader(want), "gokeepalived_vrrp_socket_drops_total"); err != nil {
		t.Fatal(err)
	}
}
