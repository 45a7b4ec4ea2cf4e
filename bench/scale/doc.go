// Package scale is the many-instances benchmark (issue 17): one VRRPv3 pair
// in network namespaces built with the e2e harness (test/e2e/netns), joined
// by 20 veth links, with N instances spread over them (N/20 VRIDs per link,
// one /32 VIP each, advert_int 0.1 or -advert-int). The master node is priority 150 with
// state MASTER, the backup priority 100 with state BACKUP; both daemons are
// started together, so the backup's first Master_Down_Interval races the
// master's first adverts, as in a cluster's cold start.
//
// Measured per run, after the pair converged (every VIP on the master, none
// on the backup) or the settle time ran out, over a short window:
//   - CPU of the VRRP process of each node: utime+stime from /proc/PID/stat
//     over the window, in % of one core (keepalived: its VRRP child;
//     gokeepalived: the one process), and its RSS (VmRSS) at the end;
//   - the backup's entries to MASTER in the window (gokeepalived: the sum of
//     the status counter became_master; keepalived: its log lines "Entering
//     MASTER STATE");
//   - VIPs held by each node, and by both, at the end of the window, and
//     the VIPs the backup's kernel gained in the window (its netlink
//     address events: a flap seen from the kernel);
//   - from netlink address events in each namespace (subscribed before the
//     daemons start): the time from launching both daemons to the master
//     holding every VIP, and after the window, from the master's SIGKILL to
//     the backup holding every VIP (bounds: each node's
//     Master_Down_Interval + 100 ms);
//   - with -pprof DIR, a CPU profile of each gokeepalived node over the
//     window, fetched from its hidden --pprof-listen endpoint on the node's
//     loopback (read with `go tool pprof -top BIN FILE`).
//
// It is a test that skips unless given -scalebench: run it through
// bench/scale/run.sh (root; the harness removes its namespaces and stops
// what it started, even on failure).
package scale
