package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"gokeepalived/internal/check/httpget"
	"gokeepalived/internal/config"
	"gokeepalived/internal/config/syntax"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/daemon"
	"gokeepalived/internal/daemon/linuxport"
	"gokeepalived/internal/director"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/backend"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/pidfile"
	"gokeepalived/internal/metrics"
)

// Version is gokeepalived's version, printed by -v.
var Version = "0.1.0-dev"

// Main runs gokeepalived with args (without the program name) and returns
// the process exit code (see ExitCodeHelp).
func Main(args []string, stdout, stderr io.Writer) int {
	o, err := Parse(args, os.Hostname)
	if err != nil {
		fmt.Fprintf(stderr, "gokeepalived: %v\n", err)
		return ExitUsage
	}
	switch {
	case o.Genhash:
		return httpget.GenhashCLI(o.GenhashArgs, stdout, stderr)
	case o.Help:
		Usage(stdout)
		return ExitOK
	case o.Version:
		fmt.Fprintf(stdout, "gokeepalived %s (keepalived 2.2.7 compatible)\n", Version)
		return ExitOK
	case o.Signum != "":
		n, err := Signum(o.Signum)
		if err != nil {
			fmt.Fprintf(stderr, "gokeepalived: %v\n", err)
			return ExitUsage
		}
		fmt.Fprintln(stdout, n)
		return ExitOK
	case o.UnsupportedKeywords:
		refs := config.UnsupportedKeywords()
		fmt.Fprintf(stdout, "%d keepalived 2.2.7 keywords are recognised but not implemented by gokeepalived yet\n(a configuration using one is refused with an error naming it):\n", len(refs))
		for _, r := range refs {
			fmt.Fprintf(stdout, "  %-28s %s\n", r.Block, r.Keyword.Name)
		}
		return ExitOK
	}

	first := &firstLoad{o: o}
	if code, done := enterNamespace(o, args, stderr, first); done {
		return code
	}
	for flag, set := range map[string]bool{"-X/--release-vips": o.ReleaseVIPs, "-a/--address-monitoring": o.AddrMonitor,
		"-m/--core-dump":         o.CoreDump,
		"-M/--core-dump-pattern": o.CorePattern != "", "-e/--all-config": o.AllConfig} {
		if set {
			fmt.Fprintf(stderr, "gokeepalived: warning: %s is accepted for compatibility but not implemented yet; it has no effect\n", flag)
		}
	}
	cfg, code := loadConfig(o, stdout, stderr, first)
	if o.ConfigTest || code != ExitOK {
		return code
	}
	if !o.DontFork && os.Getenv("GOKEEPALIVED_CHILD") == "" {
		if why := daemon.NoLogDestination(logOptions(o), daemon.SyslogReachable); why != "" {
			// Said now, on the terminal: once detached nobody would hear it.
			fmt.Fprintf(stderr, "gokeepalived: warning: %s: once detached, every log line is lost; "+
				"run it in the foreground under a service manager (-n -l), or add -g FILE\n", why)
		}
		return background(args, stderr)
	}
	return runDaemon(o, cfg, stderr)
}

