package cli

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/daemon"
	"gokeepalived/internal/dbusapi"
	"gokeepalived/internal/vrrp"
)

// dbusRunner starts, restarts and stops the DBus service as the
// configuration says (enable_dbus, dbus_service_name), at start and on
// each reload, and hands it every VRRP state change. Unlike the SNMP
// subagent it outlives the daemon loop: it stops after the loop has sent
// the instances' STOP states, so that VrrpStatusChange(98) and
// VrrpStopped reach the bus, as keepalived sends them.
type dbusRunner struct {
	log     *slog.Logger
	daemon  dbusDaemon
	cfg     atomic.Pointer[config.Config] // the running configuration
	running atomic.Pointer[dbusapi.Service]

	mu     sync.Mutex
	key    dbusKey
	cancel context.CancelFunc
	done   chan struct{}
}

type dbusKey struct{ name, instance string }

// dbusDaemon is what the DBus service needs of the daemon (*daemon.Daemon).
type dbusDaemon interface {
	Snapshot() *ctl.Snapshot
	Published() <-chan struct{}
	WriteDump(ctx context.Context, kind daemon.DumpKind, path string) error
	SendGratuitous(ctx context.Context, name, why string) (bool, error)
}

func (r *dbusRunner) apply(cfg *config.Config) {
	r.cfg.Store(cfg)
	g := &cfg.Global
	key := dbusKey{g.DBusServiceName, g.InstanceName}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.running.Load(); s != nil && g.EnableDBus && key == r.key {
		s.Reloaded()
		return
	}
	r.stopLocked()
	if !g.EnableDBus {
		return
	}
	r.key = key
	s := dbusapi.New(dbusapi.Options{ServiceName: g.DBusServiceName, Paths: dbusapi.Paths{InstanceName: g.InstanceName},
		Snapshot: r.daemon.Snapshot, Ready: r.daemon.Published(), Actions: dbusActions{r}, Logger: r.log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r.cancel, r.done = cancel, done
	r.running.Store(s)
	go func() { s.Run(ctx); close(done) }()
}

func (r *dbusRunner) stopLocked() {
	if r.running.Swap(nil) == nil {
		return
	}
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		r.log.Warn("the DBus service did not stop within 5s")
	}
}

func (r *dbusRunner) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked()
}

// VRRPState hands a state change to the running service (never blocks).
func (r *dbusRunner) VRRPState(ev vrrp.StateEvent) {
	if s := r.running.Load(); s != nil {
		s.VRRPState(ev)
	}
}

// dbusActions carry out the DBus methods as keepalived does.
type dbusActions struct{ r *dbusRunner }

func (a dbusActions) dump(kind daemon.DumpKind, path string) error {
	path = dumpPath(path, &a.r.cfg.Load().Global)
	if err := a.r.daemon.WriteDump(context.Background(), kind, path); err != nil {
		return err
	}
	a.r.log.Info("dump written", "file", path, "reason", "DBus request")
	return nil
}

func (a dbusActions) PrintData() error { return a.dump(daemon.DumpData, daemon.DataFile) }

func (a dbusActions) PrintStats(clear bool) error {
	if clear {
		return a.dump(daemon.DumpStatsClear, daemon.StatsFile)
	}
	return a.dump(daemon.DumpStats, daemon.StatsFile)
}

// ReloadConfig signals this process, as keepalived signals its parent:
// the reload runs as a SIGHUP's does, with its logging and summary.
func (a dbusActions) ReloadConfig() error { return syscall.Kill(os.Getpid(), syscall.SIGHUP) }

func (a dbusActions) SendGarp(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := a.r.daemon.SendGratuitous(ctx, name, "DBus SendGarp")
	return err
}
