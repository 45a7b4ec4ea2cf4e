package daemon

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/notify"
	"gokeepalived/internal/vrrp"
)

// InstanceDeleted records a removed instance's notification in events.
func (r *stateRecorder) InstanceDeleted(in *config.Instance, _ *notify.Scripts, from vrrp.State, prio int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := "FAULT"
	if in.NotifyDeleted {
		st = "DELETED"
	}
	r.events = append(r.events, fmt.Sprintf("%s %s %d from %s", in.Name, st, prio, from))
}

// TestSegmentNotifyDeleted: an instance a reload removes is notified as
// keepalived does (vrrp.c clear_diff_vrrp): DELETED with notify_deleted,
// else FAULT, and not STOP; one that was in FAULT is notified only with
// notify_deleted.
func TestSegmentNotifyDeleted(t *testing.T) {
	second := func(extra string) string {
		return strings.Replace(strings.Replace(pairConf(150, extra), "VI_1", "VI_2", 1), "virtual_router_id 51", "virtual_router_id 52", 1)
	}
	for _, c := range []struct {
		name, extra string
		fault       bool
		want        []string
	}{
		{"notify_deleted", "    notify_deleted\n", false, []string{"VI_2 DELETED 150 from MASTER"}},
		{"default", "", false, []string{"VI_2 FAULT 150 from MASTER"}},
		{"in fault", "", true, nil},
		{"in fault with notify_deleted", "    notify_deleted\n", true, []string{"VI_2 DELETED 150 from FAULT"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			conf := pairConf(150, "") + second(c.extra)
			if c.fault {
				conf = pairConf(150, "") + strings.Replace(second(c.extra), "interface eth0", "interface eth1", 1)
			}
			a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1", "eth1": "up 198.51.100.1"}, conf)
			a.start()
			h.advance(10 * time.Second)
			if c.fault {
				a.setLink("eth1", false)
				h.settle()
				if st := a.state("VI_2"); st != "FAULT" {
					t.Fatalf("VI_2 is %s, want FAULT", st)
				}
			}
			before := len(a.rec.get())
			if err := a.reload(pairConf(150, "")); err != nil {
				t.Fatal(err)
			}
			h.settle()
			if got := a.rec.getEvents(); !slices.Equal(got, c.want) {
				t.Errorf("removed VI_2 notified %q, want %q", got, c.want)
			}
			if got := a.rec.get()[before:]; slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "STOP") }) {
				t.Errorf("a STOP was notified for the removed instance: %q", got)
			}
		})
	}
}
