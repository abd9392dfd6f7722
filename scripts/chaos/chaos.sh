#!/usr/bin/env bash
# `npm run chaos -- ...`: installs what the lab needs, compiles, and runs the fault campaign against the live pair (root).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
  echo "The chaos campaign builds network namespaces: run it as root (sudo npm run chaos)." >&2
  exit 1
fi
bash scripts/lab/install-deps.sh
npx tsc -p tsconfig.json
exec node --enable-source-maps .out/scripts/chaos/chaos.js "$@"
