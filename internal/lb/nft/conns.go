package nft

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/lb"
)

// Connection-count schedulers on nftables (approximate).
//
// IPVS's lc, wlc, sed and nq pick, for each new connection, the real server
// with the least connection overhead (net/netfilter/ipvs/ip_vs_{lc,wlc,sed,nq}.c).
// nftables rules cannot read per-server connection counts, so this backend
// reads them from conntrack (the DNATed connections whose reply comes from a
// real server) every BalanceInterval, and plans the next planSlots new
// connections the way IPVS would schedule them if none ended meanwhile:
// each planned connection counts as one more active connection of the server
// it is given to. The plan is the scheduler map numgen walks (a new rule
// starts numgen at the plan's first slot). Between two refreshes, new
// connections follow the plan, not live counts: with many new connections
// per interval the spread is that of the plan (close to wrr over the
// servers' remaining headroom), not IPVS's exact choice per connection.

// Load is a real server's connections as IPVS counts them: active
// (TCP ESTABLISHED) and inactive (every other conntrack entry).
type Load struct{ Active, Inactive int }

// planSlots is how many new connections one plan schedules.
const planSlots = 32

// connSched reports a scheduler that needs per-server connection counts.
func connSched(s string) bool {
	switch s {
	case "lc", "wlc", "sed", "nq":
		return true
	}
	return false
}

// loadSlots plans the next planSlots new connections over ds (destination
// indexes), given their current loads (missing: none).
func loadSlots(sched string, ds []lb.Dest, loads map[netip.AddrPort]Load) []int {
	type cand struct {
		i, w             int
		active, inactive int
	}
	var cs []cand
	for i, d := range ds {
		if d.Weight <= 0 {
			continue
		}
		l := loads[d.AddrPort()]
		cs = append(cs, cand{i: i, w: d.Weight, active: l.Active, inactive: l.Inactive})
	}
	if len(cs) == 0 {
		return nil
	}
	// overhead is what the scheduler minimises, as a fraction num/den.
	overhead := func(c cand) (num, den int) {
		switch sched {
		case "lc":
			return c.active<<8 + c.inactive, 1
		case "wlc":
			return c.active<<8 + c.inactive, c.w
		default: // sed, nq
			return c.active + 1, c.w
		}
	}
	out := make([]int, 0, planSlots)
	for range planSlots {
		best := -1
		if sched == "nq" {
			for j, c := range cs {
				if c.active == 0 {
					best = j
					break
				}
			}
		}
		if best < 0 {
			for j, c := range cs {
				if best < 0 {
					best = j
					continue
				}
				n1, d1 := overhead(c)
				n2, d2 := overhead(cs[best])
				if n1*d2 < n2*d1 { // strictly less: ties go to the first, as in IPVS
					best = j
				}
			}
		}
		cs[best].active++
		out = append(out, cs[best].i)
	}
	return out
}

// countLoads counts the conntrack entries per (protocol, real server) of
// the DNATed connections: those whose reply comes from another address
// or port than the original destination.
type connKey struct {
	proto uint8
	addr  netip.AddrPort
}

func tallyFlows(flows []*netlink.ConntrackFlow) map[connKey]Load {
	out := map[connKey]Load{}
	for _, f := range flows {
		src, ok1 := netip.AddrFromSlice(f.Reverse.SrcIP)
		dst, ok2 := netip.AddrFromSlice(f.Forward.DstIP)
		if !ok1 || !ok2 {
			continue
		}
		rs := netip.AddrPortFrom(src.Unmap(), f.Reverse.SrcPort)
		if rs == netip.AddrPortFrom(dst.Unmap(), f.Forward.DstPort) {
			continue // not DNATed
		}
		k := connKey{proto: f.Forward.Protocol, addr: rs}
		l := out[k]
		if tcp, ok := f.ProtoInfo.(*netlink.ProtoInfoTCP); ok && tcp.State == tcpEstablished {
			l.Active++
		} else {
			l.Inactive++
		}
		out[k] = l
	}
	return out
}

// tcpEstablished is TCP_CONNTRACK_ESTABLISHED.
const tcpEstablished = 3

// loadsOf picks the loads of s's destinations out of a tally.
func loadsOf(s lb.Service, t map[connKey]Load) map[netip.AddrPort]Load {
	out := map[netip.AddrPort]Load{}
	proto := uint8(protoNum(s.Proto))
	for _, d := range s.Dests {
		if s.FWMark != 0 {
			// fwmark services: every protocol to the server's address
			// (and port, when destinations have one).
			var l Load
			for k, v := range t {
				if k.addr.Addr() == d.Addr && (d.Port == 0 || k.addr.Port() == d.Port) {
					l.Active += v.Active
					l.Inactive += v.Inactive
				}
			}
			out[d.AddrPort()] = l
			continue
		}
		out[d.AddrPort()] = t[connKey{proto: proto, addr: d.AddrPort()}]
	}
	return out
}

// conntrackTally dumps the conntrack table (IPv4 and IPv6) of the
// backend's namespace.
func (b *Backend) conntrackTally() (map[connKey]Load, error) {
	h, err := b.conntrackHandle()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	var all []*netlink.ConntrackFlow
	for _, fam := range []netlink.InetFamily{unix.AF_INET, unix.AF_INET6} {
		fs, err := h.ConntrackTableList(netlink.ConntrackTable, fam)
		if err != nil {
			return nil, err
		}
		all = append(all, fs...)
	}
	return tallyFlows(all), nil
}

// conntrackHandle opens the conntrack socket in the backend's namespace
// with the monitor receive buffer (lvs_netlink_monitor_rcv_bufs). The
// caller holds b.mu.
func (b *Backend) conntrackHandle() (*netlink.Handle, error) {
	var h *netlink.Handle
	var err error
	if b.opts.NetNS > 0 {
		h, err = netlink.NewHandleAt(netns.NsHandle(b.opts.NetNS), unix.NETLINK_NETFILTER)
	} else {
		h, err = netlink.NewHandle(unix.NETLINK_NETFILTER)
	}
	if err != nil {
		return nil, err
	}
	rb := b.opts.Monitor // b.mu is held (Apply, Balance, RcvBufs)
	if rb.Bytes > 0 {
		if err := h.SetSocketReceiveBufferSize(rb.Bytes, rb.Force); err != nil {
			h.Close()
			return nil, fmt.Errorf("conntrack socket receive buffer %d bytes: %w", rb.Bytes, err)
		}
	}
	return h, nil
}
