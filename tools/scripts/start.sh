#!/usr/bin/env bash
# `npm start`: installs and builds when needed, then runs a local Minicore cluster (processes on
# 127.0.0.11-13). Arguments go to the launcher: `npm start -- --machines 5`, `npm start -- --help`.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/ensure-installed.sh
source tools/scripts/nx-env.sh
npx nx run-many -t build --output-style=static >/tmp/minicore-build.log 2>&1 || { cat /tmp/minicore-build.log; echo "build failed"; exit 1; }
exec node tools/local-cluster/dist/main.js "$@"
