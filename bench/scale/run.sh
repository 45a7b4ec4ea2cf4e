#!/bin/sh
# Many VRRP instances on one pair (issue 17): N instances over 20 veth links, VRRPv3,
# advert_int 0.1, keepalived and gokeepalived alternately, a fresh topology per run.
# Prints a markdown table per run; with OUT=file also writes the section into it
# (replacing an older "## Scale" section); with PPROF=dir saves CPU profiles of both
# gokeepalived nodes there. Needs root. Each run takes its settle time plus the window.
#
#   bench/scale/run.sh
#   N=200,1000 WINDOW=30s DAEMONS=gokeepalived PPROF=/tmp/prof bench/scale/run.sh
#   OUT=docs/benchmarks.md bench/scale/run.sh
#
# The topologies are the e2e harness's (test/e2e/netns): namespaces "gke2e-<pid>x…-scale-…",
# removed with every process the run started when each run ends, even on failure.
set -eu
cd "$(dirname "$0")/../.."

N=${N:-200,1000}
WINDOW=${WINDOW:-30s}
SETTLE=${SETTLE:-30s}
DAEMONS=${DAEMONS:-keepalived,gokeepalived}
OUT=${OUT:-}
PPROF=${PPROF:-}

. bench/lib.sh
need_root "network namespaces, veth"
need_bins ip nft tcpdump /usr/sbin/keepalived

bindir=$(mktemp -d /tmp/gkscale-bin.XXXXXX)
trap 'rm -rf "$bindir"' EXIT
go build -o "$bindir/gokeepalived" ./cmd/gokeepalived
rev=$(bench_rev)
out=$(abs_path "$OUT")
pprof=$(abs_path "$PPROF")

GOKEEPALIVED_BIN="$bindir/gokeepalived" go test -count=1 -timeout 30m -v -run '^TestScaleBench$' ./bench/scale \
	-args -scalebench -n "$N" -window "$WINDOW" -settle "$SETTLE" -daemons "$DAEMONS" -rev "$rev" \
	${out:+-out "$out"} ${pprof:+-pprof "$pprof"}
