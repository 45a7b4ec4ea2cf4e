#!/usr/bin/env bash
# run-snmp-checker-test.sh — build the gokeepalived daemon as a static
# binary and run snmp-checker-vm.sh in the IPVS test VM (one boot) with
# keepalived, snmpd, snmpwalk and snmpget copied from the host: both daemons
# serve the same virtual servers' KEEPALIVED-MIB check tree on IPVS, walked
# by snmpwalk (KA-WALK / GK-WALK lines).
#
# Usage: test/vm/run-snmp-checker-test.sh
# Exit status: 0 pass, 1 fail, 2 setup error. Environment: IPVS_VM_*, GO.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GO=${GO:-go}
for b in /usr/sbin/keepalived /usr/sbin/snmpd /usr/sbin/snmptrapd /usr/bin/snmpwalk /usr/bin/snmpget; do
  [ -x "$b" ] || { echo "run-snmp-checker-test: $b missing (apt-get install keepalived snmpd snmp)" >&2; exit 2; }
done
x=$(mktemp -d /tmp/gokeepalived-svm.XXXXXX)
trap 'rm -rf "$x"' EXIT
mkdir -p "$x/bin"
(cd "$root" && CGO_ENABLED=0 "$GO" build -o "$x/bin/gokeepalived" ./cmd/gokeepalived) ||
  { echo "run-snmp-checker-test: building gokeepalived failed" >&2; exit 2; }
cp "$here/snmp-checker-vm.sh" "$x/"
export IPVS_VM_BINS="${IPVS_VM_BINS:-} /usr/sbin/keepalived /usr/sbin/snmpd /usr/sbin/snmptrapd /usr/bin/snmpwalk /usr/bin/snmpget"
exec "$here/ipvs-vm.sh" "$x" "sh /extra/snmp-checker-vm.sh"
