package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/notify"
	"gokeepalived/internal/vrrp"
)

// stateRecorder is a Notifier that records the states entered.
type stateRecorder struct {
	mu     sync.Mutex
	states []string
	groups []string // sync group states notified
	events []string // MASTER_RX_LOWER_PRI events
}

func (r *stateRecorder) StateChanged(_ *config.Instance, _ *notify.Scripts, _, to vrrp.State, prio int, _ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, fmt.Sprintf("%s %d", to, prio))
}

func (r *stateRecorder) GroupChanged(g *config.SyncGroup, _ *notify.Scripts, _, to vrrp.State, _ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.groups = append(r.groups, fmt.Sprintf("%s %s", g.Name, to))
}

func (r *stateRecorder) MasterRxLowerPri(in *config.Instance, _ *notify.Scripts, prio int, peer netip.Addr, peerPrio int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("%s MASTER_RX_LOWER_PRI %d from %s %d", in.Name, prio, peer, peerPrio))
}

func (r *stateRecorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.states)
}

// An instance tracking a weight-0 vrrp_script that has not reported yet is held back
// until the first result, as keepalived does (num_script_init), instead of entering
// FAULT at startup and leaving it a moment later (found by the e2e scenario
// TestTrackFailover/script-weight0: gokeepalived notified BACKUP, FAULT, BACKUP, MASTER
// where keepalived notifies BACKUP, MASTER; every restart mailed "Entering FAULT state").
func TestWeightZeroScriptInitIsNoFault(t *testing.T) {
	script := filepath.Join(t.TempDir(), "chk.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 0.2\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, fmt.Sprintf(`vrrp_script chk {
    script "%s"
    interval 1
    weight 0
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.05
    virtual_ipaddress {
        198.51.100.100
    }
    track_script {
        chk
    }
}
`, script))
	rec := &stateRecorder{}
	d := New(cfg, Options{Ports: newFakeEnv().ports(), Notifier: rec})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	st := waitMaster(t, d, "VI_1")
	if st.EffectivePriority != 100 {
		t.Errorf("effective priority %d, want 100", st.EffectivePriority)
	}
	eventually(t, 5*time.Second, func() (bool, string) {
		got := rec.get()
		return slices.Equal(got, []string{"BACKUP 100", "MASTER 100"}), fmt.Sprintf("notified %q, want [BACKUP 100 MASTER 100]", got)
	})
}

// A failing vrrp_script and a failing notify script are counted in the status snapshot
// (trackers[].runs/failures and notify.script_failures), so operators can see them.
func TestScriptFailuresCountedInStatus(t *testing.T) {
	dir := t.TempDir()
	fail := filepath.Join(dir, "fail.sh")
	if err := os.WriteFile(fail, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, fmt.Sprintf(`vrrp_script chk {
    script "%[1]s"
    interval 1
    weight -10
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.05
    virtual_ipaddress {
        198.51.100.100
    }
    track_script {
        chk
    }
    notify %[1]s
}
`, fail))
	d := New(cfg, Options{Ports: newFakeEnv().ports(), Notifier: NewNotifier(cfg, slog.New(slog.DiscardHandler))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	eventually(t, 5*time.Second, func() (bool, string) {
		st, err := d.Status(context.Background())
		if err != nil {
			return false, err.Error()
		}
		var chk *struct{ runs, fails uint64 }
		for _, tr := range st.Instances[0].Trackers {
			if tr.Name == "chk" {
				chk = &struct{ runs, fails uint64 }{tr.Runs, tr.Failures}
			}
		}
		return chk != nil && chk.runs >= 1 && chk.fails == chk.runs && st.Notify["script_failures"] >= 1 && st.Notify["script_runs"] >= 1,
			fmt.Sprintf("trackers %+v, notify %v", st.Instances[0].Trackers, st.Notify)
	})
}

// TestPriorityRestoredReasonNotEmpty: when a weighted vrrp_script recovers,
// the "effective priority changed" line says why (issue 13: reason="").
func TestPriorityRestoredReasonNotEmpty(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	cfg := load(t, fmt.Sprintf(`vrrp_script chk {
    script "/usr/bin/test -e %s"
    interval 1
    weight -10
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.05
    virtual_ipaddress {
        198.51.100.100
    }
    track_script {
        chk
    }
}
`, ok))
	d := New(cfg, Options{Ports: newFakeEnv().ports()})
	var logs lockedBuf
	d.log = slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	prio := func(want int) func() (bool, string) {
		return func() (bool, string) {
			st, err := d.Status(context.Background())
			if err != nil {
				return false, err.Error()
			}
			return st.Instances[0].EffectivePriority == want, fmt.Sprintf("priority %d, want %d", st.Instances[0].EffectivePriority, want)
		}
	}
	eventually(t, 10*time.Second, prio(90))
	if err := os.WriteFile(ok, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, prio(100))
	want := `msg="effective priority changed" instance=VI_1 vrid=51 from=90 to=100 reason="no tracker weight applies any more: base priority 100"`
	eventually(t, 5*time.Second, func() (bool, string) { return strings.Contains(logs.String(), want), logs.String() })
}
