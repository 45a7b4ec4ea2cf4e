package cli

import (
	"log/slog"

	"gokeepalived/internal/config"
	"gokeepalived/internal/linux/rtsched"
)

// processKnobs applies global_defs' process-wide knobs at start.
// keepalived sets them on each child; gokeepalived is one process:
//   - vrrp_no_swap or checker_no_swap lock the whole process in memory
//     (mlockall, as keepalived does in the child: /proc/PID/status VmLck);
//   - with vrrp_rt_priority, RLIMIT_RTTIME is vrrp_rlimit_rttime (default
//     10000 us; SIGXCPU at half), as keepalived sets it on its real-time
//     VRRP child. Without vrrp_rt_priority keepalived sets no limit, and
//     neither do we.
//
// The per-thread knobs (vrrp_rt_priority, vrrp_priority,
// vrrp_cpu_affinity, max_auto_priority) are the daemon's (sched.go).
func processKnobs(g *config.Global, log *slog.Logger) {
	if g.VRRPProc.NoSwap || g.CheckerProc.NoSwap {
		if err := rtsched.LockMemory(); err != nil {
			log.Warn("cannot lock the process in memory (vrrp_no_swap/checker_no_swap)", "err", err)
		} else {
			log.Info("process locked in memory (vrrp_no_swap/checker_no_swap)")
		}
	}
	if g.VRRPProc.RTPriority > 0 {
		if err := rtsched.LimitRTTime(g.VRRPProc.RLimitRTTime); err != nil {
			log.Warn("cannot set the real-time CPU limit (vrrp_rlimit_rttime)", "usec", g.VRRPProc.RLimitRTTime, "err", err)
		} else {
			log.Info("real-time CPU limit set (vrrp_rlimit_rttime)", "usec", g.VRRPProc.RLimitRTTime)
		}
	}
}

// umaskFor is the umask to set at start (-1: leave it): -u/--umask, else
// global_defs umask (keepalived: "umask command line option specified,
// ignoring config option").
func umaskFor(o Options, g *config.Global) int {
	if o.Umask >= 0 {
		return o.Umask
	}
	return g.Umask
}
