#!/usr/bin/env bash
# run-vmac-test.sh — build the gokeepalived daemon as a static binary and
# run vmac-vm.sh with it inside the test VM (one boot), whose Debian kernel
# has the ipvlan and VRF drivers: use_ipvlan, vrf, and use_vmac under a VRF.
#
# Usage: test/vm/run-vmac-test.sh
# Exit status: 0 pass, 1 fail, 2 setup error (missing qemu/kernel: see the message).
# Environment: everything ipvs-vm.sh reads (IPVS_VM_*), GO (default go),
#   VMAC_VM_WAIT (seconds per state change inside the VM, default 60).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GO=${GO:-go}
x=$(mktemp -d /tmp/gokeepalived-vvm.XXXXXX)
trap 'rm -rf "$x"' EXIT
mkdir -p "$x/bin"
(cd "$root" && CGO_ENABLED=0 "$GO" build -o "$x/bin/gokeepalived" ./cmd/gokeepalived) ||
  { echo "run-vmac-test: building gokeepalived failed" >&2; exit 2; }
cp "$here/vmac-vm.sh" "$x/"
wait=${VMAC_VM_WAIT:-60}
[[ $wait =~ ^[0-9]+$ ]] || { echo "run-vmac-test: VMAC_VM_WAIT must be a number of seconds" >&2; exit 2; }
export IPVS_VM_MODULES="${IPVS_VM_MODULES:-} ipvlan vrf macvlan"
# keepalived (with its libraries) for the interop steps, if the host has it.
if [ -x /usr/sbin/keepalived ]; then export IPVS_VM_BINS="${IPVS_VM_BINS:-} /usr/sbin/keepalived"; fi
exec "$here/ipvs-vm.sh" "$x" "VMAC_VM_WAIT=$wait sh /extra/vmac-vm.sh"
