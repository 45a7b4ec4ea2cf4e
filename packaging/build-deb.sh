#!/usr/bin/env bash
# Builds the gokeepalived Debian package with dpkg-deb (`make deb`):
# static binaries stamped with the version, the systemd unit and options file
# from packaging/, the generated man pages and completion, the docs and a
# copyright file generated from the Go modules linked in.
#
#   OUT=DIR          where the .deb goes (default: bin/); the script prints its path
#   VERSION=V        the version the binaries report (default: internal/cli's + git revision)
#   DEB_VERSION=V    the package version (default: derived from VERSION and the commit date)
#   DEB_MAINTAINER   the Maintainer field
#
# Why dpkg-deb and not nfpm: nfpm v2.45.2 builds with go 1.26, but its deb
# package pulls in github.com/goreleaser/chglog and with it go-git, an SSH
# client, ProtonMail/go-crypto, circl and sprig: 37 more modules in go.mod
# for writing one ar archive. dpkg-deb ships with dpkg on every Debian host.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GO=${GO:-go}
out=${OUT:-$root/bin}
mkdir -p "$out"
out=$(cd "$out" && pwd)

base=$(sed -n 's/^var Version = "\(.*\)"$/\1/p' internal/cli/main.go)
[[ -n $base ]] || { echo "build-deb: no 'var Version' in internal/cli/main.go" >&2; exit 1; }
rev=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
VERSION=${VERSION:-$base+$rev}
# A native package version: no '-'; '~' sorts a pre-release before the release.
DEB_VERSION=${DEB_VERSION:-$(echo "$base" | tr - '~')+git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d).$rev}
DEB_MAINTAINER=${DEB_MAINTAINER:-gokeepalived maintainers <maintainers@gokeepalived.invalid>}
arch=$(dpkg --print-architecture)
case $arch in
  amd64 | arm64 | riscv64 | ppc64el | s390x) goarch=${arch/ppc64el/ppc64le} ;;
  i386) goarch=386 ;;
  *) echo "build-deb: architecture $arch is not supported" >&2; exit 1 ;;
esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/pkg
doc=$pkg/usr/share/doc/gokeepalived
install -d "$pkg/DEBIAN" "$pkg/usr/sbin" "$pkg/usr/bin" "$doc"

# Static binaries (CGO_ENABLED=0): no libc dependency. User and group names
# (script_user, vrrp_script user) are then looked up in /etc/passwd and
# /etc/group only, not through NSS.
ldflags="-s -w -X gokeepalived/internal/cli.Version=$VERSION -X gokeepalived/internal/cli/ctlcli.Version=$VERSION"
CGO_ENABLED=0 GOARCH=$goarch $GO build -trimpath -ldflags "$ldflags" -o "$stage/bin/" ./cmd/gokeepalived ./cmd/gokeepalivedctl
install -m 0755 "$stage/bin/gokeepalived" "$pkg/usr/sbin/"
install -m 0755 "$stage/bin/gokeepalivedctl" "$pkg/usr/bin/"

$GO run ./internal/cli/mangen -o "$stage/share" -version "$VERSION"
for page in "$stage"/share/man/man*/*; do
  sec=$(basename "$(dirname "$page")")
  install -d "$pkg/usr/share/man/$sec"
  gzip -9n <"$page" >"$pkg/usr/share/man/$sec/$(basename "$page").gz"
done
install -D -m 0644 -t "$pkg/usr/share/bash-completion/completions" "$stage"/share/bash-completion/completions/*
install -D -m 0644 -t "$pkg/usr/share/zsh/vendor-completions" "$stage"/share/zsh/vendor-completions/*

install -D -m 0644 packaging/gokeepalived.service "$pkg/lib/systemd/system/gokeepalived.service"
install -D -m 0644 packaging/default.gokeepalived "$pkg/etc/default/gokeepalived"
install -D -m 0644 packaging/dbus-gokeepalived.conf "$pkg/usr/share/dbus-1/system.d/gokeepalived.conf"
install -m 0644 README.md docs/*.md "$doc/"
install -D -m 0644 packaging/lintian-overrides "$pkg/usr/share/lintian/overrides/gokeepalived"

# changelog.gz: a native package's Debian changelog (required by policy).
cat <<EOF | gzip -9n >"$doc/changelog.gz"
gokeepalived ($DEB_VERSION) unstable; urgency=medium

  * Built from revision $rev (binaries report $VERSION).

 -- $DEB_MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
EOF

bash packaging/copyright.sh >"$doc/copyright"

cat >"$pkg/DEBIAN/conffiles" <<EOF
/etc/default/gokeepalived
EOF
# systemd must see a new, changed or removed unit; nothing is enabled or
# started: take over from keepalived when you choose (README, Install).
# DPKG_ROOT is set when installing into another root (dpkg --root).
for script in postinst postrm; do
  cat >"$pkg/DEBIAN/$script" <<'EOF'
#!/bin/sh
set -e
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
exit 0
EOF
  chmod 0755 "$pkg/DEBIAN/$script"
done

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<EOF
Package: gokeepalived
Version: $DEB_VERSION
Architecture: $arch
Maintainer: $DEB_MAINTAINER
Installed-Size: $size
Section: admin
Priority: optional
Description: VRRP and load-balancer health checking, keepalived-compatible
 gokeepalived is keepalived 2.2.7 rebuilt in Go, as one process. It reads an
 unchanged /etc/keepalived/keepalived.conf and takes keepalived's command
 line: VRRP v2 and v3 (IPv4 and IPv6), sync groups, trackers, notifications,
 and health checking of virtual_server real servers with IPVS or nftables.
 .
 A configuration with any error is refused with every error at
 file:line:col; gokeepalivedctl shows the state of a running daemon. The
 service is installed but neither enabled nor started.
EOF
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"

find "$pkg" -type d -exec chmod 0755 {} +
deb=$out/gokeepalived_${DEB_VERSION}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
