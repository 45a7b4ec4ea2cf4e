# shellcheck shell=sh
# vmac-vm.sh — runs INSIDE the test VM (/bin/sh is dash), on Debian's kernel,
# which has the ipvlan and VRF drivers the development kernel lacks: a
# gokeepalived pair with use_ipvlan, then with vrf, then use_vmac on an
# interface enslaved to a VRF.
#
#   ns m (ens33 192.0.2.1) ── br0 (root ns) ── ns b (ens33 192.0.2.2)
#                                   └──────── ns c (eth0 192.0.2.10, the client)
#
# Every step prints "VMAC-VM: PASS <step>" or "VMAC-VM: FAIL <step>" (then
# the interfaces and both daemons' logs, and exits 1); the last line on
# success is "VMAC-VM: ALL PASS". Waits are bounded by wall-clock deadlines.
# Started by run-vmac-test.sh; expects /extra/bin/gokeepalived.
set -u

GK=/extra/bin/gokeepalived
WAIT=${VMAC_VM_WAIT:-60}
VIP=192.0.2.100
mpid=
bpid=

pass() { echo "VMAC-VM: PASS $*"; }
fail() {
  echo "VMAC-VM: FAIL $*"
  for n in m b; do
    echo "--- $n: ip -d addr"; ip -n $n -d addr 2>&1
    echo "--- $n: gokeepalived log (tail)"; tail -n 40 /tmp/gk-$n.log 2>/dev/null
  done
  [ -n "$mpid" ] && kill -KILL "$mpid" 2>/dev/null
  [ -n "$bpid" ] && kill -KILL "$bpid" 2>/dev/null
  exit 1
}
now() { date +%s; }
# until_ok STEP CMD...: runs CMD until it succeeds, for at most WAIT seconds.
until_ok() {
  step=$1; shift
  d=$(( $(now) + WAIT ))
  until "$@" >/dev/null 2>&1; do
    [ "$(now)" -lt "$d" ] || fail "$step (waited ${WAIT}s for: $*)"
    sleep 0.2
  done
  pass "$step"
}

