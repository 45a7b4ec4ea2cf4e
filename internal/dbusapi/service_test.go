package dbusapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/dbusapi/dbustest"
	"gokeepalived/internal/testutil/poll"
	"gokeepalived/internal/vrrp"
)

type fakeActions struct {
	mu    sync.Mutex
	calls []string
	fail  error
}

func (f *fakeActions) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.fail
}
func (f *fakeActions) PrintData() error { return f.record("PrintData") }
func (f *fakeActions) PrintStats(clear bool) error {
	return f.record(fmt.Sprintf("PrintStats(%v)", clear))
}
func (f *fakeActions) ReloadConfig() error        { return f.record("ReloadConfig") }
func (f *fakeActions) SendGarp(name string) error { return f.record("SendGarp(" + name + ")") }
func (f *fakeActions) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func snap(ins ...*ctl.InstanceSnapshot) *ctl.Snapshot { return &ctl.Snapshot{Instances: ins} }

func inst(name, ifname string, vrid int, v6 bool, st vrrp.State) *ctl.InstanceSnapshot {
	return &ctl.InstanceSnapshot{Name: name, Interface: ifname, VRID: vrid, IPv6: v6, State: st}
}

// harness runs a Service on a private bus and records its signals.
type harness struct {
	t       *testing.T
	bus     *dbustest.Bus
	client  *dbus.Conn
	signals chan *dbus.Signal
	snap    atomic.Pointer[ctl.Snapshot]
	acts    *fakeActions
	svc     *Service
	cancel  context.CancelFunc
	done    chan struct{}
}

func newHarness(t *testing.T, paths Paths, s *ctl.Snapshot) *harness {
	h := &harness{t: t, bus: dbustest.Start(t), acts: &fakeActions{}}
	h.snap.Store(s)
	h.client = h.bus.Connect(t)
	h.signals = dbustest.Signals(t, h.client, "/org/keepalived/Vrrp1")
	h.svc = New(Options{Paths: paths, Snapshot: h.snap.Load, Actions: h.acts,
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Connect:    func() (*dbus.Conn, error) { return dbus.Connect(h.bus.Address) },
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() { h.svc.Run(ctx); close(h.done) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		h.t.Error("service did not stop")
	}
}

// next returns the next signal from the service (skipping the bus's own).
func (h *harness) next() *dbus.Signal {
	h.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-h.signals:
			if strings.HasPrefix(s.Name, "org.freedesktop.DBus.") {
				continue
			}
			return s
		case <-timeout:
			h.t.Fatal("no signal within 10s")
			return nil
		}
	}
}

func (h *harness) expect(path, name string, body ...any) {
	h.t.Helper()
	s := h.next()
	if string(s.Path) != path || s.Name != name || !sameBody(s.Body, body) {
		h.t.Fatalf("signal %s %s %v, want %s %s %v", s.Path, s.Name, s.Body, path, name, body)
	}
}

