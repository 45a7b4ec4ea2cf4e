package nft

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/lb"
)

// Registers: NFT_REG_1 (16 bytes) holds the chosen destination (address,
// then the port in the next 32-bit register), NFT_REG_3 the persistence key.
const (
	regDest     = 1
	regKey      = 3
	regPort4    = 9  // NFT_REG32_01: after a 4-byte IPv4 address
	regPort6    = 12 // NFT_REG32_04: after a 16-byte IPv6 address
	dynsetOpDel = 2  // NFT_DYNSET_OP_DELETE (kernel >= 5.16)
	commentTag  = "gokeepalived"
)

// names of a service's objects.
type names struct {
	id, chain, dests string
}

func nameOf(k lb.Key) names {
	var id string
	if k.FWMark != 0 {
		id = fmt.Sprintf("fwm%d-%s", k.FWMark, k.Family)
	} else {
		id = fmt.Sprintf("%s-%s-%d", strings.ToLower(k.Proto.String()), strings.ReplaceAll(k.Addr.String(), ":", "_"), k.Port)
	}
	c := "vs-" + id
	return names{id: id, chain: c, dests: c + "-d"}
}

// withPort reports whether destinations carry a port (DNAT to addr:port);
// fwmark services whose real servers have no port keep the packet's port.
func withPort(s lb.Service) bool {
	if s.FWMark == 0 {
		return true
	}
	for _, d := range s.Dests {
		if d.Port != 0 {
			return true
		}
	}
	return false
}

func addrType(f lb.Family) nftables.SetDatatype {
	if f == lb.Inet6 {
		return nftables.TypeIP6Addr
	}
	return nftables.TypeIPAddr
}

func destType(s lb.Service) nftables.SetDatatype {
	if withPort(s) {
		return nftables.MustConcatSetType(addrType(s.Family), nftables.TypeInetService)
	}
	return addrType(s.Family)
}

// destBytes encodes a destination as the register/set value: the address,
// then (with ports) the port in network order padded to 4 bytes.
func destBytes(s lb.Service, d lb.Dest) []byte {
	b := d.Addr.AsSlice()
	if withPort(s) {
		b = append(b, byte(d.Port>>8), byte(d.Port), 0, 0)
	}
	return b
}

func decodeDest(f lb.Family, port bool, b []byte) (netip.AddrPort, error) {
	n := 4
	if f == lb.Inet6 {
		n = 16
	}
	want := n
	if port {
		want += 4
	}
	if len(b) != want {
		return netip.AddrPort{}, fmt.Errorf("destination key of %d bytes, want %d", len(b), want)
	}
	a, _ := netip.AddrFromSlice(b[:n])
	var p uint16
	if port {
		p = binary.BigEndian.Uint16(b[n:])
	}
	return netip.AddrPortFrom(a, p), nil
}

func nfproto(f lb.Family) byte {
	if f == lb.Inet6 {
		return unix.NFPROTO_IPV6
	}
	return unix.NFPROTO_IPV4
}

func comment(s string) []byte { return userdata.AppendString(nil, userdata.TypeComment, s) }

func commentOf(r *nftables.Rule) string {
	s, _ := userdata.GetString(r.UserData, userdata.TypeComment)
	return s
}

// paramsComment is the first rule's comment: everything about the service
// but its destinations (those are elements of the -d set).
func paramsComment(s lb.Service) string {
	return fmt.Sprintf("%s %s proto=%d addr=%s port=%d fwmark=%d sched=%s persist=%d bits=%d", commentTag, s.Family,
		s.Proto, s.Addr, s.Port, s.FWMark, s.Scheduler, int(s.Persistence/time.Second), s.PersistenceBits)
}

func parseParams(c string) (lb.Service, error) {
	f := strings.Fields(c)
	if len(f) < 2 || f[0] != commentTag {
		return lb.Service{}, fmt.Errorf("not a %s service comment: %q", commentTag, c)
	}
	s := lb.Service{Key: lb.Key{Family: lb.Inet}}
	if f[1] == "inet6" {
		s.Family = lb.Inet6
	}
	for _, kv := range f[2:] {
		k, v, _ := strings.Cut(kv, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "proto":
			s.Proto = lb.Proto(n)
		case "addr":
			if a, err := netip.ParseAddr(v); err == nil {
				s.Addr = a
			}
		case "port":
			s.Port = uint16(n)
		case "fwmark":
			s.FWMark = uint32(n)
		case "sched":
			s.Scheduler = v
		case "persist":
			s.Persistence = time.Duration(n) * time.Second
		case "bits":
			s.PersistenceBits = n
		}
	}
	return s, nil
}

