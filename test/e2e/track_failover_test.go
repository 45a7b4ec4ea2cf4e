package e2e

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// trackVariant is one way of tracking nginx on the master.
type trackVariant struct {
	name string
	// top returns the tracker's top-level block and the instance's track_* lines.
	top func(t *testing.T, n *node) (top, inst string)
	// pidNS runs the master's daemon and nginx in a private PID namespace (process tracking).
	pidNS bool
	// fault: nginx down puts the master in FAULT (weight 0) rather than priority 80.
	fault bool
	// tracker is the kind and name gokeepalived reports in status.trackers.
	kind, tracker string
	// wantNotify is the master's generic notify sequence (checked against keepalived).
	wantNotify []string
	// noKeepalived, if set, says why real keepalived cannot run this variant here.
	noKeepalived string
}

// keepalivedNoProcConnector: keepalived 2.2.7 tracks processes only through the netlink
// process connector, which the kernel offers in the initial network namespace only; in a
// node it logs "Failed to set/clear process event listen - errno 111 - Connection refused"
// and never sees a process. The wanted sequences are those keepalived records for the same
// failover tracked by a vrrp_script (TestTrackScriptNotify, script-weight0).
const keepalivedNoProcConnector = "keepalived's vrrp_track_process needs the netlink process connector, absent outside the initial network namespace"

var trackVariants = []trackVariant{
	{
		name: "script-weight0", kind: "script", tracker: "chk_nginx", fault: true,
		top: func(t *testing.T, n *node) (string, string) {
			return chkScriptBlock(writeScript(t, n, "chk_nginx.sh", chkNginx), 0), "    track_script {\n        chk_nginx\n    }\n"
		},
		wantNotify: []string{"INSTANCE VI_1 BACKUP 100", "INSTANCE VI_1 MASTER 100", "INSTANCE VI_1 FAULT 100",
			"INSTANCE VI_1 BACKUP 100", "INSTANCE VI_1 MASTER 100"},
	},
	{
		name: "process", kind: "process", tracker: "track_nginx", pidNS: true, noKeepalived: keepalivedNoProcConnector,
		top: func(t *testing.T, n *node) (string, string) {
			return "vrrp_track_process track_nginx {\n    process nginx\n    weight -20\n}\n",
				"    track_process {\n        track_nginx\n    }\n"
		},
		wantNotify: []string{"INSTANCE VI_1 BACKUP 100", "INSTANCE VI_1 MASTER 100", "INSTANCE VI_1 BACKUP 80", "INSTANCE VI_1 MASTER 100"},
	},
	{
		name: "process-weight0", kind: "process", tracker: "track_nginx", pidNS: true, fault: true, noKeepalived: keepalivedNoProcConnector,
		top: func(t *testing.T, n *node) (string, string) {
			return "vrrp_track_process track_nginx {\n    process nginx\n    weight 0\n}\n",
				"    track_process {\n        track_nginx\n    }\n"
		},
		wantNotify: []string{"INSTANCE VI_1 BACKUP 100", "INSTANCE VI_1 MASTER 100", "INSTANCE VI_1 FAULT 100",
			"INSTANCE VI_1 BACKUP 100", "INSTANCE VI_1 MASTER 100"},
	},
}

// TestTrackFailover: nginx on the master is tracked (vrrp_script with weight 0, or
// vrrp_track_process with weight -20 or 0); stopping it moves the VIP to the backup
// (priority 80 < 90, or FAULT), starting it again brings the VIP back (preempt). The
// master's notify sequence must be keepalived's. The weight -20 vrrp_script case is
// TestTrackScriptNotify.
func TestTrackFailover(t *testing.T) {
	t.Parallel()
	for _, v := range trackVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			got := map[string][]string{}
			t.Run("run", func(t *testing.T) {
				for _, kind := range bothDaemons {
					t.Run(kind, func(t *testing.T) {
						if kind == "keepalived" && v.noKeepalived != "" {
							t.Skip(v.noKeepalived)
						}
						t.Parallel()
						seq := trackFailover(t, kind, v)
						mu.Lock()
						got[kind] = seq
						mu.Unlock()
					})
				}
			})
			if k, g := got["keepalived"], got["gokeepalived"]; k != nil && g != nil {
				if d := cmp.Diff(k, g); d != "" {
					t.Errorf("master's notify sequence differs (-keepalived +gokeepalived):\n%s", d)
				}
			}
		})
	}
}

