// Package nft is the nftables backend of internal/lb (through
// github.com/google/nftables): NAT-mode load balancing in its own table,
// `inet gokeepalived`, for kernels without IPVS.
//
// Layout, per virtual service (see build in rules.go):
//
//	chain prerouting, output (nat, dstnat)  one rule per service: match VIP:port/proto or fwmark → jump vs-<id>
//	chain vs-<id>                            counter (comment: the service's parameters),
//	                                         [persistence rules], scheduler rule (numgen or jhash → anonymous
//	                                         slot map → dnat), or reject when no destination is live
//	set   vs-<id>-d                          inventory: every destination with comment "weight=N", and an
//	                                         all-zero element whose comment holds the service's parameters
//	set   vs-<id>-c-<addr>-<port>            when persistent, per live destination: its clients (masked
//	                                         saddr; dynamic, timeout); a rule per destination in vs-<id>
//	                                         sends a known client there and restarts its timeout
//	chain vs-<id>-r-<addr>-<port>            when persistent: the scheduler's vmap goes here: add the
//	                                         client to the destination's set, dnat
//
// Persistent rules use only packet fields and constants as set keys and
// data: nft 1.0.6 aborts listing the whole ruleset (netlink_parse_concat_expr)
// when a map lookup's result feeds another lookup or a set update.
//
// Reconciling rewrites a changed service's chain and sets in one netlink
// batch (atomic), keeping the client sets of destinations that stay live;
// Apply reads back the rules of only the services it changes. Services
// reads everything back (ServicesByKey only some services) and marks a
// service Drift when the kernel objects are not exactly what build would
// write (rules deleted or edited, slot map changed).
//
// Only the nat hooks are used: the first packet of a connection is
// scheduled, conntrack carries the rest, so weight 0 (or removal) stops new
// connections only. NAT mode needs the real servers to route replies back
// through the director, as with IPVS NAT.
package nft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/lb"
)

// DefaultTable is the table the backend owns.
const DefaultTable = "gokeepalived"

// Options configure a Backend.
type Options struct {
	// Table is the inet table's name (default "gokeepalived").
	Table string
	// NetNS, if > 0, is a network-namespace file descriptor to program
	// instead of the calling thread's namespace.
	NetNS int
	// Cmd is the nftables sockets' receive buffer
	// (lvs_netlink_cmd_rcv_bufs; zero: 64 MiB, forced, for big batches'
	// acknowledgements); Monitor the conntrack socket's
	// (lvs_netlink_monitor_rcv_bufs; zero: the kernel's default).
	Cmd, Monitor lb.RcvBuf
}

// Backend is an lb.Backend over one nftables table.
type Backend struct {
	opts  Options
	table *nftables.Table
	mu    sync.Mutex
	// tally counts connections per real server (conntrack; tests
	// replace it).
	tally func() (map[connKey]Load, error)
}

// New returns a backend; it opens nothing until used.
func New(opts Options) *Backend {
	if opts.Table == "" {
		opts.Table = DefaultTable
	}
	b := &Backend{opts: opts, table: &nftables.Table{Name: opts.Table, Family: nftables.TableFamilyINet}}
	b.tally = b.conntrackTally
	return b
}

func (b *Backend) conn() (*nftables.Conn, error) { return b.connSeeing(nil) }

