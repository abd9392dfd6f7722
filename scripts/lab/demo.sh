#!/usr/bin/env bash
# `npm run demo`: installs what the lab needs, compiles, and runs the two-node failover demo (root).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
  echo "The demo builds network namespaces: run it as root (sudo npm run demo)." >&2
  exit 1
fi
bash scripts/lab/install-deps.sh
npx tsc -p tsconfig.json
exec node .out/scripts/lab/demo.js "$@"
