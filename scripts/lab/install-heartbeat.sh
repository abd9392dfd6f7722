#!/usr/bin/env bash
# Installs (idempotently, quietly) Debian's real Heartbeat 3.0.6 for the interop lab, without letting it run on the host.
# Usage: bash scripts/lab/install-heartbeat.sh   (as root; a no-op when it is already installed)
#
# The package's postinst runs `invoke-rc.d heartbeat start` and enables heartbeat.service. A
# policy-rc.d that denies every start is put in place for the install (an existing one is kept
# aside and restored), the unit and the SysV links are disabled afterwards, and the script fails
# if any heartbeat process it caused is running on the host. The host's /etc/ha.d only gains the
# package's own files (no ha.cf, so the init script would refuse to start anyway); lab nodes get
# their own /etc/ha.d through bind mounts (scripts/lab/real-heartbeat.ts).
set -euo pipefail

HB=/usr/libexec/heartbeat/heartbeat
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The lab's own tools (nft, busybox httpd, resource-agents, ...).
bash "$here/install-deps.sh"

# heartbeat-process pids (host-wide) whose executable is the daemon.
hb_pids() {
  local p exe
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null || true)
    case "$exe" in
      "$HB" | "$HB (deleted)" | /usr/libexec/heartbeat/ipfail) echo "${p#/proc/}" ;;
    esac
  done
}

# tcpdump is only for looking at the wire by hand; psmisc/gawk/libxml2-utils come with heartbeat.
need=()
[ -x "$HB" ] && dpkg-query -W -f='${Status}' heartbeat 2>/dev/null | grep -q "install ok installed" || need+=(heartbeat)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-heartbeat.sh: need root to install: ${need[*]}" >&2
  exit 1
fi

before=" $(hb_pids | tr '\n' ' ') "
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
printf '#!/bin/sh\n# twinbeat install-heartbeat.sh: no service starts during this install\nexit 101\n' >"$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -qq -o Dpkg::Use-Pty=0 --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
if ! apt-get install "${apt_opts[@]}" "${need[@]}" >"$log" 2>&1; then
  apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  apt-get install "${apt_opts[@]}" "${need[@]}" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi

# Never start at boot either (systemd unit and SysV links).
if command -v deb-systemd-helper >/dev/null 2>&1; then deb-systemd-helper disable heartbeat.service >/dev/null 2>&1 || true; fi
if command -v update-rc.d >/dev/null 2>&1; then update-rc.d heartbeat disable >/dev/null 2>&1 || true; fi

# Anything the install started on the host is ours to end (by PID); then insist nothing runs.
sleep 0.5
for p in $(hb_pids); do
  case "$before" in *" $p "*) continue ;; esac
  echo "install-heartbeat.sh: the install started heartbeat pid $p on the host; ending it" >&2
  kill -TERM "$p" 2>/dev/null || true
done
sleep 0.5
for p in $(hb_pids); do
  case "$before" in *" $p "*) continue ;; esac
  kill -KILL "$p" 2>/dev/null || true
done
left=""
for p in $(hb_pids); do case "$before" in *" $p "*) ;; *) left="$left $p" ;; esac; done
if [ -n "$left" ]; then
  echo "install-heartbeat.sh: heartbeat still running on the host:$left" >&2
  exit 1
fi
[ -x "$HB" ] || { echo "install-heartbeat.sh: $HB missing after install" >&2; exit 1; }
echo "install-heartbeat.sh: installed ${need[*]}"
