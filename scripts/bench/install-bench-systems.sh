#!/usr/bin/env bash
# Installs (idempotently) what `npm run bench` compares against: Debian's heartbeat 3.0.6 and keepalived, neither left running on the host.
# Usage: bash scripts/bench/install-bench-systems.sh   (as root; a no-op when both are installed)
#
# heartbeat comes through scripts/lab/install-heartbeat.sh (the lab's tools too). keepalived's
# postinst would start the service: a policy-rc.d that denies every start is in place for the
# install (an existing one is kept aside and restored) and the unit is disabled afterwards. The
# bench runs keepalived only inside lab namespaces, with its own config file.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

bash "$here/../lab/install-heartbeat.sh"

if command -v keepalived >/dev/null 2>&1 && dpkg-query -W -f='${Status}' keepalived 2>/dev/null | grep -q "install ok installed"; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-bench-systems.sh: need root to install keepalived" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then
  saved="$(mktemp)"
  cp -p "$policy" "$saved"
fi
restore() {
  if [ -n "$saved" ]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi
}
trap restore EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod 755 "$policy"

# apt takes a lock that other installs may hold: wait for it rather than fail.
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if apt-get install -y -q --no-install-recommends keepalived; then break; fi
  [ "$attempt" -lt 10 ] || exit 1
  [ "$attempt" -gt 1 ] || apt-get update -q || true
  sleep 10
done
if command -v systemctl >/dev/null 2>&1; then systemctl disable keepalived >/dev/null 2>&1 || true; fi
if command -v update-rc.d >/dev/null 2>&1; then update-rc.d keepalived disable >/dev/null 2>&1 || true; fi
command -v keepalived >/dev/null
