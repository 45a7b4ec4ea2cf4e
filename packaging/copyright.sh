#!/usr/bin/env bash
# Prints the package's debian/copyright (machine-readable format 1.0): the
# project, the Go standard library and every Go module linked into the two
# binaries, each with its license as found in the module (Apache-2.0 by
# reference to /usr/share/common-licenses, the others in full).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

# text prints a license file as a DEP-5 field continuation.
text() { sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /' "$1"; }

license() { # FILE -> short name
  if grep -q 'Apache License' "$1" && grep -q 'Version 2.0' "$1"; then echo Apache-2.0
  elif grep -q 'Mozilla Public License' "$1"; then echo MPL-2.0
  elif grep -q 'Permission is hereby granted, free of charge' "$1"; then echo Expat
  elif grep -q 'Neither the name' "$1"; then echo BSD-3-clause
  elif grep -q 'Redistribution and use' "$1"; then echo BSD-2-clause
  else echo "build-deb: cannot classify the license in $1" >&2; exit 1
  fi
}

stanza() { # NAME DIR FILES-PATTERN COMMENT
  local f
  f=$(find "$2" -maxdepth 1 -type f \( -iname 'licen[cs]e*' -o -iname 'copying*' \) | sort | head -n1)
  [[ -n $f ]] || { echo "build-deb: no license file in $2 ($1)" >&2; exit 1; }
  local lic
  lic=$(license "$f")
  local holders
  holders=$(grep -m3 -iE '^[#[:space:]]*copyright[[:space:]]+(\(c\)[[:space:]]*)?[0-9]' "$f" |
    sed -E -e 's/^[#[:space:]]*[Cc]opyright[[:space:]]+//' -e 's/^\([Cc]\)[[:space:]]*//' -e 's/[[:space:]]+$//' -e 's/^/ /' || true)
  [[ -n $holders ]] || holders=" the $1 authors"
  printf '\nFiles: %s\nCopyright:\n%s\nComment: %s\n' "$3" "$holders" "$4"
  if [[ $lic == Apache-2.0 || $lic == MPL-2.0 ]]; then
    printf 'License: %s\n On Debian systems, the full text of the license is in\n /usr/share/common-licenses/%s.\n' "$lic" "$lic"
  else
    printf 'License: %s\n' "$lic"
    text "$f"
  fi
}

cat <<'EOF2'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: gokeepalived
Comment: The binaries are statically linked Go programs: they contain the Go
 standard library and the Go modules listed below, each under its own license.

Files: *
Copyright: the gokeepalived authors
License: no-license-yet
 The gokeepalived repository does not state a license for its own code yet;
 until it does, no rights beyond those of the licenses below are granted.
EOF2

stanza "Go standard library" "$($GO env GOROOT)" "go/*" "The Go standard library, $($GO env GOVERSION)."
CGO_ENABLED=0 $GO list -deps -f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}' \
  ./cmd/gokeepalived ./cmd/gokeepalivedctl | LC_ALL=C sort -u |
  while read -r path version dir; do
    stanza "$path" "$dir" "$path/*" "Go module $path $version, statically linked."
  done
