#!/usr/bin/env bash
# Installs (idempotently, quietly) Debian 12's Pacemaker + Corosync + crmsh for the export lab and crm_verify, without letting them run on the host.
# Usage: bash scripts/lab/install-pacemaker.sh   (as root; a no-op when everything is installed)
#
# The packages' postinst scripts start corosync.service and pacemaker.service. A policy-rc.d that
# denies every start is in place for the install (an existing one is kept aside and restored), the
# units are disabled afterwards, and the script fails if a corosync/pacemaker process it caused runs
# on the host. Lab nodes get their own /etc/corosync and /var/lib/pacemaker through bind mounts.
# pcs is not installed (it pulls in a web UI and its own daemon); the export writes pcs commands as text.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/install-deps.sh"

# Host-wide pids of the cluster daemons (by executable path).
cluster_pids() {
  local p exe
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null || true)
    case "$exe" in
      /usr/sbin/corosync* | /usr/sbin/pacemakerd* | /usr/lib/pacemaker/*) echo "${p#/proc/}" ;;
    esac
  done
}

need=()
for pkg in corosync pacemaker pacemaker-cli-utils crmsh; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-pacemaker.sh: need root to install: ${need[*]}" >&2
  exit 1
fi

before=" $(cluster_pids | tr '\n' ' ') "
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ] || [ -L "$policy" ]; then
  saved=$(mktemp /usr/sbin/.policy-rc.d.twinbeat.XXXXXX)
  cp -a "$policy" "$saved"
fi
log=$(mktemp)
restore() {
  if [ -n "$saved" ]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi
  rm -f "$log"
}
trap restore EXIT
printf '#!/bin/sh\n# twinbeat install-pacemaker.sh: no service starts during this install\nexit 101\n' >"$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -qq -o Dpkg::Use-Pty=0 --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
if ! apt-get install "${apt_opts[@]}" "${need[@]}" >"$log" 2>&1; then
  apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  apt-get install "${apt_opts[@]}" "${need[@]}" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi

# Never start at boot either.
for unit in corosync.service pacemaker.service; do
  if command -v deb-systemd-helper >/dev/null 2>&1; then deb-systemd-helper disable "$unit" >/dev/null 2>&1 || true; fi
done
if command -v update-rc.d >/dev/null 2>&1; then
  update-rc.d corosync disable >/dev/null 2>&1 || true
  update-rc.d pacemaker disable >/dev/null 2>&1 || true
fi

sleep 0.5
for p in $(cluster_pids); do
  case "$before" in *" $p "*) continue ;; esac
  echo "install-pacemaker.sh: the install started pid $p on the host; ending it" >&2
  kill -TERM "$p" 2>/dev/null || true
done
sleep 1
for p in $(cluster_pids); do
  case "$before" in *" $p "*) continue ;; esac
  kill -KILL "$p" 2>/dev/null || true
done
left=""
for p in $(cluster_pids); do case "$before" in *" $p "*) ;; *) left="$left $p" ;; esac; done
if [ -n "$left" ]; then
  echo "install-pacemaker.sh: cluster daemons still running on the host:$left" >&2
  exit 1
fi
command -v crm_verify >/dev/null || { echo "install-pacemaker.sh: crm_verify missing after install" >&2; exit 1; }
echo "install-pacemaker.sh: installed ${need[*]}"
