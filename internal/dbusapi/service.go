package dbusapi

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
)

// Actions are what the methods do; each may be called from any goroutine.
type Actions interface {
	// PrintData writes the data dump (keepalived: /tmp/keepalived.data).
	PrintData() error
	// PrintStats writes the stats dump; clear then restarts its counts.
	PrintStats(clear bool) error
	// ReloadConfig starts a reload, as SIGHUP does, and returns at once.
	ReloadConfig() error
	// SendGarp sends one round of gratuitous ARPs/NAs for the instance.
	SendGarp(instance string) error
}

// Options configure a Service.
type Options struct {
	// ServiceName is the bus name to own (dbus_service_name); empty is
	// DefaultServiceName.
	ServiceName string
	Paths       Paths
	// Snapshot returns the daemon's latest status snapshot; Ready, when
	// not nil, is closed once the first one is published: Run waits for
	// it before taking the name, so that every instance is exported when
	// VrrpStarted goes out.
	Snapshot func() *ctl.Snapshot
	Ready    <-chan struct{}
	Actions  Actions
	Logger   *slog.Logger
	// Connect opens the bus connection; nil is the system bus
	// (DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket).
	Connect func() (*dbus.Conn, error)
	// Backoff bounds between connection attempts; zero means 1s and 30s.
	MinBackoff, MaxBackoff time.Duration
}

// Service owns the bus name and serves the objects. Run connects (and
// reconnects when the bus goes away); VRRPState and Reloaded may be
// called from any goroutine and never block.
type Service struct {
	opts   Options
	log    *slog.Logger
	events chan event

	signals  atomic.Uint64 // signals emitted
	sessions atomic.Uint64 // times the name was acquired and objects exported
	failures atomic.Uint64 // connection or name attempts that failed
	dropped  atomic.Uint64 // events dropped on a full queue

}

type eventKind int

const (
	evState eventKind = iota
	evReloaded
)

type event struct {
	kind  eventKind
	state vrrp.StateEvent
}

// New returns a service; call Run to start it.
func New(opts Options) *Service {
	if opts.ServiceName == "" {
		opts.ServiceName = DefaultServiceName
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(30*time.Second, opts.MinBackoff)
	}
	if opts.Connect == nil {
		opts.Connect = func() (*dbus.Conn, error) { return dbus.ConnectSystemBus() }
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{opts: opts, log: log.With("subsystem", "dbus"), events: make(chan event, 1024)}
}

// Signals is how many signals the service has emitted.
func (s *Service) Signals() uint64 { return s.signals.Load() }

// Sessions is how many times the service acquired its name and exported
// its objects (one per bus connection).
func (s *Service) Sessions() uint64 { return s.sessions.Load() }

// Failures is how many attempts to connect and own the name failed.
func (s *Service) Failures() uint64 { return s.failures.Load() }

// VRRPState queues a VrrpStatusChange signal for the instance.
func (s *Service) VRRPState(ev vrrp.StateEvent) { s.queue(event{kind: evState, state: ev}) }

// Reloaded queues the re-export of the instance objects after a reload
// and the VrrpReloaded signal.
func (s *Service) Reloaded() { s.queue(event{kind: evReloaded}) }

func (s *Service) queue(e event) {
	select {
	case s.events <- e:
	default:
		if n := s.dropped.Add(1); n&(n-1) == 0 { // log on powers of two
			s.log.Warn("DBus event queue full: signal dropped", "dropped", n)
		}
	}
}

// Run serves until ctx ends: then it emits the signals still queued,
// VrrpStopped, releases the name and closes the connection.
func (s *Service) Run(ctx context.Context) {
	if s.opts.Ready != nil {
		select {
		case <-s.opts.Ready:
		case <-ctx.Done():
			return
		}
	}
	backoff := s.opts.MinBackoff
	var lastErr string
	for ctx.Err() == nil {
		x, err := s.session()
		if err != nil {
			s.failures.Add(1)
			if err.Error() != lastErr {
				s.log.Error("DBus unavailable; retrying", "service", s.opts.ServiceName, "err", err, "retry_in", backoff.String())
				lastErr = err.Error()
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, s.opts.MaxBackoff)
			continue
		}
		backoff, lastErr = s.opts.MinBackoff, ""
		if s.serve(ctx, x) {
			return
		}
		s.log.Warn("lost the DBus connection; reconnecting", "service", s.opts.ServiceName)
	}
}

// session connects, owns the name, exports the objects and announces the
// start (VrrpStarted, then each instance's state, as keepalived does).
func (s *Service) session() (*exporter, error) {
	conn, err := s.opts.Connect()
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the system bus: %w", err)
	}
	reply, err := conn.RequestName(s.opts.ServiceName, dbus.NameFlagDoNotQueue)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("cannot own the name %s: %w (the bus policy must allow it: install the package's dbus-1/system.d file, or one like keepalived's org.keepalived.Vrrp1.conf naming this service)", s.opts.ServiceName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return nil, fmt.Errorf("the name %s is owned by another process (is keepalived running, or another gokeepalived? set dbus_service_name to tell them apart)", s.opts.ServiceName)
	}
	// What happened while no bus listened is superseded by the
	// announcement of the current states below (keepalived sends nothing
	// before it is connected either).
	for drained := false; !drained; {
		select {
		case <-s.events:
		default:
			drained = true
		}
	}
	x := &exporter{s: s, conn: conn, exported: map[string]bool{}}
	if err := x.exportVrrp(); err != nil {
		conn.Close()
		return nil, err
	}
	snap := s.opts.Snapshot()
	if err := x.sync(snap); err != nil {
		conn.Close()
		return nil, err
	}
	s.sessions.Add(1)
	s.log.Info("DBus service ready", "service", s.opts.ServiceName, "path", s.opts.Paths.Vrrp(), "instances", len(x.exported))
	s.emit(conn, s.opts.Paths.Vrrp(), VrrpInterface+".VrrpStarted")
	if snap != nil {
		for _, in := range snap.Instances {
			code, _ := StateCode(in.State)
			s.emit(conn, s.opts.Paths.Instance(in.Interface, in.VRID, in.IPv6), InstanceInterface+".VrrpStatusChange", code)
		}
	}
	return x, nil
}

