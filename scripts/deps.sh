#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian machine:
# Debian packages (real keepalived as a wire peer and config oracle, FRR bfdd as a BFD peer, nginx, nftables,
# tcpdump/tshark, iproute2; groff, man, zsh and lintian to check the man pages, the shell completion and the
# .deb; net-snmp's snmpd, snmptrapd and tools for the SNMP tests, and dbus-daemon for the DBus tests, run with their own
# configs, never as services)
# and Go tools from the module proxy. Idempotent and quiet when everything is already there.
set -euo pipefail

APT_PKGS=(keepalived nginx-light nftables tcpdump tshark iproute2 ipvsadm procps psmisc
  groff-base man-db zsh lintian   # man pages, completion and the .deb (packaging/deb_test.go)
  frr                             # bfdd, the BFD interop peer; bgpd+zebra+bfdd, the BGP router (test/e2e)
  bird2                           # BIRD 2, the other BGP router of the BGP e2e (test/e2e/bgp_test.go)
  snmpd snmp snmptrapd            # the SNMP subagent's tests (internal/snmp, test/e2e)
  dbus-daemon systemd)            # a private bus and busctl for the DBus tests (internal/dbusapi, test/e2e)
# qemu and a stock kernel for the IPVS VM harness are installed by test/vm itself.

need=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "deps: missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "deps: installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Never let package scripts start services (nginx, keepalived, snmpd) on the host.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

BIN_DIR=${BIN_DIR:-$(cd "$(dirname "$0")/.." && pwd)/bin}
mkdir -p "$BIN_DIR"
STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2}
if [[ ! -x $BIN_DIR/staticcheck ]] || ! "$BIN_DIR/staticcheck" -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  echo "deps: installing staticcheck $STATICCHECK_VERSION"
  GOBIN=$BIN_DIR go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
echo "deps: ok"