func trackFailover(t *testing.T, kind string, v trackVariant) []string {
	p := newTrackPair(t, "tf", kind)
	m, b := p.master, p.backup
	var ns *pidNS
	restart := func() { m.Nginx = m.StartNginx("master") }
	bin := ""
	if v.pidNS {
		// Every node shares the host's PID namespace; a private one makes "process nginx"
		// mean this node's nginx only (and not the backup's or other tests').
		ns = newPIDNS(t, m)
		restart = func() { m.Nginx = startNginxIn(t, ns, "master") }
		real := netns.KeepalivedBin
		if kind == "gokeepalived" {
			var err error
			if real, err = netns.GokeepalivedBinary(); err != nil {
				t.Fatal(err)
			}
		}
		bin = ns.wrap(t, real)
	}
	restart()
	b.Nginx = b.StartNginx("backup")

	ntf := writeScript(t, m, "notify.sh", fmt.Sprintf(`echo "$*" >> %s`, filepath.Join(m.Dir, "notify.log")))
	top, inst := v.top(t, m)
	p.startDaemon(t, m, nodeConf{State: "MASTER", Priority: 100, Top: top, Instance: inst + "    notify " + ntf + "\n"}.conf("master"), bin)
	p.startDaemon(t, b, nodeConf{State: "BACKUP", Priority: 90}.conf("backup"), "")
	netns.Eventually(t, converge, p.holders("master only", true, false))
	tracker := func(is ctl.InstanceStatus) (ctl.TrackerStatus, bool) {
		for _, tr := range is.Trackers {
			if tr.Kind == v.kind && tr.Name == v.tracker {
				return tr, true
			}
		}
		return ctl.TrackerStatus{}, false
	}
	if kind == "gokeepalived" {
		netns.Eventually(t, converge, func() (bool, string) {
			is, why := instanceStatus(m)
			tr, ok := tracker(is)
			return why == "" && is.State == "MASTER" && is.EffectivePriority == 100 && ok && tr.OK,
				fmt.Sprintf("want MASTER, priority 100, %s %s OK; status: %+v %s", v.kind, v.tracker, is, why)
		})
	}

	stopped := time.Now()
	if err := m.Nginx.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(t, converge, p.holders("backup only (nginx stopped on the master)", false, true))
	t.Logf("%s/%s: VIP on the backup %.2fs after nginx stopped on the master", v.name, kind, time.Since(stopped).Seconds())
	if kind == "gokeepalived" {
		wantState, wantPrio := "BACKUP", 80
		if v.fault {
			wantState, wantPrio = "FAULT", 100
		}
		netns.Eventually(t, converge, func() (bool, string) {
			is, why := instanceStatus(m)
			tr, ok := tracker(is)
			return why == "" && is.State == wantState && is.EffectivePriority == wantPrio && ok && !tr.OK && tr.Reason != "",
				fmt.Sprintf("want %s, priority %d, %s %s failed with a reason; status: %+v %s", wantState, wantPrio, v.kind, v.tracker, is, why)
		})
		is, _ := instanceStatus(m)
		tr, _ := tracker(is)
		t.Logf("gokeepalived master with nginx stopped: %s, priority %d, tracker %+v, last transition %+v",
			is.State, is.EffectivePriority, tr, is.LastTransition)
	}

	started := time.Now()
	restart()
	netns.Eventually(t, converge, p.holders("master only (nginx back, preempted)", true, false))
	t.Logf("%s/%s: VIP back on the master %.2fs after nginx started again", v.name, kind, time.Since(started).Seconds())

	var seq []string
	netns.Eventually(t, converge, func() (bool, string) {
		seq = readLines(filepath.Join(m.Dir, "notify.log"))
		return len(seq) >= len(v.wantNotify), fmt.Sprintf("master notified %q, want %q", seq, v.wantNotify)
	})
	if d := cmp.Diff(v.wantNotify, seq); d != "" {
		t.Errorf("%s: master's notify sequence (-want +got):\n%s", kind, d)
	}
	return seq
}