// serve handles events until the connection or ctx ends; true when ctx
// ended (the service is done).
func (s *Service) serve(ctx context.Context, x *exporter) bool {
	conn := x.conn
	defer conn.Close()
	for {
		select {
		case e := <-s.events:
			s.handle(x, e)
		case <-conn.Context().Done():
			return false
		case <-ctx.Done():
			for {
				select {
				case e := <-s.events:
					s.handle(x, e)
					continue
				default:
				}
				break
			}
			s.emit(conn, s.opts.Paths.Vrrp(), VrrpInterface+".VrrpStopped")
			if _, err := conn.ReleaseName(s.opts.ServiceName); err != nil {
				s.log.Warn("releasing the DBus name failed", "service", s.opts.ServiceName, "err", err)
			}
			s.log.Info("DBus service stopped", "service", s.opts.ServiceName)
			return true
		}
	}
}

func (s *Service) handle(x *exporter, e event) {
	switch e.kind {
	case evState:
		snap := s.opts.Snapshot()
		if snap == nil {
			return
		}
		for _, in := range snap.Instances {
			if in.Name == e.state.Instance {
				code, _ := StateCode(e.state.State)
				s.emit(x.conn, s.opts.Paths.Instance(in.Interface, in.VRID, in.IPv6), InstanceInterface+".VrrpStatusChange", code)
				return
			}
		}
	case evReloaded:
		if err := x.sync(s.opts.Snapshot()); err != nil {
			s.log.Error("re-exporting the DBus instance objects failed", "err", err)
		}
		s.emit(x.conn, s.opts.Paths.Vrrp(), VrrpInterface+".VrrpReloaded")
	}
}

func (s *Service) emit(conn *dbus.Conn, path, name string, values ...any) {
	if err := conn.Emit(dbus.ObjectPath(path), name, values...); err != nil {
		s.log.Warn("emitting a DBus signal failed", "signal", name, "path", path, "err", err)
		return
	}
	s.signals.Add(1)
}

// exporter exports the objects on one connection.
type exporter struct {
	s        *Service
	conn     *dbus.Conn
	exported map[string]bool // Instance object paths
}

// DBus error names keepalived's GDBus replies use.
const (
	errInvalidArgs    = "org.freedesktop.DBus.Error.InvalidArgs"
	errFailed         = "org.freedesktop.DBus.Error.Failed"
	errPropReadOnly   = "org.freedesktop.DBus.Error.PropertyReadOnly"
	introspectableIfc = "org.freedesktop.DBus.Introspectable"
	propertiesIfc     = "org.freedesktop.DBus.Properties"
)

func dbusErr(name, format string, args ...any) *dbus.Error {
	return dbus.NewError(name, []any{fmt.Sprintf(format, args...)})
}

func (x *exporter) call(what string, f func() error) *dbus.Error {
	if err := f(); err != nil {
		x.s.log.Warn("DBus request failed", "method", what, "err", err)
		return dbusErr(errFailed, "%s failed: %v", what, err)
	}
	return nil
}

