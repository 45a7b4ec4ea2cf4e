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
#   LIST=1 bench/load/run.sh     # print the runs only
#
# The topologies are the e2e harness's (test/e2e/netns): namespaces "gke2e-<pid>x…-load-…",
# removed with every process the run started when each run ends, even on failure; one left
# by a killed run is removed by the next run of any harness test.
set -eu
cd "$(dirname "$0")/../.."

SPINNERS=${SPINNERS:-16}
DURATION=${DURATION:-40s}
BASELINE=${BASELINE:-15s}
DAEMONS=${DAEMONS:-keepalived,keepalived-rt,gokeepalived}
OUT=${OUT:-}
LIST=${LIST:-}

args="-daemons $DAEMONS -spinners $SPINNERS -duration $DURATION -baseline $BASELINE"
if [ -n "$LIST" ]; then
	# shellcheck disable=SC2086
	exec go test -count=1 -v -run '^TestLoadBench$' ./bench/load -args -list $args
fi

. bench/lib.sh
need_root "network namespaces, veth, bridges, SCHED_RR"
need_bins ip nft tcpdump /usr/sbin/keepalived

bindir=$(mktemp -d /tmp/gkload-bin.XXXXXX)
trap 'rm -rf "$bindir"' EXIT
go build -o "$bindir/gokeepalived" ./cmd/gokeepalived
rev=$(bench_rev)

cmd="bench/load/run.sh"
[ "$SPINNERS" != 16 ] && cmd="SPINNERS=$SPINNERS $cmd"
[ "$DURATION" != 40s ] && cmd="DURATION=$DURATION $cmd"
[ "$BASELINE" != 15s ] && cmd="BASELINE=$BASELINE $cmd"
[ "$DAEMONS" != keepalived,keepalived-rt,gokeepalived ] && cmd="DAEMONS=$DAEMONS $cmd"
out=$(abs_path "$OUT")

# -timeout bounds a run that hangs (the harness cleans up on the test's end).
# shellcheck disable=SC2086
GOKEEPALIVED_BIN="$bindir/gokeepalived" go test -count=1 -timeout 15m -v -run '^TestLoadBench$' ./bench/load \
	-args -loadbench $args -rev "$rev" -command "$cmd" ${out:+-out "$out"}
