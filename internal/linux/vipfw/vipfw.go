// Package vipfw installs keepalived's accept-mode firewall with nftables
// (github.com/google/nftables): while a VRRP instance without accept mode
// is MASTER, packets to and from its virtual addresses are dropped.
//
// The tables are keepalived 2.2.7's (vrrp_nftables.c), so that
// `nft list ruleset` shows the same thing under either daemon:
//
//	table ip NAME {
//		set vips { type ipv4_addr }
//		chain out { type filter hook output priority P; policy accept; ip saddr @vips drop }
//		chain in  { type filter hook input priority P; policy accept; ip daddr @vips drop }
//	}
//	table ip6 NAME {
//		set vips { type ipv6_addr }
//		set neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert } }
//		set vips_link_local { type ipv6_addr . iface_index }     (or vips_link_local_name: ipv6_addr . ifname)
//		chain out { ...output...; icmpv6 type @neighbor-discovery accept; ip6 saddr fe80::/10 goto out_link_local; ip6 saddr @vips drop }
//		chain in  { ...input...;  icmpv6 type @neighbor-discovery accept; ip6 daddr fe80::/10 goto in_link_local;  ip6 daddr @vips drop }
//		chain in_link_local  { ip6 daddr . iif @vips_link_local drop }
//		chain out_link_local { ip6 saddr . oif @vips_link_local drop }
//	}
//
// As in keepalived, a family's table is made the first time one of its
// addresses is to be dropped (a table of the same name left by an earlier
// run is replaced), keeps its empty sets when no address is, and is deleted
// by Remove (at stop). Each change is one netlink batch (atomic).
package vipfw

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Addr is one address whose traffic is dropped. A link-local IPv6
// address is matched with its interface: by index (Ifname empty), or by
// name when ByName.
type Addr struct {
	IP     netip.Addr
	Dev    string // interface, needed for link-local IPv6
	ByName bool   // key the link-local address by interface name
}

// Spec is the firewall wanted.
type Spec struct {
	Table    string
	Priority int
	Counters bool
	Addrs    []Addr
}

// Firewall keeps the kernel's tables equal to the last Spec.
type Firewall struct {
	mu sync.Mutex
	// newConn opens a netlink connection (tests: a namespace's).
	newConn func() (*nftables.Conn, error)
	// ifindex resolves an interface name (tests: a fake).
	ifindex func(string) (int, error)

	table    string // the tables' name ("" before the first Sync)
	priority int
	counters bool
	v4, v6   *famState // nil: that family's table does not exist
}

type famState struct {
	llIndex, llName bool             // the link-local sets exist
	elems           map[elemKey]bool // in the kernel's sets
}

type elemKey struct {
	set string
	key string // the element's bytes
}

// New returns a firewall for the calling process's network namespace.
func New() *Firewall {
	return &Firewall{
		newConn: func() (*nftables.Conn, error) { return nftables.New() },
		ifindex: func(name string) (int, error) {
			ifi, err := net.InterfaceByName(name)
			if err != nil {
				return 0, err
			}
			return ifi.Index, nil
		},
	}
}

// NewInNetNS returns a firewall programming the network namespace open as
// fd (tests), resolving interface names with ifindex.
func NewInNetNS(fd int, ifindex func(string) (int, error)) *Firewall {
	f := New()
	f.newConn = func() (*nftables.Conn, error) { return nftables.New(nftables.WithNetNSFd(fd)) }
	f.ifindex = ifindex
	return f
}

// element is one set element wanted.
type element struct {
	v6  bool
	set string
	key []byte
}

func (f *Firewall) elements(s Spec) ([]element, error) {
	var out []element
	var errs error
	for _, a := range s.Addrs {
		ip := a.IP.Unmap()
		switch {
		case ip.Is4():
			out = append(out, element{set: "vips", key: ip.AsSlice()})
		case !ip.IsLinkLocalUnicast():
			out = append(out, element{v6: true, set: "vips", key: ip.AsSlice()})
		case a.ByName:
			name := make([]byte, unix.IFNAMSIZ)
			copy(name, a.Dev)
			out = append(out, element{v6: true, set: "vips_link_local_name", key: append(ip.AsSlice(), name...)})
		default:
			idx, err := f.ifindex(a.Dev)
			if err != nil {
				errs = errors.Join(errs, fmt.Errorf("link-local %s on %s: %w", ip, a.Dev, err))
				continue
			}
			out = append(out, element{v6: true, set: "vips_link_local", key: append(ip.AsSlice(), binaryutil.NativeEndian.PutUint32(uint32(idx))...)})
		}
	}
	return out, errs
}

