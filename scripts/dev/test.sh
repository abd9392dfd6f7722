#!/usr/bin/env bash
# Runs Twinbeat's tests: type-check + compile, lint, unit/simulation tests, then the
# end-to-end tests in network namespaces (root only). `test.sh unit|e2e` runs one part.
set -euo pipefail
cd "$(dirname "$0")/../.."
part="${1:-all}"

rm -rf .out
npx tsc -p tsconfig.json
# eslint (the pure core's import boundaries among others) and prettier --check, before any test.
npm run --silent lint

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
# Pacemaker's crm_verify/crm_simulate/crmsh check `twinbeat export pacemaker` (units) and run the
# exported cluster (e2e); installed without starting anything on the host.
if [ "$(id -u)" -eq 0 ]; then
  bash scripts/lab/install-pacemaker.sh
fi
# The namespace tests need root and a few Debian packages; without root they skip themselves.
if [ "$part" != unit ] && [ "$(id -u)" -eq 0 ]; then
  bash scripts/lab/install-deps.sh
  # A real Heartbeat 3.0.6 node for the interop tests (installed without starting anything).
  bash scripts/lab/install-heartbeat.sh
fi
# The emulated boot of two appliance images (about 5 minutes, root only): its own npm
# script, run first so that the main suite's summary is the last thing printed. The rolling
# upgrade in qemu (about 10 more minutes) runs only in `npm run test:image`, to keep the
# whole suite inside its time budget on a 2-core machine.
image_status=0
if [ "$part" = all ] && [ "$(id -u)" -eq 0 ] && [ "${TWINBEAT_SKIP_IMAGE_TEST:-}" != 1 ]; then
  TWINBEAT_IMAGE_MODES="${TWINBEAT_IMAGE_MODES:-bios,uefi-usb,factory}" bash image/test-image.sh || image_status=$?
fi
# e2e tests run one at a time: they share the machine's namespaces and CPU.
status=0
node --test --test-concurrency=1 --enable-source-maps $files || status=$?
if [ "$image_status" -ne 0 ]; then
  echo "test:image failed (exit $image_status)" >&2
  [ "$status" -ne 0 ] || status=$image_status
fi
exit "$status"