func sameBody(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (h *harness) obj(path string) dbus.BusObject {
	return h.client.Object(DefaultServiceName, dbus.ObjectPath(path))
}

func TestServiceObjectsSignalsAndMethods(t *testing.T) {
	p := Paths{}
	h := newHarness(t, p, snap(inst("VI_1", "eth0", 51, false, vrrp.StateMaster), inst("VI_6", "eth0.10", 51, true, vrrp.StateBackup)))
	vi1, vi6 := "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4", "/org/keepalived/Vrrp1/Instance/eth0_10/51/IPv6"
	// Start: VrrpStarted, then each instance's state (keepalived's order).
	h.expect("/org/keepalived/Vrrp1/Vrrp", VrrpInterface+".VrrpStarted")
	h.expect(vi1, InstanceInterface+".VrrpStatusChange", uint32(2))
	h.expect(vi6, InstanceInterface+".VrrpStatusChange", uint32(1))

	// Properties: Name as the structure (s), State as (us), as keepalived sends them.
	v, err := h.obj(vi1).GetProperty(InstanceInterface + ".Name")
	if err != nil || v.Signature().String() != "(s)" || fmt.Sprint(v.Value()) != "[VI_1]" {
		t.Errorf("Name = %v %v (%v), want (s) [VI_1]", v.Signature(), v.Value(), err)
	}
	v, err = h.obj(vi6).GetProperty(InstanceInterface + ".State")
	if err != nil || v.Signature().String() != "(us)" || fmt.Sprint(v.Value()) != "[1 Backup]" {
		t.Errorf("State = %v %v (%v), want (us) [1 Backup]", v.Signature(), v.Value(), err)
	}
	var all map[string]dbus.Variant
	if err := h.obj(vi1).Call("org.freedesktop.DBus.Properties.GetAll", 0, InstanceInterface).Store(&all); err != nil || len(all) != 2 {
		t.Errorf("GetAll = %v, %v", all, err)
	}
	if _, err := h.obj(vi1).GetProperty(InstanceInterface + ".Priority"); err == nil || !strings.Contains(err.Error(), "No such property") {
		t.Errorf("unknown property: %v", err)
	}
	// A path without an instance: keepalived's error.
	if _, err := h.obj("/org/keepalived/Vrrp1/Instance/eth1/9/IPv4").GetProperty(InstanceInterface + ".Name"); err == nil {
		t.Error("a path without an instance answered")
	}

	// Methods reach the actions.
	for _, m := range []string{"PrintData", "PrintStats", "PrintStatsClear", "ReloadConfig"} {
		if err := h.obj("/org/keepalived/Vrrp1/Vrrp").Call(VrrpInterface+"."+m, 0).Err; err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	if err := h.obj(vi6).Call(InstanceInterface+".SendGarp", 0).Err; err != nil {
		t.Errorf("SendGarp: %v", err)
	}
	want := "[PrintData PrintStats(false) PrintStats(true) ReloadConfig SendGarp(VI_6)]"
	if got := fmt.Sprint(h.acts.got()); got != want {
		t.Errorf("actions %s, want %s", got, want)
	}
	h.acts.mu.Lock()
	h.acts.fail = errors.New("disk full")
	h.acts.mu.Unlock()
	if err := h.obj("/org/keepalived/Vrrp1/Vrrp").Call(VrrpInterface+".PrintData", 0).Err; err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("a failing action answered %v, want its error", err)
	}

	// Introspection shows keepalived's interface.
	var xml string
	if err := h.obj(vi1).Call("org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&xml); err != nil ||
		!strings.Contains(xml, `<property type="(us)" name="State" access="read"/>`) {
		t.Errorf("introspection: %v\n%s", err, xml)
	}

	// A state change.
	h.svc.VRRPState(vrrp.StateEvent{Instance: "VI_6", State: vrrp.StateMaster})
	h.expect(vi6, InstanceInterface+".VrrpStatusChange", uint32(2))

	// A reload removes VI_6's object and adds VI_7's.
	vi7 := "/org/keepalived/Vrrp1/Instance/eth1/7/IPv4"
	h.snap.Store(snap(inst("VI_1", "eth0", 51, false, vrrp.StateMaster), inst("VI_7", "eth1", 7, false, vrrp.StateInit)))
	h.svc.Reloaded()
	h.expect("/org/keepalived/Vrrp1/Vrrp", VrrpInterface+".VrrpReloaded")
	if _, err := h.obj(vi7).GetProperty(InstanceInterface + ".Name"); err != nil {
		t.Errorf("VI_7 after reload: %v", err)
	}
	if err := h.obj(vi6).Call(InstanceInterface+".SendGarp", 0).Err; err == nil {
		t.Error("VI_6's object answers after the reload removed it")
	}

	// Stop: queued changes first, then VrrpStopped, and the name is released.
	h.svc.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: vrrp.StateStop})
	h.stop()
	h.expect(vi1, InstanceInterface+".VrrpStatusChange", uint32(98))
	h.expect("/org/keepalived/Vrrp1/Vrrp", VrrpInterface+".VrrpStopped")
	var has bool
	if err := h.client.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, DefaultServiceName).Store(&has); err != nil || has {
		t.Errorf("name still owned after stop (%v)", err)
	}
}