// Sync makes the tables drop exactly s.Addrs. An address it cannot place
// (a link-local one on a missing interface) is reported, the rest applied.
func (f *Firewall) Sync(s Spec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	want, errs := f.elements(s)
	c, err := f.newConn()
	if err != nil {
		return errors.Join(errs, err)
	}
	if f.table != "" && (f.table != s.Table || f.priority != s.Priority || f.counters != s.Counters) {
		// Another table or other chains (a reload): start again.
		f.deleteTables(c)
		if err := c.Flush(); err != nil {
			return errors.Join(errs, fmt.Errorf("delete nftables table %s: %w", f.table, err))
		}
	}
	if f.table != s.Table {
		// First use of this name: replace what an earlier run left.
		for _, fam := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
			t := &nftables.Table{Name: s.Table, Family: fam}
			c.AddTable(t)
			c.DelTable(t)
		}
	}
	f.table, f.priority, f.counters = s.Table, s.Priority, s.Counters

	for _, v6 := range []bool{false, true} {
		st := &f.v4
		if v6 {
			st = &f.v6
		}
		var mine []element
		for _, e := range want {
			if e.v6 == v6 {
				mine = append(mine, e)
			}
		}
		if *st == nil && len(mine) == 0 {
			continue
		}
		if *st == nil {
			*st = &famState{elems: map[elemKey]bool{}}
			f.build(c, v6)
		}
		fs := *st
		for _, e := range mine {
			if e.set == "vips_link_local" && !fs.llIndex {
				f.buildLinkLocal(c, false)
				fs.llIndex = true
			}
			if e.set == "vips_link_local_name" && !fs.llName {
				f.buildLinkLocal(c, true)
				fs.llName = true
			}
		}
		wanted := map[elemKey]bool{}
		for _, e := range mine {
			wanted[elemKey{e.set, string(e.key)}] = true
		}
		var adds, dels []elemKey
		for k := range wanted {
			if !fs.elems[k] {
				adds = append(adds, k)
			}
		}
		for k := range fs.elems {
			if !wanted[k] {
				dels = append(dels, k)
			}
		}
		if err := f.changeElems(c, v6, adds, dels); err != nil {
			return errors.Join(errs, err)
		}
		fs.elems = wanted
	}
	if err := c.Flush(); err != nil {
		// The kernel's state is unknown: rebuild next time.
		f.table, f.v4, f.v6 = "", nil, nil
		return errors.Join(errs, fmt.Errorf("nftables table %s: %w", s.Table, err))
	}
	return errs
}

// Remove deletes the tables Sync made.
func (f *Firewall) Remove() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.v4 == nil && f.v6 == nil {
		f.table = ""
		return nil
	}
	c, err := f.newConn()
	if err != nil {
		return err
	}
	f.deleteTables(c)
	err = c.Flush()
	f.table, f.v4, f.v6 = "", nil, nil
	return err
}

func (f *Firewall) deleteTables(c *nftables.Conn) {
	if f.v4 != nil {
		c.DelTable(&nftables.Table{Name: f.table, Family: nftables.TableFamilyIPv4})
	}
	if f.v6 != nil {
		c.DelTable(&nftables.Table{Name: f.table, Family: nftables.TableFamilyIPv6})
	}
	f.v4, f.v6 = nil, nil
}

func (f *Firewall) tableOf(v6 bool) *nftables.Table {
	if v6 {
		return &nftables.Table{Name: f.table, Family: nftables.TableFamilyIPv6}
	}
	return &nftables.Table{Name: f.table, Family: nftables.TableFamilyIPv4}
}

func (f *Firewall) setOf(v6 bool, name string) *nftables.Set {
	s := &nftables.Set{Table: f.tableOf(v6), Name: name, KeyType: nftables.TypeIPAddr}
	switch name {
	case "vips":
		if v6 {
			s.KeyType = nftables.TypeIP6Addr
		}
	case "vips_link_local":
		s.KeyType = nftables.MustConcatSetType(nftables.TypeIP6Addr, nftables.TypeIFIndex)
		s.Concatenation = true
	case "vips_link_local_name":
		s.KeyType = nftables.MustConcatSetType(nftables.TypeIP6Addr, nftables.TypeIFName)
		s.Concatenation = true
	}
	return s
}

func (f *Firewall) changeElems(c *nftables.Conn, v6 bool, adds, dels []elemKey) error {
	bySet := func(ks []elemKey) (names []string, m map[string][]nftables.SetElement) {
		m = map[string][]nftables.SetElement{}
		for _, k := range ks {
			if _, ok := m[k.set]; !ok {
				names = append(names, k.set)
			}
			m[k.set] = append(m[k.set], nftables.SetElement{Key: []byte(k.key)})
		}
		slices.Sort(names)
		return names, m
	}
	names, m := bySet(dels)
	for _, n := range names {
		if err := c.SetDeleteElements(f.setOf(v6, n), m[n]); err != nil {
			return err
		}
	}
	names, m = bySet(adds)
	for _, n := range names {
		if err := c.SetAddElements(f.setOf(v6, n), m[n]); err != nil {
			return err
		}
	}
	return nil
}