ip link add br0 type bridge || fail "bridge"
ip link set br0 up
for x in m:1:ens33 b:2:ens33 c:10:eth0; do
  ns=${x%%:*}; r=${x#*:}; a=${r%%:*}; ifn=${r#*:}
  ip netns add $ns && ip -n $ns link set lo up || fail "netns $ns"
  ip link add p-$ns type veth peer name $ifn netns $ns || fail "veth $ns"
  ip link set p-$ns master br0 up
  ip -n $ns addr add 192.0.2.$a/24 dev $ifn
  ip -n $ns link set $ifn up
done
mac_of() { ip netns exec "$1" cat /sys/class/net/"$2"/address; }
MMAC=$(mac_of m ens33)
BMAC=$(mac_of b ens33)

start() { # start NS CONF [keepalived]
  if [ "${3:-}" = keepalived ]; then
    ip netns exec "$1" keepalived -n -l -D -f "$2" -p /tmp/ka-$1.pid -r /tmp/ka-$1-vrrp.pid -c /tmp/ka-$1-chk.pid \
      -b /tmp/ka-$1-bfd.pid >>/tmp/gk-$1.log 2>&1 &
  else
    ip netns exec "$1" "$GK" -n -l -D -f "$2" -p /tmp/gk-$1.pid -r /tmp/gk-$1-vrrp.pid -c /tmp/gk-$1-chk.pid \
      --control-socket /tmp/gk-$1.sock >>/tmp/gk-$1.log 2>&1 &
  fi
  if [ "$1" = m ]; then mpid=$!; else bpid=$!; fi
}
stop() { # stop NS STEP: SIGTERM and exit status 0
  if [ "$1" = m ]; then p=$mpid; mpid=; else p=$bpid; bpid=; fi
  kill -TERM "$p"
  ( sleep 20; kill -KILL "$p" 2>/dev/null ) &
  wd=$!
  wait "$p"; rc=$?
  kill "$wd" 2>/dev/null
  [ "$rc" = 0 ] || fail "$2: the daemon in $1 exited with status $rc on SIGTERM"
  pass "$2: the daemon in $1 exited 0"
}
has_addr() { ip -n "$1" -o addr show dev "$2" | grep -q " $3/"; }
no_addr() { ! ip -n "$1" -o addr | grep -q " $2/"; }
holds() { has_addr "$1" "$2" "$VIP" && no_addr "$3" "$VIP"; }
# client_sees MAC: the client pings the VIP and resolved it to MAC.
client_sees() {
  ip -n c neigh flush to $VIP
  ip netns exec c ping -c1 -W1 $VIP && ip -n c neigh show $VIP | grep -q "lladdr $1"
}
no_link() { ! ip -n "$1" link show dev "$2"; }

conf() { # conf ROUTER STATE PRIO LINES...
  r=$1; s=$2; p=$3; shift 3
  printf 'global_defs {\n    router_id %s\n}\nvrrp_instance VI_1 {\n    state %s\n    virtual_router_id 51\n    priority %s\n    advert_int 1\n' "$r" "$s" "$p"
  for l in "$@"; do printf '    %s\n' "$l"; done
  printf '}\n'
}

# ---------------------------------------------------------------- use_ipvlan
conf m MASTER 100 "interface ens33" "use_ipvlan gkipv 192.0.2.51/24 private" "virtual_ipaddress {" "    $VIP/24" "}" > /tmp/m.conf
conf b BACKUP 90 "interface ens33" "use_ipvlan gkipv 192.0.2.52/24" "virtual_ipaddress {" "    $VIP/24" "}" > /tmp/b.conf
start m /tmp/m.conf
start b /tmp/b.conf
ipvlan_ok() { # NS ADDR FLAG
  ip -n "$1" -d link show gkipv | grep -q "ipvlan  *mode l2 $3" &&
    [ "$(mac_of "$1" gkipv)" = "$(mac_of "$1" ens33)" ] && has_addr "$1" gkipv "$2"
}
until_ok "ipvlan: m has gkipv (l2 private, the parent's MAC, 192.0.2.51)" ipvlan_ok m 192.0.2.51 private
until_ok "ipvlan: b has gkipv (l2 bridge, 192.0.2.52)" ipvlan_ok b 192.0.2.52 bridge
until_ok "ipvlan: the VIP on m's ens33 only" holds m ens33 b
until_ok "ipvlan: the client resolves the VIP to m's MAC" client_sees "$MMAC"
stop m "ipvlan: m stopped"
until_ok "ipvlan: m's gkipv removed" no_link m gkipv
until_ok "ipvlan: the VIP moved to b's ens33" holds b ens33 m
until_ok "ipvlan: the client resolves the VIP to b's MAC" client_sees "$BMAC"
stop b "ipvlan: b stopped"
until_ok "ipvlan: b's gkipv removed" no_link b gkipv

# ----------------------------------------------------------------------- vrf
for n in m b; do
  ip -n $n link add blue type vrf table 10 || fail "vrf in $n"
  ip -n $n link set blue up
  ip -n $n link set ens33 master blue || fail "enslave ens33 in $n"
done
ip -n m route show table main | grep -q 192.0.2.0/24 && fail "vrf: the LAN's route is still in m's main table"
uni() { # uni SRC PEER
  echo "vrf blue"; echo "unicast_src_ip $1"; echo "unicast_peer {"; echo "    $2"; echo "}"
}
conf m MASTER 100 "$(uni 192.0.2.1 192.0.2.2)" "virtual_ipaddress {" "    $VIP/24 dev ens33" "}" > /tmp/m.conf
conf b BACKUP 90 "$(uni 192.0.2.2 192.0.2.1)" "virtual_ipaddress {" "    $VIP/24 dev ens33" "}" > /tmp/b.conf
: > /tmp/gk-m.log; : > /tmp/gk-b.log
start m /tmp/m.conf
start b /tmp/b.conf
until_ok "vrf: the VIP on m only (the pair hears each other through the VRF)" holds m ens33 b
# stays so: b hears m (else it would take the VIP after its master down timer)
sleep 5
holds m ens33 b || fail "vrf: b took the VIP too: it does not hear m"
pass "vrf: still on m only after 5 s"
until_ok "vrf: the client resolves the VIP to m's MAC" client_sees "$MMAC"
stop m "vrf: m stopped"
until_ok "vrf: the VIP moved to b" holds b ens33 m
until_ok "vrf: the client resolves the VIP to b's MAC" client_sees "$BMAC"
stop b "vrf: b stopped"

# ------------------------------------------------- use_vmac under a VRF master
conf m MASTER 100 "interface ens33" "use_vmac" "virtual_ipaddress {" "    $VIP/24" "}" > /tmp/m.conf
: > /tmp/gk-m.log
start m /tmp/m.conf
vmac_in_vrf() { ip -n m -d link show vrrp.51 | grep -q "master blue" && has_addr m vrrp.51 "$VIP"; }
until_ok "vrf+use_vmac: vrrp.51 enslaved to blue, with the VIP" vmac_in_vrf
until_ok "vrf+use_vmac: the client resolves the VIP to 00:00:5e:00:01:33" client_sees 00:00:5e:00:01:33
stop m "vrf+use_vmac: m stopped"
until_ok "vrf+use_vmac: vrrp.51 removed" no_link m vrrp.51

# ------------------------- interop: gokeepalived (m) and keepalived 2.2.7 (b)
# Run when the VM has keepalived (run-vmac-test.sh copies the host's): the
# ipvlan pair and the VRF pair fail over from one implementation to the
# other and back (m preempts with the higher priority).
if command -v keepalived >/dev/null; then
  ip -n m link set ens33 nomaster; ip -n b link set ens33 nomaster
  for n in m b; do ip -n $n link del blue; ip -n $n addr flush dev ens33; done
  ip -n m addr add 192.0.2.1/24 dev ens33; ip -n b addr add 192.0.2.2/24 dev ens33
  interop() { # interop WHAT M-CONF B-CONF DEV
    : > /tmp/gk-m.log; : > /tmp/gk-b.log
    start m "$2"
    start b "$3" keepalived
    until_ok "interop $1: the VIP on gokeepalived (m) only" holds m "$4" b
    sleep 5
    kill -0 "$bpid" 2>/dev/null || fail "interop $1: keepalived (b) exited"
    holds m "$4" b || fail "interop $1: keepalived (b) took the VIP too: it does not hear gokeepalived"
    pass "interop $1: keepalived hears gokeepalived (still on m only after 5 s)"
    until_ok "interop $1: the client resolves the VIP to m's MAC" client_sees "$MMAC"
    stop m "interop $1: gokeepalived stopped"
    until_ok "interop $1: the VIP moved to keepalived (b)" holds b "$4" m
    until_ok "interop $1: the client resolves the VIP to b's MAC" client_sees "$BMAC"
    start m "$2"
    until_ok "interop $1: gokeepalived (priority 100) took the VIP back" holds m "$4" b
    until_ok "interop $1: the client resolves the VIP to m's MAC again" client_sees "$MMAC"
    stop m "interop $1: gokeepalived stopped"
    stop b "interop $1: keepalived stopped"
  }
  conf m MASTER 100 "interface ens33" "use_ipvlan gkipv 192.0.2.51/24" "virtual_ipaddress {" "    $VIP/24" "}" > /tmp/m.conf
  conf b BACKUP 90 "interface ens33" "use_ipvlan gkipv 192.0.2.52/24" "virtual_ipaddress {" "    $VIP/24" "}" > /tmp/b.conf
  interop ipvlan /tmp/m.conf /tmp/b.conf ens33
  until_ok "interop ipvlan: keepalived removed its gkipv" no_link b gkipv
  for n in m b; do
    ip -n $n link add blue type vrf table 10 && ip -n $n link set blue up && ip -n $n link set ens33 master blue || fail "vrf in $n"
  done
  # keepalived 2.2.7 refuses every instance without interface ("Unknown
  # interface!", fixed in 2.2.8), so `vrf` cannot run there: the interop
  # pair names ens33, which is in the VRF (keepalived binds its unicast
  # socket to the VRF device, gokeepalived to ens33: both use the VRF).
  ifuni() { echo "interface ens33"; echo "unicast_src_ip $1"; echo "unicast_peer {"; echo "    $2"; echo "}"; }
  conf m MASTER 100 "$(ifuni 192.0.2.1 192.0.2.2)" "virtual_ipaddress {" "    $VIP/24" "}" > /tmp/m.conf
  conf b BACKUP 90 "$(ifuni 192.0.2.2 192.0.2.1)" "virtual_ipaddress {" "    $VIP/24" "}" > /tmp/b.conf
  interop "interface in a vrf" /tmp/m.conf /tmp/b.conf ens33
  echo "VMAC-VM: INTEROP DONE"
fi

echo "VMAC-VM: ALL PASS"
