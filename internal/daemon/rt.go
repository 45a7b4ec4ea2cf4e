package daemon

import "gokeepalived/internal/linux/rtsched"

// rtPriority is the SCHED_RR priority of the VRRP loop and socket reader
// threads. keepalived offers vrrp_rt_priority for the same reason: measured
// here, keepalived with 10 ms adverts fails over falsely when busy processes
// compete for the CPUs. A low real-time priority is enough to run before
// every normal task; the kernel's RT throttling still bounds it.
const rtPriority = 10

// realtimeThread gives the calling OS thread (locked by the caller)
// real-time round-robin scheduling; see rtsched.RoundRobin.
func realtimeThread() error { return rtsched.RoundRobin(rtPriority) }
