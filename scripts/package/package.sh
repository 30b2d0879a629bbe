#!/usr/bin/env bash
# package.sh: build the .deb and .rpm packages of volact (the client) and
# volactd (the servers) with nfpm, without Docker and without goreleaser.
# `make package` builds the binaries and calls it; releases use
# .goreleaser.yaml instead, which makes the same packages.
#
# Usage: scripts/package/package.sh OUTDIR VOLACT VOLACTD ARCH...
#   OUTDIR           packages are written here; OUTDIR/linux-ARCH/ must hold
#                    volact and volactd built for linux/ARCH
#   VOLACT VOLACTD   the binaries for this machine, run to write man pages
#   ARCH             Go architecture names (amd64, arm64, ...)
# Env:
#   VERSION            what the binaries print (git describe); the package
#                      version drops a leading v and turns '-' into '+' and
#                      '.' (1.2.3-4-gabc1234 -> 1.2.3+4.gabc1234), and is
#                      0.0.0~git.HASH before the first tag
#   NFPM               nfpm command (default: go run nfpm v2.45.2)
#   SOURCE_DATE_EPOCH  date in the man pages (default: the last commit)
set -euo pipefail

if [ $# -lt 4 ]; then
	sed -n 's/^# Usage: //p' "$0" >&2
	exit 2
fi
abs() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac }
out=$(abs "$1")
volact=$(abs "$2")
volactd=$(abs "$3")
shift 3

cd "$(dirname "$0")/../.." || exit 1
read -r -a nfpm <<<"${NFPM:-go run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2}"

v=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
v=${v#v}
case $v in
[0-9]*) ;;
*) v=0.0.0~git.$v ;;
esac
v=${v/-/+}
VOLACT_PKG_VERSION=${v//-/.}
export VOLACT_PKG_VERSION

# Man pages, generated afresh (no stale page from an older build) and
# compressed as Debian and RPM distributions ship them.
VOLACT_PKG_MAN=$out/man/man1
export VOLACT_PKG_MAN
rm -rf "$VOLACT_PKG_MAN"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
"$volact" man "$VOLACT_PKG_MAN" >/dev/null
"$volactd" man "$VOLACT_PKG_MAN" >/dev/null
gzip -n -9 "$VOLACT_PKG_MAN"/*.1

for arch in "$@"; do
	export VOLACT_PKG_ARCH=$arch VOLACT_PKG_BIN=$out/linux-$arch
	for b in volact volactd; do
		if [ ! -x "$VOLACT_PKG_BIN/$b" ]; then
			echo "package.sh: $VOLACT_PKG_BIN/$b is missing: build it for linux/$arch first (make package)" >&2
			exit 1
		fi
		for format in deb rpm; do
			"${nfpm[@]}" pkg --packager "$format" --config "scripts/package/nfpm-$b.yaml" --target "$out/"
		done
	done
done