// connSeeing is conn; seen, if set, gets the socket's SO_RCVBUF.
func (b *Backend) connSeeing(seen *int) (*nftables.Conn, error) {
	cmd := b.opts.Cmd
	// A batch holds every changed service (all elements of 100 services
	// of 100 servers is ~1.5 MB): the default send buffer refuses it
	// (EMSGSIZE) and its acks overflow the receive buffer (ENOBUFS), so force
	// big ones (root; otherwise keep the defaults).
	o := []nftables.ConnOption{nftables.WithSockOptions(func(nc *netlink.Conn) error {
		rc, err := nc.SyscallConn()
		if err != nil {
			return nil
		}
		var serr error
		_ = rc.Control(func(fd uintptr) {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sendBuffer)
			switch {
			case cmd.Bytes <= 0:
				_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, sendBuffer) // the acks
			case cmd.Force:
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, cmd.Bytes)
			default:
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, cmd.Bytes)
			}
			if seen != nil {
				*seen, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
			}
		})
		if serr != nil {
			return fmt.Errorf("nftables socket receive buffer %d bytes: %w", cmd.Bytes, serr)
		}
		return nil
	})}
	if b.opts.NetNS > 0 {
		o = append(o, nftables.WithNetNSFd(b.opts.NetNS))
	}
	c, err := nftables.New(o...)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return c, nil
}

// state is the table as read back.
type state struct {
	exists bool
	chains map[string]*nftables.Chain
	rules  map[string][]*nftables.Rule
	sets   map[string]*nftables.Set
}

// read reads the table back: every chain and set, and the rules of the
// base chains and of the chains of keys (of every chain when keys is nil).
func (b *Backend) read(c *nftables.Conn, keys []lb.Key) (*state, error) {
	var prefixes []string
	for _, k := range keys {
		prefixes = append(prefixes, nameOf(k).chain)
	}
	wanted := func(chain string) bool {
		if keys == nil || slices.Contains(baseChains, chain) {
			return true
		}
		for _, p := range prefixes {
			if chain == p || strings.HasPrefix(chain, p+"-") {
				return true
			}
		}
		return false
	}
	st := &state{chains: map[string]*nftables.Chain{}, rules: map[string][]*nftables.Rule{}, sets: map[string]*nftables.Set{}}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, fmt.Errorf("nftables: list tables: %w", err)
	}
	for _, t := range tables {
		if t.Name == b.opts.Table {
			st.exists = true
		}
	}
	if !st.exists {
		return st, nil
	}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, fmt.Errorf("nftables: list chains: %w", err)
	}
	for _, ch := range chains {
		if ch.Table.Name != b.opts.Table {
			continue
		}
		st.chains[ch.Name] = ch
		if !wanted(ch.Name) {
			continue
		}
		rs, err := c.GetRules(b.table, ch)
		if err != nil {
			return nil, fmt.Errorf("nftables: list rules of %s: %w", ch.Name, err)
		}
		st.rules[ch.Name] = rs
	}
	sets, err := c.GetSets(b.table)
	if err != nil {
		return nil, fmt.Errorf("nftables: list sets: %w", err)
	}
	for _, s := range sets {
		st.sets[s.Name] = s
	}
	return st, nil
}

// clientSetSize bounds each destination's persistent clients (the kernel
// default, 65535, is small for a busy service; a full set only stops
// recording, the connection is still scheduled).
const clientSetSize = 1 << 20

// sendBuffer is the netlink send buffer for batches.
const sendBuffer = 64 << 20

var baseChains = []string{"prerouting", "output"}

// Services reads back every service in the table.
func (b *Backend) Services() ([]lb.Service, error) {
	return b.services(nil)
}

// ServicesByKey reads back only the services of keys (those that exist):
// their chains, sets and the base chains' rules (lb.KeyedBackend).
func (b *Backend) ServicesByKey(keys []lb.Key) ([]lb.Service, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	return b.services(keys)
}

func (b *Backend) services(keys []lb.Key) ([]lb.Service, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.conn()
	if err != nil {
		return nil, err
	}
	st, err := b.read(c, keys)
	if err != nil {
		return nil, err
	}
	var names []string
	if keys == nil {
		for name := range st.sets {
			if strings.HasPrefix(name, "vs-") && strings.HasSuffix(name, "-d") {
				names = append(names, name)
			}
		}
	} else {
		for _, k := range keys {
			names = append(names, nameOf(k).dests)
		}
	}
	var out []lb.Service
	for _, name := range names {
		set := st.sets[name]
		if set == nil {
			continue
		}
		els, err := c.GetSetElements(set)
		if err != nil {
			return nil, fmt.Errorf("nftables: read set %s: %w", name, err)
		}
		s, ok := serviceOf(set, els)
		if !ok || nameOf(s.Key).dests != name {
			continue // not ours to understand; a reload rewrites it if desired
		}
		if d := b.verify(c, st, s); d != "" && s.Drift == "" {
			s.Drift = d
		}
		out = append(out, s)
	}
	lb.SortServices(out)
	return out, nil
}

