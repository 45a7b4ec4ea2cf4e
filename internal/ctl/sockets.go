package ctl

import (
	"strconv"

	"gokeepalived/internal/vrrp/packet"
)

// SocketCounter is one counter of a shared VRRP socket (one per interface
// and address family): packets dropped before an instance could be named,
// so no instance's drops show them. The first two are spelled as the
// packet.DropReason they stand for.
type SocketCounter uint8

const (
	// SocketVRIDMismatch: a valid advert for a VRID no instance on the
	// socket runs (keepalived's "unknown VRID"; log_unknown_vrids logs them).
	SocketVRIDMismatch SocketCounter = iota
	// SocketMalformed: a packet too short or too broken to read its VRID,
	// or truncated by the receive buffer.
	SocketMalformed
	// SocketLoopQueueFull: accepted adverts dropped because the VRRP loop
	// was behind and its receive queue was full.
	SocketLoopQueueFull
	// SocketKernelQueueFull: packets the kernel dropped because the
	// socket's receive queue was full (SO_RXQ_OVFL), as last reported.
	SocketKernelQueueFull
	// NumSocketCounters is the number of socket counters.
	NumSocketCounters
)

var socketCounterNames = [NumSocketCounters]string{
	SocketVRIDMismatch:    packet.DropVRIDMismatch.String(),
	SocketMalformed:       packet.DropMalformed.String(),
	SocketLoopQueueFull:   "loop_queue_full",
	SocketKernelQueueFull: "kernel_queue_full",
}

var socketCounterText = [NumSocketCounters]string{
	SocketVRIDMismatch:    "adverts for a VRID no instance on the socket runs",
	SocketMalformed:       "packets too broken to name an instance (or truncated)",
	SocketLoopQueueFull:   "accepted adverts dropped because the VRRP loop's queue was full",
	SocketKernelQueueFull: "packets the kernel dropped because the socket's receive queue was full (SO_RXQ_OVFL)",
}

// String is the counter's name in the status, the metrics' reason label
// and the stats dump.
func (c SocketCounter) String() string {
	if c < NumSocketCounters {
		return socketCounterNames[c]
	}
	return "SocketCounter(" + strconv.Itoa(int(c)) + ")"
}

// Description says what the counter counts.
func (c SocketCounter) Description() string {
	if c < NumSocketCounters {
		return socketCounterText[c]
	}
	return c.String()
}

// SocketCounters reads a socket's counters as they are now (the daemon's
// shared sockets implement it with atomics).
type SocketCounters interface {
	SocketCount(SocketCounter) uint64
}

// SocketSnapshot is one shared VRRP socket in a Snapshot.
type SocketSnapshot struct {
	Interface string
	IPv6      bool
	// Counters are live: read them when rendering.
	Counters SocketCounters
}

// Family is "ipv4" or "ipv6".
func (s *SocketSnapshot) Family() string {
	if s.IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// Status renders the socket with every counter, zero included.
func (s *SocketSnapshot) Status() SocketStatus {
	st := SocketStatus{Interface: s.Interface, Family: s.Family(), Counters: make(map[string]uint64, NumSocketCounters)}
	for c := range NumSocketCounters {
		var n uint64
		if s.Counters != nil {
			n = s.Counters.SocketCount(c)
		}
		st.Counters[c.String()] = n
	}
	return st
}

// SocketStatus is one shared VRRP socket in the control socket's answer.
type SocketStatus struct {
	Interface string            `json:"interface"`
	Family    string            `json:"family"`
	Counters  map[string]uint64 `json:"counters"`
}

// Counter reads one of the socket's counters by its typed name.
func (s SocketStatus) Counter(c SocketCounter) uint64 { return s.Counters[c.String()] }

// FixedSocketCounts is a SocketCounters with set values (tests, and
// snapshots of a socket that is gone).
type FixedSocketCounts [NumSocketCounters]uint64

// SocketCount implements SocketCounters.
func (f *FixedSocketCounts) SocketCount(c SocketCounter) uint64 {
	if c < NumSocketCounters {
		return f[c]
	}
	return 0
}
