package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gokeepalived/test/e2e/netns"
)

// taskSched is one thread of a process as /proc/PID/task/TID shows it.
type taskSched struct {
	tid              string
	comm             string
	nice, rt, policy int
	cpus             string // Cpus_allowed_list
}

// tasks reads the scheduling of every thread of pid.
func tasks(pid int) ([]taskSched, error) {
	dirs, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	if err != nil || len(dirs) == 0 {
		return nil, fmt.Errorf("no threads of pid %d: %v", pid, err)
	}
	var out []taskSched
	for _, dir := range dirs {
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue // the thread ended
		}
		// Fields after "(comm) ": field N of proc(5) is rest[N-3].
		i := strings.LastIndexByte(string(stat), ')')
		rest := strings.Fields(string(stat)[i+1:])
		if len(rest) < 39 {
			return nil, fmt.Errorf("%s/stat: %d fields", dir, len(rest)+2)
		}
		ts := taskSched{tid: filepath.Base(dir)}
		if c, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
			ts.comm = strings.TrimSpace(string(c))
		}
		ts.nice, _ = strconv.Atoi(rest[19-3])
		ts.rt, _ = strconv.Atoi(rest[40-3])
		ts.policy, _ = strconv.Atoi(rest[41-3])
		status, _ := os.ReadFile(filepath.Join(dir, "status"))
		for _, l := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
				ts.cpus = strings.TrimSpace(v)
			}
		}
		out = append(out, ts)
	}
	return out, nil
}

// procField returns a line's value of /proc/pid/<file> ("" if absent).
func procField(pid int, file, key string) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key); ok {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

// TestFeatureProcessKnobs: global_defs' process knobs on a real gokeepalived, read back
// from /proc. The master has vrrp_rt_priority 30, vrrp_cpu_affinity 0, vrrp_no_swap and
// vrrp_rlimit_rttime 200000: its VRRP loop and socket reader threads run SCHED_RR 30 on
// CPU 0 only, the process has locked memory (VmLck) and a real-time limit of 100000/200000
// us; with process_name and vrrp_process_name the process (/proc/PID/comm) and those
// threads carry the names; disable_local_igmp sets its namespace's
// net.ipv4.igmp_link_local_mcast_reports to 0 while it runs and back to 1 after it stops. The backup has max_auto_priority -1 and vrrp_priority 5: its VRRP threads run
// SCHED_OTHER at nice 5, and no thread is real-time.
func TestFeatureProcessKnobs(t *testing.T) {
	t.Parallel()
	p := newFeatPair(t, "pk", "gokeepalived", false)
	p.startDaemon(t, p.master, featConf("master", "MASTER", 100,
		"    vrrp_rt_priority 30\n    vrrp_cpu_affinity 0\n    vrrp_no_swap\n    vrrp_rlimit_rttime 200000\n"+
			"    process_name gk_parent\n    vrrp_process_name gk_vrrp\n    disable_local_igmp\n", "", featInst{}), "")
	// The backup also runs startup_script and shutdown_script (with keepalived's arguments:
	// none but its own): each appends a line to a log in the node's directory.
	events := filepath.Join(p.backup.Dir, "startstop.log")
	up := writeScript(t, p.backup, "up.sh", fmt.Sprintf(`echo "up $*" >> %s`, events))
	down := writeScript(t, p.backup, "down.sh", fmt.Sprintf(`echo "down $*" >> %s`, events))
	p.startDaemon(t, p.backup, featConf("backup", "BACKUP", 90, fmt.Sprintf("    max_auto_priority -1\n    vrrp_priority 5\n"+
		"    startup_script \"%s a1\"\n    shutdown_script %s\n    shutdown_script_timeout 5\n", up, down), "", featInst{}), "")
	netns.Eventually(t, converge, p.holders("the master", true, false))

	pid := func(n *node) int { return n.D.(*netns.GokeepalivedRunner).Proc.PID() }
	// The loop and one reader per socket: at least two threads each.
	netns.Eventually(t, converge, func() (bool, string) {
		ts, err := tasks(pid(p.master))
		if err != nil {
			return false, err.Error()
		}
		var rr []taskSched
		for _, s := range ts {
			if s.policy == 2 { // SCHED_RR
				rr = append(rr, s)
			}
		}
		ok := len(rr) >= 2
		for _, s := range rr {
			ok = ok && s.rt == 30 && s.cpus == "0" && s.comm == "gk_vrrp"
		}
		return ok, fmt.Sprintf("master: want >= 2 SCHED_RR threads at priority 30 on CPU 0 named gk_vrrp; threads: %+v", ts)
	})
	if c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid(p.master))); strings.TrimSpace(string(c)) != "gk_parent" {
		t.Errorf("master: /proc/PID/comm %q, want gk_parent (process_name)", c)
	}
	igmpReports := func(n *node) string {
		out, err := n.Exec(context.Background(), "cat", "/proc/sys/net/ipv4/igmp_link_local_mcast_reports")
		if err != nil {
			return err.Error()
		}
		return strings.TrimSpace(out)
	}
	if v := igmpReports(p.master); v != "0" {
		t.Errorf("master: igmp_link_local_mcast_reports %q while running, want 0 (disable_local_igmp)", v)
	}
	if v := igmpReports(p.backup); v != "1" {
		t.Errorf("backup: igmp_link_local_mcast_reports %q, want 1 (no disable_local_igmp)", v)
	}
	if v := procField(pid(p.master), "status", "VmLck:"); v == "" || v == "0 kB" {
		t.Errorf("master: VmLck %q, want locked memory (vrrp_no_swap)", v)
	}
	if v := procField(pid(p.master), "limits", "Max realtime timeout"); !strings.HasPrefix(v, "100000 200000 us") {
		t.Errorf("master: Max realtime timeout %q, want 100000 200000 us (vrrp_rlimit_rttime 200000)", v)
	}

	netns.Eventually(t, converge, func() (bool, string) {
		ts, err := tasks(pid(p.backup))
		if err != nil {
			return false, err.Error()
		}
		nice5, rr := 0, 0
		for _, s := range ts {
			if s.nice == 5 && s.policy == 0 {
				nice5++
			}
			if s.policy == 2 {
				rr++
			}
		}
		return nice5 >= 2 && rr == 0, fmt.Sprintf("backup: want >= 2 SCHED_OTHER threads at nice 5 and none real-time; threads: %+v", ts)
	})
	if v := procField(pid(p.backup), "status", "VmLck:"); v != "0 kB" {
		t.Errorf("backup: VmLck %q, want 0 kB (no vrrp_no_swap)", v)
	}
	if got := strings.Join(readLines(events), "|"); got != "up a1" {
		t.Errorf("backup running: start/stop scripts ran %q, want only the startup_script (\"up a1\")", got)
	}
	if err := p.backup.D.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.master.D.Stop(); err != nil {
		t.Fatal(err)
	}
	if v := igmpReports(p.master); v != "1" {
		t.Errorf("master stopped: igmp_link_local_mcast_reports %q, want 1 (restored)", v)
	}
	if got := strings.Join(readLines(events), "|"); got != "up a1|down" {
		t.Errorf("backup stopped: start/stop scripts ran %q, want \"up a1|down\"", got)
	}
}
