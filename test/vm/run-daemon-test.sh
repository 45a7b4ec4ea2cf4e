#!/usr/bin/env bash
# run-daemon-test.sh — build the gokeepalived daemon as a static binary and
# run daemon-vm.sh with it inside the IPVS test VM (one boot): the daemon
# itself (-C, --lb-backend=ipvs) against the kernel's IPVS, checked with
# ipvsadm -Ln and real traffic.
#
# Usage: test/vm/run-daemon-test.sh
# Exit status: 0 pass, 1 fail, 2 setup error (missing qemu/kernel: see the message).
# Environment: everything ipvs-vm.sh reads (IPVS_VM_*), GO (default go),
#   DAEMON_VM_WAIT (seconds per state change inside the VM, default 25).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GO=${GO:-go}
x=$(mktemp -d /tmp/gokeepalived-dvm.XXXXXX)
trap 'rm -rf "$x"' EXIT
mkdir -p "$x/bin"
(cd "$root" && CGO_ENABLED=0 "$GO" build -o "$x/bin/gokeepalived" ./cmd/gokeepalived) ||
  { echo "run-daemon-test: building gokeepalived failed" >&2; exit 2; }
cp "$here/daemon-vm.sh" "$x/"
wait=${DAEMON_VM_WAIT:-25}
[[ $wait =~ ^[0-9]+$ ]] || { echo "run-daemon-test: DAEMON_VM_WAIT must be a number of seconds" >&2; exit 2; }
exec "$here/ipvs-vm.sh" "$x" "DAEMON_VM_WAIT=$wait sh /extra/daemon-vm.sh"
