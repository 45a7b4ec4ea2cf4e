// Package rtsched gives OS threads real-time scheduling (SCHED_RR).
package rtsched

import "golang.org/x/sys/unix"

// RoundRobin gives the calling OS thread (locked by the caller) real-time
// round-robin scheduling at priority prio. It reports why when that is not
// allowed (no CAP_SYS_NICE, a container), so the caller can log it once.
func RoundRobin(prio uint32) error {
	return unix.SchedSetAttr(0, &unix.SchedAttr{
		Size:     unix.SizeofSchedAttr,
		Policy:   unix.SCHED_RR,
		Priority: prio,
	}, 0)
}