// serviceOf decodes the inventory set: the all-zero element's comment holds
// the service's parameters, every other element is a destination with its
// weight in the comment.
func serviceOf(set *nftables.Set, els []nftables.SetElement) (lb.Service, bool) {
	var s lb.Service
	found := false
	for _, e := range els {
		if isZero(e.Key) {
			p, err := parseParams(e.Comment)
			if err != nil {
				return s, false
			}
			s, found = p, true
		}
	}
	if !found {
		return s, false
	}
	port := set.KeyType.Bytes > 16 || (s.Family == lb.Inet && set.KeyType.Bytes == 8)
	for _, e := range els {
		if isZero(e.Key) {
			continue
		}
		ap, err := decodeDest(s.Family, port, e.Key)
		if err != nil {
			s.Drift = err.Error()
			continue
		}
		w, err := parseDestComment(e.Comment)
		if err != nil {
			s.Drift = fmt.Sprintf("element %s: %v", ap, err)
		}
		s.Dests = append(s.Dests, lb.Dest{Addr: ap.Addr(), Port: ap.Port(), Weight: w, Method: lb.NAT})
	}
	lb.SortDests(s.Dests)
	return s, true
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return len(b) > 0
}

// verify compares the kernel objects of s with what build writes and says
// what differs ("" when nothing does).
func (b *Backend) verify(c *nftables.Conn, st *state, s lb.Service) string {
	p := build(s)
	for _, bc := range baseChains {
		r := findRule(st.rules[bc], p.n.chain)
		if r == nil {
			return fmt.Sprintf("no rule in chain %s jumps to %s", bc, p.n.chain)
		}
		if got, want := exprKinds(r.Exprs), exprKinds(dispatch(s, p.n)); got != want {
			return fmt.Sprintf("dispatch rule in %s changed", bc)
		}
	}
	rules := st.rules[p.n.chain]
	if len(rules) != len(p.rules) {
		return fmt.Sprintf("chain %s has %d rules, want %d", p.n.chain, len(rules), len(p.rules))
	}
	for i, pr := range p.rules {
		r := rules[i]
		if commentOf(r) != pr.comment || exprKinds(r.Exprs) != exprKinds(pr.exprs) {
			return fmt.Sprintf("chain %s rule %d (%s) changed", p.n.chain, i, pr.comment)
		}
		if !pr.usesMap {
			continue
		}
		lk := st.sets[mapName(r)]
		if lk == nil {
			return fmt.Sprintf("chain %s: scheduler map missing", p.n.chain)
		}
		els, err := c.GetSetElements(lk)
		if err != nil {
			return fmt.Sprintf("chain %s: read scheduler map: %v", p.n.chain, err)
		}
		if s.Persistence > 0 {
			for i := range els {
				els[i].VerdictData = &expr.Verdict{Chain: verdictChain(els[i].Val)}
			}
		}
		if connSched(s.Scheduler) {
			// The plan follows connection counts: any plan over the
			// live destinations is right.
			if !planOf(s, els) {
				return fmt.Sprintf("chain %s: scheduler map differs", p.n.chain)
			}
			continue
		}
		if !sameElements(els, slotElements(s, p.slots)) {
			return fmt.Sprintf("chain %s: scheduler map differs", p.n.chain)
		}
	}
	for _, dc := range p.destChains {
		if st.sets[dc.set] == nil {
			return fmt.Sprintf("persistence set %s missing", dc.set)
		}
		rs := st.rules[dc.name]
		if len(rs) != len(dc.rules) {
			return fmt.Sprintf("chain %s changed", dc.name)
		}
		for i, r := range rs {
			if exprKinds(r.Exprs) != exprKinds(dc.rules[i]) {
				return fmt.Sprintf("chain %s changed", dc.name)
			}
		}
	}
	return ""
}