// destComment records what the kernel objects cannot: weight and method.
func destComment(d lb.Dest) string { return fmt.Sprintf("weight=%d", d.Weight) }

func parseDestComment(c string) (int, error) {
	v, ok := strings.CutPrefix(c, "weight=")
	if !ok {
		return 0, fmt.Errorf("destination comment %q has no weight", c)
	}
	return strconv.Atoi(v)
}

func saddr(f lb.Family, reg uint32) expr.Any {
	if f == lb.Inet6 {
		return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseNetworkHeader, Offset: 8, Len: 16}
	}
	return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4}
}

func daddr(f lb.Family, reg uint32) expr.Any {
	if f == lb.Inet6 {
		return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseNetworkHeader, Offset: 24, Len: 16}
	}
	return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4}
}

// persistKey loads the (masked) client address into regKey (after a
// family match that lets `nft list` print it as ip/ip6 saddr).
func persistKey(s lb.Service) []expr.Any {
	e := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: regKey},
		&expr.Cmp{Op: expr.CmpOpEq, Register: regKey, Data: []byte{nfproto(s.Family)}},
		saddr(s.Family, regKey)}
	total := 32
	if s.Family == lb.Inet6 {
		total = 128
	}
	if b := s.PersistenceBits; b > 0 && b < total {
		m := make([]byte, total/8)
		for i := range b {
			m[i/8] |= 0x80 >> (i % 8)
		}
		e = append(e, &expr.Bitwise{SourceRegister: regKey, DestRegister: regKey, Len: uint32(total / 8), Mask: m, Xor: make([]byte, total/8)})
	}
	return e
}

func dnat(s lb.Service) expr.Any {
	n := &expr.NAT{Type: expr.NATTypeDestNAT, Family: uint32(nfproto(s.Family)), RegAddrMin: regDest}
	if withPort(s) {
		n.RegProtoMin = regPort4
		if s.Family == lb.Inet6 {
			n.RegProtoMin = regPort6
		}
		n.Specified = true
	}
	return n
}

// dispatch is the base-chain rule that sends the service's packets to its
// chain.
func dispatch(s lb.Service, n names) []expr.Any {
	e := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{nfproto(s.Family)}},
	}
	if s.FWMark != 0 {
		e = append(e,
			&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(s.FWMark)})
	} else {
		e = append(e,
			daddr(s.Family, 1),
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: s.Addr.AsSlice()},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(protoNum(s.Proto))}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(s.Port)})
	}
	return append(e, &expr.Verdict{Kind: expr.VerdictJump, Chain: n.chain})
}

func protoNum(p lb.Proto) int {
	switch p {
	case lb.UDP:
		return unix.IPPROTO_UDP
	case lb.SCTP:
		return unix.IPPROTO_SCTP
	}
	return unix.IPPROTO_TCP
}

// plan is what one service looks like in the kernel.
type plan struct {
	n     names
	rules []planRule
	slots []int // destination index per slot of the scheduler map
	// persistent services: one chain per live destination
	destChains []destChain
}

type planRule struct {
	comment string
	exprs   []expr.Any
	usesMap bool // the scheduler rule: its Lookup takes the anonymous map
}

// build plans the chain of service s:
//
//	counter                                                (comment: parameters)
//	[persistent, per live destination D] client in @-c-D:
//	    restart its timeout; dnat to D                     (comment "persist D")
//	slot = numgen inc | jhash saddr | jhash daddr mod N;
//	dest = slot map; dnat                                  (comment "schedule")
//	    (persistent: slot vmap → goto chain -r-D: add client to @-c-D; dnat to D)
//	or, with no live destination: reject                   (comment "no live destination")
func build(s lb.Service) plan { return buildWith(s, nil) }

