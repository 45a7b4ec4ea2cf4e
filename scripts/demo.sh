#!/usr/bin/env bash
# Live failover demo of the seed's nginx pair, in network namespaces on this machine.
#
#   client ──┐
#   master ──┤ lan (a bridge)   VIP 192.0.2.100, VRID 51, advert_int 1, PASS auth
#   backup ──┘                  master: priority 100, backup: priority 90 (the seed's configs)
#
# Each node runs nginx (answering with its name) and a VRRP daemon on interface ens33, with
# the seed's configs plus the usual nginx check: vrrp_script chk_nginx (curl to the local
# nginx every second, fall 2, weight -20). The client asks http://192.0.2.100/ every 100 ms.
# First nginx dies on the master: the script lowers its priority to 80 < 90 and the backup
# takes over; nginx comes back and the master preempts. Then the master's link goes down and
# comes back. Each takeover is measured from the fault to the client's first answer from the
# other node. Everything lives in namespaces named gkdemo-<pid>-*, with documentation
# addresses only, and is removed on exit, Ctrl-C or failure. Bounded: about 40 s.
# It needs ip, curl and nginx, and installs only those (Debian packages iproute2, curl and
# nginx-light) when one is missing.
#
#   DEMO_DAEMON=gokeepalived|keepalived   which VRRP daemon the nodes run (default: gokeepalived)
#   GOKEEPALIVED_BIN=path                 our binary (default: bin/gokeepalived, built by `make build`)
#   GOKEEPALIVEDCTL_BIN=path              its client (default: bin/gokeepalivedctl)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VIP=192.0.2.100
PFX="gkdemo-$$-"
CONF_DIR="$ROOT/test/e2e/testdata/nginx-pair" # the seed's two configs, VIP changed only