// TestServicePathsWithInstanceName: keepalived puts the global `instance`
// name (and the network namespace) into every path.
func TestServicePathsWithInstanceName(t *testing.T) {
	p := Paths{Namespace: "blue", InstanceName: "lb-1"}
	if got := p.Vrrp(); got != "/org/keepalived/Vrrp1/blue/lb-1/Vrrp" {
		t.Errorf("Vrrp path %s", got)
	}
	if got := p.Instance("br-lan.5", 200, true); got != "/org/keepalived/Vrrp1/blue/lb-1/Instance/br_lan_5/200/IPv6" {
		t.Errorf("Instance path %s", got)
	}
	if got := (Paths{}).Instance("", 3, false); got != "/org/keepalived/Vrrp1/Instance/none/3/IPv4" {
		t.Errorf("no interface: %s", got)
	}
	if got := notFound(p, p.Instance("eth0", 9, false)); got != "Instance 'eth0/9/IPv4' not found" {
		t.Errorf("notFound: %s", got)
	}
	for s, want := range map[vrrp.State]uint32{vrrp.StateInit: 0, vrrp.StateBackup: 1, vrrp.StateMaster: 2, vrrp.StateFault: 3, vrrp.StateStop: 98} {
		if got, _ := StateCode(s); got != want {
			t.Errorf("StateCode(%v) = %d, want %d", s, got, want)
		}
	}
}

// TestServiceNameTakenThenFreed: a second daemon cannot own the name
// while the first holds it (it says so and retries), and takes it once
// the first has gone.
func TestServiceNameTakenThenFreed(t *testing.T) {
	h := newHarness(t, Paths{}, snap(inst("VI_1", "eth0", 51, false, vrrp.StateBackup)))
	h.expect("/org/keepalived/Vrrp1/Vrrp", VrrpInterface+".VrrpStarted")
	second := New(Options{Snapshot: h.snap.Load, Actions: h.acts,
		Connect:    func() (*dbus.Conn, error) { return dbus.Connect(h.bus.Address) },
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { second.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	poll.Until(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
		return second.Failures() >= 3, fmt.Sprintf("second service failed %d attempts", second.Failures())
	})
	if n := second.Sessions(); n != 0 {
		t.Fatalf("second service acquired the name %d times while the first held it", n)
	}
	h.stop()
	poll.Until(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		return second.Sessions() == 1, fmt.Sprintf("second service sessions %d", second.Sessions())
	})
}

// TestServiceReconnects: when the bus goes away the service connects to
// the new one and exports everything again.
func TestServiceReconnects(t *testing.T) {
	first, second := dbustest.Start(t), dbustest.Start(t)
	var addr atomic.Pointer[string]
	addr.Store(&first.Address)
	var s atomic.Pointer[ctl.Snapshot]
	s.Store(snap(inst("VI_1", "eth0", 51, false, vrrp.StateMaster)))
	svc := New(Options{Snapshot: s.Load, Actions: &fakeActions{},
		Connect:    func() (*dbus.Conn, error) { return dbus.Connect(*addr.Load()) },
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	poll.Until(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) { return svc.Sessions() == 1, "first session" })
	addr.Store(&second.Address)
	first.Stop()
	poll.Until(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		return svc.Sessions() == 2, fmt.Sprintf("sessions %d after the bus restarted", svc.Sessions())
	})
	c := second.Connect(t)
	v, err := c.Object(DefaultServiceName, "/org/keepalived/Vrrp1/Instance/eth0/51/IPv4").GetProperty(InstanceInterface + ".State")
	if err != nil || fmt.Sprint(v.Value()) != "[2 Master]" {
		t.Errorf("State on the new bus: %v %v", v, err)
	}
}
