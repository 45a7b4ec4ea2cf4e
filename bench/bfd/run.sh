#!/bin/sh
# BFD benchmark (issue 14): detection time at 3 x 10 ms and 3 x 50 ms, and false Downs at
# 3 x 10 ms under 16 busy processes, gokeepalived and keepalived each against FRR's bfdd.
#
#   bench/bfd/run.sh                              # 10 trials, 60 s under load, writes docs/benchmarks.md
#   TRIALS=3 LOAD_SECONDS=20 OUT=/tmp/b.md bench/bfd/run.sh
#   DAEMONS=gokeepalived bench/bfd/run.sh
set -eu
cd "$(dirname "$0")/../.."

TRIALS=${TRIALS:-10}
LOAD_SECONDS=${LOAD_SECONDS:-60}
DAEMONS=${DAEMONS:-gokeepalived,keepalived}
OUT=${OUT:-docs/benchmarks.md}

. bench/lib.sh
need_root "network namespaces, veth, bridges"
need_bins ip nft tcpdump /usr/sbin/keepalived /usr/lib/frr/bfdd

bindir=$(mktemp -d /tmp/gkbench-bin.XXXXXX)
trap 'rm -rf "$bindir"' EXIT
go build -o "$bindir/gokeepalived" ./cmd/gokeepalived
rev=$(bench_rev)

cmd="bench/bfd/run.sh"
[ "$TRIALS" != 10 ] && cmd="TRIALS=$TRIALS $cmd"
[ "$LOAD_SECONDS" != 60 ] && cmd="LOAD_SECONDS=$LOAD_SECONDS $cmd"
[ "$DAEMONS" != gokeepalived,keepalived ] && cmd="DAEMONS=$DAEMONS $cmd"

out=$(abs_path "$OUT")
GOKEEPALIVED_BIN="$bindir/gokeepalived" GOKEEPALIVED_BENCH_REV="$rev" \
	go test -tags bfdbench -count=1 -timeout 60m -v -run '^TestBFDBench$' ./bench/bfd \
	-args -trials "$TRIALS" -load-seconds "$LOAD_SECONDS" -daemons "$DAEMONS" -out "$out" -command "$cmd"
