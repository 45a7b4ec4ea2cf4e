#!/usr/bin/env bash
# capture.sh regenerates the golden VRRP advertisements in this directory from
# real keepalived. It needs root, keepalived, tcpdump and iproute2.
#
#   sudo internal/vrrp/packet/testdata/capture.sh
#
# Topology: netns gkpkt-ka runs keepalived on veth gkpkt-v0 (192.0.2.1/24,
# fe80::1/64); netns gkpkt-cap runs tcpdump on the peer gkpkt-v1 (192.0.2.2/24,
# fe80::2/64). One keepalived process runs five instances (v2 PASS, v2 no auth,
# v3 IPv4 multicast, v3 IPv4 unicast, v3 IPv6). After every instance has sent
# two adverts, keepalived gets SIGTERM and sends priority-0 adverts. For each
# instance the first priority>0 advert and the first priority-0 advert are
# written as <name>.hex and <name>-prio0.hex: the whole IP packet as captured.
# Only the namespaces and processes this script creates are touched; the trap
# removes them even on failure.
set -euo pipefail

KEEPALIVED=${KEEPALIVED:-/usr/sbin/keepalived}
OUT=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/gkpkt-capture.XXXXXX)
NS_KA=gkpkt-ka
NS_CAP=gkpkt-cap
KA_PID=
TD_PID=

