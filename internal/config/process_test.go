package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestProcessKnobs: the vrrp_/checker_ process keywords and the automatic
// priority fill the model with keepalived 2.2.7's defaults and ranges.
func TestProcessKnobs(t *testing.T) {
	def := load(t, "global_defs {\n}\n")
	if d := cmp.Diff(ProcessKnobs{RLimitRTTime: 10000}, def.Global.VRRPProc); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
	if def.Global.MaxAutoPriority != 0 || def.Global.MinAutoPriorityDelay != time.Second {
		t.Errorf("auto priority defaults: %d %v", def.Global.MaxAutoPriority, def.Global.MinAutoPriorityDelay)
	}
	cfg, ds := LoadBytes("t.conf", []byte(`global_defs {
    vrrp_priority -5
    vrrp_rt_priority 30
    vrrp_no_swap
    vrrp_cpu_affinity 0 1
    vrrp_rlimit_rtime 1
    checker_no_swap
    checker_rt_priority 20
    max_auto_priority
    min_auto_priority_delay 250000
}
`), LoadOptions{})
	if ds.HasErrors() {
		t.Fatalf("refused:\n%s", ds.Error())
	}
	g := cfg.Global
	want := ProcessKnobs{Nice: -5, RTPriority: 30, NoSwap: true, CPUs: []int{0, 1}, RLimitRTTime: 2}
	if d := cmp.Diff(want, g.VRRPProc); d != "" {
		t.Errorf("vrrp knobs (-want +got):\n%s", d)
	}
	if !g.CheckerProc.NoSwap || g.CheckerProc.RTPriority != 20 {
		t.Errorf("checker knobs: %+v", g.CheckerProc)
	}
	if g.MaxAutoPriority != 99 || g.MinAutoPriorityDelay != 250*time.Millisecond {
		t.Errorf("max_auto_priority without a value = %d (want 99), delay %v", g.MaxAutoPriority, g.MinAutoPriorityDelay)
	}
	text := ds.Error()
	for _, w := range []string{"'vrrp_rlimit_rtime' is deprecated", "checker_rt_priority has no effect in gokeepalived"} {
		if !strings.Contains(text, w) {
			t.Errorf("no warning %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "checker_no_swap has no effect") {
		t.Errorf("checker_no_swap locks the process; it must not warn:\n%s", text)
	}
	for _, bad := range []string{"vrrp_rt_priority 0", "vrrp_rt_priority 100", "vrrp_priority 20", "vrrp_cpu_affinity x",
		"max_auto_priority 100", "min_auto_priority_delay 0", "vrrp_rlimit_rttime 0"} {
		if _, ds := LoadBytes("t.conf", []byte("global_defs {\n"+bad+"\n}\n"), LoadOptions{}); !ds.HasErrors() {
			t.Errorf("%q accepted", bad)
		}
	}
	var ds2 Diagnostics
	checkCPUs(cfg, &ds2, 1)
	if !strings.Contains(ds2.Error(), "vrrp_cpu_affinity: CPU 1 does not exist") {
		t.Errorf("CPU 1 on a 1-CPU host: %s", ds2.Error())
	}
	ds2 = nil
	if checkCPUs(cfg, &ds2, 2); ds2.HasErrors() {
		t.Errorf("CPUs 0 1 on a 2-CPU host refused: %s", ds2.Error())
	}
}
