#!/bin/sh
# Test notify script (notify-hook.test.ts): records each run in $NOTIFY_LOG; the group name picks a behaviour.
echo "begin $1 $2 $3 env=$TWINBEAT_GROUP/$TWINBEAT_STATE/$TWINBEAT_NODE" >> "$NOTIFY_LOG"
case "$1" in
  pause*) sleep 0.15 ;;
  slow*) sleep 30 ;;
  noisy*) echo "to stdout"; echo "to stderr" >&2 ;;
  fail*) exit 3 ;;
  daemon*) sleep 30 & echo "bg $!" >> "$NOTIFY_LOG" ;;
esac
echo "end $1" >> "$NOTIFY_LOG"
