// Package load is the timing-under-load benchmark (DESIGN.md, "Timing under
// load"): a VRRPv3 pair with 10 ms adverts (MASTER priority 100, BACKUP
// priority 90, Master_Down_Interval 36.5 ms) in network namespaces built with
// the e2e harness (test/e2e/netns), run for a bounded time while N busy
// processes compete for the CPUs, once with real keepalived (its defaults,
// and with vrrp_rt_priority 10 + vrrp_no_swap) and once with gokeepalived,
// plus the same without load as the baseline.
//
// Measured per run, in the window while the load runs:
//   - false failovers: the VIP appearing on the backup while the master is
//     alive (netlink address events in the backup's namespace, read on a
//     SCHED_RR 50 thread so the monitor itself is not delayed by the load),
//     and the backup's own count of transitions to MASTER (keepalived's log
//     "Entering MASTER STATE", gokeepalived's status counter became_master);
//   - the time both nodes hold the VIP (the same netlink events, both
//     namespaces);
//   - the master's advert interval on the wire (the harness's capture on the
//     bridge, kernel timestamps): p50, p99, max, and how many gaps exceeded
//     the backup's Master_Down_Interval; the backup's adverts on the wire (it
//     only sends them while it believes it is master).
//
// It is a test that skips unless given -loadbench: run it through
// bench/load/run.sh (root; the harness removes its namespaces and stops what
// it started, even on failure). -list prints the runs without making them.
package load
