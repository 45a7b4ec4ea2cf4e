package director

import (
	"fmt"
	"reflect"

	"gokeepalived/internal/config"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/linux/nsexec"
)

// nftables_ipvs (keepalived 2.2.7 ipvswrapper.c, check_nftables.c): a
// virtual server on a virtual_server_group whose entries are all address
// ranges (no fwmark entry) becomes one IPVS fwmark service per address
// family of the group, with a mark of its own per (group, protocol); an
// nftables table marks the packets to the group's ranges. The marks are
// given in configuration order from nftables_ipvs_start_fwmark (keepalived
// gives them as it adds the services at start, in the same order).

// GroupProto is a virtual_server_group with a protocol: what one automatic
// mark stands for.
type GroupProto struct {
	Group string
	Proto lb.Proto
}

// GroupMarks are nftables_ipvs's marks, nil when it is off.
type GroupMarks map[GroupProto]uint32

// markable reports whether nftables_ipvs marks g: it has address ranges
// and no fwmark entry.
func markable(g *config.VirtualServerGroup) bool {
	if g == nil || len(g.Entries) == 0 {
		return false
	}
	for _, e := range g.Entries {
		if e.FWMark != 0 {
			return false
		}
	}
	return true
}

func groupByName(groups []*config.VirtualServerGroup, name string) *config.VirtualServerGroup {
	for _, g := range groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Marks gives cfg's automatic marks (nil without nftables_ipvs).
func Marks(cfg *config.Config) GroupMarks {
	g := &cfg.Global
	if g.NFTablesIPVS == "" {
		return nil
	}
	out := GroupMarks{}
	next := g.NFTablesIPVSStartFWMark
	for _, vs := range cfg.VirtualServers {
		proto, ok := lbProtos[vs.Protocol]
		if vs.Group == "" || !ok || !markable(groupByName(cfg.VirtualServerGroups, vs.Group)) {
			continue
		}
		k := GroupProto{vs.Group, proto}
		if _, ok := out[k]; !ok {
			out[k] = next
			next++
		}
	}
	return out
}

// MarkTable is the nftables_ipvs table for marks (nil without any).
func MarkTable(cfg *config.Config, marks GroupMarks) *lb.MarkTable {
	if len(marks) == 0 {
		return nil
	}
	mt := &lb.MarkTable{Name: cfg.Global.NFTablesIPVS, Priority: cfg.Global.NFTablesIPVSPriority}
	seen := map[GroupProto]bool{}
	for _, vs := range cfg.VirtualServers {
		proto := lbProtos[vs.Protocol]
		k := GroupProto{vs.Group, proto}
		m, ok := marks[k]
		if !ok || seen[k] {
			continue
		}
		seen[k] = true
		for _, e := range groupByName(cfg.VirtualServerGroups, vs.Group).Entries {
			first, last := e.First.Unmap(), e.Last.Unmap()
			if !last.IsValid() {
				last = first
			}
			mt.Ranges = append(mt.Ranges, lb.MarkRange{First: first, Last: last, Port: e.Port, Proto: proto, Mark: m})
		}
	}
	return mt
}

// markKeys are the fwmark services of a marked group: one per address
// family it has.
func markKeys(g *config.VirtualServerGroup, mark uint32) []lb.Key {
	var v4, v6 bool
	for _, e := range g.Entries {
		if e.First.Unmap().Is6() {
			v6 = true
		} else {
			v4 = true
		}
	}
	var keys []lb.Key
	if v4 {
		keys = append(keys, lb.Key{FWMark: mark, Family: lb.Inet})
	}
	if v6 {
		keys = append(keys, lb.Key{FWMark: mark, Family: lb.Inet6})
	}
	return keys
}

// openOptions are the backend's options from cfg: net_namespace_ipvs and
// the netlink receive buffers.
func openOptions(g *config.Global) lb.OpenOptions {
	o := lb.OpenOptions{Cmd: lb.RcvBuf{Bytes: int(g.LVSNetlinkCmdRcvBufs), Force: g.LVSNetlinkCmdRcvBufsForce},
		Monitor: lb.RcvBuf{Bytes: int(g.LVSNetlinkMonitorRcvBufs), Force: g.LVSNetlinkMonitorRcvBufsForce}}
	if g.NetNamespaceIPVS != nil {
		o.NetNS = nsexec.Path(*g.NetNamespaceIPVS)
	}
	return o
}

// setMarks writes the nftables_ipvs table when it changed (removing the
// old one when its name changed or it is gone).
func (d *Director) setMarks() {
	m, ok := d.backend.Table().(lb.Marker)
	if !ok {
		return
	}
	mt := MarkTable(d.cfg, d.marks)
	if reflect.DeepEqual(mt, d.marksSet) {
		return
	}
	if old := d.marksSet; old != nil && (mt == nil || mt.Name != old.Name) {
		if err := m.RemoveMarks(old.Name); err != nil {
			d.log.Error("nftables_ipvs: old table not removed", "table", old.Name, "err", err)
		}
		d.marksSet = nil
	}
	if mt == nil {
		return
	}
	if err := m.SetMarks(*mt); err != nil {
		d.log.Error("nftables_ipvs: marks not written; the group's fwmark services get no packets", "table", mt.Name, "err", err)
		return
	}
	d.log.Info("nftables_ipvs: marks written", "table", mt.Name, "ranges", len(mt.Ranges), "priority", mt.Priority)
	d.marksSet = mt
}

// removeMarks deletes the nftables_ipvs table at exit.
func (d *Director) removeMarks() {
	m, ok := d.backend.Table().(lb.Marker)
	if !ok || d.marksSet == nil {
		return
	}
	if err := m.RemoveMarks(d.marksSet.Name); err != nil {
		d.log.Error("nftables_ipvs: table not removed on exit", "table", d.marksSet.Name, "err", err)
		return
	}
	d.marksSet = nil
}

// markedKeys returns the fwmark keys of vs when nftables_ipvs marks its
// group.
func markedKeys(vs *config.VirtualServer, groups []*config.VirtualServerGroup, marks GroupMarks) ([]lb.Key, bool) {
	if marks == nil || vs.Group == "" {
		return nil, false
	}
	m, ok := marks[GroupProto{vs.Group, lbProtos[vs.Protocol]}]
	if !ok {
		return nil, false
	}
	return markKeys(groupByName(groups, vs.Group), m), true
}

// rangeString names a mark range for logs and tests.
func rangeString(r lb.MarkRange) string {
	a := r.First.String()
	if r.Last != r.First {
		a += "-" + r.Last.String()
	}
	return fmt.Sprintf("%s %s port %d mark %d", r.Proto, a, r.Port, r.Mark)
}
