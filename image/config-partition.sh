#!/usr/bin/env bash
# Reads or writes the config partition (FAT, label TWINCFG) of a Twinbeat image file or of a written
# disk/stick, without mounting it (mtools). Any computer can do the same with its file manager.
#   config-partition.sh put IMAGE|DEVICE DIR    DIR's network.conf, ha.d/ (and recovery.txt, console-password) replace the partition's
#   config-partition.sh get IMAGE|DEVICE DIR    copies the whole partition into DIR
#   config-partition.sh ls  IMAGE|DEVICE
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
usage() { echo "usage: config-partition.sh put|get|ls IMAGE|DEVICE [DIR]" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 target=$2 dir=${3:-}
# The second partition of the MBR (the config partition), in bytes.
start=$(sfdisk -d "$target" 2>/dev/null | awk -F'[=,]' '/^[^ ]+2 : start=/ { gsub(/ /, "", $2); print $2 }')
[ -n "$start" ] || { echo "config-partition.sh: $target has no second partition" >&2; exit 1; }
p="$target@@$((start * 512))"
export MTOOLS_SKIP_CHECK=1
label=$(mlabel -i "$p" -s :: 2>/dev/null | sed -n 's/^ *Volume label is \([^ ]*\).*/\1/p')
[ "$label" = TWINCFG ] || { echo "config-partition.sh: partition 2 of $target is labelled '${label:-?}', not TWINCFG" >&2; exit 1; }
case "$cmd" in
  ls) mdir -i "$p" -/ -b :: ;;
  get) [ -n "$dir" ] || usage; mkdir -p "$dir"; mcopy -i "$p" -s -n -Q '::/*' "$dir/" ;;
  put)
    [ -n "$dir" ] || usage
    [ -d "$dir/ha.d" ] || [ -f "$dir/recovery.txt" ] || { echo "config-partition.sh: $dir has neither ha.d/ nor recovery.txt" >&2; exit 1; }
    if [ -d "$dir/ha.d" ]; then
      mdeltree -i "$p" ::/ha.d 2>/dev/null || true
      mcopy -i "$p" -s -Q "$dir/ha.d" ::/
    fi
    for f in network.conf recovery.txt console-password; do
      if [ -f "$dir/$f" ]; then mcopy -i "$p" -o -Q "$dir/$f" "::/$f"; fi
    done
    ;;
  *) usage ;;
esac
