package daemon

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"gokeepalived/internal/config"
)

// PriorityChanged records keepalived's priority-change event in events.
func (r *stateRecorder) PriorityChanged(in *config.Instance, master bool, prio int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := "BACKUP_PRIORITY"
	if master {
		ev = "MASTER_PRIORITY"
	}
	r.events = append(r.events, fmt.Sprintf("%s %s %d", in.Name, ev, prio))
}

func (r *stateRecorder) getEvents() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// TestSegmentNotifyPriorityChanges: with notify_priority_changes, each
// effective priority change (a tracked interface going down and up) reaches
// the notifier with the state the instance was in: MASTER_PRIORITY 90 as the
// master loses 60, BACKUP_PRIORITY 150 once it is back up as a backup.
// Without it (or with it set off on the instance over a global on), nothing.
func TestSegmentNotifyPriorityChanges(t *testing.T) {
	track := "    track_interface {\n        eth1 weight -60\n    }\n"
	for _, c := range []struct {
		name, global, group, inst string
		want                      []string
	}{
		{"instance", "", "", "    notify_priority_changes\n", []string{"VI_1 MASTER_PRIORITY 90", "VI_1 BACKUP_PRIORITY 150"}},
		{"global", "global_defs {\n    vrrp_notify_priority_changes\n}\n", "", "", []string{"VI_1 MASTER_PRIORITY 90", "VI_1 BACKUP_PRIORITY 150"}},
		{"sync group", "", "    notify_priority_changes\n", "", []string{"VI_1 MASTER_PRIORITY 90", "VI_1 BACKUP_PRIORITY 150"}},
		{"instance off over global on", "global_defs {\n    vrrp_notify_priority_changes\n}\n", "", "    notify_priority_changes false\n", nil},
		{"not set", "", "", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			// sync_group_tracking_weight: the member's weight applies (keepalived
			// would otherwise count it as weight 0).
			group := "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n    sync_group_tracking_weight\n" + c.group + "}\n"
			a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1", "eth1": "up 198.51.100.1"},
				c.global+group+pairConf(150, track+c.inst))
			b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(100, ""))
			a.start()
			b.start()
			h.advance(10 * time.Second)
			h.expect("VI_1", vip1, "MASTER", "BACKUP")
			a.setLink("eth1", false)
			h.advance(5 * time.Second)
			h.expect("VI_1", vip1, "BACKUP", "MASTER")
			a.setLink("eth1", true)
			h.settle()
			if got := a.rec.getEvents(); !slices.Equal(got, c.want) {
				t.Errorf("a's priority events %q, want %q", got, c.want)
			}
			if got := b.rec.getEvents(); len(got) != 0 {
				t.Errorf("b (no tracking) got %q", got)
			}
		})
	}
}

// TestPriorityEventFIFOLine: the event is keepalived's FIFO line
// (vrrp_notify.c send_instance_priority_notifies), with no script to run.
func TestPriorityEventFIFOLine(t *testing.T) {
	in := &config.Instance{Name: "VI_1"}
	for _, c := range []struct {
		master bool
		prio   int
		want   string
	}{{true, 90, "INSTANCE \"VI_1\" MASTER_PRIORITY 90\n"}, {false, 150, "INSTANCE \"VI_1\" BACKUP_PRIORITY 150\n"}} {
		e := priorityEvent(in, c.master, c.prio)
		if got := e.FIFOLine(); got != c.want || e.Scripts != nil || e.State.IsTransition() {
			t.Errorf("master %v prio %d: line %q (want %q), scripts %v, transition %v", c.master, c.prio, got, c.want, e.Scripts, e.State.IsTransition())
		}
	}
}
