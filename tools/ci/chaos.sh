#!/usr/bin/env bash
# CI entry point for the short chaos run (called by .ci/run): installs vagrant, debootstrap and
# libfaketime (the clock-jump fault: the runner copies the library into the machines) when missing,
# makes sure dockerd runs (as root: the full-disk fault's loop devices need root too), then `npm run chaos -- --duration 45s --seed 1` on 5 machines: boot, run
# with the kv, scheduler and updater checkers, destroy (tools/scripts/chaos.sh), bounded by
# MINICORE_CHAOS_TIMEOUT seconds (default 600).
# The verdicts land in tmp/test-results/chaos.json (one assertion per checker) for the CI summary;
# the full report stays in tmp/chaos/ci-seed-<seed>/. Exits non-zero when a checker failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
seed=${MINICORE_CHAOS_SEED:-1}
duration=${MINICORE_CHAOS_DURATION:-45s}
bash tools/ci/apt-install.sh vagrant debootstrap rsync libfaketime e2fsprogs || { echo "chaos: apt-get install vagrant debootstrap rsync libfaketime e2fsprogs failed"; exit 1; }
bash tools/ci/start-dockerd.sh || { echo "chaos: no Docker engine"; exit 1; }
# A chaos cluster left over from an earlier, killed run: destroy it, so that this run boots (and destroys) its own.
if ls vagrant/.vagrant-chaos/machines/*/docker/id >/dev/null 2>&1; then
  echo "chaos: destroying a chaos cluster left over from an earlier run"
  (cd vagrant && MINICORE_SUBNET=10.78.0 VAGRANT_DOTFILE_PATH="$(pwd)/.vagrant-chaos" vagrant destroy -f >/dev/null 2>&1) || true
fi
# And its kv disks (the full-disk fault's loop-mounted filesystems), if any.
bash e2e/chaos/kv-disks.sh down vagrant/.vagrant-chaos/kv-disks || true
mkdir -p tmp/test-results
report=tmp/test-results/chaos.json
rm -f "$report"
limit=${MINICORE_CHAOS_TIMEOUT:-600}
# SIGTERM at the limit lets chaos.sh heal and destroy the cluster; SIGKILL 90 s later if it hangs.
timeout -k 90 "$limit" bash tools/scripts/chaos.sh --duration "$duration" --seed "$seed" --machines 5 \
  --output "tmp/chaos/ci-seed-$seed" --vitest-json "$report"
status=$?
[ "$status" = 124 ] && echo "chaos: timed out after $limit s"
if [ ! -f "$report" ]; then
  # The run broke before its checkers: one failed assertion, so that the summary counts it.
  node -e '
    const [file, status] = process.argv.slice(1);
    const failure = { ancestorTitles: ["chaos"], title: "the chaos run completes", fullName: "chaos the chaos run completes", status: "failed", failureMessages: [`tools/scripts/chaos.sh exited ${status} without verdicts (see the log above)`] };
    require("fs").writeFileSync(file, JSON.stringify({ numTotalTests: 1, numPassedTests: 0, numFailedTests: 1, numPendingTests: 0, success: false, testResults: [{ name: "e2e/chaos", status: "failed", message: "", assertionResults: [failure] }] }));
  ' "$report" "$status"
  [ "$status" = 0 ] && status=1
fi
echo "chaos (ci): $(( $(date +%s) - started )) s in all, boot + run + destroy (exit $status)"
exit "$status"
