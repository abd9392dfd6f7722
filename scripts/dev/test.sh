#!/usr/bin/env bash
# Runs Twinbeat's tests: type-check + compile, unit/simulation tests, then the
# end-to-end tests in network namespaces (root only). `test.sh unit|e2e` runs one part.
set -euo pipefail
cd "$(dirname "$0")/../.."
part="${1:-all}"

rm -rf .out
npx tsc -p tsconfig.json

units=$(find .out -name '*.test.js' -not -path '*/e2e/*' -not -path '*/slow/*' | sort)
e2es=$(find .out -name '*.test.js' -path '*/e2e/*' | sort)
slows=$(find .out -name '*.test.js' -path '*/slow/*' | sort)

case "$part" in
  unit) files="$units" ;;
  e2e) files="$e2es" ;;
  slow) files="$slows" ;;
  all) files="$units $e2es $slows" ;;
  *) echo "usage: test.sh [unit|e2e|slow|all]" >&2; exit 2 ;;
esac
# The namespace tests need root and a few Debian packages; without root they skip themselves.
if [ "$part" != unit ] && [ "$(id -u)" -eq 0 ]; then
  bash scripts/lab/install-deps.sh
  # A real Heartbeat 3.0.6 node for the interop tests (installed without starting anything).
  bash scripts/lab/install-heartbeat.sh
fi
# e2e tests run one at a time: they share the machine's namespaces and CPU.
exec node --test --test-concurrency=1 --enable-source-maps $files
