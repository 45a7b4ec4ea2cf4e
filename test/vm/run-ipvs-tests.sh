#!/usr/bin/env bash
# run-ipvs-tests.sh — build internal/lb/ipvs's tests as a static binary and
# run them against real IPVS inside the test VM (one boot).
#
# Usage: test/vm/run-ipvs-tests.sh [go test flags for the binary, e.g. -test.run TestIPVS]
# Exit status: 0 pass, 1 fail, 2 setup error (missing qemu/kernel: see the message).
# Environment: everything ipvs-vm.sh reads (IPVS_VM_*), GO (default go).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GO=${GO:-go}
x=$(mktemp -d /tmp/gokeepalived-vm.XXXXXX)
trap 'rm -rf "$x"' EXIT
mkdir -p "$x/bin"
(cd "$root" && CGO_ENABLED=0 "$GO" test -c -o "$x/bin/ipvs.test" ./internal/lb/ipvs/) ||
  { echo "run-ipvs-tests: building the test binary failed" >&2; exit 2; }
# TestIPVSDaemonPairSync runs two daemons in the VM.
(cd "$root" && CGO_ENABLED=0 "$GO" build -o "$x/bin/gokeepalived" ./cmd/gokeepalived) ||
  { echo "run-ipvs-tests: building gokeepalived failed" >&2; exit 2; }
args="-test.v -test.count=1"
for a in "$@"; do args="$args '$a'"; done
# 512 MiB is enough for the Go test binary, the namespaces and the HTTP servers.
exec "$here/ipvs-vm.sh" "$x" "GOKEEPALIVED_IN_VM=1 GOKEEPALIVED_REQUIRE_ROOT=1 ipvs.test $args"
