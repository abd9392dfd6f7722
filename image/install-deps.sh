#!/usr/bin/env bash
# Installs (idempotently, quietly) the Debian packages of image/packages.txt for one group or all.
# Usage: bash image/install-deps.sh [build|image|test|all]   (as root; a no-op when all are present)
# linux-image-amd64 is never installed here: build-image.sh downloads and unpacks it.
set -euo pipefail
cd "$(dirname "$0")"
group="${1:-all}"
case "$group" in build|image|test|all) ;; *) echo "usage: install-deps.sh [build|image|test|all]" >&2; exit 2 ;; esac

wanted=()
while read -r pkg grp _; do
  case "$pkg" in ''|'#'*) continue ;; esac
  [ "$pkg" = linux-image-amd64 ] && continue
  [ "$pkg" = curl ] && continue
  if [ "$group" = all ] || [ "$grp" = "$group" ] || { [ "$group" = test ] && [ "$grp" = image ]; } || { [ "$group" != build ] && [ "$grp" = build ]; }; then
    wanted+=("$pkg")
  fi
done < packages.txt

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  case "$status" in ii*) ;; *) missing+=("$pkg") ;; esac
done
[ "${#missing[@]}" -eq 0 ] && exit 0

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
  apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  apt-get install "${apt_opts[@]}" "${missing[@]}" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
echo "install-deps.sh: installed ${missing[*]}"