cleanup() {
	set +e
	if [ -n "$KA_PID" ] && kill -0 "$KA_PID" 2>/dev/null; then
		kill -TERM "$KA_PID"
		wait "$KA_PID"
	fi
	if [ -n "$TD_PID" ] && kill -0 "$TD_PID" 2>/dev/null; then
		kill -TERM "$TD_PID"
		wait "$TD_PID"
	fi
	ip netns del "$NS_KA" 2>/dev/null
	ip netns del "$NS_CAP" 2>/dev/null
	if [ -n "${KEEP_WORK:-}" ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# poll CMD... until it succeeds, for at most $1 tenths of a second.
poll() {
	local n=$1
	shift
	until "$@"; do
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			echo "timed out waiting for: $*" >&2
			echo "--- keepalived log" >&2
			cat "$WORK/keepalived.log" >&2 || true
			return 1
		fi
		sleep 0.1
	done
}

ip netns add "$NS_KA"
ip netns add "$NS_CAP"
ip link add gkpkt-v0 netns "$NS_KA" type veth peer name gkpkt-v1 netns "$NS_CAP"
for ns in "$NS_KA" "$NS_CAP"; do
	ip -n "$ns" link set lo up
done
ip -n "$NS_KA" link set gkpkt-v0 address 02:00:00:00:00:01 addrgenmode none
ip -n "$NS_CAP" link set gkpkt-v1 address 02:00:00:00:00:02 addrgenmode none
ip -n "$NS_KA" addr add 192.0.2.1/24 dev gkpkt-v0
ip -n "$NS_KA" addr add fe80::1/64 dev gkpkt-v0 nodad
ip -n "$NS_CAP" addr add 192.0.2.2/24 dev gkpkt-v1
ip -n "$NS_CAP" addr add fe80::2/64 dev gkpkt-v1 nodad
ip -n "$NS_KA" link set gkpkt-v0 up
ip -n "$NS_CAP" link set gkpkt-v1 up

cat >"$WORK/keepalived.conf" <<'CONF'
global_defs {
	router_id gkpkt
}
vrrp_instance V2PASS {
	version 2
	interface gkpkt-v0
	state MASTER
	virtual_router_id 51
	priority 150
	advert_int 1
	authentication {
		auth_type PASS
		auth_pass secret12
	}
	virtual_ipaddress {
		192.0.2.51/24
		192.0.2.52/24
		198.51.100.51/24
	}
}
vrrp_instance V2NONE {
	version 2
	interface gkpkt-v0
	state MASTER
	virtual_router_id 54
	priority 255
	advert_int 2
	virtual_ipaddress {
		203.0.113.54/24
	}
}
vrrp_instance V3V4 {
	version 3
	interface gkpkt-v0
	state MASTER
	virtual_router_id 52
	priority 200
	advert_int 0.5
	virtual_ipaddress {
		192.0.2.20/24
		192.0.2.21/24
		203.0.113.20/24
	}
}
vrrp_instance V3V4UNI {
	version 3
	interface gkpkt-v0
	state BACKUP
	virtual_router_id 55
	priority 100
	advert_int 1
	unicast_src_ip 192.0.2.1
	unicast_peer {
		192.0.2.2
	}
	virtual_ipaddress {
		198.51.100.55/24
	}
}
vrrp_instance V3V6 {
	version 3
	interface gkpkt-v0
	state MASTER
	virtual_router_id 53
	priority 255
	advert_int 0.75
	virtual_ipaddress {
		fe80::53/64
		2001:db8::53/64
		2001:db8:1::53/64
	}
}
CONF

CAP_FILTER='ip proto 112 or ip6 proto 112'
ip netns exec "$NS_CAP" tcpdump -i gkpkt-v1 -U -s 0 -w "$WORK/cap.pcap" "$CAP_FILTER" 2>"$WORK/tcpdump.log" &
TD_PID=$!
poll 50 grep -q 'listening on' "$WORK/tcpdump.log"

KA_CMD=("$KEEPALIVED" -P -n -l -D -f "$WORK/keepalived.conf" -p "$WORK/keepalived.pid" -r "$WORK/vrrp.pid")
# ip netns exec execs keepalived, so $! is keepalived's own PID.
ip netns exec "$NS_KA" "${KA_CMD[@]}" >"$WORK/keepalived.log" 2>&1 &
KA_PID=$!

# name|tcpdump filter selecting the instance|description
VECTORS=(
	"v2-ipv4-pass|ip[21]=51|VRRPv2 IPv4 multicast, vrid 51, prio 150, adv 1 s, auth PASS secret12, 3 VIPs"
	"v2-ipv4-noauth|ip[21]=54|VRRPv2 IPv4 multicast, vrid 54, prio 255 (owner), adv 2 s, no auth, 1 VIP"
	"v3-ipv4|ip[21]=52 and dst host 224.0.0.18|VRRPv3 IPv4 multicast, vrid 52, prio 200, adv 50 cs, 3 VIPs, checksum with IPv4 pseudo-header (keepalived default)"
	"v3-ipv4-unicast|ip[21]=55 and dst host 192.0.2.2|VRRPv3 IPv4 unicast to 192.0.2.2, vrid 55, prio 100, adv 100 cs, 1 VIP, checksum with IPv4 pseudo-header using the unicast destination"
	"v3-ipv6|ip6[41]=53|VRRPv3 IPv6 multicast, vrid 53, prio 255 (owner), adv 75 cs, 3 VIPs (first link-local), checksum with IPv6 pseudo-header"
)

count() { # filter → number of matching packets so far
	tcpdump -r "$WORK/cap.pcap" -nn "$1" 2>/dev/null | wc -l
}
have() { # filter n → at least n packets match
	[ "$(count "$1")" -ge "$2" ]
}
for v in "${VECTORS[@]}"; do
	IFS='|' read -r name filter desc <<<"$v"
	prio=$([ "${filter#ip6}" != "$filter" ] && echo 'ip6[42]' || echo 'ip[22]')
	poll 200 have "$filter and $prio!=0" 2
done

kill -TERM "$KA_PID"
wait "$KA_PID" || true
KA_PID=
for v in "${VECTORS[@]}"; do
	IFS='|' read -r name filter desc <<<"$v"
	prio=$([ "${filter#ip6}" != "$filter" ] && echo 'ip6[42]' || echo 'ip[22]')
	poll 50 have "$filter and $prio=0" 1
done
kill -TERM "$TD_PID"
wait "$TD_PID" || true
TD_PID=

VERSION=$("$KEEPALIVED" --version 2>&1 | sed -n 1p) # sed, not head: no SIGPIPE under pipefail
DATE=$(date -u +%Y-%m-%d)
write_vector() { # file filter description
	local file=$1 filter=$2 desc=$3 hex decoded
	hex=$(tcpdump -r "$WORK/cap.pcap" -nn -x -c 1 "$filter" 2>/dev/null |
		awk '/^\t0x/ { for (i = 2; i <= NF; i++) printf "%s", $i } END { print "" }')
	decoded=$(tcpdump -r "$WORK/cap.pcap" -nn -v -c 1 "$filter" 2>/dev/null | sed 's/^/#   /')
	[ -n "$hex" ] || { echo "no packet for $filter" >&2; return 1; }
	{
		echo "# $desc"
		echo "# Source: real $VERSION, captured $DATE by testdata/capture.sh (run it as root to regenerate)."
		echo "# keepalived ran in netns $NS_KA on veth gkpkt-v0 (192.0.2.1/24, fe80::1/64) as:"
		echo "#   ip netns exec $NS_KA $KEEPALIVED -P -n -l -D -f keepalived.conf -p keepalived.pid -r vrrp.pid"
		echo "# tcpdump ran in netns $NS_CAP on the peer veth gkpkt-v1 (192.0.2.2/24, fe80::2/64) as:"
		echo "#   ip netns exec $NS_CAP tcpdump -i gkpkt-v1 -U -s 0 -w cap.pcap '$CAP_FILTER'"
		echo "# and this packet (the whole IP packet, no link layer) was extracted with:"
		echo "#   tcpdump -r cap.pcap -nn -x -c 1 '$filter'"
		echo "# tcpdump -v says:"
		echo "$decoded"
		echo "# keepalived.conf (all five instances ran in one process):"
		sed 's/^/#   /; s/\t/  /g' "$WORK/keepalived.conf"
		echo "$hex"
	} >"$OUT/$file.hex"
	echo "wrote $OUT/$file.hex"
}
for v in "${VECTORS[@]}"; do
	IFS='|' read -r name filter desc <<<"$v"
	prio=$([ "${filter#ip6}" != "$filter" ] && echo 'ip6[42]' || echo 'ip[22]')
	write_vector "$name" "$filter and $prio!=0" "$desc"
	write_vector "$name-prio0" "$filter and $prio=0" "$desc; priority-0 advert sent on SIGTERM"
done
