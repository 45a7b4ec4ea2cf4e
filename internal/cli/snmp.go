package cli

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/daemon"
	"gokeepalived/internal/snmp"
	"gokeepalived/internal/vrrp"
)

// snmpOptions decides the SNMP subagent as keepalived does: -x turns on
// enable_snmp_vrrp, enable_snmp_checker, enable_snmp_rfcv2 and
// enable_snmp_rfcv3, -A sets the socket unless
// snmp_socket does; the agent runs when any MIB is on, and sends their
// notifications when enable_traps is on too.
func snmpOptions(o Options, cfg *config.Config) snmp.Options {
	g := cfg.Global
	opts := snmp.Options{Socket: g.SNMPSocket, VRRP: g.EnableSNMPVRRP || o.SNMP, RFC2787: g.EnableSNMPRFCv2 || o.SNMP,
		RFC6527: g.EnableSNMPRFCv3 || o.SNMP, Checker: g.EnableSNMPChecker || o.SNMP, Traps: g.EnableTraps}
	if opts.Socket == "" {
		opts.Socket = o.SNMPSocket
	}
	return opts
}

// snmpSettings are the configuration's values the MIB shows beside the
// snapshot: the router id (the host name by default) and each instance's
// configured state.
func snmpSettings(cfg *config.Config) snmp.Settings {
	set := snmp.Settings{Version: "gokeepalived " + Version, RouterID: cfg.Global.RouterID,
		InitialStates: make(map[string]vrrp.State, len(cfg.Instances))}
	if set.RouterID == "" {
		set.RouterID, _ = os.Hostname()
	}
	for _, g := range cfg.SyncGroups {
		if set.SyncGroups == nil {
			set.SyncGroups = map[string]snmp.SyncGroupSettings{}
		}
		n := g.Notify
		gs := snmp.SyncGroupSettings{Master: cmdLine(n.Master), Backup: cmdLine(n.Backup), Fault: cmdLine(n.Fault),
			Notify: cmdLine(n.Any), StopExec: cmdLine(n.Stop)}
		gs.NotifyExec = n.Master != nil || n.Backup != nil || n.Fault != nil || n.Any != nil || n.Stop != nil
		switch g := cfg.Global; {
		case n.SMTPAlert != nil:
			gs.SMTPAlert = *n.SMTPAlert
		case g.SMTPAlertVRRP != nil:
			gs.SMTPAlert = *g.SMTPAlertVRRP
		case g.SMTPAlert != nil:
			gs.SMTPAlert = *g.SMTPAlert
		}
		set.SyncGroups[g.Name] = gs
	}
	set.Checker = checkerSettings(cfg)
	for _, in := range cfg.Instances {
		if in.Auth != nil {
			if set.AuthTypes == nil {
				set.AuthTypes = map[string]int{}
			}
			set.AuthTypes[in.Name] = 1 // PASS (AH is refused)
		}
		switch in.State {
		case "MASTER":
			set.InitialStates[in.Name] = vrrp.StateMaster
		case "BACKUP":
			set.InitialStates[in.Name] = vrrp.StateBackup
		}
	}
	return set
}

// snmpRunner starts, restarts and stops the SNMP subagent as the
// configuration says, at start and on each reload (keepalived starts and
// stops its subagent on reload too). It is the daemon's state sink for
// the subagent: it hands each change to the agent running, if any.
type snmpRunner struct {
	ctx      context.Context // the daemon's: the agent runs until it ends
	o        Options
	log      *slog.Logger
	snapshot func() *ctl.Snapshot

	// running is the agent now, read without a lock by VRRPState (the
	// VRRP loop never waits for a reload's restart).
	running atomic.Pointer[snmp.Agent]

	mu     sync.Mutex // serialises apply and stop
	key    snmpKey
	cancel context.CancelFunc
	done   chan struct{}

	// early holds the load balancer's changes made before the first agent
	// started (the director starts first: its "starting with quorum up"
	// comes before), handed to that agent as keepalived sends them.
	earlyMu sync.Mutex
	early   []ctl.LBEvent
	started bool
}

// snmpKey is what restarts the agent when it changes.
type snmpKey struct {
	socket                                 string
	vrrp, rfc2787, rfc6527, checker, traps bool
}