bold() { printf '\033[1m%s\033[0m\n' "$*"; }
say() { printf '%s  %s\n' "$(date +%T.%3N)" "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, veth, bridges); run: sudo make demo"
# Only what the demo uses: ip, curl and nginx.
missing=()
for pkg in iproute2:ip curl:curl nginx-light:nginx; do
  command -v "${pkg#*:}" >/dev/null || missing+=("${pkg%%:*}")
done
if ((${#missing[@]})); then
  echo "demo: installing ${missing[*]}"
  # Never let the package scripts start nginx on the host.
  [[ -e /usr/sbin/policy-rc.d ]] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "cannot install ${missing[*]}; install them and run again"
fi
for b in ip curl nginx; do command -v "$b" >/dev/null || die "$b not found"; done

DEMO_DAEMON=${DEMO_DAEMON:-gokeepalived}
case $DEMO_DAEMON in
keepalived)
  DAEMON_BIN=/usr/sbin/keepalived
  echo "note: running real keepalived on both nodes (DEMO_DAEMON=keepalived)"
  ;;
gokeepalived)
  DAEMON_BIN=${GOKEEPALIVED_BIN:-$ROOT/bin/gokeepalived}
  CTL_BIN=${GOKEEPALIVEDCTL_BIN:-$ROOT/bin/gokeepalivedctl}
  [[ -x $DAEMON_BIN ]] || die "$DAEMON_BIN not found; run: make build (or set GOKEEPALIVED_BIN)"
  [[ -x $CTL_BIN ]] || die "$CTL_BIN not found; run: make build (or set GOKEEPALIVEDCTL_BIN)"
  ;;
*) die "DEMO_DAEMON must be keepalived or gokeepalived, not '$DEMO_DAEMON'" ;;
esac
[[ -x $DAEMON_BIN ]] || die "$DAEMON_BIN not found; run: make deps"

# Namespaces of an earlier demo that died without cleaning up (its pid is gone).
for ns in $(ip netns list | awk '/^gkdemo-/{print $1}'); do
  owner=${ns#gkdemo-}; owner=${owner%%-*}
  if [[ ! -d /proc/$owner ]]; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null && echo "removed stale namespace $ns"
  fi
done

WORK=$(mktemp -d /tmp/gkdemo.XXXXXX)
PIDS=() # every process this script started, stopped by PID on exit
NSS=()
OK=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[i]}" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if ((OK)); then
    rm -rf "$WORK"
    echo "cleaned up: namespaces ${PFX}*, processes and $WORK removed"
  else
    echo "demo did not finish (exit $rc); namespaces removed, logs kept in $WORK" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run() { printf '  $ %s\n' "$*"; "$@"; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll every 100 ms, fail after SECONDS.
wait_for() {
  local secs=$1 what=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out after ${secs}s waiting for: $what"
    sleep 0.1
  done
}

has_vip() { ip -n "$PFX$1" -br addr show dev ens33 2>/dev/null | grep -qw "$VIP/32"; }
holders() {
  local h=()
  has_vip master && h+=(master)
  has_vip backup && h+=(backup)
  echo "${h[*]:-nobody}"
}
now_ms() { date +%s%3N; }

bold "1. Topology: a bridge, two nginx nodes and a client (namespaces ${PFX}*)"
for n in lan master backup client; do run ip netns add "$PFX$n"; NSS+=("$PFX$n"); done
ip -n "${PFX}lan" link add br0 type bridge mcast_snooping 0
ip -n "${PFX}lan" link set br0 up
port=0
link() { # node ifname address
  port=$((port + 1))
  run ip -n "$PFX$1" link add "$2" type veth peer name "p$port" netns "${PFX}lan"
  ip -n "${PFX}lan" link set "p$port" master br0 up
  run ip -n "$PFX$1" addr add "$3" dev "$2"
  ip -n "$PFX$1" link set "$2" up
  ip -n "$PFX$1" link set lo up
}
link master ens33 192.0.2.1/24
link backup ens33 192.0.2.2/24
link client eth0 192.0.2.10/24

bold "2. nginx on both nodes (own config, pid and logs under $WORK; /etc/nginx untouched)"
start_nginx() { # node
  local d=$WORK/$1-nginx
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $d/body; proxy_temp_path $d/proxy; fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
  server { listen 0.0.0.0:80; listen [::]:80; default_type text/plain; location / { return 200 "$1\n"; } }
}
EOF
  rm -f "$d/nginx.pid"
  ip netns exec "$PFX$1" nginx -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" >"$d/stdout.log" 2>&1 &
  PIDS+=($!)
  NGINX_PID[$1]=$!
  wait_for 10 "nginx on $1" test -s "$d/nginx.pid"
  echo "  nginx on $1 (pid ${PIDS[-1]}) answers \"$1\""
}
declare -A NGINX_PID
start_nginx master
start_nginx backup

bold "3. $DEMO_DAEMON on both nodes with the seed's configs, plus vrrp_script chk_nginx"
start_daemon() { # node conf
  local d=$WORK/$1-$DEMO_DAEMON extra=()
  mkdir -p "$d"
  # The seed's config, with the nginx check every such pair has: chk_nginx asks the
  # local nginx; two failures in a row lower the priority by 20 (100 -> 80 < 90).
  printf '#!/bin/sh\nexec curl -sf -o /dev/null -m 0.5 http://127.0.0.1/\n' >"$WORK/chk_nginx.sh"
  chmod 0755 "$WORK/chk_nginx.sh" "$WORK"
  awk -v chk="$WORK/chk_nginx.sh" '
    /^global_defs/ { print; print "    enable_script_security"; print "    script_user root"; next }
    /^vrrp_instance/ {
      print "vrrp_script chk_nginx {"; print "    script \"" chk "\""; print "    interval 1"
      print "    fall 2"; print "    rise 1"; print "    weight -20"; print "}"; print ""
    }
    /^    virtual_ipaddress/ { print "    track_script {"; print "        chk_nginx"; print "    }" }
    { print }' "$CONF_DIR/$2" >"$d/keepalived.conf"
  printf '  %s: ' "$1"; grep -E '^\s*(state|priority)\s' "$d/keepalived.conf" | xargs echo
  # gokeepalived: a control socket per node (the default path would be shared by both).
  [[ $DEMO_DAEMON == gokeepalived ]] && extra=(--control-socket "$d/control.sock")
  ip netns exec "$PFX$1" "$DAEMON_BIN" -P -n -l -D -f "$d/keepalived.conf" \
    -p "$d/keepalived.pid" -r "$d/vrrp.pid" "${extra[@]}" >"$d/daemon.log" 2>&1 &
  PIDS+=($!)
}

# ctl_status: `gokeepalivedctl status` of both nodes (gokeepalived only).
ctl_status() {
  [[ $DEMO_DAEMON == gokeepalived ]] || return 0
  for n in master backup; do
    echo "  \$ gokeepalivedctl --socket .../$n-gokeepalived/control.sock status    # on $n"
    "$CTL_BIN" --socket "$WORK/$n-gokeepalived/control.sock" status 2>&1 | sed 's/^/     /' || true
  done
}

# transitions NODE: the daemon's state changes with their reasons, one per line.
transitions() {
  local log=$WORK/$1-$DEMO_DAEMON/daemon.log
  if [[ $DEMO_DAEMON == gokeepalived ]]; then
    # slog text lines: time=... msg="state change" ... from=X to=Y reason="..."
    grep -E 'msg="(state change|virtual addresses (added|removed)|received signal[^"]*)"|level=WARN' "$log" |
      sed -E -e 's/^time=[0-9-]+T([0-9:.]{12})[^ ]* level=([A-Z]+) /\1 \2 /' \
        -e 's/msg="state change" instance=([^ ]+) vrid=[0-9]+ af=[a-z0-9]+ from=([A-Z]+) to=([A-Z]+) reason="?([^"]*)"?$/\1 \2 -> \3: \4/' \
        -e 's/WARN msg="([^"]*)" instance=([^ ]+) vrid=[0-9]+ af=[a-z0-9]+ ?/\2 WARNING: \1 /' \
        -e 's/msg="virtual addresses (added|removed)" instance=([^ ]+) vrid=[0-9]+ addresses=(.*)$/\2 VIPs \1: \3/' \
        -e 's/ INFO / /' | tail -8
  else
    grep -E 'Entering|setting VIPs|removing VIPs|Link is|priority' "$log" | tail -8
  fi
}
start_daemon master master.conf
start_daemon backup backup.conf
t0=$(now_ms)
wait_for 20 "the master to hold $VIP" has_vip master
say "VIP $VIP held by: $(holders) ($(($(now_ms) - t0)) ms after start)"
if [[ $DEMO_DAEMON == gokeepalived ]]; then
  # The backup reports the master once it has heard an advert.
  wait_for 10 "the backup to hear the master" bash -c \
    "'$CTL_BIN' --socket '$WORK/backup-gokeepalived/control.sock' status --json | grep -q '\"master\": *\"192.0.2.1\"'"
fi
ctl_status

bold "4. The client asks http://$VIP/ every 100 ms"
ANSWERS=$WORK/answers.tsv
: >"$ANSWERS"
client_loop() {
  local last="" n=0
  while :; do
    local ts ans
    ts=$(now_ms)
    ans=$(ip netns exec "${PFX}client" curl -s -m 0.3 "http://$VIP/" 2>/dev/null) || ans="(no answer)"
    printf '%s\t%s\n' "$ts" "$ans" >>"$ANSWERS"
    n=$((n + 1))
    # Print every change of answer, and every 10th repeat so the stream stays readable.
    if [[ $ans != "$last" || $((n % 10)) -eq 0 ]]; then
      printf '%s    client: %s\n' "$(date -d @"${ts:0:10}.${ts:10}" +%T.%3N)" "$ans"
      [[ $ans != "$last" ]] && n=0
      last=$ans
    fi
    sleep 0.1
  done
}
client_loop &
PIDS+=($!)
# first_answer NAME AFTER_MS: the first time (ms) NAME answered after AFTER_MS, or nothing.
first_answer() { awk -F'\t' -v who="$1" -v after="$2" '$1 > after && $2 == who { print $1; exit }' "$ANSWERS"; }
answered_since() { [[ -n $(first_answer "$1" "$2") ]]; }
wait_for 10 "answers from the master" answered_since master "$t0"
sleep 1 # let a few answers scroll by

bold "5. Fault: nginx dies on the master (vrrp_script chk_nginx: fall 2, weight -20)"
fault=$(now_ms)
say "kill ${NGINX_PID[master]}    # nginx on the master"
kill -TERM "${NGINX_PID[master]}"
wait_for 20 "the client to get answers from the backup" answered_since backup "$fault"
took=$(($(first_answer backup "$fault") - fault))
say "VIP held by: $(holders)"
bold "   takeover: first answer from the backup ${took} ms after nginx died"
echo "   (two failed checks 1 s apart lower the master to 80; the backup, 90, ignores adverts of a"
echo "   lower priority and takes over when its master down timer, 3.6 s, runs out)"
ctl_status
NGINX_TAKEOVER=$took

bold "6. Repair: nginx comes back on the master; chk_nginx passes, priority 100 > 90: it preempts"
repair=$(now_ms)
start_nginx master
wait_for 20 "the client to get answers from the master again" answered_since master "$repair"
took=$(($(first_answer master "$repair") - repair))
say "VIP held by: $(holders)"
bold "   preemption: first answer from the master ${took} ms after nginx restarted"
sleep 1

bold "7. Fault: the master's link goes down"
fault=$(now_ms)
say "ip -n ${PFX}master link set ens33 down"
ip -n "${PFX}master" link set ens33 down
wait_for 20 "the client to get answers from the backup" answered_since backup "$fault"
took=$(($(first_answer backup "$fault") - fault))
say "VIP held by: $(holders)"
bold "   takeover: first answer from the backup ${took} ms after the link went down"
LINK_TAKEOVER=$took
ctl_status
sleep 1

bold "8. Repair: the master's link comes back; priority 100 > 90, so it preempts"
repair=$(now_ms)
say "ip -n ${PFX}master link set ens33 up"
ip -n "${PFX}master" link set ens33 up
wait_for 20 "the client to get answers from the master again" answered_since master "$repair"
took=$(($(first_answer master "$repair") - repair))
wait_for 10 "the backup to release the VIP" bash -c "! ip -n ${PFX}backup -br addr show dev ens33 | grep -qw $VIP/32"
say "VIP held by: $(holders)"
bold "   preemption: first answer from the master ${took} ms after the link came back"
ctl_status
sleep 0.5

bold "9. What the daemons said (state changes and why)"
for n in master backup; do
  echo "  -- $n"
  transitions "$n" | sed 's/^/     /' || true
done
bold "10. Takeover times (fault to the client's first answer from the backup)"
printf '   nginx died on the master:  %6d ms\n' "$NGINX_TAKEOVER"
printf '   master link down:          %6d ms\n' "$LINK_TAKEOVER"
OK=1
