#!/bin/sh
# Timing under load (DESIGN.md): a VRRPv3 pair with 10 ms adverts, real keepalived
# (defaults, and vrrp_rt_priority 10 + vrrp_no_swap) and gokeepalived, each without
# load (baseline) and with N busy processes competing for the CPUs. Counts false
# failovers, time with the VIP on both nodes, and the master's advert interval on the
# wire. Prints a markdown section; with OUT=file also writes it there (replacing an
# older "## Timing under load" section). Needs root. About 3.5 minutes with the defaults.
#
#   bench/load/run.sh
#   OUT=docs/benchmarks.md bench/load/run.sh
#   SPINNERS=16 DURATION=40s BASELINE=15s DAEMONS=keepalived,keepalived-rt,gokeepalived bench/load/run.sh
#
# Namespaces are "gkload-<pid>-…"; on exit (even on failure) the processes left in them
# (only ones this run started) are killed by PID and the namespaces deleted.
set -eu
cd "$(dirname "$0")/../.."

SPINNERS=${SPINNERS:-16}
DURATION=${DURATION:-40s}
BASELINE=${BASELINE:-15s}
DAEMONS=${DAEMONS:-keepalived,keepalived-rt,gokeepalived}
OUT=${OUT:-}

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: needs root (network namespaces, veth, bridges, SCHED_RR); try: sudo $0" >&2
	exit 1
fi
for bin in ip tcpdump chrt /usr/sbin/keepalived; do
	command -v "$bin" >/dev/null 2>&1 || { echo "run.sh: $bin not found (scripts/deps.sh installs it)" >&2; exit 1; }
done

prefix=gkload-$$
tmp=$(mktemp -d /tmp/gkload-run.XXXXXX)
cleanup() {
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix-" || true); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

go build -o "$tmp/gokeepalived" ./cmd/gokeepalived
go build -o "$tmp/loadbench" ./bench/load
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -- cmd internal go.mod go.sum 2>/dev/null | awk '{print $2}' | tr '\n' ' ')
[ -n "$dirty" ] && rev="$rev + uncommitted changes in: $dirty"

cmd="bench/load/run.sh"
[ "$SPINNERS" != 16 ] && cmd="SPINNERS=$SPINNERS $cmd"
[ "$DURATION" != 40s ] && cmd="DURATION=$DURATION $cmd"
[ "$BASELINE" != 15s ] && cmd="BASELINE=$BASELINE $cmd"
[ "$DAEMONS" != keepalived,keepalived-rt,gokeepalived ] && cmd="DAEMONS=$DAEMONS $cmd"
out=
if [ -n "$OUT" ]; then
	case "$OUT" in /*) out=$OUT ;; *) out=$PWD/$OUT ;; esac
fi

# timeout bounds a run that hangs (the benchmark cleans up on SIGTERM).
timeout 600 "$tmp/loadbench" -prefix "$prefix" -gokeepalived "$tmp/gokeepalived" \
	-daemons "$DAEMONS" -spinners "$SPINNERS" -duration "$DURATION" -baseline "$BASELINE" \
	-scratch "$tmp" -rev "$rev" -command "$cmd" ${out:+-out "$out"}
