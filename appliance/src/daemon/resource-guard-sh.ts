// The resource guard as a small shell loop (about 1 MB instead of a second Node runtime); it starts Twinbeat only to act.

import { accessSync, constants } from "node:fs";

/**
 * Why a shell: the guard spends its life waiting on a pipe and counting the daemon's
 * ticks; a Node runtime for that costs some 50 MB RSS and a third of a CPU second a
 * minute on a 256 MB box. This loop keeps the same pipe protocol as the Node guard
 * (resource-guard.ts): `held [..]`, `tick`, `reload`, `clean` in; `dropped [..]` out.
 * It needs `read -t` with fractions of a second (busybox ash, bash; not dash). When
 * something must be done it runs `twinbeat resource-guard` once with
 * TWINBEAT_GUARD_ACT (resource-guard-act.ts), which decides with the same GuardState
 * and stops groups with the same runner as the Node guard:
 *   limit   prints the stall limit in ms for the configuration (at start and on reload);
 *   drop    the daemon fell silent past the limit: removes the addresses of the held
 *           groups not yet dropped, prints the guard's new memory (last line `dropped [..]`);
 *   woke    the daemon ticks again after a drop: logs how long it was silent;
 *   release the pipe closed without `clean`: stops the held groups, right to left; the
 *           shell has removed their addresses itself just before (\`ip KEY ADDRESS\` lines
 *           printed by \`limit\`), so the VIP is gone in milliseconds, not after a Node start.
 * The guard's memory is the lines `held [..]`/`dropped [..]` since the last drop, which
 * the act replays in order (a group released after a drop is guarded afresh).
 * Node starts in 0.1-0.4 s on a small busy box, so the drop act is started when half the
 * limit (at most 0.5 s) has passed in silence and waits on a fifo for "go"; a tick cancels it.
 * The configuration is copied (ha.cf, haresources, authkeys, twinbeat.cf) at start and on
 * `reload`, so an edit the daemon has not applied yet does not change what is released.
 * Time comes from /proc/uptime (a file read, no fork) in hundredths of a second.
 *
 * Arguments: $1 config dir, $2 node name, then the argv prefix that runs Twinbeat.
 */
