#!/usr/bin/env bash
# Puts the three ping programs the tests run against (iputils, GNU inetutils, busybox) where the labs find them, idempotently.
# Usage: bash scripts/lab/install-ping-implementations.sh   (as root; a no-op when all three are in place)
#
# iputils-ping and inetutils-ping conflict in Debian (both are "ping"), so whichever of them
# is not the installed package is fetched with `apt-get download` and unpacked with `dpkg -x`
# into a private directory; nothing on the host's PATH changes. busybox comes from
# busybox-static (install-deps.sh installs it) as a link named ping, so busybox runs its
# ping applet. scripts/lab/ping-implementations.ts lists the result for the tests.
#
#   /var/lib/twinbeat-lab/ping/iputils/bin/ping     only when iputils-ping is not installed
#   /var/lib/twinbeat-lab/ping/inetutils/bin/ping   only when inetutils-ping is not installed
#   /var/lib/twinbeat-lab/ping/busybox/bin/ping -> /bin/busybox
set -euo pipefail

ROOT="${TWINBEAT_LAB_PING_DIR:-/var/lib/twinbeat-lab/ping}"

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# The version apt would fetch, from the local package lists ("" when unknown).
candidate() {
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }' | grep -v '(none)' || true
}

# unpack PACKAGE NAME: the package's files under $ROOT/NAME, with a stamp naming its version.
unpack() {
  local pkg=$1 name=$2 dir="$ROOT/$2" want tmp deb
  want=$(candidate "$pkg")
  if [ -z "$want" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    want=$(candidate "$pkg")
  fi
  if [ -x "$dir/bin/ping" ] && [ -f "$dir/VERSION" ] && { [ -z "$want" ] || [ "$(cat "$dir/VERSION")" = "$want" ]; }; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-ping-implementations.sh: need root to fetch $pkg" >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  # apt's sandbox user must be able to write the download directory.
  chmod 755 "$tmp"
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1) || {
    apt-get update -qq >/dev/null 2>&1 || true
    (cd "$tmp" && apt-get download -qq "$pkg") || { rm -rf "$tmp"; echo "install-ping-implementations.sh: cannot download $pkg" >&2; exit 1; }
  }
  deb=$(ls "$tmp"/*.deb)
  rm -rf "$dir.new"
  mkdir -p "$dir.new"
  dpkg -x "$deb" "$dir.new"
  # Debian's packages put ping in /bin (usrmerge moves nothing inside a private tree).
  if [ ! -x "$dir.new/bin/ping" ] && [ -x "$dir.new/usr/bin/ping" ]; then
    mkdir -p "$dir.new/bin"
    ln -s ../usr/bin/ping "$dir.new/bin/ping"
  fi
  [ -x "$dir.new/bin/ping" ] || { rm -rf "$tmp" "$dir.new"; echo "install-ping-implementations.sh: $pkg has no bin/ping" >&2; exit 1; }
  dpkg-deb -f "$deb" Version >"$dir.new/VERSION"
  rm -rf "$dir" "$tmp"
  mv "$dir.new" "$dir"
  echo "install-ping-implementations.sh: $pkg $(cat "$dir/VERSION") in $dir"
}

mkdir -p "$ROOT"
installed iputils-ping || unpack iputils-ping iputils
installed inetutils-ping || unpack inetutils-ping inetutils

if ! installed busybox-static && ! installed busybox; then
  echo "install-ping-implementations.sh: busybox-static is not installed (run scripts/lab/install-deps.sh)" >&2
  exit 1
fi
bb=$(command -v busybox || true)
[ -n "$bb" ] || { echo "install-ping-implementations.sh: no busybox executable" >&2; exit 1; }
if [ "$(readlink "$ROOT/busybox/bin/ping" 2>/dev/null || true)" != "$bb" ]; then
  mkdir -p "$ROOT/busybox/bin"
  ln -sfn "$bb" "$ROOT/busybox/bin/ping"
fi
