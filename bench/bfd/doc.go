// Package bfd is the BFD benchmark of issue 14: a BFD session between the
// daemon under test (gokeepalived, or keepalived's BFD process in the same
// run) and FRR's bfdd as the common peer, in network namespaces:
//
//   - detection time: the peer stops sending (nftables drops its BFD
//     packets at its own output), and the time from the peer's last
//     packet on the wire to the daemon's first packet saying Down is
//     measured from one packet capture (tcpdump in the daemon's node, one
//     clock), at 3 x 10 ms and 3 x 50 ms;
//   - false Downs: the session runs at 3 x 10 ms while 16 busy processes
//     spin on the CPUs (each bounded by timeout and killed by PID at the
//     end), and every Down the daemon sends is counted.
//
// It needs root, FRR, keepalived and tcpdump and takes minutes, so it is
// behind the build tag bfdbench. Run it with bench/bfd/run.sh, which
// writes its section of docs/benchmarks.md.
package bfd
