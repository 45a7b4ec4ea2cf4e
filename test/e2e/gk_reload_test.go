package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// TestReload: SIGHUP on a running gokeepalived master (reload by diff, STYLE rule 14).
//  1. unchanged configuration: the instance keeps running untouched, no state change, the
//     VIP never leaves (no "virtual addresses removed", client never fails);
//  2. invalid configuration: the errors are logged and the old configuration keeps running
//     (still MASTER with the VIP, not marked reloaded);
//  3. only the priority changes (100 → 110, still the highest): the effective priority is
//     updated in place without a state change, and the backup sees the new priority.
func TestReload(t *testing.T) {
	t.Parallel()
	c, m, b, p := seedPair(t, "rl", netns.Gokeepalived, netns.Gokeepalived, readConf(t, "master.conf"), readConf(t, "backup.conf"))
	g := m.gk()
	before := g.Status(t)
	in0 := instance(t, before, "VI_1")
	removedLines := func() int { return strings.Count(g.Logs(), "virtual addresses removed") }
	removed0 := removedLines()
	reloadAt := func(st ctl.Status) time.Time { return st.ReloadedAt }
	unchanged := func(step string, reloaded bool, prio int) {
		t.Helper()
		st := g.Status(t)
		in := instance(t, st, "VI_1")
		if in.State != "MASTER" || !in.VIPsHeld || !m.node.HasAddr(vip) {
			t.Errorf("%s: master is %s, vips_held %v, has %s: %v; want MASTER holding the VIP", step, in.State, in.VIPsHeld, vip, m.node.HasAddr(vip))
		}
		if in.Counter(ctl.Transitions) != in0.Counter(ctl.Transitions) || in.Counter(ctl.ReleasedMaster) != in0.Counter(ctl.ReleasedMaster) {
			t.Errorf("%s: state changed: transitions %d → %d, released_master %d → %d, last %+v", step,
				in0.Counter(ctl.Transitions), in.Counter(ctl.Transitions), in0.Counter(ctl.ReleasedMaster), in.Counter(ctl.ReleasedMaster), in.LastTransition)
		}
		if n := removedLines(); n != removed0 {
			t.Errorf("%s: the VIP left the master during the reload (%d \"virtual addresses removed\" lines, was %d)", step, n, removed0)
		}
		if in.EffectivePriority != prio || in.BasePriority != prio {
			t.Errorf("%s: priority base %d effective %d, want %d", step, in.BasePriority, in.EffectivePriority, prio)
		}
		if got := !reloadAt(st).IsZero(); got != reloaded {
			t.Errorf("%s: reloaded_at %v, want set: %v", step, st.ReloadedAt, reloaded)
		}
		for _, s := range p.Samples() {
			if s.Err != nil || s.Answer != "master" {
				t.Errorf("%s: client was not answered by the master at %s: %q %v", step, s.At.Format("15:04:05.000"), s.Answer, s.Err)
				break
			}
		}
	}
	hup := func() {
		t.Helper()
		if err := g.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	// 1. Unchanged configuration.
	hup()
	netns.Eventually(t, converge, func() (bool, string) {
		st, err := g.TryStatus()
		return err == nil && !st.ReloadedAt.IsZero(), fmt.Sprintf("master has not reloaded (err %v):\n%s", err, lastLines(g.Logs(), 6))
	})
	unchanged("unchanged config", true, 100)
	firstReload := reloadAt(g.Status(t))
	if !strings.Contains(g.Logs(), "configuration reloaded") {
		t.Errorf("no \"configuration reloaded\" line in the log:\n%s", lastLines(g.Logs(), 6))
	}

	// 2. Invalid configuration: VRID out of range.
	bad := strings.Replace(readConf(t, "master.conf"), "virtual_router_id 51", "virtual_router_id 300", 1)
	if err := g.Rewrite(bad); err != nil {
		t.Fatal(err)
	}
	hup()
	netns.Eventually(t, converge, func() (bool, string) {
		logs := g.Logs()
		return strings.Contains(logs, "reload failed") && strings.Contains(logs, "virtual_router_id"),
			"master logged no reload failure naming virtual_router_id:\n" + lastLines(logs, 8)
	})
	t.Logf("invalid config logged as:\n%s", grepLines(g.Logs(), "virtual_router_id"))
	unchanged("invalid config", true, 100)
	if got := reloadAt(g.Status(t)); !got.Equal(firstReload) {
		t.Errorf("invalid config: reloaded_at moved from %v to %v", firstReload, got)
	}

	// 3. Priority only.
	if err := g.Rewrite(strings.Replace(readConf(t, "master.conf"), "priority 100", "priority 110", 1)); err != nil {
		t.Fatal(err)
	}
	hup()
	netns.Eventually(t, converge, func() (bool, string) {
		in, ok := g.Instance("VI_1")
		return ok && in.EffectivePriority == 110, fmt.Sprintf("master's effective priority %d, want 110", in.EffectivePriority)
	})
	netns.Eventually(t, converge, func() (bool, string) {
		st, ok := c.status(b)
		return ok && st.MasterPriority == 110 && st.State == "BACKUP", fmt.Sprintf("backup sees master priority %d (state %s), want 110", st.MasterPriority, st.State)
	})
	unchanged("priority 100 → 110", true, 110)
	if ok, why := c.only(m)(); !ok {
		t.Error(why)
	}
}

func instance(t *testing.T, st ctl.Status, name string) ctl.InstanceStatus {
	t.Helper()
	for _, in := range st.Instances {
		if in.Name == name {
			return in
		}
	}
	t.Fatalf("no instance %s in status: %+v", name, st)
	return ctl.InstanceStatus{}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
