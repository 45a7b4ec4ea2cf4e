package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
)

// maintenance runs Daemon.Maintenance as the control socket does,
// stepping the node's loop until it returns.
func (n *node) maintenance(on bool, names ...string) (ctl.Maintenance, error) {
	n.h.t.Helper()
	var res ctl.Maintenance
	done := make(chan error, 1)
	go func() {
		var err error
		res, err = n.d.Maintenance(context.Background(), on, names, len(names) == 0)
		done <- err
	}()
	err := n.stepUntil(done, nil)
	n.h.settle()
	return res, err
}

func (n *node) failover(name string) error {
	n.h.t.Helper()
	done := make(chan error, 1)
	go func() { done <- n.d.Failover(context.Background(), name) }()
	err := n.stepUntil(done, nil)
	n.h.settle()
	return err
}

// restart stops the node's daemon gracefully and starts a new one with
// the same configuration and maintenance file.
func (n *node) restart(conf string) {
	n.h.t.Helper()
	n.stop()
	opts := n.d.opts
	n.d = New(n.h.load(conf), opts)
	n.start()
}

// Maintenance on the master: it hands over with a priority 0 advert, the
// backup takes over after its Skew_Time, and the node stays out (shown as
// MAINTENANCE) across a restart of its daemon, until off, when it preempts
// again as configured.
func TestSegmentMaintenance(t *testing.T) {
	file := filepath.Join(t.TempDir(), "run", "maintenance")
	h := newHarness(t)
	confA, confB := pairConf(150, ""), pairConf(100, "")
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, confA)
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, confB)
	a.d.opts.MaintenanceFile = file
	a.start()
	b.start()
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")

	since := h.now
	res, err := a.maintenance(true, "VI_1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Changed, ",") != "VI_1" || strings.Join(res.InMaintenance, ",") != "VI_1" {
		t.Errorf("maintenance on: %+v", res)
	}
	if n := h.sentBy("a", 51, 0, since); n != 1 {
		t.Errorf("a sent %d priority 0 adverts, want 1", n)
	}
	// a keeps the VIP, silent, until b takes over: no gap for the clients.
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	h.advance(600 * time.Millisecond) // b's Skew_Time is (256-100)/256 s = 0.609 s
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if n := h.sentBy("a", 51, 150, since); n != 0 {
		t.Errorf("a sent %d adverts while handing over, want none", n)
	}
	h.advance(20 * time.Millisecond)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	if st := a.status("VI_1"); st.State != ctl.MaintenanceState || st.Held {
		t.Errorf("a's status: %s held %v, want MAINTENANCE, released", st.State, st.Held)
	}
	h.advance(time.Minute) // a would preempt within 3.4 s
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), "\nVI_1\n") {
		t.Errorf("maintenance file: %q, %v", b, err)
	}

	// A restart keeps it in maintenance.
	a.restart(confA)
	h.advance(time.Minute)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	if st := a.status("VI_1"); st.State != ctl.MaintenanceState {
		t.Errorf("a's status after restart: %s, want MAINTENANCE", st.State)
	}

	// Off: a preempts b (preemption is on) at once: its Master_Down_Timer
	// ran out while it discarded b's lower-priority adverts.
	if _, err := a.maintenance(false, "VI_1"); err != nil {
		t.Fatal(err)
	}
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if b, _ := os.ReadFile(file); strings.Contains(string(b), "VI_1") {
		t.Errorf("maintenance file still names VI_1 after off: %q", b)
	}
	if _, err := a.maintenance(true, "VI_9"); err == nil || err.Error() != "no vrrp_instance VI_9 (instances: VI_1)" {
		t.Errorf("maintenance of an unknown instance: %v", err)
	}
}

// With nopreempt, maintenance off leaves the new master in place.
func TestSegmentMaintenanceOffNoPreempt(t *testing.T) {
	h, a, _ := pair(t, pairConf(150, "    nopreempt"), pairConf(100, "    nopreempt"))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if _, err := a.maintenance(true); err != nil { // --all
		t.Fatal(err)
	}
	h.advance(time.Second)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	if _, err := a.maintenance(false); err != nil {
		t.Fatal(err)
	}
	h.advance(time.Minute)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
}

// failover: the master hands over once; the backup takes over after its
// Skew_Time and is not preempted back; when it goes, the first takes over.
func TestSegmentFailover(t *testing.T) {
	h, a, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	if err := b.failover("VI_1"); err == nil || err.Error() != "VI_1 is BACKUP, not MASTER: nothing to hand over" {
		t.Errorf("failover on the backup: %v", err)
	}
	if err := a.failover("VI_1"); err != nil {
		t.Fatal(err)
	}
	h.advance(620 * time.Millisecond)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	h.advance(time.Minute)
	h.expect("VI_1", vip1, "BACKUP", "MASTER")
	b.stop()
	h.advance(time.Second)
	if a.state("VI_1") != "MASTER" || !a.holds(vip1) {
		t.Errorf("after b stopped: a is %s, holds VIP %v", a.state("VI_1"), a.holds(vip1))
	}
}
