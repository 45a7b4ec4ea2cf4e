package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"gokeepalived/internal/config"
	"gokeepalived/internal/config/syntax"
	"gokeepalived/internal/ctl"
)

// reloadTargets are what a reload applies the new configuration to, and
// the configuration they run now.
type reloadTargets struct {
	vrrp interface {
		ReloadSummary(context.Context, *config.Config) (ctl.ReloadSummary, error)
	}
	lb   interface{ Reload(*config.Config) } // nil without the load balancer (-P)
	bfd  *bfdHost                            // nil in tests that need no BFD
	snmp *snmpRunner                         // nil in tests that need no SNMP
	dbus *dbusRunner                         // nil in tests that need no DBus
	bgp  *bgpHost                            // nil in tests that need no BGP
	// timer runs reload_time_file (nil in tests that need none).
	timer *reloadTimer

	mu      sync.Mutex     // one reload at a time: the check sees what runs
	running *config.Config // after subsystems; guarded by mu
}

// emptyReloadRefusal says why a reload from running to next must be asked
// for explicitly: next would stop every VRRP instance and virtual server
// that runs (an empty file, or one whose includes are all empty or
// missing, is the usual cause). It returns "" when next keeps something,
// or when nothing runs.
func emptyReloadRefusal(running, next *config.Config) string {
	if running == nil || len(next.Instances) > 0 || len(next.VirtualServers) > 0 {
		return ""
	}
	if len(running.Instances) == 0 && len(running.VirtualServers) == 0 {
		return ""
	}
	return fmt.Sprintf("the new configuration has no vrrp_instance and no virtual_server, so reloading it would stop all %d VRRP instance(s) and %d virtual server(s) that run (is the file, or a file it includes, empty?); "+
		"the previous configuration keeps running; to stop them all on purpose, run: gokeepalivedctl reload --allow-empty",
		len(running.Instances), len(running.VirtualServers))
}

// writeReloadCheck writes a reload's configuration check to file
// (reload_check_config LOG_FILE of the running configuration), as
// `gokeepalived -t` prints it.
func writeReloadCheck(file string, o Options, ds syntax.Diagnostics, log *slog.Logger) {
	var b strings.Builder
	errs := 0
	for _, d := range ds {
		fmt.Fprintln(&b, d.String())
		if d.Severity == syntax.SevError || o.Strict {
			errs++
		}
	}
	if errs > 0 {
		fmt.Fprintf(&b, "%s: %d error(s), %d warning(s): configuration refused\n", o.ConfigFile, errs, len(ds)-errs)
	} else {
		fmt.Fprintf(&b, "%s: configuration OK (%d warning(s))\n", o.ConfigFile, len(ds))
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		log.Warn("cannot write the reload's configuration check (reload_check_config)", "file", file, "err", err)
	}
}

// reloadSeq numbers the reloads saved by config_save_dir.
var reloadSeq atomic.Uint64

// saveReloadConfigs writes the configuration before and after a reload
// (config_save_dir of the running one), normalised as -d dumps it:
// DIR/reload-N-before.conf and reload-N-after.conf. keepalived creates
// DIR if its parent exists.
func saveReloadConfigs(dir string, before, after *config.Config, log *slog.Logger) {
	if err := os.Mkdir(dir, 0o750); err != nil && !os.IsExist(err) {
		log.Warn("cannot create the config_save_dir directory", "dir", dir, "err", err)
		return
	}
	n := reloadSeq.Add(1)
	for name, c := range map[string]*config.Config{"before": before, "after": after} {
		var b strings.Builder
		if err := config.Dump(&b, c); err == nil {
			err = os.WriteFile(filepath.Join(dir, fmt.Sprintf("reload-%d-%s.conf", n, name)), []byte(b.String()), 0o640)
			if err != nil {
				log.Warn("cannot save the configuration (config_save_dir)", "dir", dir, "err", err)
			}
		}
	}
}

// current is the running configuration.
func (t *reloadTargets) current() *config.Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.running
}

// reloadFilePath is reload_file's path: the one given, else keepalived's
// default beside the pid files: /run/keepalived.reload, or in the pid
// directory keepalived.reload (use_pid_dir, a namespace) or
// keepalived_NAME.reload (instance NAME).
func reloadFilePath(o Options, g *config.Global) string {
	if g.ReloadFile != "" {
		return g.ReloadFile
	}
	main, _, _ := pidFiles(Options{PidFile: defaultPidFile, VRRPPidFile: defaultVRRPPidFile, Namespace: o.Namespace}, g)
	return strings.TrimSuffix(main, ".pid") + ".reload"
}

// markReading creates (or truncates) the reload file, mode 0644, and
// returns the function that removes it once the configuration has been
// read: an updater that touched it before signalling waits for it to go
// (keepalived main.c create_reload_file, remove_reload_file).
func markReading(path string, log *slog.Logger) (done func()) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		log.Warn("cannot create the reload file (reload_file)", "file", path, "err", err)
		return func() {}
	}
	_ = f.Chmod(0o644) // rw-r--r-- whatever the umask, as keepalived
	f.Close()
	return func() {
		if err := os.Remove(path); err != nil {
			log.Warn("cannot remove the reload file (reload_file)", "file", path, "err", err)
		}
	}
}