func (x *exporter) exportVrrp() error {
	a := x.s.opts.Actions
	path := dbus.ObjectPath(x.s.opts.Paths.Vrrp())
	methods := map[string]any{
		"PrintData": func() *dbus.Error {
			x.s.log.Info("printing VRRP data on DBus request")
			return x.call("PrintData", a.PrintData)
		},
		"PrintStats": func() *dbus.Error {
			x.s.log.Info("printing VRRP stats on DBus request")
			return x.call("PrintStats", func() error { return a.PrintStats(false) })
		},
		"PrintStatsClear": func() *dbus.Error {
			x.s.log.Info("printing and clearing VRRP stats on DBus request")
			return x.call("PrintStatsClear", func() error { return a.PrintStats(true) })
		},
		"ReloadConfig": func() *dbus.Error {
			x.s.log.Info("reloading the configuration on DBus request")
			return x.call("ReloadConfig", a.ReloadConfig)
		},
	}
	props := map[string]any{
		"Get": func(iface, prop string) (dbus.Variant, *dbus.Error) {
			return dbus.Variant{}, dbusErr(errInvalidArgs, "No such interface '%s'", iface)
		},
		"GetAll": func(iface string) (map[string]dbus.Variant, *dbus.Error) {
			return map[string]dbus.Variant{}, nil
		},
		"Set": func(iface, prop string, v dbus.Variant) *dbus.Error {
			return dbusErr(errPropReadOnly, "No such property '%s'", prop)
		},
	}
	intro := map[string]any{"Introspect": func() (string, *dbus.Error) { return introspectVrrp(), nil }}
	for ifc, m := range map[string]map[string]any{VrrpInterface: methods, propertiesIfc: props, introspectableIfc: intro} {
		if err := x.conn.ExportMethodTable(m, path, ifc); err != nil {
			return fmt.Errorf("exporting %s on %s: %w", ifc, path, err)
		}
	}
	return nil
}

// nameValue and stateValue are the property values as keepalived sends
// them: Name as the structure (s) (its introspection says s), State as
// (us): the state's number and name.
type nameValue struct{ Name string }

type stateValue struct {
	Code uint32
	Name string
}

// sync exports an Instance object for each instance of snap and removes
// the objects of instances that are gone.
func (x *exporter) sync(snap *ctl.Snapshot) error {
	p := x.s.opts.Paths
	want := map[string]bool{}
	for _, o := range objects(p, snap) {
		want[o.path] = true
		if x.exported[o.path] {
			continue
		}
		if err := x.exportInstance(o.path); err != nil {
			return err
		}
		x.exported[o.path] = true
		x.s.log.Debug("added DBus object", "instance", o.name, "path", o.path)
	}
	for path := range x.exported {
		if want[path] {
			continue
		}
		for _, ifc := range []string{InstanceInterface, propertiesIfc, introspectableIfc} {
			if err := x.conn.ExportMethodTable(nil, dbus.ObjectPath(path), ifc); err != nil {
				return fmt.Errorf("removing %s on %s: %w", ifc, path, err)
			}
		}
		delete(x.exported, path)
		x.s.log.Debug("deleted DBus object", "path", path)
	}
	return nil
}

func (x *exporter) exportInstance(path string) error {
	p := x.s.opts.Paths
	find := func() (*ctl.InstanceSnapshot, *dbus.Error) {
		in := lookup(p, x.s.opts.Snapshot(), path)
		if in == nil {
			return nil, dbusErr(errInvalidArgs, "%s", notFound(p, path))
		}
		return in, nil
	}
	methods := map[string]any{
		"SendGarp": func() *dbus.Error {
			in, derr := find()
			if derr != nil {
				return derr
			}
			return x.call("SendGarp", func() error { return x.s.opts.Actions.SendGarp(in.Name) })
		},
	}
	value := func(in *ctl.InstanceSnapshot, prop string) (dbus.Variant, bool) {
		switch prop {
		case "Name":
			return dbus.MakeVariant(nameValue{in.Name}), true
		case "State":
			code, name := StateCode(in.State)
			return dbus.MakeVariant(stateValue{code, name}), true
		}
		return dbus.Variant{}, false
	}
	props := map[string]any{
		"Get": func(iface, prop string) (dbus.Variant, *dbus.Error) {
			if iface != InstanceInterface {
				return dbus.Variant{}, dbusErr(errInvalidArgs, "No such interface '%s'", iface)
			}
			in, derr := find()
			if derr != nil {
				return dbus.Variant{}, derr
			}
			v, ok := value(in, prop)
			if !ok {
				return dbus.Variant{}, dbusErr(errInvalidArgs, "No such property '%s'", prop)
			}
			return v, nil
		},
		"GetAll": func(iface string) (map[string]dbus.Variant, *dbus.Error) {
			if iface != InstanceInterface && iface != "" {
				return nil, dbusErr(errInvalidArgs, "No such interface '%s'", iface)
			}
			in, derr := find()
			if derr != nil {
				return nil, derr
			}
			n, _ := value(in, "Name")
			st, _ := value(in, "State")
			return map[string]dbus.Variant{"Name": n, "State": st}, nil
		},
		"Set": func(iface, prop string, v dbus.Variant) *dbus.Error {
			return dbusErr(errPropReadOnly, "Property '%s' is not writable", prop)
		},
	}
	intro := map[string]any{"Introspect": func() (string, *dbus.Error) { return introspectInstance(), nil }}
	for ifc, m := range map[string]map[string]any{InstanceInterface: methods, propertiesIfc: props, introspectableIfc: intro} {
		if err := x.conn.ExportMethodTable(m, dbus.ObjectPath(path), ifc); err != nil {
			return fmt.Errorf("exporting %s on %s: %w", ifc, path, err)
		}
	}
	return nil
}