// loadConfig loads and checks the configuration, printing every diagnostic.
// With -t the output goes to the -t log file if one was given.
func loadConfig(o Options, stdout, stderr io.Writer, first *firstLoad) (*config.Config, int) {
	out := stderr
	if o.ConfigTest && o.ConfigTestLog != "" {
		f, err := os.OpenFile(o.ConfigTestLog, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "gokeepalived: config test log: %v\n", err)
			return nil, ExitFatal
		}
		defer f.Close()
		out = f
	}
	if _, err := os.Stat(o.ConfigFile); err != nil {
		why := err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			why = "no such file"
		}
		fmt.Fprintf(out, "%s: error: cannot read the configuration file: %s%s\n", o.ConfigFile, why, relativeHint(o.ConfigFile))
		return nil, ExitConfigMiss
	}
	if f, err := os.Open(o.ConfigFile); err != nil {
		fmt.Fprintf(out, "%s: error: cannot read the configuration file: %v\n", o.ConfigFile, err)
		return nil, ExitConfigMiss
	} else {
		f.Close()
	}
	cfg, ds := first.load()
	cfg, ds = addBGP(o, cfg, ds)
	if cfg != nil && !ds.HasErrors() {
		ds = append(ds, config.CheckHost(cfg, hostInterfaces())...)
		ds = append(ds, daemon.CheckHost(cfg, addr.Primary)...)
		ds = append(ds, daemon.CheckVIPSubnets(cfg, addr.Prefixes)...)
	}
	if cfg != nil && !ds.HasErrors() {
		name, why, bds := checkBackend(o, cfg)
		if name != "" && o.ConfigTest {
			fmt.Fprintf(out, "%s: load-balancer backend: %s (%s)\n", o.ConfigFile, name, why)
		}
		ds = append(ds, bds...)
	}
	errs, warns := 0, 0
	for _, d := range ds {
		if d.Severity != syntax.SevError && o.Strict {
			// --strict makes a warning an error: say so, as it is counted.
			d.Severity, d.Msg = syntax.SevError, d.Msg+" (a warning; an error with --strict)"
		}
		fmt.Fprintln(out, d.String())
		if d.Severity == syntax.SevError {
			errs++
		} else {
			warns++
		}
	}
	if errs > 0 {
		fmt.Fprintf(out, "%s: %d error(s), %d warning(s): configuration refused\n", o.ConfigFile, errs, warns)
		return nil, ExitConfig
	}
	if o.DumpConf {
		if err := config.Dump(stdout, cfg); err != nil {
			fmt.Fprintf(stderr, "gokeepalived: dump: %v\n", err)
			return nil, ExitFatal
		}
	}
	if o.ConfigTest && cfg.BGP != nil {
		fmt.Fprintf(out, "%s: note: the bgp block is gokeepalived's own (an embedded BGP speaker, docs/bgp.md); "+
			"keepalived 2.2.7 does not know it: keep it in a --bgp-config file to keep keepalived.conf readable by keepalived\n", cfg.BGP.Pos)
	}
	if o.ConfigTest {
		fmt.Fprintf(out, "%s: configuration OK (%d warning(s))\n", o.ConfigFile, warns)
	}
	return cfg, ExitOK
}

// background re-executes gokeepalived detached in its own session, as
// keepalived forks without -n, and returns at once.
func background(args []string, stderr io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "gokeepalived: %v\n", err)
		return ExitFatal
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "GOKEEPALIVED_CHILD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "gokeepalived: starting the daemon: %v\n", err)
		return ExitFatal
	}
	return ExitOK
}

