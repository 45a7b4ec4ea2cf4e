package ctl

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// VirtualServerStatus describes one virtual_server: its service in the
// kernel load-balancing table and the health of its real servers.
type VirtualServerStatus struct {
	Name     string `json:"name"`    // "192.0.2.100:80/TCP", "fwmark 1", "group NAME"
	Backend  string `json:"backend"` // "ipvs" or "nft"
	Algo     string `json:"algo"`    // lb_algo / lvs_sched
	Kind     string `json:"kind"`    // lb_kind / lvs_method
	Protocol string `json:"protocol,omitempty"`
	// Persistence is persistence_timeout ("" = not persistent).
	Persistence string `json:"persistence,omitempty"`
	// Quorum is true while the live weight satisfies quorum.
	Quorum    bool `json:"quorum"`
	WeightSum int  `json:"weight_sum"`
	// Sorry is true while the sorry_server is in the table.
	Sorry     bool   `json:"sorry"`
	SorryAddr string `json:"sorry_server,omitempty"`
	// Suspended is set while ha_suspend holds its checkers (VIP not local).
	Suspended   bool               `json:"suspended,omitempty"`
	Reason      string             `json:"reason,omitempty"`
	Error       string             `json:"error,omitempty"` // last error computing or applying it
	RealServers []RealServerStatus `json:"real_servers"`
}

// RealServerStatus is one real server of a virtual server.
type RealServerStatus struct {
	Addr string `json:"addr"` // IP:PORT
	// Weight is the configured weight, or the dynamic one a MISC/FILE check set.
	Weight int  `json:"weight"`
	Up     bool `json:"up"`
	// InTable is whether the server is in the kernel table now (a live
	// server is taken out while a sorry_server serves; inhibit_on_failure
	// keeps a dead one at weight 0).
	InTable  bool `json:"in_table"`
	Checkers int  `json:"checkers"`
	// FailedCheckers is how many of its checkers report it down now.
	FailedCheckers int       `json:"failed_checkers,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	LastChange     time.Time `json:"last_change,omitzero"`
}

// WriteVirtualServers prints the virtual servers as a table, one line per
// real server under each virtual server line.
func WriteVirtualServers(w io.Writer, vss []VirtualServerStatus) error {
	if len(vss) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VIRTUAL SERVER\tBACKEND\tALGO\tKIND\tQUORUM\tREAL SERVER\tWEIGHT\tSTATE\tREASON")
	for _, vs := range vss {
		q := "up"
		if !vs.Quorum {
			q = "DOWN"
		}
		q += fmt.Sprintf(" (%d)", vs.WeightSum)
		algo := vs.Algo
		if vs.Persistence != "" {
			algo += " persist " + vs.Persistence
		}
		extra := ""
		switch {
		case vs.Error != "":
			extra = "ERROR: " + vs.Error
		case vs.Suspended:
			extra = "checks suspended (ha_suspend: VIP not local)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\t\t\t%s\n", vs.Name, vs.Backend, algo, vs.Kind, q, extra)
		for _, rs := range vs.RealServers {
			st := "up"
			if !rs.Up {
				st = "DOWN"
			}
			if !rs.InTable {
				st += " (out)"
			}
			fmt.Fprintf(tw, "\t\t\t\t\t%s\t%d\t%s\t%s\n", rs.Addr, rs.Weight, st, oneLine(rs.Reason))
		}
		if vs.SorryAddr != "" {
			st := "standby"
			if vs.Sorry {
				st = "SERVING"
			}
			fmt.Fprintf(tw, "\t\t\t\t\t%s (sorry)\t\t%s\t\n", vs.SorryAddr, st)
		}
	}
	return tw.Flush()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// LBEvent is a real server's state change, or a virtual server's quorum
// change (RS empty), as the load balancer applied it; the SNMP subagent
// makes keepalived's checker notifications of it.
type LBEvent struct {
	// VS is the virtual server (VirtualServerStatus.Name) and VSIndex its
	// position among the configured virtual servers.
	VS      string
	VSIndex int
	// RS is the real server (IP:PORT), "" for a quorum change; RSIndex is
	// its position among the virtual server's real servers.
	RS      string
	RSIndex int
	// Up is the real server's new state, or the quorum's.
	Up bool
	// RealUp and RealTotal count the virtual server's live and configured
	// real servers after the change (the sorry server not included).
	RealUp, RealTotal int
}
