#!/usr/bin/env bash
# Installs (idempotently, quietly) the Debian packages the network-namespace labs need, checked by package name.
# Usage: bash scripts/lab/install-deps.sh   (as root; a no-op when everything is present)
#
# A package counts as present only when dpkg says "install ok installed": a command of the
# same name proves nothing (`ping` may be iputils, GNU inetutils or a busybox link). Then the
# three ping implementations the tests run against are put in place by
# install-ping-implementations.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

wants=(iproute2 nftables arping curl procps busybox-static stress-ng chromium resource-agents
  # the Filesystem OCF agent refuses to run without modprobe, fuser and fsck (e2e: classic resources)
  kmod psmisc e2fsprogs
  # scripts/compat/heartbeat-differential.ts gives the real Heartbeat a pty (heartbeat-compat e2e)
  python3)
# The system ping: iputils-ping, unless the machine chose inetutils-ping (they conflict, and
# installing one would remove the other); the tests get both either way.
installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}
installed inetutils-ping || wants+=(iputils-ping)

missing=()
for pkg in "${wants[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-y -qq -o Dpkg::Use-Pty=0 --no-install-recommends)
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  fi
  if ! apt-get install "${apt_opts[@]}" "${missing[@]}" >"$log" 2>&1; then
    # stale or partial package lists: refresh once and retry
    apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    apt-get install "${apt_opts[@]}" "${missing[@]}" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  fi
  for pkg in "${missing[@]}"; do
    installed "$pkg" || { echo "install-deps.sh: $pkg is still not installed" >&2; exit 1; }
  done
  echo "install-deps.sh: installed ${missing[*]}"
fi

bash "$here/install-ping-implementations.sh"
