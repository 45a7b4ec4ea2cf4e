package ctl

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// BGPStatus is the embedded BGP speaker's status (the gokeepalived-only
// bgp block): its sessions and every configured prefix.
type BGPStatus struct {
	RouterID string `json:"router_id"`
	LocalAS  uint32 `json:"local_as"`
	// Drain is "running", "draining" (GRACEFUL_SHUTDOWN announced) or
	// "drained" (everything withdrawn), and DrainWhy why.
	Drain    string            `json:"drain"`
	DrainWhy string            `json:"drain_why,omitempty"`
	Peers    []BGPPeerStatus   `json:"peers"`
	Prefixes []BGPPrefixStatus `json:"prefixes"`
	Error    string            `json:"error,omitempty"` // the speaker's last error
}

// BGPPeerStatus is one neighbor.
type BGPPeerStatus struct {
	Address  string `json:"address"`
	RemoteAS uint32 `json:"remote_as"`
	// State is the BGP FSM state (idle, connect, active, opensent,
	// openconfirm, established) or "shutdown" while held down (BFD).
	State      string    `json:"state"`
	Up         bool      `json:"up"`
	UpSince    time.Time `json:"up_since,omitzero"`
	BFD        string    `json:"bfd,omitempty"`     // the bfd_instance guarding it
	BFDUp      *bool     `json:"bfd_up,omitempty"`  // nil: not seen yet
	Sent       uint64    `json:"prefixes_sent"`     // prefixes advertised to it
	Received   uint64    `json:"prefixes_received"` // prefixes it sent
	LastError  string    `json:"last_error,omitempty"`
	Reason     string    `json:"reason,omitempty"` // why it is held down
	Flaps      uint64    `json:"flaps"`            // times it left established
	LastChange time.Time `json:"last_change,omitzero"`
}

// BGPPrefixStatus is one configured prefix: announced, less preferred
// (a BACKUP's prepended path), draining or withdrawn, and why.
type BGPPrefixStatus struct {
	Prefix string `json:"prefix"`
	Source string `json:"source"`
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// WriteBGP prints the speaker's sessions and prefixes as tables.
func WriteBGP(w io.Writer, b *BGPStatus, now time.Time) error {
	fmt.Fprintf(w, "BGP router-id %s AS %d: %s", b.RouterID, b.LocalAS, b.Drain)
	if b.DrainWhy != "" {
		fmt.Fprintf(w, " (%s)", b.DrainWhy)
	}
	fmt.Fprintln(w)
	if b.Error != "" {
		fmt.Fprintf(w, "BGP error: %s\n", b.Error)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NEIGHBOR\tAS\tSTATE\tUPTIME\tBFD\tSENT\tRECEIVED\tLAST ERROR")
	for _, p := range b.Peers {
		up := "-"
		if p.Up && !p.UpSince.IsZero() {
			up = now.Sub(p.UpSince).Truncate(time.Second).String()
		}
		bfd := "-"
		if p.BFD != "" {
			bfd = p.BFD + " (not seen)"
			if p.BFDUp != nil {
				bfd = p.BFD + " down"
				if *p.BFDUp {
					bfd = p.BFD + " up"
				}
			}
		}
		state := p.State
		if p.Reason != "" {
			state += " (" + p.Reason + ")"
		}
		last := p.LastError
		if last == "" {
			last = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%d\t%s\n", p.Address, p.RemoteAS, state, up, bfd, p.Sent, p.Received, last)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PREFIX\tSOURCE\tSTATE\tWHY")
	for _, p := range b.Prefixes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Prefix, p.Source, p.State, p.Reason)
	}
	return tw.Flush()
}
