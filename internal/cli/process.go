package cli

import (
	"log/slog"
	"path/filepath"
	"strings"

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
	if g.VRRPProc.NoSwap || g.CheckerProc.NoSwap || g.BFDProc.NoSwap {
		if err := rtsched.LockMemory(); err != nil {
			log.Warn("cannot lock the process in memory (vrrp_no_swap/checker_no_swap/bfd_no_swap)", "err", err)
		} else {
			log.Info("process locked in memory (vrrp_no_swap/checker_no_swap/bfd_no_swap)")
		}
	}
	if usec, which := rtTimeLimit(g); usec > 0 {
		if err := rtsched.LimitRTTime(usec); err != nil {
			log.Warn("cannot set the real-time CPU limit ("+which+")", "usec", usec, "err", err)
		} else {
			log.Info("real-time CPU limit set ("+which+")", "usec", usec)
		}
	}
}

// rtTimeLimit is the process's RLIMIT_RTTIME: keepalived sets
// <role>_rlimit_rttime on each child given <role>_rt_priority; here the
// roles share one process (the limit is per process), so it is the
// largest of vrrp_rlimit_rttime and bfd_rlimit_rttime among the roles
// with an rt_priority, which bounds none of them below its own. 0: none.
func rtTimeLimit(g *config.Global) (int64, string) {
	var usec int64
	which := ""
	if g.VRRPProc.RTPriority > 0 {
		usec, which = g.VRRPProc.RLimitRTTime, "vrrp_rlimit_rttime"
	}
	if g.BFDProc.RTPriority > 0 && g.BFDProc.RLimitRTTime > usec {
		usec, which = g.BFDProc.RLimitRTTime, "bfd_rlimit_rttime"
	}
	return usec, which
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

// The pid file locations of keepalived 2.2.7 (main.c, pidfile.h).
const (
	defaultPidFile     = "/run/keepalived.pid"
	defaultVRRPPidFile = "/run/vrrp.pid"
	pidDir             = "/run/keepalived"
)

// pidFiles are the daemon's pid files: -p/-r when given (anything but
// their defaults), else with `instance NAME` /run/keepalived/keepalived_NAME.pid
// and vrrp_NAME.pid, else with use_pid_dir /run/keepalived/keepalived.pid
// and vrrp.pid, else the defaults. dir is the directory to create ("" none).
func pidFiles(o Options, g *config.Global) (main, vrrp, dir string) {
	main, vrrp = o.PidFile, o.VRRPPidFile
	suffix := ""
	switch {
	case g.InstanceName != "":
		suffix = "_" + g.InstanceName
	case !g.UsePidDir:
		return main, vrrp, ""
	}
	if main == defaultPidFile {
		main, dir = filepath.Join(pidDir, "keepalived"+suffix+".pid"), pidDir
	}
	if vrrp == defaultVRRPPidFile {
		vrrp, dir = filepath.Join(pidDir, "vrrp"+suffix+".pid"), pidDir
	}
	return main, vrrp, dir
}

// dumpPath is where a dump file goes: with data_use_instance and an
// instance name, keepalived writes /tmp/keepalived.NAME.data (.stats,
// .json) instead of /tmp/keepalived.data (global_data.c open_dump_file).
func dumpPath(path string, g *config.Global) string {
	if !g.DataUseInstance || g.InstanceName == "" {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "." + g.InstanceName + ext
}
