#!/usr/bin/env bash
# Installs (idempotently) what the benchmarks compare against: keepalived (Debian 12: 2.2.7) and curl for its vrrp_script.
# Usage: bash scripts/bench/install-bench-deps.sh   (as root; a no-op when both are present)
set -euo pipefail
missing=()
command -v keepalived >/dev/null 2>&1 || [ -x /usr/sbin/keepalived ] || missing+=(keepalived)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-bench-deps: need root to install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# apt takes a lock: wait for another installer instead of failing.
for _ in $(seq 1 60); do
  if apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
    # The package enables a service; the benchmark runs its own instances in namespaces only.
    systemctl disable --now keepalived >/dev/null 2>&1 || true
    exit 0
  fi
  apt-get update -q >/dev/null 2>&1 || true
  sleep 5
done
echo "install-bench-deps: could not install ${missing[*]}" >&2
exit 1
