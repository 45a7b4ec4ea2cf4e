package ipvs

// nftables_ipvs (keepalived 2.2.7 check/check_nftables.c): a
// virtual_server_group of address ranges becomes one IPVS fwmark service
// per protocol instead of one service per address; nftables marks the
// packets. Per family with ranges (table families ip and ip6, the table
// named by nftables_ipvs, default keepalived_ipvs):
//
//	table ip keepalived_ipvs {
//	    map tcp_map {
//	        type ipv4_addr . inet_service : mark
//	        flags interval
//	        elements = { 192.0.2.10-192.0.2.19 . 80 : 1000 }
//	    }
//	    chain in {
//	        type filter hook input priority -1; policy accept;
//	        meta l4proto tcp meta mark set ip daddr . tcp dport map @tcp_map counter return
//	    }
//	}
//
// (udp_map and sctp_map likewise.) The whole table is replaced in one
// transaction (add, delete, add again: the table need not exist), so no
// packet sees a half-written one. The ruleset is built as data first
// (markRules), which the unit tests read without a kernel.

import (
	"encoding/binary"
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/lb"
)

// markChain is the chain keepalived names "in".
const markChain = "in"

// markFamily is one table (ip or ip6) of the mark ruleset.
type markFamily struct {
	family nftables.TableFamily
	chain  *nftables.Chain
	maps   []markMap
}

// markMap is one protocol's map with its elements and the rule using it.
type markMap struct {
	set   *nftables.Set
	elems []nftables.SetElement
	rule  []expr.Any
}

var markProtos = []struct {
	p    lb.Proto
	num  byte
	name string
}{{lb.TCP, unix.IPPROTO_TCP, "tcp_map"}, {lb.UDP, unix.IPPROTO_UDP, "udp_map"}, {lb.SCTP, unix.IPPROTO_SCTP, "sctp_map"}}

// markRules builds mt's ruleset: one markFamily per address family that
// has ranges (IPv4 first).
func markRules(mt lb.MarkTable) ([]markFamily, error) {
	var out []markFamily
	for _, fam := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		v6 := fam == nftables.TableFamilyIPv6
		table := &nftables.Table{Name: mt.Name, Family: fam}
		prio := nftables.ChainPriority(mt.Priority)
		policy := nftables.ChainPolicyAccept
		mf := markFamily{family: fam, chain: &nftables.Chain{Name: markChain, Table: table, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookInput, Priority: &prio, Policy: &policy}}
		for _, mp := range markProtos {
			var elems []nftables.SetElement
			for _, r := range mt.Ranges {
				if r.Proto != mp.p || r.First.Is6() != v6 {
					continue
				}
				if !r.First.IsValid() || !r.Last.IsValid() || r.Last.Less(r.First) || r.First.Is6() != r.Last.Is6() {
					return nil, fmt.Errorf("nftables_ipvs: bad range %s-%s", r.First, r.Last)
				}
				elems = append(elems, nftables.SetElement{Key: markKey(r.First.AsSlice(), r.Port),
					KeyEnd: markKey(r.Last.AsSlice(), r.Port), Val: binary.NativeEndian.AppendUint32(nil, r.Mark)})
			}
			if len(elems) == 0 {
				continue
			}
			addrType := nftables.TypeIPAddr
			if v6 {
				addrType = nftables.TypeIP6Addr
			}
			set := &nftables.Set{Table: table, Name: mp.name, IsMap: true, Interval: true, Concatenation: true,
				KeyType: nftables.MustConcatSetType(addrType, nftables.TypeInetService), DataType: nftables.TypeMark}
			mf.maps = append(mf.maps, markMap{set: set, elems: elems, rule: markRule(v6, mp.num, mp.name)})
		}
		if len(mf.maps) > 0 {
			out = append(out, mf)
		}
	}
	return out, nil
}

// markKey is a map key: the address, then the port in network order padded
// to a 4-byte register.
func markKey(addr []byte, port uint16) []byte {
	k := append([]byte{}, addr...)
	return append(k, byte(port>>8), byte(port), 0, 0)
}

// markRule is `meta l4proto P meta mark set ip(6) daddr . th dport map
// @NAME counter return`: the destination address into register 1 (and up),
// the port into the next 32-bit register, the map's mark into the packet.
func markRule(v6 bool, proto byte, mapName string) []expr.Any {
	daddr := &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4}
	portReg := uint32(9) // NFT_REG32_01, after the 4-byte address in NFT_REG32_00
	if v6 {
		daddr = &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 24, Len: 16}
		portReg = 2 // NFT_REG_2, after the 16-byte address in NFT_REG_1
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		daddr,
		&expr.Payload{DestRegister: portReg, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Lookup{SourceRegister: 1, DestRegister: 1, IsDestRegSet: true, SetName: mapName},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1},
		&expr.Counter{},
		&expr.Verdict{Kind: expr.VerdictReturn},
	}
}

// nftConn is a nftables connection in the backend's namespace with the
// command sockets' receive buffer.
func (b *Backend) nftConn() (*nftables.Conn, error) {
	o := []nftables.ConnOption{nftables.WithSockOptions(func(nc *netlinkConn) error {
		return setRcvBuf(nc, b.opts.Cmd)
	})}
	if b.opts.NetNSFd > 0 {
		o = append(o, nftables.WithNetNSFd(b.opts.NetNSFd))
	}
	c, err := nftables.New(o...)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return c, nil
}

// SetMarks replaces nftables_ipvs's table (both families) with mt's
// ruleset, in one transaction (lb.Marker).
func (b *Backend) SetMarks(mt lb.MarkTable) error {
	fams, err := markRules(mt)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.nftConn()
	if err != nil {
		return err
	}
	for _, fam := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		t := &nftables.Table{Name: mt.Name, Family: fam}
		c.AddTable(t)
		c.DelTable(t)
	}
	for _, mf := range fams {
		c.AddTable(mf.chain.Table)
		c.AddChain(mf.chain)
		for _, m := range mf.maps {
			if err := c.AddSet(m.set, m.elems); err != nil {
				return fmt.Errorf("nftables_ipvs: map %s: %w", m.set.Name, err)
			}
			rule := append([]expr.Any(nil), m.rule...)
			for _, e := range rule {
				if l, ok := e.(*expr.Lookup); ok {
					l.SetID = m.set.ID
				}
			}
			c.AddRule(&nftables.Rule{Table: mf.chain.Table, Chain: mf.chain, Exprs: rule})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables_ipvs: write table %s: %w", mt.Name, err)
	}
	return nil
}

// RemoveMarks deletes nftables_ipvs's table name (both families; absent
// ones are fine).
func (b *Backend) RemoveMarks(name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.nftConn()
	if err != nil {
		return err
	}
	for _, fam := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		t := &nftables.Table{Name: name, Family: fam}
		c.AddTable(t)
		c.DelTable(t)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables_ipvs: delete table %s: %w", name, err)
	}
	return nil
}
