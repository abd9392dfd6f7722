#!/usr/bin/env bash
# Installs (idempotently, quietly) the Debian packages the network-namespace labs need.
# Usage: bash scripts/lab/install-deps.sh   (as root; a no-op when everything is present)
set -euo pipefail

# package -> a command it provides (checked first, so a present tool costs no apt call)
declare -A wants=(
  [iproute2]=ip
  [nftables]=nft
  [iputils-ping]=ping
  [arping]=arping
  [curl]=curl
  [procps]=ps
  [busybox-static]=busybox
  [stress-ng]=stress-ng
  [chromium]=chromium
  [resource-agents]=/usr/libexec/heartbeat/send_ua
  # the Filesystem OCF agent refuses to run without modprobe, fuser and fsck (e2e: classic resources)
  [kmod]=modprobe
  [psmisc]=fuser
  [e2fsprogs]=mkfs.ext4
)

missing=()
for pkg in "${!wants[@]}"; do
  cmd="${wants[$pkg]}"
  if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ] && ! [ -x "/sbin/$cmd" ]; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: need root to install: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -qq -o Dpkg::Use-Pty=0 --no-install-recommends)

lists_empty() {
  ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if lists_empty; then
  apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
if ! apt-get install "${apt_opts[@]}" "${missing[@]}" >"$log" 2>&1; then
  # stale or partial package lists: refresh once and retry
  apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  apt-get install "${apt_opts[@]}" "${missing[@]}" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
echo "install-deps.sh: installed ${missing[*]}"