// Expressions.

const (
	offSrc4, offDst4 = 12, 16
	offSrc6, offDst6 = 8, 24
)

func load(off, n uint32, reg uint32) expr.Any {
	return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n}
}

func (f *Firewall) rule(c *nftables.Conn, v6 bool, chain string, e ...expr.Any) {
	// keepalived puts the counter before the verdict.
	if f.counters {
		e = slices.Insert(e, len(e)-1, expr.Any(&expr.Counter{}))
	}
	c.AddRule(&nftables.Rule{Table: f.tableOf(v6), Chain: &nftables.Chain{Name: chain, Table: f.tableOf(v6)}, Exprs: e})
}

func drop() expr.Any   { return &expr.Verdict{Kind: expr.VerdictDrop} }
func accept() expr.Any { return &expr.Verdict{Kind: expr.VerdictAccept} }

// build makes a family's table, base chains, sets and rules.
func (f *Firewall) build(c *nftables.Conn, v6 bool) {
	t := c.AddTable(f.tableOf(v6))
	prio := nftables.ChainPriorityRef(nftables.ChainPriority(f.priority))
	pol := nftables.ChainPolicyAccept
	c.AddChain(&nftables.Chain{Name: "out", Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookOutput, Priority: prio, Policy: &pol})
	c.AddChain(&nftables.Chain{Name: "in", Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookInput, Priority: prio, Policy: &pol})
	vips := f.setOf(v6, "vips")
	_ = c.AddSet(vips, nil) // errors only for element or type misuse, not here
	if !v6 {
		f.rule(c, v6, "in", load(offDst4, 4, 1), &expr.Lookup{SourceRegister: 1, SetName: "vips"}, drop())
		f.rule(c, v6, "out", load(offSrc4, 4, 1), &expr.Lookup{SourceRegister: 1, SetName: "vips"}, drop())
		return
	}
	c.AddChain(&nftables.Chain{Name: "in_link_local", Table: t})
	c.AddChain(&nftables.Chain{Name: "out_link_local", Table: t})
	nd := &nftables.Set{Table: t, Name: "neighbor-discovery", KeyType: nftables.TypeICMP6Type, Constant: true}
	_ = c.AddSet(nd, []nftables.SetElement{{Key: []byte{ndNeighborSolicit}}, {Key: []byte{ndNeighborAdvert}}})
	icmpND := []expr.Any{
		load(6, 1, 1), &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_ICMPV6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
		&expr.Lookup{SourceRegister: 1, SetName: "neighbor-discovery"},
		accept(),
	}
	linkLocal := func(off uint32, chain string) []expr.Any {
		mask := netip.MustParseAddr("ffc0::").AsSlice()
		return []expr.Any{
			load(off, 16, 1),
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 16, Mask: mask, Xor: make([]byte, 16)},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: netip.MustParseAddr("fe80::").AsSlice()},
			&expr.Verdict{Kind: expr.VerdictGoto, Chain: chain},
		}
	}
	f.rule(c, v6, "in", icmpND...)
	f.rule(c, v6, "in", linkLocal(offDst6, "in_link_local")...)
	f.rule(c, v6, "out", icmpND...)
	f.rule(c, v6, "out", linkLocal(offSrc6, "out_link_local")...)
	f.rule(c, v6, "in", load(offDst6, 16, 1), &expr.Lookup{SourceRegister: 1, SetName: "vips"}, drop())
	f.rule(c, v6, "out", load(offSrc6, 16, 1), &expr.Lookup{SourceRegister: 1, SetName: "vips"}, drop())
}

// buildLinkLocal makes the link-local set (by index or by name) and its
// two rules.
func (f *Firewall) buildLinkLocal(c *nftables.Conn, byName bool) {
	name, in, out := "vips_link_local", expr.MetaKeyIIF, expr.MetaKeyOIF
	if byName {
		name, in, out = "vips_link_local_name", expr.MetaKeyIIFNAME, expr.MetaKeyOIFNAME
	}
	_ = c.AddSet(f.setOf(true, name), nil)
	f.rule(c, true, "in_link_local", load(offDst6, 16, 1), &expr.Meta{Key: in, Register: 2}, &expr.Lookup{SourceRegister: 1, SetName: name}, drop())
	f.rule(c, true, "out_link_local", load(offSrc6, 16, 1), &expr.Meta{Key: out, Register: 2}, &expr.Lookup{SourceRegister: 1, SetName: name}, drop())
}

// ICMPv6 neighbor discovery types (RFC 4861) the IPv6 table lets through.
const (
	ndNeighborSolicit = 135
	ndNeighborAdvert  = 136
)
