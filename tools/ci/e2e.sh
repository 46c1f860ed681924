#!/usr/bin/env bash
# CI entry point for the whole-cluster suite (run as root by .ci/run, after `npm test`): installs
# vagrant and debootstrap when missing, makes sure dockerd runs, then `npm run e2e` bounded in time
# (MINICORE_E2E_TIMEOUT seconds, default 1200). Its JSON report lands in tmp/test-results/e2e.json,
# so the CI summary counts its tests; on a timeout the cluster is still destroyed.
set -uo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
bash tools/ci/apt-install.sh vagrant debootstrap rsync || { echo "e2e: apt-get install vagrant debootstrap failed"; exit 1; }
bash tools/ci/start-dockerd.sh || { echo "e2e: no Docker engine"; exit 1; }
echo "e2e: tools ready in $(( $(date +%s) - started )) s"
limit=${MINICORE_E2E_TIMEOUT:-1200}
# SIGTERM at the limit lets e2e.sh destroy the cluster; SIGKILL 90 s later if it hangs.
timeout -k 90 "$limit" bash tools/scripts/e2e.sh
status=$?
[ "$status" = 124 ] && echo "e2e: timed out after $limit s"
echo "e2e: $(( $(date +%s) - started )) s in all (exit $status)"
exit "$status"
