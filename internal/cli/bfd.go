package cli

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"gokeepalived/internal/bfd"
	"gokeepalived/internal/bfdrun"
	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/daemon"
	"gokeepalived/internal/daemon/linuxport"
	"gokeepalived/internal/linux/bfdconn"
	"gokeepalived/internal/linux/rtsched"
)

// bfdHost runs the BFD runtime for the bfd_instance blocks: it fits
// internal/linux/bfdconn to the runtime's Network port, reads the
// listening sockets and steps the runtime on its own goroutine. It starts
// with the first configuration that has a bfd_instance (at startup or by
// a reload) and stops after the VRRP loop.
type bfdHost struct {
	log *slog.Logger
	// vrrp and checkers take the session state changes: the VRRP loop's
	// BFDState (track_bfd) and the load balancer's (BFD_CHECK); nil: none.
	// They must not block.
	vrrp, checkers func(bfd.StateEvent)
	// bgp hears every session's changes (a neighbor's track_bfd); nil: none.
	bgp func(bfd.StateEvent)
	// audience says, per session, which of them hear it (bfd_instance
	// vrrp / checker); replaced before each configuration is applied.
	audience atomic.Pointer[map[string]bfdAudience]

	mu        sync.Mutex
	rt        *bfdrun.Runtime
	runtime   atomic.Pointer[bfdrun.Runtime] // rt, for readers that must not wait for mu
	listeners []*bfdconn.Listener
	cancel    context.CancelFunc
	done      chan struct{}
}

// CtlStatus is the running runtime's status for the daemon's snapshot
// (nil while none runs).
func (h *bfdHost) CtlStatus() *ctl.BFDStatus {
	rt := h.runtime.Load()
	if rt == nil {
		return nil
	}
	return rt.CtlStatus()
}

type bfdNetwork struct{}

func (bfdNetwork) Dial(s bfdrun.Session) (bfdrun.Sender, error) {
	return bfdconn.Dial(bfdconn.SenderConfig{Local: s.Local, Remote: s.Remote, Multihop: s.Multihop, TTL: s.TTL})
}

// bfdAudience is who hears a session's state changes.
type bfdAudience struct{ vrrp, checkers bool }

// setAudience records cfg's bfd_instance vrrp / checker keywords.
func (h *bfdHost) setAudience(cfg *config.Config) {
	m := make(map[string]bfdAudience, len(cfg.BFDInstances))
	for _, b := range cfg.BFDInstances {
		m[b.Name] = bfdAudience{vrrp: b.TellsVRRP(), checkers: b.TellsCheckers()}
	}
	h.audience.Store(&m)
}

// dispatch hands a state change to the VRRP loop (track_bfd) and the load
// balancer (BFD_CHECK), as the session's bfd_instance says: keepalived's
// BFD process writes it to the VRRP process's pipe, the checker
// process's, or both.
func (h *bfdHost) dispatch(ev bfd.StateEvent) {
	a := bfdAudience{vrrp: true, checkers: true}
	if m := h.audience.Load(); m != nil {
		a = (*m)[ev.Session]
	}
	if a.vrrp && h.vrrp != nil {
		h.vrrp(ev)
	}
	if a.checkers && h.checkers != nil {
		h.checkers(ev)
	}
	if h.bgp != nil {
		h.bgp(ev)
	}
}

// bfdSessions translates the bfd_instance blocks.
func bfdSessions(cfg *config.Config) []bfdrun.Session {
	out := make([]bfdrun.Session, 0, len(cfg.BFDInstances))
	for _, b := range cfg.BFDInstances {
		out = append(out, bfdrun.Session{Name: b.Name, Local: b.Source, Remote: b.Neighbor, TTL: b.TTL, MaxHops: b.MaxHops,
			Params: bfd.Config{DesiredMinTx: b.MinTx, RequiredMinRx: b.MinRx, IdleTx: b.IdleTx,
				DetectMult: uint8(b.Multiplier), Passive: b.Passive}})
	}
	return out
}

