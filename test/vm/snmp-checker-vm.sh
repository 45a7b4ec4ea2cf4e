# shellcheck shell=sh
# snmp-checker-vm.sh — runs INSIDE the IPVS VM (/bin/sh is dash): keepalived
# (/usr/sbin/keepalived, copied from the host) and then gokeepalived run the
# same virtual server on IPVS with enable_snmp_checker against one snmpd
# (its own AgentX socket, SNMP on 127.0.0.1 only); snmpwalk reads
# KEEPALIVED-MIB's check tree from each once rs2 is down. Each walk line is
# printed as "KA-WALK: <line>" / "GK-WALK: <line>", each check-tree
# notification snmptrapd received as "KA-TRAP: " / "GK-TRAP: " (and those
# of the daemon's shutdown as "KA-TRAP-STOP: " / "GK-TRAP-STOP: ") for the
# host test (snmp_checker_test.go) to compare.
#
#   director 198.18.0.1/15 on br0 ── rs1 ns 198.18.0.2, rs2 ns 198.18.0.3 (busybox httpd; rs2 stopped)
#
# Last line on success: "SNMP-VM: DONE". Started by run-snmp-checker-test.sh.
set -u

fail() { echo "SNMP-VM: FAIL $*"; exit 1; }
now() { date +%s; }

mkdir -p /tmp/www/rs1 /tmp/www/rs2 /var/run /run /tmp/snmp /var/agentx
ip link add br0 type bridge
ip addr add 198.18.0.1/15 dev br0
ip link set br0 up
ip link set lo up
for x in rs1:2 rs2:3; do
  ns=${x%%:*}; a=${x#*:}
  ip netns add $ns && ip -n $ns link set lo up || fail "netns $ns"
  ip link add b-$ns type veth peer name eth0 netns $ns || fail "veth $ns"
  ip link set b-$ns master br0 up
  ip -n $ns addr add 198.18.0.$a/15 dev eth0
  ip -n $ns link set eth0 up
  echo "$ns" > /tmp/www/$ns/index.html
done
ip netns exec rs1 httpd -p 80 -h /tmp/www/rs1 || fail "httpd rs1"

cat > /tmp/snmp/snmpd.conf <<EOF
master agentx
agentXSocket unix:/tmp/snmp/agentx.sock
agentaddress udp:127.0.0.1:1161
rocommunity public 127.0.0.1
trap2sink udp:127.0.0.1:1162 public
EOF
echo "disableAuthorization yes" > /tmp/snmp/snmptrapd.conf
: > /tmp/snmp/traps.log
snmptrapd -f -C -c /tmp/snmp/snmptrapd.conf -On -Lf /tmp/snmp/traps.log -F 'TRAP %V|%v\n' udp:127.0.0.1:1162 &
trapdpid=$!
snmpd -f -Lf /tmp/snmp/snmpd.log -C -c /tmp/snmp/snmpd.conf -p /tmp/snmp/snmpd.pid &
snmpdpid=$!
# snmpd must answer before a daemon starts: a notification sent before the
# daemon's AgentX session is up is lost (keepalived's and ours alike).
d=$(( $(now) + 60 ))
until grep -q 'NET-SNMP version' /tmp/snmp/snmpd.log 2>/dev/null; do
  [ "$(now)" -lt "$d" ] || { cat /tmp/snmp/snmpd.log; ls -l /tmp/snmp; fail "snmpd not ready"; }
  sleep 1
done
sleep 1

cat > /tmp/k.conf <<EOF
global_defs {
    router_id SNMP_VM
    enable_snmp_checker
    enable_traps
    snmp_socket unix:/tmp/snmp/agentx.sock
    lvs_timeouts tcp 900 udp 30
}
virtual_server_group G {
    192.0.2.10-20 80
    192.0.2.30 80
    fwmark 9
}
virtual_server 192.0.2.100 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    persistence_timeout 300
    quorum 2
    hysteresis 1
    snmp_name web-vip
    sorry_server 198.18.0.200 80
    real_server 198.18.0.2 80 {
        weight 2
        snmp_name web-1
        uthreshold 100
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.18.0.3 80 {
        weight 1
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
virtual_server fwmark 7 {
    delay_loop 3
    lb_algo rr
    lb_kind DR
    real_server 198.18.0.2 {
        TCP_CHECK {
            connect_port 80
            connect_timeout 1
        }
    }
}
virtual_server group G {
    delay_loop 2
    lb_algo sh
    sh-port
    lb_kind DR
    protocol TCP
    retry 2
    real_server 198.18.0.2 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOF

# walk PREFIX: snmpwalk of the check tree once rs2 shows down (realServerStatus.1.3 = 2).
walk() {
  d=$(( $(now) + 40 ))
  while :; do
    out=$(snmpget -v2c -c public -On -Oe -t 2 -r 1 127.0.0.1:1161 .1.3.6.1.4.1.9586.100.5.3.4.1.6.1.3 2>&1)
    case "$out" in *"INTEGER: 2"*) break ;; esac
    [ "$(now)" -lt "$d" ] || { echo "$out"; tail -n 30 /tmp/snmp/snmpd.log; return 1; }
    sleep 1
  done
  sleep 2
  snmpwalk -v2c -c public -On -Oe -t 3 -r 2 127.0.0.1:1161 .1.3.6.1.4.1.9586.100.5.3 | sed "s/^/$1: /"
}

# The check tree's notifications snmptrapd logged (the log is never
# truncated: snmptrapd keeps writing at its own offset).
checktraps() { grep '^TRAP .*9586.100.5.3.5.0.' /tmp/snmp/traps.log; }
shown=0
# show PREFIX: the check tree's notifications logged since the last call.
show() {
  checktraps | tail -n +$((shown + 1)) | sed "s/^/$1: /"
  shown=$(checktraps | wc -l)
}
# traps PREFIX PID: the notifications of this daemon (once rs2's
# realServerStateChange is in), printed with PREFIX; then PID gets SIGTERM
# and the notifications of its shutdown are printed with PREFIX-STOP.
traps() {
  d=$(( $(now) + 20 ))
  until checktraps | tail -n +$((shown + 1)) | grep -q '5.3.5.0.1|'; do
    [ "$(now)" -lt "$d" ] || { echo "no realServerStateChange"; cat /tmp/snmp/traps.log; return 1; }
    sleep 1
  done
  sleep 2
  show "$1"
  kill -TERM "$2"; wait "$2"
  sleep 2
  show "$1-STOP"
}

keepalived -n -C -l -D -f /tmp/k.conf -p /tmp/ka.pid -c /tmp/kc.pid -r /tmp/kr.pid -b /tmp/kb.pid > /tmp/ka.log 2>&1 &
kapid=$!
walk KA-WALK || { cat /tmp/ka.log; fail "keepalived walk"; }
traps KA-TRAP $kapid || fail "keepalived traps"
ipvsadm -C

/extra/bin/gokeepalived -n -C -l -D --lb-backend=ipvs -f /tmp/k.conf -p /tmp/gk.pid -c /tmp/gc.pid -r /tmp/gr.pid \
  --control-socket /tmp/gk.sock > /tmp/gk.log 2>&1 &
gkpid=$!
walk GK-WALK || { tail -n 40 /tmp/gk.log; fail "gokeepalived walk"; }
traps GK-TRAP $gkpid || { tail -n 40 /tmp/gk.log; fail "gokeepalived traps"; }
kill $snmpdpid $trapdpid
echo "SNMP-VM: DONE"