// apply runs the agent cfg asks for: started, restarted when its socket,
// MIB or traps changed, stopped when SNMP is off; otherwise it only takes
// the new settings.
func (r *snmpRunner) apply(cfg *config.Config) {
	opts := snmpOptions(r.o, cfg)
	key := snmpKey{opts.Socket, opts.VRRP, opts.RFC2787, opts.RFC6527, opts.Checker, opts.Traps}
	r.mu.Lock()
	defer r.mu.Unlock()
	if a := r.running.Load(); a != nil && key == r.key {
		a.SetSettings(snmpSettings(cfg))
		return
	}
	r.stopLocked()
	if !opts.VRRP && !opts.RFC2787 && !opts.RFC6527 && !opts.Checker {
		return
	}
	r.key = key
	opts.Logger, opts.Snapshot = r.log, r.snapshot
	a := snmp.New(opts, snmpSettings(cfg))
	actx, cancel := context.WithCancel(r.ctx)
	done := make(chan struct{})
	r.cancel, r.done = cancel, done
	r.running.Store(a)
	r.earlyMu.Lock()
	for _, ev := range r.early {
		a.LBEvent(ev)
	}
	r.early, r.started = nil, true
	r.earlyMu.Unlock()
	go func() { a.Run(actx); close(done) }()
	r.log.Info("SNMP subagent started", "socket", opts.Socket, "vrrp", opts.VRRP, "checker", opts.Checker, "traps", opts.Traps)
}

func (r *snmpRunner) stopLocked() {
	if r.running.Swap(nil) == nil {
		return
	}
	r.cancel()
	<-r.done
	r.log.Info("SNMP subagent stopped")
}

// stop ends the running agent, if any.
func (r *snmpRunner) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked()
}

// VRRPState hands a state change to the running agent (which queues it
// without blocking).
func (r *snmpRunner) VRRPState(ev vrrp.StateEvent) {
	if a := r.running.Load(); a != nil {
		a.VRRPState(ev)
	}
}

// stateTee hands every VRRP state change to each sink (the load-balancer
// runtime, the SNMP subagent); each queues it without blocking.
type stateTee []daemon.StateSink

func (t stateTee) VRRPState(ev vrrp.StateEvent) {
	for _, s := range t {
		s.VRRPState(ev)
	}
}

// VRRPGroupState hands a sync-group state change to each sink that wants
// it.
func (t stateTee) VRRPGroupState(ev vrrp.GroupStateEvent) {
	for _, s := range t {
		if g, ok := s.(daemon.GroupStateSink); ok {
			g.VRRPGroupState(ev)
		}
	}
}

// LBEvent hands a real server's or a virtual server's quorum change to
// the running agent (the director's Events).
func (r *snmpRunner) LBEvent(ev ctl.LBEvent) {
	if a := r.running.Load(); a != nil {
		a.LBEvent(ev)
		return
	}
	r.earlyMu.Lock()
	defer r.earlyMu.Unlock()
	if !r.started && len(r.early) < 256 {
		r.early = append(r.early, ev)
	}
}

// VRRPGroupState hands a sync-group state change to the running agent.
func (r *snmpRunner) VRRPGroupState(ev vrrp.GroupStateEvent) {
	if a := r.running.Load(); a != nil {
		a.VRRPGroupState(ev)
	}
}

// cmdLine is a notify script as keepalived's SNMP shows it (notify.c
// cmd_str_r): each argument in single quotes, the program by the real
// path keepalived resolved it to (symbolic links followed; a program
// without '/' looked up in $PATH). "" when not set.
func cmdLine(r *config.ScriptRef) string {
	if r == nil || len(r.Args) == 0 {
		return ""
	}
	args := slices.Clone(r.Args)
	if p, err := exec.LookPath(args[0]); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			args[0] = real
		}
	}
	for i, a := range args {
		if i > 0 || (!strings.HasPrefix(a, "<") && !strings.HasPrefix(a, ">")) {
			args[i] = "'" + a + "'"
		}
	}
	return strings.Join(args, " ")
}

