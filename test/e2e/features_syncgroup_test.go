package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/test/e2e/netns"
)

// syncRecords is what one node recorded in the sync-group scenario.
type syncRecords struct {
	Group []string // argv of the group's notify script, one line per call
	FIFO  []string // notify_fifo lines
}

var (
	groupArgv = regexp.MustCompile(`^GROUP G1 (BACKUP|MASTER|FAULT) 0$`)
	groupFIFO = regexp.MustCompile(`^GROUP "G1" (BACKUP|MASTER|FAULT) 0$`)
	instFIFO  = regexp.MustCompile(`^INSTANCE "VI_[12]" (BACKUP|MASTER|FAULT|MASTER_RX_LOWER_PRI) \d+$`)
)

// TestFeatureSyncGroup: VI_1 (ens33, 192.0.2.100) and VI_2 (ens34 on a second LAN,
// 198.51.100.100) in vrrp_sync_group G1 on both nodes. ens34 down on the master puts
// VI_2 in FAULT and, through the group, takes VI_1 out of MASTER too: the backup holds
// both VIPs. ens34 up: both come back. The group's notify script gets keepalived's argv
// (GROUP G1 <STATE> 0) and the global notify_fifo gets INSTANCE and GROUP lines in
// keepalived's format; both daemons run the scenario and must record the same sequences
// (per instance or group name: the order between instances changing in the same instant
// is not keepalived's contract).
func TestFeatureSyncGroup(t *testing.T) {
	t.Parallel()
	got := runBoth(t, syncGroupScenario)
	k, g := got["keepalived"], got["gokeepalived"]
	if k == nil || g == nil {
		t.Skip("one daemon's run failed: no comparison")
	}
	for _, n := range []string{"master", "backup"} {
		if d := cmp.Diff(k[n].Group, g[n].Group); d != "" {
			t.Errorf("%s: group notify argv differs from keepalived's (-keepalived +gokeepalived):\n%s", n, d)
		}
		for _, name := range []string{"G1", "VI_1", "VI_2"} {
			if d := cmp.Diff(filterName(k[n].FIFO, name), filterName(g[n].FIFO, name)); d != "" {
				t.Errorf("%s: notify_fifo lines of %s differ from keepalived's (-keepalived +gokeepalived):\n%s", n, name, d)
			}
		}
	}
}

func syncGroupScenario(t *testing.T, kind string) map[string]syncRecords {
	p := newFeatPair(t, "sg", kind, true)
	insts := []string{"VI_1", "VI_2"}
	vips := []string{vip, vip2}
	fifos := map[string]*fifoReader{}
	logs := map[string]string{}
	for _, n := range []struct {
		n     *node
		state string
		prio  int
	}{{p.master, "MASTER", 100}, {p.backup, "BACKUP", 90}} {
		fifo := filepath.Join(n.n.Dir, "notify.fifo")
		fifos[n.n.Name] = readFIFO(t, fifo)
		logs[n.n.Name] = filepath.Join(n.n.Dir, "group.log")
		script := writeScript(t, n.n, "group_notify.sh", fmt.Sprintf(`echo "$*" >> %s`, logs[n.n.Name]))
		top := fmt.Sprintf("vrrp_sync_group G1 {\n    group {\n        VI_1\n        VI_2\n    }\n    notify %s\n}\n", script)
		conf := featConf(n.n.Name, n.state, n.prio, fmt.Sprintf("    notify_fifo %s\n", fifo), top,
			featInst{Name: "VI_1"}, featInst{Name: "VI_2", Iface: ifname2, VRID: 52, VIP: vip2})
		p.startDaemon(t, n.n, conf, "")
		// Start the backup only once the master holds everything: started
		// together, a backup whose daemon happens to start first (a busy
		// machine delays the other by more than the 40 ms difference of
		// their master down intervals) becomes MASTER first, which adds a
		// MASTER/BACKUP pair to its sequences for either daemon.
		netns.Eventually(t, converge, holdsAll(p, p.master, p.backup, vips, insts))
	}

	p.master.LinkDown(ifname2)
	took := netns.Eventually(t, converge, holdsAll(p, p.backup, p.master, vips, insts))
	t.Logf("%s: ens34 down on the master → both VIPs on the backup after %.3fs", kind, took.Seconds())
	if p.master.Sock != "" {
		for _, name := range insts {
			is, _ := instanceOf(p.master, name)
			t.Logf("master %s: %s (last transition %+v)", name, is.State, is.LastTransition)
		}
		if is, _ := instanceOf(p.master, "VI_2"); is.State != "FAULT" {
			t.Errorf("master VI_2 (its interface ens34 down) is %s, want FAULT", is.State)
		}
	}

	p.master.LinkUp(ifname2)
	took = netns.Eventually(t, converge, holdsAll(p, p.master, p.backup, vips, insts))
	t.Logf("%s: ens34 up → both VIPs back on the master after %.3fs", kind, took.Seconds())

	// The notifications are asynchronous: wait for the final group states (master MASTER
	// again after two MASTER notifications, backup BACKUP after having been MASTER) and for
	// the FIFO to carry as many GROUP lines as the script got calls.
	out := map[string]syncRecords{}
	for _, n := range []*node{p.master, p.backup} {
		final, masters := "GROUP G1 BACKUP 0", 1
		if n == p.master {
			final, masters = "GROUP G1 MASTER 0", 2
		}
		netns.Eventually(t, converge, func() (bool, string) {
			lines := readLines(logs[n.Name])
			fifo := fifos[n.Name].Lines()
			ok := len(lines) > 0 && lines[len(lines)-1] == final && strings.Count(strings.Join(lines, "\n"), "MASTER") >= masters &&
				len(filterName(fifo, "G1")) == len(lines)
			return ok, fmt.Sprintf("%s: want the group script's last call %q after %d MASTER, and one FIFO GROUP line per call; script calls %q, FIFO %q%s",
				n.Name, final, masters, lines, fifo, describeNodes(p, insts...))
		})
		// MASTER_RX_LOWER_PRI lines are checked for format, then left out
		// of the comparison (withoutRxLowerPri).
		all := fifos[n.Name].Lines()
		for _, l := range all {
			if !instFIFO.MatchString(l) && !groupFIFO.MatchString(l) {
				t.Errorf("%s: notify_fifo line %q is not in keepalived's format", n.Name, l)
			}
		}
		r := syncRecords{Group: readLines(logs[n.Name]), FIFO: withoutRxLowerPri(all)}
		t.Logf("%s %s: group notify calls %q", kind, n.Name, r.Group)
		t.Logf("%s %s: notify_fifo %q", kind, n.Name, r.FIFO)
		for _, l := range r.Group {
			if !groupArgv.MatchString(l) {
				t.Errorf("%s: group notify argv %q, want keepalived's %q", n.Name, l, groupArgv)
			}
		}
		for _, name := range insts {
			if len(filterName(r.FIFO, name)) == 0 {
				t.Errorf("%s: notify_fifo has no line for %s: %q", n.Name, name, r.FIFO)
			}
		}
		out[n.Name] = r
	}
	return out
}
