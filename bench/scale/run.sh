#!/bin/sh
# Many VRRP instances on one pair (issue 17): N instances over 20 veth links, VRRPv3,
# advert_int 0.1, keepalived and gokeepalived alternately, a fresh topology per run.
# Prints a markdown table per run; with OUT=file also writes the section into it
# (replacing an older "## Scale" section); with PPROF=dir saves CPU profiles of both
# gokeepalived nodes there; with BUSY=16 runs 16 busy-looping processes through each run;
# with PLOT=dir draws CPU and backup flaps against N as PNG files there (OUT=docs/benchmarks.md
# wants PLOT=docs/img); with LOGS=dir saves both daemons' logs of each run there; with ADVERT_INT=0.01 every instance adverts every 10 ms (default 0.1).
# Each run also times, from netlink address events in both namespaces, the start of the daemons
# to the master holding every VIP, and (after the window) the master's kill -9 to the backup
# holding every VIP. Needs root. Each run takes its settle time plus the window.
#
#   bench/scale/run.sh
#   N=200,1000 WINDOW=30s DAEMONS=gokeepalived PPROF=/tmp/prof bench/scale/run.sh
#   BUSY=16 N=200 bench/scale/run.sh
#   OUT=docs/benchmarks.md PLOT=docs/img bench/scale/run.sh
#
# The issue's long variants (run them on a quiet machine; each is one command):
#   N=1000,2000 WINDOW=10m bench/scale/run.sh                       # no flap over 10 minutes
#   BUSY=16 N=200 WINDOW=5m bench/scale/run.sh                      # 16 busy processes, 5 minutes
#   BUSY=16 N=1 ADVERT_INT=0.01 WINDOW=10m bench/scale/run.sh       # one instance at 10 ms, 10 minutes
# (DAEMONS=gokeepalived skips keepalived; the busy processes live for SETTLE + WINDOW + 70 s.)
#
# The topologies are the e2e harness's (test/e2e/netns): namespaces "gke2e-<pid>x…-scale-…",
# removed with every process the run started when each run ends, even on failure.
set -eu
cd "$(dirname "$0")/../.."

N=${N:-50,200,1000,2000}
WINDOW=${WINDOW:-30s}
SETTLE=${SETTLE:-30s}
DAEMONS=${DAEMONS:-keepalived,gokeepalived}
OUT=${OUT:-}
PPROF=${PPROF:-}
BUSY=${BUSY:-0}
PLOT=${PLOT:-}
LOGS=${LOGS:-}
ADVERT_INT=${ADVERT_INT:-0.1}

. bench/lib.sh
need_root "network namespaces, veth"
need_bins ip nft tcpdump /usr/sbin/keepalived

bindir=$(mktemp -d /tmp/gkscale-bin.XXXXXX)
trap 'rm -rf "$bindir"' EXIT
go build -o "$bindir/gokeepalived" ./cmd/gokeepalived
rev=$(bench_rev)
out=$(abs_path "$OUT")
pprof=$(abs_path "$PPROF")
plot=$(abs_path "$PLOT")
[ -z "$plot" ] || mkdir -p "$plot"
logs=$(abs_path "$LOGS")
[ -z "$logs" ] || mkdir -p "$logs"

GOKEEPALIVED_BIN="$bindir/gokeepalived" go test -count=1 -timeout "${GOTEST_TIMEOUT:-180m}" -v -run '^TestScaleBench$' ./bench/scale \
	-args -scalebench -n "$N" -window "$WINDOW" -settle "$SETTLE" -daemons "$DAEMONS" -rev "$rev" \
	-busy "$BUSY" -advert-int "${ADVERT_INT}s" ${out:+-out "$out"} ${pprof:+-pprof "$pprof"} ${plot:+-plot "$plot"} ${logs:+-logs "$logs"}
