#!/usr/bin/env bash
# capture.sh regenerates the golden BFD control packets in this directory from
# real peers: FRR's bfdd and keepalived's BFD process, talking to each other.
# It needs root, frr (bfdd), keepalived, tcpdump, tshark and iproute2.
#
#   sudo internal/bfd/testdata/capture.sh
#
# Topology: netns gkbfd-frr runs bfdd on veth gkbfd-v0 (192.0.2.1/24,
# 2001:db8:bfd::1/64); netns gkbfd-ka runs keepalived (BFD only) on the peer
# gkbfd-v1 (192.0.2.2/24, 2001:db8:bfd::2/64). Each has one IPv4 and one IPv6
# single-hop session to the other (300 ms, multiplier 3). tcpdump in gkbfd-frr
# records both directions. keepalived's IPv6 sessions send hop limit 64
# unless told otherwise, which bfdd (RFC 5881 §5) drops: the IPv6 instance
# sets hoplimit 255. After the sessions are Up, keepalived gets SIGTERM
# (its sessions go AdminDown), then bfdd sees them time out.
# For each sender and family the first packet of each kind (State, P, F,
# Diag) is written as <sender>-<family>-<kind>.hex: the UDP payload as hex,
# after comment lines that say where it came from.
# Only the namespaces and processes this script creates are touched; the trap
# removes them even on failure. It never starts the frr system service.
set -euo pipefail

BFDD=${BFDD:-/usr/lib/frr/bfdd}
KEEPALIVED=${KEEPALIVED:-/usr/sbin/keepalived}
OUT=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/gkbfd-capture.XXXXXX)
chown frr:frr "$WORK" # bfdd drops to the frr user and writes its pid and sockets here
NS_FRR=gkbfd-frr
NS_KA=gkbfd-ka
FRR_PID=
KA_PID=
TD_PID=

cleanup() {
	set +e
	for p in "$KA_PID" "$FRR_PID" "$TD_PID"; do
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p"
			wait "$p" 2>/dev/null
		fi
	done
	ip netns del "$NS_FRR" 2>/dev/null
	ip netns del "$NS_KA" 2>/dev/null
	[ -n "${KEEP_WORK:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NS_FRR"
ip netns add "$NS_KA"
ip link add gkbfd-v0 netns "$NS_FRR" type veth peer name gkbfd-v1 netns "$NS_KA"
ip -n "$NS_FRR" addr add 192.0.2.1/24 dev gkbfd-v0
ip -n "$NS_FRR" addr add 2001:db8:bfd::1/64 dev gkbfd-v0 nodad
ip -n "$NS_KA" addr add 192.0.2.2/24 dev gkbfd-v1
ip -n "$NS_KA" addr add 2001:db8:bfd::2/64 dev gkbfd-v1 nodad
for ns in "$NS_FRR" "$NS_KA"; do
	ip -n "$ns" link set lo up
done
ip -n "$NS_FRR" link set gkbfd-v0 up
ip -n "$NS_KA" link set gkbfd-v1 up

cat >"$WORK/bfdd.conf" <<'CONF'
bfd
 peer 192.0.2.2 local-address 192.0.2.1
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 !
 peer 2001:db8:bfd::2 local-address 2001:db8:bfd::1
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 !
!
CONF
cat >"$WORK/keepalived.conf" <<'CONF'
bfd_instance frr4 {
    neighbor_ip 192.0.2.1
    source_ip 192.0.2.2
    min_rx 300
    min_tx 300
    multiplier 3
}
bfd_instance frr6 {
    neighbor_ip 2001:db8:bfd::1
    source_ip 2001:db8:bfd::2
    hoplimit 255
    min_rx 300
    min_tx 300
    multiplier 3
}
CONF

ip netns exec "$NS_FRR" tcpdump -q -n -i gkbfd-v0 -w "$WORK/bfd.pcap" -U 'udp port 3784' 2>"$WORK/tcpdump.log" &
TD_PID=$!
sleep 1
ip netns exec "$NS_FRR" "$BFDD" -f "$WORK/bfdd.conf" -i "$WORK/bfdd.pid" -z "$WORK/zserv.api" \
	--vty_socket "$WORK" --bfdctl "$WORK/bfdd.sock" -u frr -g frr -P 0 \
	--log "file:$WORK/bfdd.log" >"$WORK/bfdd.out" 2>&1 &
FRR_PID=$!
ip netns exec "$NS_KA" "$KEEPALIVED" -n -l -D -f "$WORK/keepalived.conf" -p "$WORK/keepalived.pid" \
	-b "$WORK/bfd.pid" >"$WORK/keepalived.out" 2>&1 &
KA_PID=$!
sleep 6
kill -TERM "$KA_PID"
wait "$KA_PID" || true
KA_PID=
sleep 3
kill -TERM "$FRR_PID"
wait "$FRR_PID" || true
FRR_PID=
sleep 1
kill -TERM "$TD_PID"
wait "$TD_PID" || true
TD_PID=

frr_version=$("$BFDD" --version 2>&1 | head -1 || true)
ka_version=$("$KEEPALIVED" --version 2>&1 | head -1 || true)
rm -f "$OUT"/frr-*.hex "$OUT"/keepalived-*.hex
# Of ip.src/ipv6.src and ip.ttl/ipv6.hlim only one is set: read folds the empty one away.
tshark -r "$WORK/bfd.pcap" 2>/dev/null -T fields -E separator=' ' \
	-e ip.src -e ipv6.src -e ip.ttl -e ipv6.hlim -e bfd.sta -e bfd.flags.p -e bfd.flags.f -e bfd.diag -e udp.payload |
while read -r src ttl sta p f diag payload; do
	case $src in
	192.0.2.1 | 2001:db8:bfd::1) who=frr ;;
	*) who=keepalived ;;
	esac
	case $src in *:*) fam=ipv6 ;; *) fam=ipv4 ;; esac
	case $sta in 0x00 | 0) st=admindown ;; 0x01 | 1) st=down ;; 0x02 | 2) st=init ;; *) st=up ;; esac
	kind=$st
	[ "$p" = 1 ] || [ "$p" = True ] && kind=$kind-poll
	[ "$f" = 1 ] || [ "$f" = True ] && kind=$kind-final
	case $diag in 0x00 | 0) ;; *) kind=$kind-diag$((diag)) ;; esac
	file=$OUT/$who-$fam-$kind.hex
	[ -e "$file" ] && continue
	version=$frr_version
	[ $who = keepalived ] && version=$ka_version
	{
		echo "# BFD control packet from $who ($fam, source $src, TTL/hop limit $ttl), state $st, P=$p F=$f diag=$diag"
		echo "# Source: $version, captured $(date -u +%F) by testdata/capture.sh (run it as root to regenerate)."
		echo "# UDP payload:"
		echo "$payload"
	} >"$file"
done
ls "$OUT"/*.hex
