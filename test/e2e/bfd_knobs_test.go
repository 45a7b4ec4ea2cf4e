package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// threadNamed returns the tids of pid's threads whose comm is name.
func threadNamed(pid int, name string) []string {
	dirs, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	var out []string
	for _, d := range dirs {
		if b, err := os.ReadFile(filepath.Join(d, "comm")); err == nil && strings.TrimSpace(string(b)) == name {
			out = append(out, filepath.Base(d))
		}
	}
	return out
}

// TestBFDProcessKnobs: global_defs' bfd_* knobs on a real gokeepalived,
// read back from /proc. With bfd_rt_priority 42, bfd_cpu_affinity (the
// last CPU), bfd_no_swap, bfd_rlimit_rttime 80000 and bfd_process_name,
// the BFD loop thread, which also reads the sockets, is named so and runs
// SCHED_RR 42 on that CPU (the only thread of the process that does); the process has locked memory and a
// real-time limit of 40000/80000 us. With bfd_priority 7 alone the BFD
// loop (named gk_bfd) runs SCHED_OTHER at nice 7.
func TestBFDProcessKnobs(t *testing.T) {
	netns.RequireRoot(t)
	topo := netns.New(t, "bfdpk")
	lan := topo.Switch("lan")
	a, b := topo.Node("a"), topo.Node("b")
	topo.Link(a, lan, "eth0", "192.0.2.1/24")
	topo.Link(b, lan, "eth0", "192.0.2.2/24")
	cpu := runtime.NumCPU() - 1
	ga := netns.Gokeepalived(a, fmt.Sprintf(`global_defs {
    bfd_rt_priority 42
    bfd_cpu_affinity %d
    bfd_no_swap
    bfd_rlimit_rttime 80000
    bfd_process_name gk_bfd_e2e
}
`, cpu)+bfdConf("192.0.2.2", "192.0.2.1"))
	gb := netns.Gokeepalived(b, "global_defs {\n    bfd_priority 7\n}\n"+bfdConf("192.0.2.1", "192.0.2.2"))
	for _, d := range []netns.Daemon{ga, gb} {
		if err := d.Start(); err != nil {
			t.Fatal(err)
		}
	}
	pid := func(d netns.Daemon) int { return d.(*netns.GokeepalivedRunner).Proc.PID() }
	// The two daemons are each other's BFD peer: the session comes Up.
	netns.Eventually(t, converge, bfdSessionIs(ga.(*netns.GokeepalivedRunner), "Up", func(s ctl.BFDSessionStatus) bool { return s.State == "Up" }))

	netns.Eventually(t, converge, func() (bool, string) {
		named := threadNamed(pid(ga), "gk_bfd_e2e")
		ts, err := tasks(pid(ga))
		if err != nil {
			return false, err.Error()
		}
		rr := 0
		loopOK := false
		for _, s := range ts {
			if s.policy == 2 && s.rt == 42 && s.cpus == fmt.Sprint(cpu) {
				rr++
				loopOK = loopOK || (len(named) == 1 && s.tid == named[0])
			}
		}
		// The loop reads the sockets itself: no reader threads.
		return loopOK && rr == 1, fmt.Sprintf("want the thread gk_bfd_e2e (%v), and it alone, SCHED_RR 42 on CPU %d; threads: %+v", named, cpu, ts)
	})
	if v := procField(pid(ga), "status", "VmLck:"); v == "" || v == "0 kB" {
		t.Errorf("VmLck %q, want locked memory (bfd_no_swap)", v)
	}
	if v := procField(pid(ga), "limits", "Max realtime timeout"); !strings.HasPrefix(v, "40000 80000 us") {
		t.Errorf("Max realtime timeout %q, want 40000 80000 us (bfd_rlimit_rttime 80000)", v)
	}

	netns.Eventually(t, converge, func() (bool, string) {
		named := threadNamed(pid(gb), "gk_bfd")
		ts, err := tasks(pid(gb))
		if err != nil {
			return false, err.Error()
		}
		for _, s := range ts {
			if len(named) == 1 && s.tid == named[0] {
				return s.policy == 0 && s.nice == 7, fmt.Sprintf("gk_bfd: %+v, want SCHED_OTHER at nice 7", s)
			}
		}
		return false, fmt.Sprintf("no thread named gk_bfd (%v); threads: %+v", named, ts)
	})
	if v := procField(pid(gb), "status", "VmLck:"); v != "0 kB" {
		t.Errorf("b: VmLck %q, want 0 kB (no *_no_swap)", v)
	}
}
