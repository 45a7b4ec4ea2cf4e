// Package failover is the failover benchmark of issue 4 (item 7): the seed's nginx pair
// (MASTER priority 100, BACKUP priority 90, a client, one VIP) in network namespaces, run
// under gokeepalived and under real keepalived in the same run, measuring the time from a
// fault to the first HTTP answer through the VIP from the new master:
//
//	(a) VRRPv2 advert_int 1, master link down
//	(b) VRRPv3 advert_int 0.1, master link down
//	(c) VRRPv3 advert_int 0.1, SIGTERM of the master daemon (graceful stop)
//	(d) preemption when the master returns (after a, b and c): requests lost, longest gap
//
// next to the RFC's Master_Down_Interval. It needs root and takes several minutes, so it is
// behind the build tag failoverbench and does not run in `go test ./...`. Run it with
// bench/failover/run.sh, which writes docs/benchmarks.md.
package failover
