# shellcheck shell=sh
# daemon-vm.sh — runs INSIDE the IPVS VM (/bin/sh is dash): the gokeepalived
# daemon (-C, --lb-backend=ipvs) health-checks two busybox httpd real servers
# and keeps the kernel's IPVS table in step; verified with `ipvsadm -Ln` and
# with traffic from a client namespace through the VIP.
#
#   client ns 192.0.2.10 ── c-cl/c-dir ── root ns = director (192.0.2.1, VIP 192.0.2.100)
#   director 198.18.0.1/15 on br0 ── rs1 ns 198.18.0.2, rs2 ns 198.18.0.3, sorry ns 198.18.0.200
#
# Every step prints "DAEMON-VM: PASS <step>" or "DAEMON-VM: FAIL <step>" (then
# the table and the daemon's log, and exits 1); the last line on success is
# "DAEMON-VM: ALL PASS". Waits are bounded by wall-clock deadlines.
# Started by run-daemon-test.sh; expects /extra/bin/gokeepalived.
set -u

GK=/extra/bin/gokeepalived
LOG=/tmp/gk.log
CONF=/tmp/gk.conf
WAIT=${DAEMON_VM_WAIT:-25}   # seconds for one state change (delay_loop 1 + retry under TCG)
gkpid=

pass() { echo "DAEMON-VM: PASS $*"; }
fail() {
  echo "DAEMON-VM: FAIL $*"
  echo "--- ipvsadm -Ln"; ipvsadm -Ln 2>&1
  echo "--- gokeepalived log (tail)"; tail -n 60 "$LOG" 2>/dev/null
  [ -n "$gkpid" ] && kill -KILL "$gkpid" 2>/dev/null
  exit 1
}
now() { date +%s; }

