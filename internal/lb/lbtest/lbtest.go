// Package lbtest is a fake lb.Backend: an in-memory IPVS-like table that
// checks operations the way the kernel does (adding an existing service or
// removing a missing destination fails) and prints itself as `ipvsadm -Ln`
// would, for golden-file tests (STYLE rule 10).
package lbtest

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"gokeepalived/internal/lb"
)

// Fake is an in-memory load-balancing table. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	svcs    map[lb.Key]*lb.Service
	applied []lb.Op
	failErr error
	read    int // services read back (Services, ServicesByKey)
}

// New returns an empty table.
func New() *Fake { return &Fake{svcs: map[lb.Key]*lb.Service{}} }

// Services returns a copy of the table.
func (f *Fake) Services() ([]lb.Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.copyAll()
	f.read += len(out)
	return out, nil
}

func (f *Fake) copyAll() []lb.Service {
	out := make([]lb.Service, 0, len(f.svcs))
	for _, s := range f.svcs {
		c := *s
		c.Dests = slices.Clone(s.Dests)
		out = append(out, c)
	}
	lb.SortServices(out)
	return out
}

// ServicesByKey returns copies of the services with the given keys that
// exist (lb.KeyedBackend).
func (f *Fake) ServicesByKey(keys []lb.Key) ([]lb.Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []lb.Service
	for _, k := range keys {
		if s := f.svcs[k]; s != nil {
			c := *s
			c.Dests = slices.Clone(s.Dests)
			out = append(out, c)
		}
	}
	lb.SortServices(out)
	f.read += len(out)
	return out, nil
}

// Read returns and forgets how many services were read back so far
// (String does not count).
func (f *Fake) Read() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.read
	f.read = 0
	return n
}

// FailNextApply makes the next Apply fail with err after applying nothing.
func (f *Fake) FailNextApply(err error) {
	f.mu.Lock()
	f.failErr = err
	f.mu.Unlock()
}

// Applied returns and forgets the operations applied so far.
func (f *Fake) Applied() []lb.Op {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.applied
	f.applied = nil
	return a
}

// Mutate lets a test edit the table behind the reconciler's back (drift).
func (f *Fake) Mutate(fn func(map[lb.Key]*lb.Service)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.svcs)
}

// Apply performs ops in order and stops at the first failing one, like a
// sequence of IPVS netlink commands.
func (f *Fake) Apply(ops []lb.Op) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failErr; err != nil {
		f.failErr = nil
		return err
	}
	for _, op := range ops {
		if err := f.apply(op); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		f.applied = append(f.applied, op)
	}
	return nil
}

func (f *Fake) apply(op lb.Op) error {
	k := op.Service.Key
	s := f.svcs[k]
	if s == nil && op.Kind != lb.AddService && op.Kind != lb.ReplaceService {
		return fmt.Errorf("no such service")
	}
	switch op.Kind {
	case lb.AddService:
		if s != nil {
			return fmt.Errorf("service exists")
		}
		c := op.Service
		c.Dests = nil
		f.svcs[k] = &c
	case lb.ReplaceService:
		c := op.Service
		c.Dests = slices.Clone(op.Service.Dests)
		c.Drift = ""
		f.svcs[k] = &c
	case lb.UpdateService:
		s.Scheduler, s.Persistence, s.PersistenceBits = op.Service.Scheduler, op.Service.Persistence, op.Service.PersistenceBits
	case lb.DeleteService:
		delete(f.svcs, k)
	case lb.AddDest, lb.UpdateDest, lb.DeleteDest:
		i := slices.IndexFunc(s.Dests, func(d lb.Dest) bool { return d.AddrPort() == op.Dest.AddrPort() })
		switch {
		case op.Kind == lb.AddDest && i >= 0:
			return fmt.Errorf("destination exists")
		case op.Kind != lb.AddDest && i < 0:
			return fmt.Errorf("no such destination")
		case op.Kind == lb.AddDest:
			s.Dests = append(s.Dests, op.Dest)
			lb.SortDests(s.Dests)
		case op.Kind == lb.UpdateDest:
			s.Dests[i] = op.Dest
		default:
			s.Dests = slices.Delete(s.Dests, i, i+1)
		}
	default:
		return fmt.Errorf("unknown op")
	}
	return nil
}

// String prints the table as `ipvsadm -Ln` does.
func (f *Fake) String() string {
	f.mu.Lock()
	ss := f.copyAll()
	f.mu.Unlock()
	return Format(ss)
}

