#!/usr/bin/env bash
# Runs a command as if the machine's `ping` were iputils, inetutils, busybox or absent, in a private mount namespace: nothing outside it changes.
# Usage (root, after install-deps.sh and tsc): bash scripts/lab/with-system-ping.sh iputils|inetutils|busybox|none COMMAND...
#
# Inside the namespace /usr/bin/ping (= /bin/ping) is a bind mount of the chosen program ("none":
# a file that cannot be executed). Copies of all three implementations go to a private directory
# named by TWINBEAT_LAB_PING_DIR, as install-ping-implementations.sh would have left them on a
# machine whose ping is the chosen one, so the tests still find all three.
set -euo pipefail

want=${1:?usage: with-system-ping.sh iputils|inetutils|busybox|none COMMAND...}
shift
case "$want" in iputils | inetutils | busybox | none) ;; *) echo "with-system-ping.sh: unknown implementation $want" >&2; exit 2 ;; esac
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
list="$here/.out/scripts/lab/ping-implementations.js"
[ -f "$list" ] || { echo "with-system-ping.sh: build first (npx tsc -p tsconfig.json)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/tb-system-ping.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
while IFS=$'\t' read -r name path; do
  mkdir -p "$tmp/$name/bin"
  if [ "$name" = busybox ]; then
    ln -s "$(readlink -f "$path")" "$tmp/$name/bin/ping"
  else
    cp -p "$path" "$tmp/$name/bin/ping"
    if [ -x "${path}6" ]; then cp -p "${path}6" "$tmp/$name/bin/ping6"; fi
  fi
done < <(node "$list")
touch "$tmp/none-ping"
chmod 644 "$tmp/none-ping"
if [ "$want" = none ]; then target="$tmp/none-ping"; else target="$tmp/$want/bin/ping"; fi
[ -e "$target" ] || { echo "with-system-ping.sh: no $want ping here" >&2; exit 1; }

export TWINBEAT_LAB_PING_DIR="$tmp" WANT_TARGET="$target"
unshare --mount --propagation private -- bash -c 'mount --bind "$WANT_TARGET" /usr/bin/ping && unset WANT_TARGET && exec "$@"' with-system-ping "$@"
