#!/usr/bin/env bash
# npm run test:image: builds what is missing (executable, image), then boots the qemu pair
# (image/qemu-pair.test.ts). About 6-8 minutes on 2 cores; stops by itself (every wait is bounded,
# every qemu is killed by its PID). TWINBEAT_IMAGE_MODES=bios,uefi-usb,factory,upgrade picks the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash image/install-deps.sh test
version=$(node -p 'require("./package.json").version')
img=dist/twinbeat-$version.img
if [ ! -x dist/twinbeat ]; then npm run --silent build; fi
if [ ! -f "$img" ] || [ dist/twinbeat -nt "$img" ] || [ -n "$(find image -newer "$img" -type f -not -name '*.ts' | head -n1)" ]; then
  bash image/build-image.sh
fi
rm -rf dist/image-test-js
npx tsc -p image/tsconfig.json
export TWINBEAT_TEST_IMAGE=1
exec node --test --test-concurrency=1 dist/image-test-js/image/qemu-pair.test.js dist/image-test-js/image/qemu-upgrade.test.js
