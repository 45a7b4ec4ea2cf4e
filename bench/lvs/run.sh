#!/bin/sh
# Health checking at scale: 10,000 real servers, TCP_CHECK, delay_loop 1 s.
# Prints a markdown table (one row per LB backend). Needs root (a network
# namespace "gklbb-lvs-<pid>", removed on exit even on failure).
# Environment: N (real servers, 10000), VS (virtual servers, 100),
# KILL (servers killed, 100), DURATION (measured run, 40s), BACKENDS ("fake nft"),
# MODES ("new": the connect poller and per-virtual-server lb.Desired; "old": a
# goroutine and net.Dialer per check, lb.Desired for every virtual server),
# ENGINES ("runner": internal/check's Runner and the LB loop in miniature;
# "director": the daemon's internal/director loop, new mode only),
# PROFILE (a directory: CPU and allocation profiles of the benchmark process,
# <backend>-<mode>.cpu / .mem, for go tool pprof).
set -eu
cd "$(dirname "$0")/../.."
N=${N:-10000}; VS=${VS:-100}; KILL=${KILL:-100}; DURATION=${DURATION:-40s}; BACKENDS=${BACKENDS:-"fake nft"}
MODES=${MODES:-new}; ENGINES=${ENGINES:-runner}; PROFILE=${PROFILE:-}
ns=gklbb-lvs-$$
tmp=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
go build -o "$tmp/lvsbench" ./bench/lvs
ip netns add "$ns"
ip -n "$ns" link set lo up
# The nft backend's NAT rules turn connection tracking on in the namespace,
# and every check is a connection: at 10,000 checks/s, entries held 120 s in
# TIME_WAIT (the default) fill the 262,144-entry table in 26 s, after which
# the kernel drops new SYNs ("nf_conntrack: table full") and the checks
# stall. A director doing as many checks meets the same limit (docs/
# operations.md); the benchmark measures the checker, so it holds closed
# connections 5 s.
modprobe nf_conntrack 2>/dev/null || true
ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=5 2>/dev/null ||
	echo "warning: cannot shorten conntrack's TIME_WAIT in the namespace; nft runs may stall on a full table" >&2
for i in 1 2 3 4; do ip -n "$ns" addr add "198.18.1.$i/32" dev lo; done
echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r), $(go version | cut -d' ' -f3)"
header=-header
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "conntrack: table $(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo ?) entries, TIME_WAIT $(ip netns exec "$ns" cat /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait 2>/dev/null || echo ?) s in the namespace"
for b in $BACKENDS; do
	for e in $ENGINES; do
		for m in $MODES; do
			[ "$e" = director ] && [ "$m" = old ] && continue
			prof=
			if [ -n "$PROFILE" ]; then
				mkdir -p "$PROFILE"
				prof="-cpuprofile $PROFILE/$b-$e-$m.cpu -memprofile $PROFILE/$b-$e-$m.mem"
			fi
			# timeout bounds a run that hangs; the namespace goes in cleanup.
			timeout 150 ip netns exec "$ns" "$tmp/lvsbench" -n "$N" -vs "$VS" -kill "$KILL" -duration "$DURATION" \
				-backend "$b" -engine "$e" -mode "$m" $prof $header || echo "($b $e $m: the run failed, see above)" >&2
			header=
			echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
		done
	done
done
