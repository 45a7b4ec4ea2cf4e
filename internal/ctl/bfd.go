package ctl

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// BFDSessionStatus describes one bfd_instance session as the BFD runtime
// last published it, with its packet counters as they are when read.
// Intervals are in microseconds, as BFD carries them; zero when not known
// yet (no packet from the peer).
type BFDSessionStatus struct {
	Name     string `json:"name"`
	Local    string `json:"local,omitempty"` // source_ip; empty: chosen by route
	Remote   string `json:"remote"`          // neighbor_ip
	Multihop bool   `json:"multihop,omitempty"`
	// State and RemoteState: AdminDown, Down, Init, Up.
	State       string `json:"state"`
	RemoteState string `json:"remote_state"`
	LocalDiscr  uint32 `json:"local_discriminator"`
	RemoteDiscr uint32 `json:"remote_discriminator"`
	// LocalDiag is the last diagnostic we set (RFC 5880 §4.1 names, e.g.
	// "Control Detection Time Expired"); RemoteDiag the peer's last one.
	LocalDiag  string `json:"local_diag"`
	RemoteDiag string `json:"remote_diag"`
	// Multiplier is ours; RemoteMultiplier the peer's.
	Multiplier       int `json:"multiplier"`
	RemoteMultiplier int `json:"remote_multiplier"`
	// DesiredMinTxUS and RequiredMinRxUS are what we advertise now;
	// RemoteMinTxUS and RemoteMinRxUS what the peer advertises.
	DesiredMinTxUS  int64 `json:"desired_min_tx_us"`
	RequiredMinRxUS int64 `json:"required_min_rx_us"`
	RemoteMinTxUS   int64 `json:"remote_min_tx_us"`
	RemoteMinRxUS   int64 `json:"remote_min_rx_us"`
	// TxIntervalUS is the negotiated transmit interval (before jitter),
	// RxIntervalUS the negotiated receive interval (the peer's packets are
	// expected this often), DetectionTimeUS the time without a packet
	// after which the session goes Down.
	TxIntervalUS    int64 `json:"tx_interval_us"`
	RxIntervalUS    int64 `json:"rx_interval_us"`
	DetectionTimeUS int64 `json:"detection_time_us"`
	PollActive      bool  `json:"poll_active,omitempty"`
	// Ups and Downs count transitions to Up and from Up.
	Ups   uint64 `json:"ups"`
	Downs uint64 `json:"downs"`
	// LastChange is the time of the last state change and LastReason why.
	LastChange time.Time `json:"last_change,omitzero"`
	LastReason string    `json:"last_reason,omitempty"`
	// PacketsReceived counts the peer's packets accepted, PacketsSent ours
	// sent, SendErrors the sends that failed.
	PacketsReceived uint64 `json:"packets_received"`
	PacketsSent     uint64 `json:"packets_sent"`
	SendErrors      uint64 `json:"send_errors"`
	// Drops counts the packets from this peer dropped after they were
	// matched to the session, per reason (bfd.DropReason names: ttl,
	// admin_down, ...); every reason is present, zero included.
	Drops map[string]uint64 `json:"drops"`
}

// BFDStatus is the BFD runtime's part of the status: its sessions, and the
// packets dropped before they could be matched to one (no_session, length,
// version, ...) together with the sessions' own drops, per reason.
type BFDStatus struct {
	Sessions []BFDSessionStatus `json:"sessions"`
	Drops    map[string]uint64  `json:"drops"`
}

func usDuration(us int64) string {
	if us == 0 {
		return "-"
	}
	return (time.Duration(us) * time.Microsecond).String()
}

// WriteBFD prints the BFD sessions as a table, then per session the last
// state change and the non-zero drops.
func WriteBFD(w io.Writer, b *BFDStatus) error {
	if b == nil || len(b.Sessions) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BFD SESSION\tNEIGHBOR\tSTATE\tREMOTE\tDISCR (LOCAL/REMOTE)\tTX\tRX\tDETECT\tDIAG\tUP/DOWN\tRX/TX PKTS")
	for _, s := range b.Sessions {
		nbr := s.Remote
		if s.Multihop {
			nbr += " (multihop)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\t%d/%d\t%d/%d\n", s.Name, nbr, s.State, s.RemoteState,
			s.LocalDiscr, s.RemoteDiscr, usDuration(s.TxIntervalUS), usDuration(s.RxIntervalUS), usDuration(s.DetectionTimeUS),
			s.LocalDiag, s.Ups, s.Downs, s.PacketsReceived, s.PacketsSent)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range b.Sessions {
		if !s.LastChange.IsZero() {
			fmt.Fprintf(w, "bfd %s: %s since %s: %s\n", s.Name, s.State, s.LastChange.Format("15:04:05.000"), s.LastReason)
		}
		if s.SendErrors > 0 {
			fmt.Fprintf(w, "bfd %s: send errors: %d\n", s.Name, s.SendErrors)
		}
		if d := nonZero(s.Drops); len(d) > 0 {
			fmt.Fprintf(w, "bfd %s: dropped packets: %s\n", s.Name, formatCounts(d))
		}
	}
	if d := nonZero(b.Drops); len(d) > 0 {
		fmt.Fprintf(w, "bfd: dropped packets (all sessions and unmatched): %s\n", formatCounts(d))
	}
	return nil
}

func nonZero(m map[string]uint64) map[string]uint64 {
	var out map[string]uint64
	for k, v := range m {
		if v > 0 {
			if out == nil {
				out = map[string]uint64{}
			}
			out[k] = v
		}
	}
	return out
}