export const GUARD_SH = `
cfg=$1; node=$2; shift 2
trap '' INT HUP
snap=$(mktemp -d "\${TMPDIR:-/tmp}/twinbeat-guard.XXXXXX") || exit 1
trap 'rm -rf "$snap"' EXIT
mkfifo "$snap/go" || exit 1
nl='
'
now() { read -r up _ < /proc/uptime; c=\${up#*.}; now=$(( \${up%.*} * 100 + 1\${c%\${c#??}} - 100 )); }
run_act() { a=$1; s=$2; shift 2; TWINBEAT_GUARD_ACT=$a TWINBEAT_GUARD_SILENT_MS=$s TWINBEAT_GUARD_ORIGINAL_DIR=$cfg "$@" resource-guard --config-dir "$snap" --node-name "$node"; }
snapshot() {
  for f in ha.cf haresources authkeys twinbeat.cf; do
    rm -f "$snap/$f"
    if [ -e "$cfg/$f" ]; then cp "$cfg/$f" "$snap/$f" || return 1; fi
  done
  # The limit, then \`iptool PATH\` and \`ip KEY ADDRESS\` lines: the addresses this shell removes itself when the daemon dies.
  out=$(run_act limit 0 "$@" < /dev/null) || out=
  l=\${out%%"$nl"*}; ips=; case $out in *"$nl"*) ips=\${out#*"$nl"} ;; esac
  [ -n "$l" ] && limit=$(( l / 10 )) && lead=$(( limit / 2 )) && [ $lead -le 50 ] || lead=50
}
# The daemon died holding groups: their addresses go at once, from here, before Twinbeat starts
# to stop the groups in order (the peer takes over after its deadtime without waiting for us).
drop_held_addresses() {
  iptool=
  printf '%s\\n' "$ips" | while read -r kw key addr; do
    if [ "$kw" = iptool ]; then iptool=$key; continue; fi
    [ "$kw" = ip ] && [ -n "$iptool" ] || continue
    case $held in *'"'"$key"'"'*) ;; *) continue ;; esac
    "$iptool" -o addr show to "$addr" 2> /dev/null | while read -r _ dev _ cidr _; do
      "$iptool" addr del "$cidr" dev "$dev" 2> /dev/null && echo "twinbeat-guard: the daemon died: removed $cidr from $dev ($key)" >&2
    done
  done
}
# The drop act is started ahead (a Node start takes 0.1-0.4 s on a small busy box) and waits on a fifo for "go".
prestart() {
  printf '%s\\n' "$mem" "$held" > "$snap/mem"
  TWINBEAT_GUARD_MEMORY_FILE="$snap/mem" run_act drop 0 "$@" < "$snap/go" > "$snap/out" &
  pre=$!
  exec 3> "$snap/go"
}
cancel() {
  [ -n "$pre" ] || return 0
  kill "$pre" 2> /dev/null; exec 3>&-; wait "$pre"; pre=
}
limit=; pre=
snapshot "$@"
[ -n "$limit" ] || { echo "twinbeat-guard: cannot read the stall limit from $cfg" >&2; exit 1; }
mem=; held='held []'; armed=0; ticked=0; last=0; clean=0; dropped=0; fresh=0
while :; do
  wait_cs=
  if [ $armed = 1 ] && [ $ticked = 1 ]; then
    # Right after a tick the clock was just read: one /proc/uptime read per tick is enough.
    [ $fresh = 1 ] || now
    if [ -n "$pre" ]; then wait_cs=$(( last + limit - now )); else wait_cs=$(( last + limit - lead - now )); fi
  fi
  timed_out=0
  if [ -n "$wait_cs" ] && [ $wait_cs -le 0 ]; then
    rc=1; timed_out=1
  elif [ -n "$wait_cs" ]; then
    t0=$now; frac=$(( wait_cs % 100 )); [ $frac -ge 10 ] || frac=0$frac
    IFS= read -r -t "$(( wait_cs / 100 )).$frac" line; rc=$?
    if [ $rc != 0 ]; then now; [ $(( now - t0 )) -lt $(( wait_cs - 1 )) ] || timed_out=1; fi
  else
    IFS= read -r line; rc=$?
  fi
  if [ $timed_out = 1 ]; then
    fresh=0
    if [ -z "$pre" ]; then prestart "$@"; continue; fi
    now
    echo "go $(( (now - last) * 10 ))" >&3; exec 3>&-; wait "$pre"; r=$?; pre=
    armed=0
    if [ $r = 0 ]; then
      mem=; while IFS= read -r l; do mem=\${mem:+"$mem$nl"}$l; done < "$snap/out"
      dropped=1; printf '%s\\n' "\${mem##*"$nl"}"
    fi
    continue
  fi
  if [ $rc != 0 ] && [ -z "$line" ]; then break; fi
  case $line in
    tick)
      now
      cancel
      if [ $dropped = 1 ]; then run_act woke $(( (now - last) * 10 )) "$@" < /dev/null; dropped=2; fi
      ticked=1; last=$now; fresh=2 ;;
    clean) clean=1 ;;
    reload) cancel; snapshot "$@" ;;
    "held "*)
      cancel
      held=$line
      if [ -n "$mem" ]; then mem="$mem$nl$line"; fi
      if [ "$line" = 'held []' ]; then armed=0; else armed=1; fi ;;
  esac
  [ $rc = 0 ] || break
  # fresh: 2 just after a tick, read as 1 at the top of the next pass, 0 after any other line.
  if [ $fresh = 2 ]; then fresh=1; else fresh=0; fi
done
cancel
[ $clean = 1 ] && exit 0
[ "$held" = 'held []' ] && exit 0
drop_held_addresses
printf '%s\\n' "$mem" "$held" | run_act release 0 "$@"
`;

/** A shell that has `read -t` with fractions: busybox's ash, else bash; undefined: use the Node guard. */
export function guardShell(): string[] | undefined {
  if (process.env.TWINBEAT_GUARD === "node") return undefined;
  for (const [file, ...args] of [["/bin/busybox", "sh"], ["/usr/bin/busybox", "sh"], ["/bin/bash"], ["/usr/bin/bash"]] as const) {
    try {
      accessSync(file, constants.X_OK);
      return [file, ...args];
    } catch {
      // next
    }
  }
  return undefined;
}
