package lb

import (
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"
)

// OpKind is what one reconcile step does.
type OpKind uint8

// Operations, in the order Diff emits them for one service.
const (
	DeleteService OpKind = iota + 1
	AddService
	ReplaceService // drift: rewrite the whole service
	UpdateService  // scheduler or persistence changed
	DeleteDest
	UpdateDest // weight or forwarding method changed
	AddDest
)

func (k OpKind) String() string {
	switch k {
	case DeleteService:
		return "delete-service"
	case AddService:
		return "add-service"
	case ReplaceService:
		return "replace-service"
	case UpdateService:
		return "update-service"
	case DeleteDest:
		return "delete-dest"
	case UpdateDest:
		return "update-dest"
	case AddDest:
		return "add-dest"
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Op is one change to the kernel table. Service is always the complete
// desired service (for DeleteService, the service as read back), so a
// backend that rewrites whole services (nft) needs nothing else; Dest is the
// destination a *Dest op is about.
type Op struct {
	Kind    OpKind
	Service Service
	Dest    Dest
}

func (o Op) String() string {
	switch o.Kind {
	case DeleteDest, UpdateDest, AddDest:
		return fmt.Sprintf("%s %s -> %s %s weight %d", o.Kind, o.Service.Key, o.Dest.AddrPort(), o.Dest.Method, o.Dest.Weight)
	case ReplaceService:
		return fmt.Sprintf("%s %s (%s)", o.Kind, o.Service.Key, o.Service.Drift)
	}
	return fmt.Sprintf("%s %s %s", o.Kind, o.Service.Key, o.Service.Scheduler)
}

// Backend is a kernel load-balancing table: it reads back what it holds and
// applies operations in order. A backend reads back every service it can
// see (IPVS: the whole table; nft: its own table).
type Backend interface {
	Services() ([]Service, error)
	Apply(ops []Op) error
}

// Balancer is a Backend whose scheduling of some schedulers follows
// connection counts it must refresh itself (nftables: lc, wlc, sed, nq):
// the runtime calls Balance every BalanceEvery while a service uses a
// scheduler Balances names. Balance reports how many services it rewrote.
type Balancer interface {
	Balance() (int, error)
	Balances(scheduler string) bool
	BalanceEvery() time.Duration
}

// KeyedBackend is a Backend that can read back a few services without
// reading the whole table; ReconcileChanged uses it. A backend without it
// is read whole and filtered.
type KeyedBackend interface {
	Backend
	// ServicesByKey reads back those of keys that exist in the table, as
	// Services would (Drift included).
	ServicesByKey(keys []Key) ([]Service, error)
}

// Diff returns the operations that turn actual into desired. Services in
// actual that are not desired are deleted only when owned reports them as
// ours (nil owned: none are). Destinations of a desired service are fully
// ours: unknown ones are removed (drift repair).
func Diff(desired, actual []Service, owned func(Key) bool) []Op {
	have := make(map[Key]*Service, len(actual))
	for i := range actual {
		have[actual[i].Key] = &actual[i]
	}
	want := make(map[Key]bool, len(desired))
	for _, d := range desired {
		want[d.Key] = true
	}
	var ops []Op
	as := slices.Clone(actual)
	SortServices(as)
	for _, a := range as {
		if !want[a.Key] && owned != nil && owned(a.Key) {
			ops = append(ops, Op{Kind: DeleteService, Service: a})
		}
	}
	ds := slices.Clone(desired)
	SortServices(ds)
	for _, d := range ds {
		a, ok := have[d.Key]
		switch {
		case !ok:
			ops = append(ops, Op{Kind: AddService, Service: d})
			for _, dst := range d.Dests {
				ops = append(ops, Op{Kind: AddDest, Service: d, Dest: dst})
			}
			continue
		case a.Drift != "":
			d.Drift = a.Drift
			ops = append(ops, Op{Kind: ReplaceService, Service: d})
			continue
		case !sameParams(&d, a):
			ops = append(ops, Op{Kind: UpdateService, Service: d})
		}
		ops = append(ops, diffDests(d, a)...)
	}
	return ops
}

func diffDests(d Service, a *Service) []Op {
	var del, upd, add []Op
	wantDest := make(map[netip.AddrPort]bool, len(d.Dests))
	for _, dst := range d.Dests {
		wantDest[dst.AddrPort()] = true
		cur, ok := a.Dest(dst.AddrPort())
		switch {
		case !ok:
			add = append(add, Op{Kind: AddDest, Service: d, Dest: dst})
		case cur != dst:
			upd = append(upd, Op{Kind: UpdateDest, Service: d, Dest: dst})
		}
	}
	for _, cur := range a.Dests {
		if !wantDest[cur.AddrPort()] {
			del = append(del, Op{Kind: DeleteDest, Service: d, Dest: cur})
		}
	}
	return append(append(del, upd...), add...)
}

// FlushMode says what to remove from the kernel table when the daemon
// stops (keepalived -I, lvs_flush_on_stop).
type FlushMode uint8

// Flush modes.
const (
	// FlushOwned removes the services this reconciler manages
	// (keepalived's default on stop).
	FlushOwned FlushMode = iota
	// FlushNone keeps the table as it is (keepalived -I,
	// --dont-release-ipvs).
	FlushNone
	// FlushAll removes every service the backend can see (lvs_flush at
	// start, lvs_flush_on_stop at stop).
	FlushAll
)

// Reconciler keeps a backend's table equal to the desired state. It is not
// safe for concurrent use: the daemon loop owns it.
type Reconciler struct {
	backend Backend
	owned   map[Key]bool
	// applied is, per service, the desired state the table was last known
	// to hold: written by a successful Apply, or read back equal to it.
	// ReconcileChanged touches only services whose desired state differs.
	applied map[Key]Service
	log     *slog.Logger
}

// NewReconciler builds a reconciler; it does not touch the backend.
func NewReconciler(b Backend, log *slog.Logger) *Reconciler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reconciler{backend: b, owned: map[Key]bool{}, applied: map[Key]Service{}, log: log}
}

// Reconcile reads the backend's whole table, applies the difference to
// desired and returns the operations it applied: the full pass, which also
// repairs drift anywhere in the table. Services that were desired by an
// earlier call and are no longer desired are removed; services nobody asked
// for are left alone.
func (r *Reconciler) Reconcile(desired []Service) ([]Op, error) {
	actual, err := r.backend.Services()
	if err != nil {
		return nil, fmt.Errorf("read load-balancer table: %w", err)
	}
	clear(r.applied)
	return r.apply(desired, actual)
}

// ReconcileChanged is the incremental pass, for health changes: desired is
// still the complete desired table, but only the services whose desired
// state differs from what the last successful apply left (new ones, changed
// ones, owned ones no longer desired) are read back (alone, with a
// KeyedBackend) and reconciled, in one Apply. A service that did not change
// is not read, so drift in it waits for the next Reconcile (run that
// periodically). It returns the operations applied.
func (r *Reconciler) ReconcileChanged(desired []Service) ([]Op, error) {
	want := make(map[Key]bool, len(desired))
	var keys []Key
	var sub []Service
	for _, d := range desired {
		want[d.Key] = true
		if a, ok := r.applied[d.Key]; !ok || !sameService(&a, &d) {
			keys = append(keys, d.Key)
			sub = append(sub, d)
		}
	}
	for k := range r.applied {
		if !want[k] {
			keys = append(keys, k)
		}
	}
	for k := range want {
		r.owned[k] = true
	}
	if len(keys) == 0 {
		return nil, nil
	}
	actual, err := r.read(keys)
	if err != nil {
		return nil, fmt.Errorf("read load-balancer services: %w", err)
	}
	for _, k := range keys {
		delete(r.applied, k)
	}
	return r.apply(sub, actual)
}

// read reads back the services with the given keys that exist.
func (r *Reconciler) read(keys []Key) ([]Service, error) {
	if kb, ok := r.backend.(KeyedBackend); ok {
		return kb.ServicesByKey(keys)
	}
	all, err := r.backend.Services()
	if err != nil {
		return nil, err
	}
	want := make(map[Key]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	return slices.DeleteFunc(all, func(s Service) bool { return !want[s.Key] }), nil
}

// apply makes the services of actual and desired equal to desired and
// records what the table holds afterwards in r.applied.
func (r *Reconciler) apply(desired, actual []Service) ([]Op, error) {
	ops := Diff(desired, actual, func(k Key) bool { return r.owned[k] })
	for _, d := range desired {
		r.owned[d.Key] = true
	}
	touched := make(map[Key]bool, len(ops))
	for _, op := range ops {
		touched[op.Service.Key] = true
	}
	// Services Diff left alone already hold their desired state.
	for _, d := range desired {
		if !touched[d.Key] {
			r.applied[d.Key] = cloneService(d)
		}
	}
	if len(ops) == 0 {
		return nil, nil
	}
	for _, op := range ops {
		r.log.Info("lb change", "op", op.String())
	}
	if err := r.backend.Apply(ops); err != nil {
		// What a failed Apply left is unknown: those services are read
		// back by the next pass.
		return ops, fmt.Errorf("apply load-balancer changes: %w", err)
	}
	for _, op := range ops {
		if op.Kind == DeleteService {
			delete(r.owned, op.Service.Key)
			delete(r.applied, op.Service.Key)
		}
	}
	for _, d := range desired {
		if touched[d.Key] {
			r.applied[d.Key] = cloneService(d)
		}
	}
	return ops, nil
}

func cloneService(s Service) Service {
	s.Dests = slices.Clone(s.Dests)
	return s
}

// sameService reports whether two desired services are identical.
func sameService(a, b *Service) bool {
	return a.Key == b.Key && a.Drift == b.Drift && sameParams(a, b) && slices.Equal(a.Dests, b.Dests)
}

// Flush removes services as mode says and returns what it removed.
func (r *Reconciler) Flush(mode FlushMode) ([]Op, error) {
	if mode == FlushNone {
		return nil, nil
	}
	actual, err := r.backend.Services()
	if err != nil {
		return nil, fmt.Errorf("read load-balancer table: %w", err)
	}
	var ops []Op
	for _, a := range actual {
		if mode == FlushAll || r.owned[a.Key] {
			ops = append(ops, Op{Kind: DeleteService, Service: a})
		}
	}
	if len(ops) == 0 {
		return nil, nil
	}
	for _, op := range ops {
		delete(r.applied, op.Service.Key)
	}
	if err := r.backend.Apply(ops); err != nil {
		return ops, fmt.Errorf("flush load-balancer table: %w", err)
	}
	for _, op := range ops {
		delete(r.owned, op.Service.Key)
	}
	return ops, nil
}