// verdictChain is the chain of a verdict map element's data as read back
// (NFTA_VERDICT_CODE, NFTA_VERDICT_CHAIN attributes), or "".
func verdictChain(b []byte) string {
	for len(b) >= 4 {
		n := int(binary.NativeEndian.Uint16(b))
		typ := binary.NativeEndian.Uint16(b[2:]) &^ (1<<15 | 1<<14)
		if n < 4 || n > len(b) {
			return ""
		}
		if typ == unix.NFTA_VERDICT_CHAIN {
			return strings.TrimRight(string(b[4:n]), "\x00")
		}
		n = (n + 3) &^ 3
		if n > len(b) {
			return ""
		}
		b = b[n:]
	}
	return ""
}

func mapName(r *nftables.Rule) string {
	for _, e := range r.Exprs {
		if l, ok := e.(*lookupExpr); ok && l.IsDestRegSet && strings.HasPrefix(l.SetName, "__") {
			return l.SetName
		}
	}
	return ""
}

func findRule(rs []*nftables.Rule, comment string) *nftables.Rule {
	for _, r := range rs {
		if commentOf(r) == comment {
			return r
		}
	}
	return nil
}

func sameElements(a, b []nftables.SetElement) bool {
	key := func(e nftables.SetElement) string {
		if v := e.VerdictData; v != nil {
			return string(e.Key) + "\x00" + v.Chain
		}
		return string(e.Key) + "\x00" + string(e.Val)
	}
	ka := make([]string, len(a))
	kb := make([]string, len(b))
	for i := range a {
		ka[i] = key(a[i])
	}
	for i := range b {
		kb[i] = key(b[i])
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}

// owned lists the chains and sets of k besides its chain and inventory
// set: a persistent service's per-destination chains and client sets.
func (st *state) owned(n names) (chains, sets []string) {
	pre := n.chain + "-"
	for name := range st.chains {
		if strings.HasPrefix(name, pre) {
			chains = append(chains, name)
		}
	}
	for name := range st.sets {
		if strings.HasPrefix(name, pre) && name != n.dests {
			sets = append(sets, name)
		}
	}
	slices.Sort(chains)
	slices.Sort(sets)
	return chains, sets
}

// Apply rewrites every service an op touches, all in one batch, reading
// back only those services' objects (and the base chains). The final op for
// a service decides: delete it, or make it equal to op.Service.
func (b *Backend) Apply(ops []lb.Op) error {
	type change struct {
		del bool
		svc lb.Service
	}
	if len(ops) == 0 {
		return nil
	}
	var order []lb.Key
	final := map[lb.Key]change{}
	for _, op := range ops {
		if _, seen := final[op.Service.Key]; !seen {
			order = append(order, op.Service.Key)
		}
		final[op.Service.Key] = change{del: op.Kind == lb.DeleteService, svc: op.Service}
	}
	var errs []error
	for _, k := range order {
		if ch := final[k]; !ch.del {
			if err := Check(ch.svc); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.conn()
	if err != nil {
		return err
	}
	st, err := b.read(c, order)
	if err != nil {
		return err
	}
	adding := false
	for _, k := range order {
		adding = adding || !final[k].del
	}
	if !st.exists && !adding {
		return nil
	}
	c.AddTable(b.table)
	for _, name := range baseChains {
		if st.chains[name] == nil {
			hook := nftables.ChainHookPrerouting
			if name == "output" {
				hook = nftables.ChainHookOutput
			}
			c.AddChain(&nftables.Chain{Name: name, Table: b.table, Type: nftables.ChainTypeNAT,
				Hooknum: hook, Priority: nftables.ChainPriorityNATDest})
		}
	}
	var tally map[connKey]Load
	for _, k := range order {
		if ch := final[k]; !ch.del && connSched(ch.svc.Scheduler) && tally == nil {
			// Without counts (no conntrack yet) the plan starts from
			// zero loads; Balance corrects it.
			tally, _ = b.tally()
		}
	}
	for _, k := range order {
		ch := final[k]
		if ch.del {
			b.remove(c, st, ch.svc.Key)
		} else if err := b.write(c, st, ch.svc, tally); err != nil {
			return err
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: commit batch for %d services: %w", len(order), err)
	}
	return nil
}

func (b *Backend) remove(c *nftables.Conn, st *state, k lb.Key) {
	n := nameOf(k)
	for _, bc := range baseChains {
		for _, r := range st.rules[bc] {
			if commentOf(r) == n.chain {
				_ = c.DelRule(r)
			}
		}
	}
	chains, sets := st.owned(n)
	for _, name := range append([]string{n.chain}, chains...) {
		if ch := st.chains[name]; ch != nil {
			c.FlushChain(ch)
		}
	}
	for _, name := range append([]string{n.chain}, chains...) {
		if ch := st.chains[name]; ch != nil {
			c.DelChain(ch)
		}
	}
	for _, name := range append([]string{n.dests}, sets...) {
		if set := st.sets[name]; set != nil {
			c.DelSet(set)
		}
	}
}

func (b *Backend) write(c *nftables.Conn, st *state, s lb.Service, tally map[connKey]Load) error {
	p := buildWith(s, loadsOf(s, tally))
	n := p.n
	chain := st.chains[n.chain]
	if chain != nil {
		c.FlushChain(chain)
	} else {
		chain = c.AddChain(&nftables.Chain{Name: n.chain, Table: b.table})
	}

	dt := destType(s)
	zero := lb.Dest{Addr: netip.IPv4Unspecified()}
	if s.Family == lb.Inet6 {
		zero.Addr = netip.IPv6Unspecified()
	}
	dests := []nftables.SetElement{{Key: destBytes(s, zero), Comment: paramsComment(s)}}
	for _, d := range s.Dests {
		dests = append(dests, nftables.SetElement{Key: destBytes(s, d), Comment: destComment(d)})
	}
	if err := b.replaceSet(c, st, &nftables.Set{Table: b.table, Name: n.dests, KeyType: dt}, dests, false); err != nil {
		return err
	}
	// Persistent services: a client set and a chain per live destination
	// (existing sets keep their clients); objects of destinations no
	// longer live go, after the rules that referenced them.
	wantChain, wantSet := map[string]bool{}, map[string]bool{}
	for _, dc := range p.destChains {
		wantChain[dc.name], wantSet[dc.set] = true, true
		cs := &nftables.Set{Table: b.table, Name: dc.set, KeyType: addrType(s.Family), HasTimeout: true, Timeout: s.Persistence,
			Dynamic: true, Size: clientSetSize}
		if err := b.replaceSet(c, st, cs, nil, true); err != nil {
			return err
		}
		ch := st.chains[dc.name]
		if ch != nil {
			c.FlushChain(ch)
		} else {
			ch = c.AddChain(&nftables.Chain{Name: dc.name, Table: b.table})
		}
		for _, e := range dc.rules {
			c.AddRule(&nftables.Rule{Table: b.table, Chain: ch, Exprs: e, UserData: comment(dc.name)})
		}
	}
	var anon *nftables.Set
	if len(p.slots) > 0 {
		vt := dt
		if s.Persistence > 0 {
			vt = nftables.TypeVerdict
		}
		anon = &nftables.Set{Table: b.table, Anonymous: true, Constant: true, IsMap: true,
			KeyType: nftables.TypeInteger, DataType: vt, KeyByteOrder: binaryutil.NativeEndian}
		if err := c.AddSet(anon, slotElements(s, p.slots)); err != nil {
			return fmt.Errorf("nftables: %s scheduler map: %w", s.Key, err)
		}
	}
	for _, pr := range p.rules {
		if pr.usesMap {
			for _, e := range pr.exprs {
				if l, ok := e.(*lookupExpr); ok && l.IsDestRegSet && l.SetName == "" {
					l.SetName, l.SetID = anon.Name, anon.ID
				}
			}
		}
		c.AddRule(&nftables.Rule{Table: b.table, Chain: chain, Exprs: pr.exprs, UserData: comment(pr.comment)})
	}
	chains, sets := st.owned(n)
	for _, name := range chains {
		if !wantChain[name] {
			c.FlushChain(st.chains[name])
			c.DelChain(st.chains[name])
		}
	}
	for _, name := range sets {
		if !wantSet[name] {
			c.DelSet(st.sets[name])
		}
	}
	// Dispatch rules (after the chain they jump to): keep them when intact.
	want := dispatch(s, n)
	for _, bc := range baseChains {
		r := findRule(st.rules[bc], n.chain)
		if r != nil && exprKinds(r.Exprs) == exprKinds(want) {
			continue
		}
		if r != nil {
			_ = c.DelRule(r)
		}
		c.AddRule(&nftables.Rule{Table: b.table, Chain: &nftables.Chain{Name: bc, Table: b.table}, Exprs: dispatch(s, n), UserData: comment(n.chain)})
	}
	return nil
}

// replaceSet makes the named set hold exactly els. A set of another shape
// is deleted and created again; with keep, an existing set of the same
// shape keeps its elements (the persistence map).
func (b *Backend) replaceSet(c *nftables.Conn, st *state, want *nftables.Set, els []nftables.SetElement, keep bool) error {
	if cur := st.sets[want.Name]; cur != nil {
		same := cur.KeyType.Bytes == want.KeyType.Bytes && cur.IsMap == want.IsMap &&
			cur.DataType.Bytes == want.DataType.Bytes && cur.Timeout == want.Timeout
		if same {
			if keep {
				return nil
			}
			c.FlushSet(cur)
			if len(els) > 0 {
				if err := c.SetAddElements(cur, els); err != nil {
					return fmt.Errorf("nftables: set %s: %w", want.Name, err)
				}
			}
			return nil
		}
		c.DelSet(cur)
	}
	if err := c.AddSet(want, els); err != nil {
		return fmt.Errorf("nftables: set %s: %w", want.Name, err)
	}
	return nil
}

// Flush deletes the whole table (lvs_flush for this backend).
func (b *Backend) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.conn()
	if err != nil {
		return err
	}
	st, err := b.read(c, []lb.Key{})
	if err != nil || !st.exists {
		return err
	}
	c.DelTable(b.table)
	return c.Flush()
}

// planOf reports whether a connection-count service's scheduler map is a
// plan over its live destinations: planSlots slots, each naming one.
func planOf(s lb.Service, els []nftables.SetElement) bool {
	live := map[string]bool{}
	for _, d := range s.Dests {
		if d.Weight > 0 {
			e := slotElements(s, []int{slices.Index(s.Dests, d)})[0]
			if e.VerdictData != nil {
				live[e.VerdictData.Chain] = true
			} else {
				live[string(e.Val)] = true
			}
		}
	}
	if len(els) != planSlots {
		return false
	}
	for _, e := range els {
		k := string(e.Val)
		if e.VerdictData != nil {
			k = e.VerdictData.Chain
		}
		if !live[k] {
			return false
		}
	}
	return true
}

// BalanceInterval is how often the director calls Balance when a service
// uses a connection-count scheduler (lc, wlc, sed, nq).
const BalanceInterval = 500 * time.Millisecond

// Balances reports whether Balance re-plans services of scheduler.
func (b *Backend) Balances(scheduler string) bool { return connSched(scheduler) }

// BalanceEvery is BalanceInterval.
func (b *Backend) BalanceEvery() time.Duration { return BalanceInterval }

// Balance re-plans the scheduler map of every connection-count service
// from the current conntrack counts, rewriting (atomically, one batch) only
// the services whose plan changed. It reports how many it rewrote.
func (b *Backend) Balance() (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.conn()
	if err != nil {
		return 0, err
	}
	st, err := b.read(c, nil)
	if err != nil || !st.exists {
		return 0, err
	}
	var tally map[connKey]Load
	changed := 0
	for name, set := range st.sets {
		if !strings.HasPrefix(name, "vs-") || !strings.HasSuffix(name, "-d") {
			continue
		}
		els, err := c.GetSetElements(set)
		if err != nil {
			return changed, fmt.Errorf("nftables: read set %s: %w", name, err)
		}
		s, ok := serviceOf(set, els)
		if !ok || s.Drift != "" || !connSched(s.Scheduler) || nameOf(s.Key).dests != name {
			continue
		}
		if tally == nil {
			if tally, err = b.tally(); err != nil {
				return changed, fmt.Errorf("conntrack counts: %w", err)
			}
		}
		p := buildWith(s, loadsOf(s, tally))
		r := findRule(st.rules[p.n.chain], "schedule "+s.Scheduler)
		if r == nil || len(p.slots) == 0 {
			continue // no live destination, or not ours: the reconciler repairs
		}
		cur := st.sets[mapName(r)]
		if cur == nil {
			continue
		}
		have, err := c.GetSetElements(cur)
		if err != nil {
			return changed, fmt.Errorf("nftables: read scheduler map of %s: %w", s.Key, err)
		}
		if s.Persistence > 0 {
			for i := range have {
				have[i].VerdictData = &expr.Verdict{Chain: verdictChain(have[i].Val)}
			}
		}
		if sameOrder(have, slotElements(s, p.slots)) {
			continue
		}
		if err := b.write(c, st, s, tally); err != nil {
			return changed, err
		}
		changed++
	}
	if changed == 0 {
		return 0, nil
	}
	if err := c.Flush(); err != nil {
		return 0, fmt.Errorf("nftables: rewrite %d scheduler plans: %w", changed, err)
	}
	return changed, nil
}

// sameOrder reports whether two maps give every slot the same destination.
func sameOrder(a, b []nftables.SetElement) bool {
	val := func(els []nftables.SetElement) map[string]string {
		m := make(map[string]string, len(els))
		for _, e := range els {
			v := string(e.Val)
			if e.VerdictData != nil {
				v = e.VerdictData.Chain
			}
			m[string(e.Key)] = v
		}
		return m
	}
	va, vb := val(a), val(b)
	if len(va) != len(vb) {
		return false
	}
	for k, v := range va {
		if vb[k] != v {
			return false
		}
	}
	return true
}

// SetRcvBufs sets the receive buffers of the sockets opened from now on
// (lb.RcvBufSetter; every operation opens its own).
func (b *Backend) SetRcvBufs(cmd, monitor lb.RcvBuf) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.opts.Cmd, b.opts.Monitor = cmd, monitor
	return nil
}

// RcvBufs opens a command socket and a conntrack socket as the backend
// does and reads back their SO_RCVBUF (the kernel reports twice what was
// set, for its bookkeeping).
func (b *Backend) RcvBufs() (cmd, monitor int, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.connSeeing(&cmd)
	if err != nil {
		return 0, 0, err
	}
	if _, err := c.ListTablesOfFamily(nftables.TableFamilyINet); err != nil {
		return 0, 0, err
	}
	h, err := b.conntrackHandle()
	if err != nil {
		return 0, 0, err
	}
	defer h.Close()
	sizes, err := h.GetSocketReceiveBufferSize()
	if err != nil || len(sizes) == 0 {
		return 0, 0, fmt.Errorf("conntrack socket: %v", err)
	}
	return cmd, sizes[0], nil
}