// apply starts the runtime with cfg's sessions, or hands them to the
// running one.
func (h *bfdHost) apply(cfg *config.Config) error {
	sessions := bfdSessions(cfg)
	h.setAudience(cfg)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rt != nil {
		return <-h.rt.Reload(sessions)
	}
	if len(sessions) == 0 {
		return nil
	}
	rt := bfdrun.New(bfdrun.Options{Network: bfdNetwork{}, Logger: h.log, Events: h.dispatch})
	var need4, need6 bool
	for _, s := range sessions {
		need4, need6 = need4 || s.Remote.Is4(), need6 || s.Remote.Is6()
	}
	// Both families listen when possible, so that a reload can add a
	// session of the other family; only a family in use must succeed.
	for _, v6 := range []bool{false, true} {
		l, err := bfdconn.Listen(v6, false)
		if err != nil {
			if (v6 && need6) || (!v6 && need4) {
				h.closeListeners()
				return fmt.Errorf("bfd: %w", err)
			}
			h.log.Warn("bfd: cannot listen", "err", err)
			continue
		}
		h.listeners = append(h.listeners, l)
	}
	if err := rt.Start(time.Now(), sessions); err != nil {
		h.closeListeners()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.rt, h.cancel, h.done = rt, cancel, make(chan struct{})
	h.runtime.Store(rt)
	sched, name := bfdThreadSettings(&cfg.Global), cmp.Or(cfg.Global.BFDProcessName, bfdThreadName)
	poller, err := bfdconn.NewPoller(h.listeners)
	if err != nil {
		cancel()
		h.rt, h.runtime, h.done = nil, atomic.Pointer[bfdrun.Runtime]{}, nil
		h.closeListeners()
		return fmt.Errorf("bfd: %w", err)
	}
	go func() {
		defer close(h.done)
		defer poller.Close()
		// Like the VRRP loop, the BFD loop runs on a thread of its own
		// with bfd_rt_priority / bfd_priority / bfd_cpu_affinity (by
		// default real-time, so that short intervals hold when the CPUs
		// are busy), named bfd_process_name. The same thread reads the
		// sockets: it sleeps in one ppoll on them and its timer, so the
		// kernel wakes it directly, never through an ordinary thread.
		// The thread stays locked: it ends with the goroutine rather than
		// go back to the pool with real-time scheduling.
		runtime.LockOSThread()
		h.setupThread("loop", sched)
		if err := rtsched.SetThreadName(name); err != nil {
			h.log.Warn("cannot name the BFD loop thread (bfd_process_name)", "name", name, "err", err)
		}
		rt.RunPolled(ctx, bfdPoller{p: poller, log: h.log})
	}()
	return nil
}

// bfdPoller fits bfdconn.Poller to bfdrun.Poller.
type bfdPoller struct {
	p   *bfdconn.Poller
	log *slog.Logger
}

func (b bfdPoller) Kick() { b.p.Kick() }

func (b bfdPoller) Wait(deadline, now time.Time, deliver func(bfdrun.Packet)) {
	timeout := time.Duration(-1)
	if !deadline.IsZero() {
		timeout = max(deadline.Sub(now), 0)
	}
	b.p.Wait(timeout, func(payload []byte, m bfdconn.Meta) {
		deliver(bfdrun.Packet{Payload: append([]byte(nil), payload...), Src: m.Src.Addr(), Dst: m.Dst.Addr(), TTL: m.TTL})
	}, func(err error) { b.log.Debug("bfd: receive", "err", err) })
}

// bfdThreadName is the BFD loop thread's name without bfd_process_name.
const bfdThreadName = "gk_bfd"

// bfdThreadSettings are the BFD threads' scheduling from global_defs:
// bfd_rt_priority, else (keepalived's BFD process is SCHED_OTHER at
// bfd_priority) SCHED_RR at the VRRP loop's default priority unless
// bfd_priority asks for a nice value; bfd_cpu_affinity either way.
func bfdThreadSettings(g *config.Global) daemon.ThreadSettings {
	s := daemon.ThreadSettings{Nice: g.BFDProc.Nice, CPUs: g.BFDProc.CPUs}
	switch {
	case g.BFDProc.RTPriority > 0:
		s.RTPriority = g.BFDProc.RTPriority
	case g.BFDProc.Nice != 0:
	default:
		s.RTPriority = daemon.DefaultRTPriority
	}
	return s
}

// setupThread gives the calling, locked thread the BFD scheduling.
func (h *bfdHost) setupThread(what string, s daemon.ThreadSettings) {
	if err := linuxport.Linux().Thread.Setup(s); err != nil {
		h.log.Warn("cannot set the BFD "+what+" thread's scheduling; packets may be late when the CPUs are busy",
			"rt_priority", s.RTPriority, "nice", s.Nice, "cpus", s.CPUs, "err", err)
	}
}

func (h *bfdHost) closeListeners() {
	for _, l := range h.listeners {
		l.Close()
	}
	h.listeners = nil
}

// stop tells every peer AdminDown, closes the sockets and waits.
func (h *bfdHost) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rt == nil {
		return
	}
	h.cancel()
	<-h.done
	h.closeListeners()
	h.rt = nil
	h.runtime.Store(nil)
}