// buildWith is build with the destinations' current connection counts,
// which the connection-count schedulers plan from (see conns.go).
func buildWith(s lb.Service, loads map[netip.AddrPort]Load) plan {
	n := nameOf(s.Key)
	p := plan{n: n, slots: slots(s.Scheduler, s.Dests)}
	if connSched(s.Scheduler) {
		p.slots = loadSlots(s.Scheduler, s.Dests, loads)
	}
	p.rules = append(p.rules, planRule{comment: paramsComment(s), exprs: []expr.Any{&expr.Counter{}}})
	persist := s.Persistence > 0
	if persist {
		// Persistence: one dynamic set per live destination holds its
		// clients (masked, with the timeout). A client found in one goes
		// there again and its entry's timeout restarts; a client whose
		// server left (its set went with it) falls through to the
		// scheduler, which jumps to the chosen destination's chain: record
		// the client, DNAT. Only constants and packet fields feed the sets,
		// so `nft list` (1.0.6) prints the rules back; it aborts on a map
		// lookup's result used as a set key or element data.
		for _, d := range s.Dests {
			if d.Weight <= 0 {
				continue
			}
			set := n.clients(s, d)
			e := persistKey(s)
			e = append(e,
				&expr.Lookup{SourceRegister: regKey, SetName: set},
				&expr.Dynset{SrcRegKey: regKey, SetName: set, Operation: unix.NFT_DYNSET_OP_UPDATE, Timeout: s.Persistence})
			e = append(e, dnatTo(s, d)...)
			p.rules = append(p.rules, planRule{comment: "persist " + d.AddrPort().String(), exprs: e})
		}
	}
	if len(p.slots) == 0 {
		p.rules = append(p.rules, planRule{comment: "no live destination",
			exprs: []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_PORT_UNREACH}}})
		return p
	}
	var e []expr.Any
	mod := uint32(len(p.slots))
	switch s.Scheduler {
	case "sh", "dh":
		src := saddr(s.Family, regDest)
		if s.Scheduler == "dh" {
			src = daddr(s.Family, regDest)
		}
		l := uint32(4)
		if s.Family == lb.Inet6 {
			l = 16
		}
		e = append(e, src, &expr.Hash{SourceRegister: regDest, DestRegister: regDest, Length: l, Modulus: mod, Type: expr.HashTypeJenkins})
	default:
		e = append(e, &expr.Numgen{Register: regDest, Modulus: mod, Type: unix.NFT_NG_INCREMENTAL})
	}
	if persist {
		// slot → goto the destination's chain (verdict map).
		e = append(e, &expr.Lookup{SourceRegister: regDest, DestRegister: 0, IsDestRegSet: true})
	} else {
		e = append(e, &expr.Lookup{SourceRegister: regDest, DestRegister: regDest, IsDestRegSet: true}, dnat(s))
	}
	p.rules = append(p.rules, planRule{comment: "schedule " + s.Scheduler, exprs: e, usesMap: true})
	if persist {
		for _, d := range s.Dests {
			if d.Weight <= 0 {
				continue
			}
			// Recording and DNAT are separate rules: a full client set
			// must not stop the connection.
			set := n.clients(s, d)
			rec := append(persistKey(s), &expr.Dynset{SrcRegKey: regKey, SetName: set, Operation: unix.NFT_DYNSET_OP_ADD, Timeout: s.Persistence})
			p.destChains = append(p.destChains, destChain{name: n.destChain(d), set: set, rules: [][]expr.Any{rec, dnatTo(s, d)}})
		}
	}
	return p
}

// destChain is a persistent service's chain for one live destination:
// record the client in set, DNAT to the destination.
type destChain struct {
	name, set string
	rules     [][]expr.Any
}

// destSuffix names a destination inside object names: addr-port.
func destSuffix(d lb.Dest) string {
	return strings.ReplaceAll(d.Addr.String(), ":", "_") + "-" + strconv.Itoa(int(d.Port))
}

// clients is the dynamic set of d's persistent clients.
func (n names) clients(s lb.Service, d lb.Dest) string { return n.chain + "-c-" + destSuffix(d) }

// destChain is the chain the scheduler jumps to for d.
func (n names) destChain(d lb.Dest) string { return n.chain + "-r-" + destSuffix(d) }

// dnatTo DNATs to the constant destination d.
func dnatTo(s lb.Service, d lb.Dest) []expr.Any {
	e := []expr.Any{&expr.Immediate{Register: regDest, Data: d.Addr.AsSlice()}}
	if withPort(s) {
		pr := uint32(regPort4)
		if s.Family == lb.Inet6 {
			pr = regPort6
		}
		e = append(e, &expr.Immediate{Register: pr, Data: binaryutil.BigEndian.PutUint16(d.Port)})
	}
	return append(e, dnat(s))
}

// slotElements are the anonymous scheduler map's elements: destinations,
// or (persistent services) gotos to their chains.
func slotElements(s lb.Service, sl []int) []nftables.SetElement {
	n := nameOf(s.Key)
	el := make([]nftables.SetElement, len(sl))
	for i, di := range sl {
		el[i] = nftables.SetElement{Key: binaryutil.NativeEndian.PutUint32(uint32(i))}
		if s.Persistence > 0 {
			el[i].VerdictData = &expr.Verdict{Kind: expr.VerdictGoto, Chain: n.destChain(s.Dests[di])}
		} else {
			el[i].Val = destBytes(s, s.Dests[di])
		}
	}
	return el
}

// exprKinds names the expression types of a rule, for drift comparison.
func exprKinds(es []expr.Any) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%T ", e)
	}
	return b.String()
}

type lookupExpr = expr.Lookup