// checkerSettings are the virtual servers, groups, LVS sync daemon and
// timeouts as KEEPALIVED-MIB's check tree shows them, with keepalived's
// defaults (delay_loop 60 s, connect timeout 5 s, retry, delay before
// retry and warmup 0 when not written; smtp_alert from the server, else
// smtp_alert_checker, else smtp_alert, else off for a virtual server and
// on for a real server) and its inheritance (a real server
// takes what its virtual server sets).
func checkerSettings(cfg *config.Config) *snmp.CheckerSettings {
	cs := &snmp.CheckerSettings{}
	for _, g := range cfg.VirtualServerGroups {
		gs := snmp.VSGroupSettings{Name: g.Name}
		for _, e := range g.Entries {
			if e.FWMark != 0 {
				gs.Members = append(gs.Members, snmp.VSGroupMember{FWMark: e.FWMark})
			}
		}
		for _, e := range g.Entries {
			if e.FWMark == 0 {
				gs.Members = append(gs.Members, snmp.VSGroupMember{First: e.First, Last: e.Last, Port: e.Port})
			}
		}
		cs.Groups = append(cs.Groups, gs)
	}
	// alert resolves smtp_alert as keepalived does; def is what neither
	// the server nor global_defs set gives: off for a virtual server, on
	// for a real server (keepalived keeps that for compatibility).
	alert := func(own *bool, def bool) bool {
		switch g := cfg.Global; {
		case own != nil:
			return *own
		case g.SMTPAlertChecker != nil:
			return *g.SMTPAlertChecker
		case g.SMTPAlert != nil:
			return *g.SMTPAlert
		}
		return def
	}
	timing := func(t config.Timing) (ct, dbr, wu, dl time.Duration, retry int) {
		cSet, rSet, dSet, wSet, lSet := t.Configured()
		ct, dl = 5*time.Second, 60*time.Second
		if cSet {
			ct = t.ConnectTimeout
		}
		if lSet {
			dl = t.DelayLoop
		}
		if rSet {
			retry = t.Retry
		}
		if dSet {
			dbr = t.DelayBeforeRetry
		}
		if wSet {
			wu = t.Warmup
		}
		return
	}
	tunnel := func(t config.Tunnel) snmp.Tunnel {
		return snmp.Tunnel{Type: t.Type, Port: t.Port, Checksum: t.Checksum}
	}
	for _, vs := range cfg.VirtualServers {
		s := snmp.VSSettings{Name: vs.Name(), Group: vs.Group, FWMark: vs.FWMark, Addr: vs.Addr, Port: vs.Port,
			Protocol: vs.Protocol, Scheduler: vs.Scheduler, Method: vs.Method, Tunnel: tunnel(vs.Tunnel),
			VirtualHost: vs.VirtualHost, Persistence: vs.Persistence, GranularityBits: vs.PersistenceBits,
			HASuspend: vs.HASuspend, Alpha: vs.Alpha, Omega: vs.Omega, Quorum: vs.Quorum, Hysteresis: vs.Hysteresis,
			QuorumUp: cmdLine(vs.QuorumUp), QuorumDown: cmdLine(vs.QuorumDown), Flags: vs.Flags,
			Inhibit: vs.InhibitOnFailure, Weight: vs.Weight, SMTPAlert: alert(vs.SMTPAlert, false), SNMPName: vs.SNMPName}
		if s.Scheduler == "" {
			s.Scheduler = "wlc"
		}
		s.ConnectTimeout, s.DelayBeforeRetry, s.Warmup, s.DelayLoop, s.Retry = timing(vs.Timing)
		switch {
		case vs.Addr.IsValid():
			s.IPv6 = vs.Addr.Is6() && !vs.Addr.Is4In6()
		case vs.IPFamily != "":
			s.IPv6 = vs.IPFamily == "inet6"
		case len(vs.RealServers) > 0:
			s.IPv6 = vs.RealServers[0].Addr.Is6() && !vs.RealServers[0].Addr.Is4In6()
		}
		if so := vs.Sorry; so != nil {
			// keepalived's sorry server takes only its virtual server's
			// forwarding method: every other value is zero.
			m := so.Method
			if m == "" {
				m = vs.Method
			}
			r := snmp.RSSettings{Addr: so.Addr, Port: so.Port, Method: m, Tunnel: tunnel(so.Tunnel)}
			if so.Method == "" {
				r.Tunnel = tunnel(vs.Tunnel)
			}
			if r.Port == 0 {
				r.Port = vs.Port
			}
			s.Sorry = &r
		}
		for _, rs := range vs.RealServers {
			r := snmp.RSSettings{Addr: rs.Addr, Port: rs.Port, Method: rs.Method, Tunnel: tunnel(rs.Tunnel), Weight: rs.Weight,
				UThreshold: rs.UThreshold, LThreshold: rs.LThreshold, Inhibit: rs.InhibitOnFailure,
				NotifyUp: cmdLine(rs.NotifyUp), NotifyDown: cmdLine(rs.NotifyDown), VirtualHost: rs.VirtualHost,
				Alpha: rs.Alpha || vs.Alpha, SMTPAlert: alert(rs.SMTPAlert, true), SNMPName: rs.SNMPName}
			r.ConnectTimeout, r.DelayBeforeRetry, r.Warmup, r.DelayLoop, r.Retry = timing(rs.Timing)
			s.Real = append(s.Real, r)
		}
		cs.Servers = append(cs.Servers, s)
	}
	t := cfg.Global.LVSTimeouts
	cs.Timeouts.TCP, cs.Timeouts.TCPFin, cs.Timeouts.UDP = int(t.TCP/time.Second), int(t.TCPFin/time.Second), int(t.UDP/time.Second)
	if sd := cfg.Global.LVSSyncDaemon; sd != nil {
		cs.Sync = &snmp.SyncSettings{Interface: sd.Interface, Instance: sd.Instance, SyncID: cfg.EffectiveSyncID(),
			MaxLen: sd.MaxLen, Port: sd.Port, TTL: sd.TTL, Group: sd.Group}
	}
	return cs
}
