package metrics

import (
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
)

// freshSnapshot is a daemon just started with one instance (BACKUP, every
// counter at zero, no advert heard yet) and one virtual server with one
// real server whose health has not changed yet.
func freshSnapshot() *ctl.Snapshot {
	start := t0.Add(-time.Second)
	return &ctl.Snapshot{PID: 1, StartedAt: start,
		Instances: []*ctl.InstanceSnapshot{{
			Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: vrrp.StateBackup,
			BasePriority: 100, EffectivePriority: 100, AdvertInterval: time.Second, VIPs: []string{"192.0.2.100/32"},
			LastTransition: &ctl.Transition{From: "INIT", To: "BACKUP", Reason: "startup", At: start},
			Trackers:       []ctl.TrackerSnapshot{{TrackerStatus: ctl.TrackerStatus{Kind: "interface", Name: "eth0", OK: true}}},
			Counters:       &ctl.InstanceCounters{},
		}},
		Sockets: []*ctl.SocketSnapshot{{Interface: "eth0", Counters: &ctl.FixedSocketCounts{}}},
		VirtualServers: []ctl.VirtualServerStatus{{Name: "192.0.2.100:80/TCP", Backend: "ipvs", Quorum: true, WeightSum: 1,
			RealServers: []ctl.RealServerStatus{{Addr: "198.18.0.2:80", Weight: 1, Up: true, InTable: true, Checkers: 1}}}},
		BFD: &ctl.BFDStatus{Sessions: []ctl.BFDSessionStatus{{Name: "peer", Remote: "192.0.2.2", State: "Down", RemoteState: "Down",
			LocalDiscr: 7, LocalDiag: "No Diagnostic", Multiplier: 3, Drops: map[string]uint64{}}}, Drops: map[string]uint64{}},
		BGP: &ctl.BGPStatus{RouterID: "192.0.2.1", LocalAS: 65001, Drain: "running",
			Peers:    []ctl.BGPPeerStatus{{Address: "192.0.2.254", RemoteAS: 65000, State: "established", Up: true, Sent: 1}},
			Prefixes: []ctl.BGPPrefixStatus{{Prefix: "198.51.100.10/32", Source: "virtual_server 198.51.100.10:80", State: "announced", Reason: "quorum up"}}},
	}
}

// documentedMetrics reads docs/operations.md's metrics table: each row's
// metric names (a leading "_" continues the row's first name's subsystem)
// and whether the row says the series may be absent at first.
func documentedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "\n| metric | labels | |\n|---|---|---|\n")
	if !ok {
		t.Fatal("docs/operations.md has no metrics table")
	}
	names := map[string]bool{}
	name := regexp.MustCompile("`(_?[a-z_]+)`")
	for _, row := range strings.Split(table, "\n") {
		if !strings.HasPrefix(row, "| `") {
			break
		}
		cells := strings.Split(row, "|")
		mayBeAbsent := strings.Contains(row, "absent") || strings.Contains(row, "appears once")
		prefix := ""
		for _, m := range name.FindAllStringSubmatch(cells[1], -1) {
			n := m[1]
			if strings.HasPrefix(n, "_") {
				n = prefix + n[1:]
			} else if i := strings.Index(n[len("gokeepalived_"):], "_"); i >= 0 {
				prefix = n[:len("gokeepalived_")+i+1]
			}
			names[n] = mayBeAbsent
		}
	}
	if len(names) < 30 {
		t.Fatalf("read only %d metric names from the table: %v", len(names), names)
	}
	return names
}

// Every series the documentation's table names exists on a fresh daemon
// (unless its row says it is absent at first), and every series a fresh
// daemon exports is in the table.
func TestDocumentedMetricsExist(t *testing.T) {
	reg := NewRegistry(freshSnapshot, WithClock(fixedNow), WithVersion("1.2.3"))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, mf := range mfs {
		exported[mf.GetName()] = true
	}
	documented := documentedMetrics(t)
	for n, mayBeAbsent := range documented {
		if !exported[n] && !mayBeAbsent {
			t.Errorf("documented %s is not exported by a fresh daemon", n)
		}
	}
	for n := range exported {
		if strings.HasPrefix(n, "gokeepalived_") {
			if _, ok := documented[n]; !ok {
				t.Errorf("exported %s is not in docs/operations.md's metrics table", n)
			}
		}
	}
}

func TestBuildInfo(t *testing.T) {
	reg := NewRegistry(func() *ctl.Snapshot { return nil }, WithVersion("1.2.3-test+0123456789ab"))
	want := `
# HELP gokeepalived_build_info Always 1; the labels say which gokeepalived runs: its version, git revision and Go version.
# TYPE gokeepalived_build_info gauge
gokeepalived_build_info{goversion="` + runtime.Version() + `",revision="0123456789ab",version="1.2.3-test"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gokeepalived_build_info"); err != nil {
		t.Error(err)
	}
	if v, r, _ := buildLabels("0.1.0-dev"); v != "0.1.0-dev" || r == "" {
		t.Errorf("unstamped: version %q revision %q", v, r)
	}
}
