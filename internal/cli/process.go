package cli

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"gokeepalived/internal/config"
	"gokeepalived/internal/daemon"
	"gokeepalived/internal/linux/igmp"
	"gokeepalived/internal/linux/nlcmd"
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
func processKnobs(g *config.Global, log *slog.Logger) (undo func()) {
	undo = func() {}
	netlinkBufs(g, log)
	if g.DisableLocalIGMP {
		// keepalived: at the VRRP process's start, restored at its exit.
		if restore, err := igmp.DisableLocalReports(); err != nil {
			log.Warn("cannot disable IGMP reports for link-local groups (disable_local_igmp)", "file", igmp.ReportsPath, "err", err)
		} else {
			log.Info("IGMP reports for link-local groups disabled (disable_local_igmp)")
			undo = func() {
				if err := restore(); err != nil {
					log.Warn("cannot restore IGMP reports for link-local groups", "file", igmp.ReportsPath, "err", err)
				}
			}
		}
	}
	if g.ProcessName != "" {
		// process_name: keepalived names its parent process; here the
		// one process (vrrp_process_name names the VRRP threads, sched.go).
		if err := rtsched.NameProcess(g.ProcessName); err != nil {
			log.Warn("cannot set the process name (process_name)", "name", g.ProcessName, "err", err)
		}
	}
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
	return undo
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
//
// In a network namespace (net_namespace, -s) keepalived uses the pid
// directory, bind-mounting /run/keepalived/NAME over /run/keepalived in a
// mount namespace of its own; the files are seen from outside as
// /run/keepalived/NAME/keepalived.pid, which is where gokeepalived writes
// them (no mount namespace).
func pidFiles(o Options, g *config.Global) (main, vrrp, dir string) {
	main, vrrp = o.PidFile, o.VRRPPidFile
	suffix, base := "", pidDir
	if ns := netNamespace(o, g); ns != "" {
		base = filepath.Join(pidDir, ns)
	}
	switch {
	case g.InstanceName != "":
		suffix = "_" + g.InstanceName
	case !g.UsePidDir && base == pidDir:
		return main, vrrp, ""
	}
	if main == defaultPidFile {
		main, dir = filepath.Join(base, "keepalived"+suffix+".pid"), base
	}
	if vrrp == defaultVRRPPidFile {
		vrrp, dir = filepath.Join(base, "vrrp"+suffix+".pid"), base
	}
	return main, vrrp, dir
}

// netNamespace is the network namespace the daemon runs in: -s wins over
// net_namespace (keepalived: "Overriding config net_namespace").
func netNamespace(o Options, g *config.Global) string {
	if o.Namespace != "" {
		return o.Namespace
	}
	return g.NetNamespace
}

// dumpPath is where a dump file goes, as keepalived decides it: in
// $TMPDIR when that is an absolute path, else /tmp; and with
// data_use_instance and an instance name, the data file (only it:
// keepalived opens the stats and JSON files by their plain names) is
// keepalived.NAME.data (global_data.c open_dump_file, utils.c
// make_tmp_filename).
func dumpPath(path string, g *config.Global) string {
	name := filepath.Base(path)
	dir := filepath.Dir(path)
	if t := os.Getenv("TMPDIR"); strings.HasPrefix(t, "/") {
		dir = t
	}
	if g.DataUseInstance && g.InstanceName != "" && name == filepath.Base(daemon.DataFile) {
		ext := filepath.Ext(name)
		name = strings.TrimSuffix(name, ext) + "." + g.InstanceName + ext
	}
	return filepath.Join(dir, name)
}

// netlinkBufs applies vrrp_netlink_cmd_rcv_bufs[_force] (the requests then
// share one socket with that receive buffer; a reload resizes it) and
// vrrp_netlink_monitor_rcv_bufs[_force] (taken by the link, address and
// route subscriptions when they open: at start, and when one is renewed
// after an overflow). See internal/linux/nlcmd.
func netlinkBufs(g *config.Global, log *slog.Logger) {
	if b := g.VRRPNetlinkCmdBufs; b.Bytes > 0 {
		if err := nlcmd.SetCommandBuffer(b.Bytes, b.Force); err != nil {
			log.Warn("cannot size the netlink command socket (vrrp_netlink_cmd_rcv_bufs)", "bytes", b.Bytes, "force", b.Force, "err", err)
		} else if n, err := nlcmd.CommandBuffer(); err == nil {
			log.Info("netlink command socket sized (vrrp_netlink_cmd_rcv_bufs)", "bytes", b.Bytes, "force", b.Force, "so_rcvbuf", n)
		}
	}
	b := g.VRRPNetlinkMonitorBufs
	nlcmd.SetMonitorBuffer(b.Bytes, b.Force)
	if b.Bytes > 0 {
		log.Info("netlink monitor sockets sized as they open (vrrp_netlink_monitor_rcv_bufs)", "bytes", b.Bytes, "force", b.Force)
	}
}