// Format prints services as `ipvsadm -Ln` does (version line included,
// trailing blanks trimmed), services and destinations sorted.
func Format(ss []lb.Service) string {
	ss = slices.Clone(ss)
	lb.SortServices(ss)
	var b strings.Builder
	b.WriteString("IP Virtual Server version 1.2.1 (size=4096)\n")
	b.WriteString("Prot LocalAddress:Port Scheduler Flags\n")
	b.WriteString("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	for _, s := range ss {
		b.WriteString(ServiceLine(s))
		b.WriteByte('\n')
		ds := slices.Clone(s.Dests)
		lb.SortDests(ds)
		for _, d := range ds {
			b.WriteString(DestLine(d))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// ServiceLine is the service line of `ipvsadm -Ln`.
func ServiceLine(s lb.Service) string {
	var line string
	if s.FWMark != 0 {
		line = fmt.Sprintf("FWM  %d", s.FWMark)
		if s.Family == lb.Inet6 {
			line += " IPv6"
		}
	} else {
		line = fmt.Sprintf("%-4s %s", s.Proto, netip.AddrPortFrom(s.Addr, s.Port))
	}
	line += " " + s.Scheduler
	if s.Persistence > 0 {
		line += fmt.Sprintf(" persistent %d", int(s.Persistence.Seconds()))
		bits := s.PersistenceBits
		switch {
		case s.Family != lb.Inet6 && bits != 0 && bits != 32:
			var a [4]byte
			v := ^uint32(0) << (32 - bits)
			a[0], a[1], a[2], a[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
			line += " mask " + netip.AddrFrom4(a).String()
		case s.Family == lb.Inet6 && bits != 0 && bits != 128:
			line += fmt.Sprintf(" mask %d", bits)
		}
	}
	return line
}

// DestLine is a destination line of `ipvsadm -Ln` (connection counters 0).
func DestLine(d lb.Dest) string {
	return strings.TrimRight(fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %-10d", d.AddrPort(), Forward(d.Method), d.Weight, 0, 0), " ")
}

// Forward is ipvsadm's name of a forwarding method.
func Forward(m lb.Method) string {
	switch m {
	case lb.DR:
		return "Route"
	case lb.TUN:
		return "Tunnel"
	}
	return "Masq"
}

// syncState is the fake's sync daemons and timeouts (lb.SyncDaemons,
// lb.TimeoutSetter), kept apart from the table.
type syncState struct {
	mu       sync.Mutex
	daemons  map[lb.SyncState]lb.SyncDaemon
	timeouts lb.Timeouts
	log      []string
}

// Sync is a fake backend with sync daemons and timeouts: the table of
// Fake, plus what IPVS_CMD_NEW/DEL_DAEMON and SET_CONFIG would do (a
// second daemon of a role fails like the kernel's EEXIST, stopping none
// like its ESRCH).
type Sync struct {
	*Fake
	s *syncState
}

// NewSync returns an empty table with no daemons running and the
// kernel's default timeouts (900 s, 120 s, 300 s).
func NewSync() *Sync {
	return &Sync{Fake: New(), s: &syncState{daemons: map[lb.SyncState]lb.SyncDaemon{},
		timeouts: lb.Timeouts{TCP: 900e9, TCPFin: 120e9, UDP: 300e9}}}
}

// StartSyncDaemon starts a daemon of d.State.
func (f *Sync) StartSyncDaemon(d lb.SyncDaemon) error {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	if _, ok := f.s.daemons[d.State]; ok {
		return fmt.Errorf("start %s sync daemon: file exists", d.State)
	}
	f.s.daemons[d.State] = d
	f.s.log = append(f.s.log, fmt.Sprintf("start %s %s id %d", d.State, d.Interface, d.SyncID))
	return nil
}

// StopSyncDaemon stops the daemon of state s.
func (f *Sync) StopSyncDaemon(s lb.SyncState) error {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	if _, ok := f.s.daemons[s]; !ok {
		return fmt.Errorf("stop %s sync daemon: no such process", s)
	}
	delete(f.s.daemons, s)
	f.s.log = append(f.s.log, "stop "+s.String())
	return nil
}

// SyncDaemons lists the running daemons, master first.
func (f *Sync) SyncDaemons() ([]lb.SyncDaemon, error) {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	var out []lb.SyncDaemon
	for _, s := range []lb.SyncState{lb.SyncMaster, lb.SyncBackup} {
		if d, ok := f.s.daemons[s]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// SyncLog returns and clears the start/stop commands received.
func (f *Sync) SyncLog() []string {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	l := f.s.log
	f.s.log = nil
	return l
}

// SetTimeouts sets the non-zero timeouts, as the kernel does.
func (f *Sync) SetTimeouts(t lb.Timeouts) error {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	if t.TCP > 0 {
		f.s.timeouts.TCP = t.TCP
	}
	if t.TCPFin > 0 {
		f.s.timeouts.TCPFin = t.TCPFin
	}
	if t.UDP > 0 {
		f.s.timeouts.UDP = t.UDP
	}
	return nil
}

// Timeouts reads the timeouts.
func (f *Sync) Timeouts() (lb.Timeouts, error) {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	return f.s.timeouts, nil
}
