package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/daemon"
	"gokeepalived/internal/dbusapi/dbustest"
	"gokeepalived/internal/testutil/poll"
	"gokeepalived/internal/vrrp"
)

type fakeDBusDaemon struct {
	snap  *ctl.Snapshot
	ready chan struct{}
}

func (f *fakeDBusDaemon) Snapshot() *ctl.Snapshot    { return f.snap }
func (f *fakeDBusDaemon) Published() <-chan struct{} { return f.ready }
func (f *fakeDBusDaemon) WriteDump(context.Context, daemon.DumpKind, string) error {
	return nil
}
func (f *fakeDBusDaemon) SendGratuitous(context.Context, string, string) (bool, error) {
	return true, nil
}

// TestDBusRunnerFollowsReloads: enable_dbus starts the service on the
// system bus (here a private one), a reload that changes
// dbus_service_name moves it to the new name, one that keeps the settings
// sends VrrpReloaded, and one without enable_dbus stops it.
func TestDBusRunnerFollowsReloads(t *testing.T) {
	bus := dbustest.Start(t)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.Address)
	client := bus.Connect(t)
	sigs := dbustest.Signals(t, client, "/org/keepalived/Vrrp1")
	f := &fakeDBusDaemon{ready: make(chan struct{}),
		snap: &ctl.Snapshot{Instances: []*ctl.InstanceSnapshot{{Name: "VI_1", Interface: "eth0", VRID: 51, State: vrrp.StateBackup}}}}
	close(f.ready)
	r := &dbusRunner{log: slog.New(slog.DiscardHandler), daemon: f}
	defer r.stop()
	owned := func(name string, want bool) {
		t.Helper()
		poll.Until(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
			var has bool
			if err := client.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err != nil {
				return false, err.Error()
			}
			return has == want, fmt.Sprintf("%s owned: %v, want %v", name, has, want)
		})
	}
	conf := func(globals string) *config.Config { return snmpConf(t, globals) }

	wait := func(signal string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case s := <-sigs:
				if strings.HasSuffix(s.Name, "."+signal) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s signal", signal)
			}
		}
	}
	r.apply(conf("    enable_dbus\n"))
	owned("org.keepalived.Vrrp1", true)
	wait("VrrpStarted")
	first := r.running.Load()
	r.apply(conf("    enable_dbus\n"))
	if r.running.Load() != first {
		t.Error("a reload with the same DBus settings restarted the service")
	}
	wait("VrrpReloaded")
	r.apply(conf("    enable_dbus\n    dbus_service_name org.example.Second\n"))
	owned("org.example.Second", true)
	owned("org.keepalived.Vrrp1", false)
	r.apply(conf(""))
	owned("org.example.Second", false)
	if r.running.Load() != nil {
		t.Error("the service runs without enable_dbus")
	}
}