func runDaemon(o Options, cfg *config.Config, stderr io.Writer) int {
	// The VRRP loop and socket readers run on real-time threads, but every
	// return from a system call needs a Go P (a scheduler slot). With only
	// as many Ps as CPUs, ordinary-priority goroutines preempted by busy
	// processes can hold them all, and the real-time thread waits behind
	// them (priority inversion, measured by bench/load). Spare Ps let it
	// continue at once; idle Ps cost nothing.
	if runtime.GOMAXPROCS(0) < minProcs {
		runtime.GOMAXPROCS(minProcs)
	}
	if m := umaskFor(o, &cfg.Global); m >= 0 {
		syscall.Umask(m)
	}
	log, closeLog, err := daemon.NewLogger(logOptions(o))
	if err != nil {
		fmt.Fprintf(stderr, "gokeepalived: %v\n", err)
		return ExitFatal
	}
	defer closeLog()
	mainPid, vrrpPid, pidDirectory := pidFiles(o, &cfg.Global)
	if pidDirectory != "" {
		if err := os.MkdirAll(pidDirectory, 0o755); err != nil {
			log.Error("cannot start", "err", err)
			fmt.Fprintf(stderr, "gokeepalived: %v\n", err)
			return ExitFatal
		}
	}
	for _, p := range []string{mainPid, vrrpPid} {
		if err := pidfile.Write(p); err != nil {
			log.Error("cannot start", "err", err)
			fmt.Fprintf(stderr, "gokeepalived: %v\n", err)
			return ExitFatal
		}
		defer pidfile.Remove(p)
	}
	log.Info("starting gokeepalived", "version", Version, "config", o.ConfigFile, "pid", os.Getpid(), "instances", len(cfg.Instances))
	if ns := netNamespace(o, &cfg.Global); ns != "" {
		log.Info("running in network namespace "+ns, "namespace", ns, "note", namespaceNote(o, &cfg.Global))
	}
	defer processKnobs(&cfg.Global, log)()
	// startup_script before the runtimes start; shutdown_script after both
	// stopped (this defer runs after theirs). The configuration is the
	// one read at start.
	daemon.RunStartupScript(context.Background(), cfg, log)
	defer daemon.RunShutdownScript(context.Background(), cfg, log)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg = subsystems(o, cfg)
	// The load-balancer runtime (health checkers and the kernel table)
	// runs beside the VRRP loop: it follows VRRP state changes for
	// ha_suspend, and the daemon's snapshot includes its status. It starts
	// first and stops after the VRRP loop has released its addresses.
	var lvs *director.Director
	var states daemon.StateSink
	var vsStatus daemon.VirtualServerStatus
	// The SNMP subagent reads the published snapshot on its own goroutines
	// and hears state changes as events, like the load balancer (and the
	// load balancer's real server and quorum changes).
	agent := &snmpRunner{ctx: ctx, o: o, log: log}
	if !o.VRRPOnly {
		lvs = director.New(director.Options{Backend: o.LBBackend, DontRelease: o.DontReleaseLB, Logger: log, Open: openBackend,
			Events: agent.LBEvent})
		if err := lvs.Start(cfg); err != nil {
			log.Error("gokeepalived stopped", "err", err)
			fmt.Fprintf(stderr, "gokeepalived: %v\n", err)
			return ExitFatal
		}
		defer lvs.Stop()
		states, vsStatus = lvs, lvs
	}
	// The DBus service (enable_dbus) likewise; it stops after the loop.
	bus := &dbusRunner{log: log}
	// The BGP speaker (the bgp block) hears VRRP and BFD state changes as
	// events and reads the virtual servers' quorum from the load
	// balancer's published status.
	var vsList func() []ctl.VirtualServerStatus
	if lvs != nil {
		vsList = lvs.VirtualServers
	}
	bgph := newBGPHost(log, vsList)
	if states != nil {
		states = stateTee{states, agent, bus, bgph}
	} else {
		states = stateTee{agent, bus, bgph}
	}
	// The BFD runtime (bfd_instance) runs beside both and tells the VRRP
	// loop of every session state change (track_bfd); it stops last, so
	// that peers hear AdminDown rather than time out.
	bfdh := &bfdHost{log: log}
	d := daemon.New(cfg, daemon.Options{ConfigFile: o.ConfigFile, DontRelease: o.DontReleaseVR, Logger: log, BFD: bfdh,
		MaintenanceFile: MaintenanceFile(o),
		Ports:           linuxport.Linux(), Notifier: daemon.NewNotifier(cfg, log), States: states, VirtualServers: vsStatus,
		Ready: func() {
			if err := sdNotify(fmt.Sprintf("READY=1\nMAINPID=%d\nSTATUS=running %d VRRP instances", os.Getpid(), len(cfg.Instances))); err != nil {
				log.Warn("systemd readiness notification failed", "err", err)
			}
		}})

	agent.snapshot = d.Snapshot
	agent.apply(cfg)
	defer agent.stop()
	bus.daemon = d
	bus.apply(cfg)
	defer bus.stop()

	bfdh.vrrp = d.BFDState
	if lvs != nil {
		bfdh.checkers = lvs.BFDState
	}
	bfdh.bgp = bgph.BFDState
	if err := bfdh.apply(cfg); err != nil {
		log.Error("gokeepalived stopped", "err", err)
		fmt.Fprintf(stderr, "gokeepalived: %v\n", err)
		return ExitFatal
	}
	defer bfdh.stop()
	// The BGP speaker stops first (every path withdrawn, sessions closed);
	// on SIGTERM it drains before anything stops (below).
	if err := bgph.apply(cfg); err != nil {
		log.Error("gokeepalived stopped", "err", err)
		fmt.Fprintf(stderr, "gokeepalived: %v\n", err)
		return ExitFatal
	}
	defer bgph.stop()

	targets := &reloadTargets{vrrp: d, running: cfg}
	targets.bfd, targets.snmp, targets.dbus, targets.bgp = bfdh, agent, bus, bgph
	targets.timer = &reloadTimer{log: log, ctx: ctx}
	if lvs != nil {
		targets.lb = lvs
	}
	l, err := ctl.Listen(o.ControlSocket)
	if err != nil {
		log.Error("control socket unavailable; gokeepalivedctl will not work", "err", err)
	} else {
		go ctl.Serve(ctx, l, func(rctx context.Context, req ctl.Request) ctl.Response {
			switch req.Cmd {
			case ctl.CmdStatus:
				st, err := d.Status(rctx)
				if err == nil {
					st.BGP = bgph.status()
					st, err = st.Filter(req.Instances)
				}
				if err != nil {
					return ctl.Response{Error: err.Error()}
				}
				return ctl.Response{Status: st}
			case ctl.CmdReload:
				sum, err := reload(rctx, o, targets, log, req.AllowEmpty)
				if err != nil {
					return ctl.Response{Error: err.Error()}
				}
				return ctl.Response{Message: "configuration reloaded", Reload: &sum}
			case ctl.CmdMaintenance:
				m, err := d.Maintenance(rctx, req.On, req.Instances, req.All)
				if err != nil {
					return ctl.Response{Error: err.Error()}
				}
				if req.All {
					// The whole node: its BGP announcements drain too.
					bgph.maintenance(req.On)
				}
				msg := "maintenance off: " + strings.Join(m.Changed, ", ")
				if req.On {
					msg = "maintenance on: " + strings.Join(m.Changed, ", ")
				}
				if len(m.Changed) == 0 {
					msg = "nothing changed"
				}
				return ctl.Response{Message: msg, Maintenance: &m}
			case ctl.CmdFailover:
				if len(req.Instances) != 1 {
					return ctl.Response{Error: "failover needs exactly one instance"}
				}
				if err := d.Failover(rctx, req.Instances[0]); err != nil {
					return ctl.Response{Error: err.Error()}
				}
				return ctl.Response{Message: req.Instances[0] + " handed over (priority 0 advert sent); the peer takes over after its skew time"}
			}
			return ctl.Response{Error: "unknown command " + req.Cmd}
		})
		defer os.Remove(o.ControlSocket)
	}

	if o.MetricsListen != "" {
		// A scrape reads the latest published snapshot: it never enters the VRRP loop.
		srv := &http.Server{Addr: o.MetricsListen, Handler: metrics.Handler(func() *ctl.Snapshot {
			s := d.Snapshot()
			if s != nil {
				c := *s
				c.BGP = bgph.status()
				s = &c
			}
			return s
		}, metrics.WithVersion(Version)), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			log.Info("serving Prometheus metrics", "address", o.MetricsListen, "path", "/metrics")
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics endpoint failed", "err", err)
			}
		}()
		defer srv.Close()
	}

	if o.PprofListen != "" {
		stop := servePprof(o.PprofListen, log)
		defer stop()
	}

	sigJSON := syscall.Signal(sigRTMin() + 2)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, sigJSON)
	// reload_time_file: its reload is a SIGHUP to ourselves, handled below
	// (so only once SIGHUP is caught).
	targets.timer.configure(&cfg.Global)
	defer targets.timer.close()
	go func() {
		for s := range sigs {
			switch s {
			case syscall.SIGTERM, syscall.SIGINT:
				log.Info("received signal: shutting down gracefully (priority 0 adverts, releasing virtual addresses)", "signal", s.String())
				_ = sdNotify("STOPPING=1")
				// BGP first: GRACEFUL_SHUTDOWN, graceful_shutdown_delay,
				// withdraw, while the VIPs and virtual servers still serve.
				bgph.drain("stopping", drainLimit(targets.current()))
				cancel()
				return
			case syscall.SIGHUP:
				log.Info("received SIGHUP: reloading configuration", "config", o.ConfigFile)
				_ = sdNotify("RELOADING=1")
				if _, err := reload(ctx, o, targets, log, false); err != nil {
					log.Error("reload failed; the previous configuration keeps running", "err", err)
				}
				_ = sdNotify("READY=1")
			case syscall.SIGUSR1, syscall.SIGUSR2, sigJSON:
				kind, path := daemon.DumpData, daemon.DataFile
				switch s {
				case syscall.SIGUSR2:
					kind, path = daemon.DumpStats, daemon.StatsFile
				case sigJSON:
					kind, path = daemon.DumpJSON, daemon.JSONFile
				}
				path = dumpPath(path, &cfg.Global)
				if err := d.WriteDump(ctx, kind, path); err != nil {
					log.Error("writing dump file failed", "file", path, "err", err)
				} else {
					log.Info("dump written", "file", path, "signal", s.String())
				}
			}
		}
	}()
	// The VRRP loop locks an OS thread of its own and names it
	// (vrrp_process_name): never the main thread (cmd/gokeepalived locks
	// main() to it), whose name is the process's (process_name).
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()
	if err := <-runErr; err != nil {
		log.Error("gokeepalived stopped", "err", err)
		fmt.Fprintf(stderr, "gokeepalived: %v\n", err)
		return ExitFatal
	}
	log.Info("gokeepalived stopped")
	return ExitOK
}

