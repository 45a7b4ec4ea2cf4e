#!/bin/sh
# Failover benchmark: gokeepalived vs keepalived on the seed's nginx pair (issue 4, item 7).
# Builds gokeepalived from the working tree, runs bench/failover as root (about 6-8 minutes
# with 10 trials), prints the tables and writes docs/benchmarks.md.
#
#   bench/failover/run.sh                 # 10 trials per case and daemon, writes docs/benchmarks.md
#   TRIALS=3 OUT=/tmp/b.md bench/failover/run.sh
#   CASES=b,c DAEMONS=gokeepalived bench/failover/run.sh
set -eu
cd "$(dirname "$0")/../.."

TRIALS=${TRIALS:-10}
CASES=${CASES:-a,b,c}
DAEMONS=${DAEMONS:-gokeepalived,keepalived}
OUT=${OUT:-docs/benchmarks.md}

. bench/lib.sh
need_root "network namespaces, veth, bridges"
need_bins ip nft tcpdump /usr/sbin/keepalived /usr/sbin/nginx

bindir=$(mktemp -d /tmp/gkbench-bin.XXXXXX)
trap 'rm -rf "$bindir"' EXIT
go build -o "$bindir/gokeepalived" ./cmd/gokeepalived
rev=$(bench_rev)

cmd="bench/failover/run.sh"
[ "$TRIALS" != 10 ] && cmd="TRIALS=$TRIALS $cmd"
[ "$CASES" != a,b,c ] && cmd="CASES=$CASES $cmd"
[ "$DAEMONS" != gokeepalived,keepalived ] && cmd="DAEMONS=$DAEMONS $cmd"

out=$(abs_path "$OUT")
GOKEEPALIVED_BIN="$bindir/gokeepalived" GOKEEPALIVED_BENCH_REV="$rev" \
	go test -tags failoverbench -count=1 -timeout 30m -v -run '^TestFailoverBench$' ./bench/failover \
	-args -trials "$TRIALS" -cases "$CASES" -daemons "$DAEMONS" -out "$out" -command "$cmd"
