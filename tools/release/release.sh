#!/usr/bin/env bash
# `npm run release -- --version X.Y.Z --key KEYFILE --out FILE`: builds every project, then packs
# and signs a release bundle from the working tree (tools/release/src/release.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/ensure-installed.sh
source tools/scripts/nx-env.sh
npx nx run-many -t build --output-style=static >/tmp/minicore-release-build.log 2>&1 || { cat /tmp/minicore-release-build.log; echo "build failed"; exit 1; }
exec node tools/release/dist/main.js "$@"
