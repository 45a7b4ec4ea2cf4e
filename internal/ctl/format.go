package ctl

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable prints the status as a human table, then per instance the last
// transition, warnings, drops and trackers.
func WriteTable(w io.Writer, s *Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tIFACE\tVRID\tAF\tSTATE\tPRIO\tMASTER\tLAST ADVERT\tVIPS")
	for _, in := range s.Instances {
		prio := fmt.Sprint(in.EffectivePriority)
		if in.EffectivePriority != in.BasePriority {
			prio = fmt.Sprintf("%d (base %d)", in.EffectivePriority, in.BasePriority)
		}
		master := in.Master
		if master == "" {
			master = "-"
		} else if in.MasterPriority > 0 {
			master = fmt.Sprintf("%s (prio %d)", master, in.MasterPriority)
		}
		age := in.LastAdvertAge
		if age == "" {
			age = "never"
		} else {
			age += " ago"
		}
		vips := strings.Join(in.VIPs, ",")
		if in.VIPsHeld {
			vips += " [held]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", in.Name, in.Interface, in.VRID, in.Family, in.State, prio, master, age, vips)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, in := range s.Instances {
		if in.LastTransition != nil {
			t := in.LastTransition
			fmt.Fprintf(w, "%s: %s -> %s at %s: %s\n", in.Name, t.From, t.To, t.At.Format("15:04:05.000"), t.Reason)
		}
		for _, warn := range in.Warnings {
			fmt.Fprintf(w, "%s: WARNING: %s\n", in.Name, warn)
		}
		if len(in.Drops) > 0 {
			fmt.Fprintf(w, "%s: dropped packets: %s\n", in.Name, formatCounts(in.Drops))
		}
		for _, tr := range in.Trackers {
			st := "ok"
			if !tr.OK {
				st = "FAILED"
			}
			line := fmt.Sprintf("%s: track %s %s: %s weight %d", in.Name, tr.Kind, tr.Name, st, tr.Weight)
			if tr.Reason != "" {
				line += " (" + tr.Reason + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
	for _, so := range s.Sockets {
		nonzero := map[string]uint64{}
		for k, n := range so.Counters {
			if n > 0 {
				nonzero[k] = n
			}
		}
		if len(nonzero) > 0 {
			fmt.Fprintf(w, "socket %s %s: dropped before reaching an instance: %s\n", so.Interface, so.Family, formatCounts(nonzero))
		}
	}
	if len(s.VirtualServers) > 0 {
		fmt.Fprintln(w)
		if err := WriteVirtualServers(w, s.VirtualServers); err != nil {
			return err
		}
	}
	if s.BFD != nil && len(s.BFD.Sessions) > 0 {
		fmt.Fprintln(w)
		if err := WriteBFD(w, s.BFD); err != nil {
			return err
		}
	}
	if s.BGP != nil {
		fmt.Fprintln(w)
		return WriteBGP(w, s.BGP, time.Now())
	}
	return nil
}

func formatCounts(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
