// Package rtsched sets the scheduling of OS threads (SCHED_RR or a nice
// value, CPU affinity) and the process-wide knobs that go with it (memory
// locking, the real-time CPU limit).
package rtsched

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

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

// Normal gives the calling OS thread SCHED_OTHER at the nice value nice
// (-20..19): per thread, as setpriority(PRIO_PROCESS, tid) is on Linux.
func Normal(nice int) error {
	return unix.SchedSetAttr(0, &unix.SchedAttr{
		Size:   unix.SizeofSchedAttr,
		Policy: unix.SCHED_NORMAL,
		Nice:   int32(nice),
	}, 0)
}

// Pin restricts the calling OS thread to the CPUs cpus.
func Pin(cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	return unix.SchedSetaffinity(0, &set)
}

// LockMemory locks the process's pages in memory, current and future ones
// as they are touched (keepalived's *_no_swap: mlockall with MCL_ONFAULT).
func LockMemory() error {
	return unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE | unix.MCL_ONFAULT)
}

// LimitRTTime sets RLIMIT_RTTIME as keepalived does for *_rlimit_rttime:
// a real-time thread that runs usec microseconds without blocking is
// killed, and gets SIGXCPU at half of it.
func LimitRTTime(usec int64) error {
	if usec < 2 {
		return fmt.Errorf("rlimit_rttime %d: want at least 2 microseconds", usec)
	}
	return unix.Setrlimit(unix.RLIMIT_RTTIME, &unix.Rlimit{Cur: uint64(usec / 2), Max: uint64(usec)})
}

// NameThread names the calling OS thread (/proc/PID/task/TID/comm; at
// most 15 characters, as prctl PR_SET_NAME).
func NameThread(name string) error {
	p, err := unix.BytePtrFromString(name)
	if err != nil {
		return err
	}
	return unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(p)), 0, 0, 0)
}

// NameProcess names the process: its main thread, whose name ps and
// /proc/PID/comm show (a thread may rename another of its group).
func NameProcess(name string) error {
	return os.WriteFile("/proc/self/comm", []byte(name), 0)
}

// SetThreadName names the calling OS thread (locked by the caller): its
// /proc/PID/task/TID/comm, which ps -L and top -H show. The kernel keeps
// the first 15 bytes.
func SetThreadName(name string) error {
	b := make([]byte, 16)
	copy(b[:15], name)
	return unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&b[0])), 0, 0, 0)
}