// checkBackend judges cfg's virtual servers against the load-balancer
// backend that will run them (the one --lb-backend or the kernel selects):
// its name, why it was selected, and an error for each thing it cannot
// program. Nothing when the configuration has no virtual server or -P
// runs VRRP only.
func checkBackend(o Options, cfg *config.Config) (name, why string, ds syntax.Diagnostics) {
	if len(cfg.VirtualServers) == 0 || o.VRRPOnly {
		return "", "", nil
	}
	name, why, err := backend.Select(o.LBBackend)
	if err != nil {
		ds.Errorf(cfg.VirtualServers[0].Pos, "%v", err)
		return "", "", ds
	}
	return name, why, CheckBackend(cfg, name)
}

// openBackend opens the kernel table --lb-backend names, for the
// load-balancer runtime (a failed open returns a nil interface).
func openBackend(choice string, o lb.OpenOptions) (director.Backend, error) {
	t, err := backend.Open(choice, o)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// MaintenanceFile is where the daemon keeps the instances in maintenance
// across restarts: "maintenance" beside the control socket, in the
// daemon's run directory (/run/gokeepalived/maintenance by default).
func MaintenanceFile(o Options) string {
	return filepath.Join(filepath.Dir(o.ControlSocket), "maintenance")
}

// minProcs is the least GOMAXPROCS the daemon runs with (see runDaemon).
const minProcs = 8

// reload loads the configuration again and applies it by difference, to
// the VRRP loop, then (if that succeeded) to the load-balancer runtime,
// which takes it without making the caller wait. A configuration with
// errors is refused and the running one kept.
//
// A configuration that would stop every running VRRP instance and virtual
// server is refused unless allowEmpty (see emptyReloadRefusal).
func reload(ctx context.Context, o Options, t *reloadTargets, log *slog.Logger, allowEmpty bool) (ctl.ReloadSummary, error) {
	// reload_file: there while the configuration is read (keepalived: the
	// running configuration names it).
	read := func() {}
	if running := t.current(); running != nil && running.Global.ReloadFileSet {
		read = markReading(reloadFilePath(o, &running.Global), log)
	}
	cfg, ds := loadWithBGP(o)
	read()
	if cfg != nil && !ds.HasErrors() {
		ds = append(ds, config.CheckHost(cfg, hostInterfaces())...)
		ds = append(ds, daemon.CheckHost(cfg, addr.Primary)...)
		ds = append(ds, daemon.CheckVIPSubnets(cfg, addr.Prefixes)...)
	}
	if cfg != nil && !ds.HasErrors() {
		_, _, bds := checkBackend(o, cfg)
		ds = append(ds, bds...)
	}
	t.mu.Lock()
	checkLog := ""
	if t.running != nil {
		checkLog = t.running.Global.ReloadCheckConfig
	}
	t.mu.Unlock()
	if checkLog != "" {
		writeReloadCheck(checkLog, o, ds, log)
	}
	var errs []string
	for _, dg := range ds {
		if dg.Severity == syntax.SevError || o.Strict {
			errs = append(errs, dg.String())
			log.Error("configuration error", "diag", dg.String())
		} else {
			log.Warn("configuration warning", "diag", dg.String())
		}
	}
	if len(errs) > 0 {
		return ctl.ReloadSummary{}, fmt.Errorf("new configuration refused, previous one keeps running:\n%s", strings.Join(errs, "\n"))
	}
	cfg = subsystems(o, cfg)
	t.mu.Lock()
	defer t.mu.Unlock()
	if why := emptyReloadRefusal(t.running, cfg); why != "" && !allowEmpty {
		return ctl.ReloadSummary{}, fmt.Errorf("new configuration refused: %s", why)
	} else if why != "" {
		log.Warn("reloading a configuration without any VRRP instance or virtual server, as asked (--allow-empty)")
	}
	sum, err := t.vrrp.ReloadSummary(ctx, cfg)
	if err != nil {
		return sum, fmt.Errorf("applying new configuration failed, previous one keeps running: %w", err)
	}
	if t.lb != nil {
		t.lb.Reload(cfg)
	}
	if t.bfd != nil {
		if err := t.bfd.apply(cfg); err != nil {
			return sum, fmt.Errorf("applying the bfd_instance blocks failed: %w", err)
		}
	}
	if t.snmp != nil {
		t.snmp.apply(cfg)
	}
	if t.dbus != nil {
		t.dbus.apply(cfg)
	}
	if t.running != nil && t.running.Global.ConfigSaveDir != "" {
		saveReloadConfigs(t.running.Global.ConfigSaveDir, t.running, cfg, log)
	}
	if t.running == nil || t.running.Global.VRRPNetlinkCmdBufs != cfg.Global.VRRPNetlinkCmdBufs ||
		t.running.Global.VRRPNetlinkMonitorBufs != cfg.Global.VRRPNetlinkMonitorBufs {
		netlinkBufs(&cfg.Global, log)
	}
	if t.bgp != nil {
		if err := t.bgp.apply(cfg); err != nil {
			return sum, fmt.Errorf("applying the bgp block failed: %w", err)
		}
	}
	t.running = cfg
	if t.timer != nil {
		t.timer.configure(&cfg.Global)
	}
	return sum, nil
}

// subsystems keeps the parts of cfg the selected subsystems run: -P (VRRP
// only) drops the virtual servers, -C (checkers only) the VRRP instances.
func subsystems(o Options, cfg *config.Config) *config.Config {
	c := *cfg
	if o.VRRPOnly {
		c.VirtualServers, c.VirtualServerGroups = nil, nil
	}
	if o.CheckOnly {
		c.Instances, c.SyncGroups = nil, nil
	}
	if o.NoBFD { // keepalived: -P and -C leave BFD running; only -B stops it
		c.BFDInstances = nil
	}
	return &c
}

// hostInterfaces lists this host's interface names, for the host checks.
func hostInterfaces() []string {
	ifs, _ := net.Interfaces()
	names := make([]string, 0, len(ifs))
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	return names
}

// relativeHint names the absolute path and the working directory of a
// relative configuration path that cannot be read (under a service
// manager the working directory is often not the one the user thinks).
func relativeHint(path string) string {
	if filepath.IsAbs(path) {
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return fmt.Sprintf(" (%s, relative to the working directory %s)", filepath.Join(wd, path), wd)
}

// logOptions are the daemon's log options from the command line.
func logOptions(o Options) daemon.LogOptions {
	return daemon.LogOptions{Console: o.LogConsole, Detail: o.LogDetail, Facility: o.LogFacility,
		NoSyslog: o.NoSyslog, File: o.LogFile, Format: o.LogFormat}
}

// loadWithBGP loads the configuration and, with --bgp-config, the bgp
// block from its own file.
func loadWithBGP(o Options) (*config.Config, config.Diagnostics) {
	cfg, ds := config.Load(o.ConfigFile, loadOptions(o))
	return addBGP(o, cfg, ds)
}

func loadOptions(o Options) config.LoadOptions {
	return config.LoadOptions{Syntax: syntax.Options{ConfigID: o.ConfigID}}
}

// addBGP adds the --bgp-config file's bgp block to a loaded configuration.
func addBGP(o Options, cfg *config.Config, ds config.Diagnostics) (*config.Config, config.Diagnostics) {
	if o.BGPConfig != "" && cfg != nil {
		ds = append(ds, config.LoadBGP(o.BGPConfig, loadOptions(o), cfg)...)
	}
	return cfg, ds
}

// firstLoad reads the configuration once at start: enterNamespace needs
// its net_namespace, loadConfig all of it (reading a 10,000-line file
// twice cost 20-40 ms of the start).
type firstLoad struct {
	o    Options
	done bool
	cfg  *config.Config
	ds   config.Diagnostics
}

func (f *firstLoad) load() (*config.Config, config.Diagnostics) {
	if !f.done {
		f.cfg, f.ds = config.Load(f.o.ConfigFile, loadOptions(f.o))
		f.done = true
	}
	return f.cfg, f.ds
}