# ------------------------------------------------------------------ topology
sysctl -qw net.ipv4.ip_forward=1 || fail "ip_forward"
for ns in client rs1 rs2 sorry; do ip netns add $ns && ip -n $ns link set lo up || fail "netns $ns"; done
ip link add c-dir type veth peer name c-cl netns client || fail "veth client"
ip addr add 192.0.2.1/24 dev c-dir
ip addr add 192.0.2.100/24 dev c-dir   # the VIP is local on the director
ip link set c-dir up
ip -n client addr add 192.0.2.10/24 dev c-cl
ip -n client link set c-cl up
ip -n client route add default via 192.0.2.1 || fail "client route"
ip link add br0 type bridge
ip addr add 198.18.0.1/15 dev br0
ip link set br0 up
for x in rs1:2 rs2:3 sorry:200; do
  ns=${x%%:*}; a=${x#*:}
  ip link add b-$ns type veth peer name eth0 netns $ns || fail "veth $ns"
  ip link set b-$ns master br0 up
  ip -n $ns addr add 198.18.0.$a/15 dev eth0
  ip -n $ns link set eth0 up
  ip -n $ns route add default via 198.18.0.1 || fail "route $ns"
  mkdir -p /tmp/www/$ns
  echo "$ns" > /tmp/www/$ns/index.html
done
httpd_start() { ip netns exec "$1" httpd -p 80 -h /tmp/www/"$1" || fail "httpd in $1"; }   # daemonizes
# httpd_stop kills every process in the namespace: only the httpd this script started live there.
httpd_stop() {
  # shellcheck disable=SC2046
  kill $(ip netns pids "$1") 2>/dev/null
  d=$(( $(now) + 10 ))
  while [ -n "$(ip netns pids "$1")" ]; do [ "$(now)" -lt "$d" ] || fail "httpd in $1 did not stop"; sleep 0.1; done
}
for ns in rs1 rs2 sorry; do httpd_start $ns; done

digest() { md5sum "/tmp/www/$1/index.html" | cut -d' ' -f1; }
cat > "$CONF" <<EOF
global_defs {
    router_id DAEMON_VM
    lvs_timeouts tcp 7200 tcpfin 60 udp 30
    lvs_sync_daemon c-dir id 7
}
virtual_server 192.0.2.100 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    sorry_server 198.18.0.200 80
    real_server 198.18.0.2 80 {
        weight 1
        HTTP_GET {
            url {
                path /
                digest $(digest rs1)
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server 198.18.0.3 80 {
        weight 2
        HTTP_GET {
            url {
                path /
                digest $(digest rs2)
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
EOF
echo "--- config"; cat "$CONF"

# ------------------------------------------------------------------- helpers
# table prints the VIP's service and its destinations as "addr:port/method/weight", sorted, one line.
table() {
  ipvsadm -Ln 2>/dev/null | awk '
    $1 == "TCP" { on = ($2 == "192.0.2.100:80"); if (on) print "0 svc=" $2 "/" $3; next }
    $1 == "->" && $2 != "RemoteAddress:Port" && on { print "1 " $2 "/" $3 "/" $4 }' |
    sort | cut -d' ' -f2- | tr '\n' ' ' | sed 's/ $//'
}
# expect_table WANT STEP: waits until table prints WANT.
expect_table() {
  d=$(( $(now) + WAIT )); t0=$(now)
  while :; do
    got=$(table)
    [ "$got" = "$1" ] && { pass "$2: ipvsadm shows [$got] after $(( $(now) - t0 ))s"; return 0; }
    [ "$(now)" -lt "$d" ] || fail "$2: ipvsadm shows [$got], want [$1] within ${WAIT}s"
    [ -z "$gkpid" ] || kill -0 "$gkpid" 2>/dev/null || fail "$2: gokeepalived exited"
    sleep 0.2
  done
}
fetch() { ip netns exec client timeout 5 wget -q -O - http://192.0.2.100/ 2>/dev/null || echo "wget-failed"; }
# expect_traffic STEP N NAME...: N fetches through the VIP, each answered by one of NAMEs;
# with two NAMEs the answers must alternate (rr) and include both.
expect_traffic() {
  step=$1; n=$2; shift 2
  seen=; prev=; i=0
  while [ $i -lt "$n" ]; do
    r=$(fetch); seen="$seen $r"
    ok=
    for w in "$@"; do [ "$r" = "$w" ] && ok=1; done
    [ -n "$ok" ] || fail "$step: traffic answered [$seen ], want only [$*]"
    if [ $# -eq 2 ] && [ "$r" = "$prev" ]; then fail "$step: traffic [$seen ] does not alternate (rr)"; fi
    prev=$r; i=$((i+1))
  done
  pass "$step: traffic [$seen ]"
}
start_gk() {
  "$GK" -n -l -D -C --lb-backend=ipvs "$@" -f "$CONF" -p /tmp/gk.pid -r /tmp/gk-vrrp.pid -c /tmp/gk-checkers.pid \
    --control-socket /tmp/gk.sock >>"$LOG" 2>&1 &
  gkpid=$!
}
# stop_gk: SIGTERM, then wait (bounded by a watchdog that SIGKILLs) and require exit status 0.
stop_gk() {
  kill -TERM "$gkpid"
  ( sleep 20; kill -KILL "$gkpid" 2>/dev/null ) &
  wd=$!
  wait "$gkpid"; rc=$?
  kill "$wd" 2>/dev/null
  p=$gkpid; gkpid=
  [ "$rc" = 0 ] || fail "$1: gokeepalived (pid $p) exited with status $rc on SIGTERM (137 = killed by the 20 s watchdog)"
  pass "$1: gokeepalived exited 0 on SIGTERM"
}

BOTH="svc=192.0.2.100:80/rr 198.18.0.2:80/Masq/1 198.18.0.3:80/Masq/2"
[ -z "$(table)" ] || fail "IPVS table not empty before the daemon started"

# -------------------------------------------------------------------- steps
echo "--- gokeepalived -C --lb-backend=ipvs"
start_gk
expect_table "$BOTH" "start"
grep -q 'backend=ipvs' "$LOG" || fail "start: the log does not say the ipvs backend was chosen"
got=$(ipvsadm -L --timeout 2>&1)
echo "$got" | grep -q 'Timeout (tcp tcpfin udp): 7200 60 30' || fail "lvs_timeouts: ipvsadm -L --timeout says [$got]"
pass "lvs_timeouts: [$got]"
got=$(ipvsadm -L --daemon 2>&1)
echo "$got" | grep -q 'master sync daemon (mcast=c-dir, syncid=7' && echo "$got" | grep -q 'backup sync daemon (mcast=c-dir, syncid=7' ||
  fail "lvs_sync_daemon without an instance: want master and backup daemons, ipvsadm -L --daemon says [$got]"
pass "lvs_sync_daemon: both daemons run (no instance)"
expect_traffic "start" 6 rs1 rs2

httpd_stop rs2
expect_table "svc=192.0.2.100:80/rr 198.18.0.2:80/Masq/1" "rs2 httpd killed"
expect_traffic "rs2 httpd killed" 3 rs1

httpd_start rs2
expect_table "$BOTH" "rs2 httpd restarted"
expect_traffic "rs2 httpd restarted" 4 rs1 rs2

echo "rs1 edited" > /tmp/www/rs1/index.html
expect_table "svc=192.0.2.100:80/rr 198.18.0.3:80/Masq/2" "rs1 page changed (digest mismatch)"
grep -q 'digest mismatch' "$LOG" || fail "rs1 page changed: the log has no 'digest mismatch'"
expect_traffic "rs1 page changed" 3 rs2

echo "rs1" > /tmp/www/rs1/index.html
expect_table "$BOTH" "rs1 page restored"
expect_traffic "rs1 page restored" 4 rs1 rs2

httpd_stop rs1
httpd_stop rs2
expect_table "svc=192.0.2.100:80/rr 198.18.0.200:80/Masq/1" "both down: sorry server"
expect_traffic "both down: sorry server" 3 sorry

httpd_start rs1
httpd_start rs2
expect_table "$BOTH" "both back: sorry server out"
expect_traffic "both back" 4 rs1 rs2

stop_gk "SIGTERM"
got=$(table)
[ -z "$got" ] || fail "SIGTERM: the daemon left [$got] in the IPVS table (keepalived flushes its services on stop)"
pass "SIGTERM: IPVS table flushed"
got=$(ipvsadm -L --daemon 2>&1)
[ -z "$got" ] || fail "SIGTERM: sync daemons still running: [$got]"
pass "SIGTERM: sync daemons stopped"
got=$(ipvsadm -L --timeout 2>&1)
echo "$got" | grep -q 'Timeout (tcp tcpfin udp): 900 120 300' || fail "SIGTERM: the kernel's timeouts not restored: [$got]"
pass "SIGTERM: the kernel's timeouts restored (as keepalived's ipvs_stop)"

echo "--- gokeepalived -I (--dont-release-ipvs)"
start_gk -I
expect_table "$BOTH" "-I start"
stop_gk "-I SIGTERM"
got=$(table)
[ "$got" = "$BOTH" ] || fail "-I SIGTERM: the IPVS table is [$got], want [$BOTH] kept"
pass "-I SIGTERM: IPVS table kept"
expect_traffic "-I: kept table still serves" 2 rs1 rs2
ipvsadm -C

echo "--- nftables_ipvs: a virtual_server_group range as one fwmark service"
cat > "$CONF" <<EOF
global_defs {
    router_id DAEMON_VM
    nftables_ipvs
    nftables_ipvs_start_fwmark 4000
}
virtual_server_group vips {
    192.0.2.100-101 80
}
virtual_server group vips {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.2 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.18.0.3 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOF
ip addr add 192.0.2.101/24 dev c-dir
# fwm prints the FWM 4000 service and its destinations (and any address
# service, which must not be there), sorted, one line.
fwm() {
  ipvsadm -Ln 2>/dev/null | awk '
    $1 == "FWM" { on = ($2 == "4000"); if (on) print "0 fwm=" $2 "/" $3; next }
    $1 == "TCP" { on = 0; print "0 other=" $2; next }
    $1 == "->" && $2 != "RemoteAddress:Port" && on { print "1 " $2 "/" $3 "/" $4 }' |
    sort | cut -d' ' -f2- | tr '\n' ' ' | sed 's/ $//'
}
start_gk
d=$(( $(now) + WAIT ))
want="fwm=4000/rr 198.18.0.2:80/Masq/1 198.18.0.3:80/Masq/1"
while [ "$(fwm)" != "$want" ]; do
  [ "$(now)" -lt "$d" ] || fail "nftables_ipvs: ipvsadm shows [$(fwm)], want [$want] (one fwmark service, no per-address ones)"
  kill -0 "$gkpid" 2>/dev/null || fail "nftables_ipvs: gokeepalived exited"
  sleep 0.2
done
pass "nftables_ipvs: ipvsadm shows [$(fwm)]"
seen=
for a in 192.0.2.100 192.0.2.101 192.0.2.100 192.0.2.101; do
  r=$(ip netns exec client timeout 5 wget -q -O - http://$a/ 2>/dev/null || echo "wget-failed")
  seen="$seen $a=$r"
  [ "$r" = rs1 ] || [ "$r" = rs2 ] || fail "nftables_ipvs: [$seen ] (the marked range must reach FWM 4000)"
done
echo "$seen" | grep -q rs1 && echo "$seen" | grep -q rs2 || fail "nftables_ipvs: [$seen ] not balanced over both"
pass "nftables_ipvs: traffic to both addresses of the range [$seen ]"
stop_gk "nftables_ipvs SIGTERM"
[ -z "$(fwm)" ] || fail "nftables_ipvs SIGTERM: [$(fwm)] left"
r=$(ip netns exec client timeout 3 wget -q -O - http://192.0.2.101/ 2>/dev/null || echo "no answer")
[ "$r" = "no answer" ] || fail "nftables_ipvs SIGTERM: 192.0.2.101 still answered [$r] (marks table left?)"
pass "nftables_ipvs SIGTERM: service and marks gone"

echo "--- gokeepalived log (tail)"; tail -n 25 "$LOG"
echo "DAEMON-VM: ALL PASS"
