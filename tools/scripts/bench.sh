#!/usr/bin/env bash
# `npm run bench -- kv`: installs what the benchmarks need (etcd 3.4 and wrk from Debian, the npm
# packages), builds, then runs tools/bench. Arguments go to it: `npm run bench -- kv --sizes 3`,
# `npm run bench -- --help`.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v wrk >/dev/null || [ ! -x /usr/bin/etcd ]; then
  bash tools/ci/apt-install.sh etcd-server wrk
fi
bash tools/scripts/ensure-installed.sh
source tools/scripts/nx-env.sh
npx nx run-many -t build -p @minicore/kv @minicore/runner @minicore/scheduler @minicore/updater @minicore/bench --output-style=static >/tmp/minicore-bench-build.log 2>&1 || { cat /tmp/minicore-bench-build.log; echo "build failed"; exit 1; }
exec node tools/bench/dist/main.js "$@"
