#!/usr/bin/env bash
# `npm test`: lint, typecheck, build and every test suite of every project, then one summary
# line "N passed, N failed". Extra arguments go to nx (e.g. `npm test -- -p @minicore/kv`).
set -uo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/ensure-installed.sh || exit 1
source tools/scripts/nx-env.sh
rm -rf tmp/test-results
status=0
npx nx sync:check || status=$?
if [ "$status" = 0 ]; then
  npx nx run-many -t lint typecheck build test --output-style=static --nxBail=false "$@" || status=$?
fi
node tools/ci/summary.mjs tmp/test-results "$status"
