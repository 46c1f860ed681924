#!/usr/bin/env bash
# `npm run e2e`: the whole-cluster suite (e2e/). Builds the apps the machines run, builds the node
# image when it is missing or stale, boots the vagrant cluster with the docker provider, runs the suite
# from this host, and destroys the cluster at the end (also on failure, Ctrl-C or SIGTERM).
#   MINICORE_E2E_CLUSTER=vagrant npm run e2e  runs against the cluster already up in vagrant/ (kept)
#   MINICORE_E2E_CLUSTER=local npm run e2e    runs against `npm start`'s cluster on 127.0.0.11-13
#   MINICORE_E2E_KEEP=1                        leaves the booted cluster up afterwards
# Extra arguments go to vitest (e.g. `npm run e2e -- -t kv`). Writes tmp/test-results/e2e.json.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
# The apps the machines run (kvd, runnerd, schedulerd, updaterd and update-server) and the CLIs the
# suite drives them with, and the release tool that packs them for the machines.
apps=(@minicore/kv @minicore/runner @minicore/scheduler @minicore/updater @minicore/release-tool)

boot=0
if [ -z "${MINICORE_E2E_CLUSTER:-}" ]; then boot=1; export MINICORE_E2E_CLUSTER=vagrant; fi

timings=()
step_start=0
begin() { step_start=$(date +%s.%N); echo; echo "e2e: $*"; }
finish() { local s; s=$(printf '%.1f' "$(awk -v a="$(date +%s.%N)" -v b="$step_start" 'BEGIN { print a - b }')"); timings+=("$1: $s s"); echo "e2e: $1 took $s s"; }
print_timings() { echo; echo "e2e timings:"; printf '  %s\n' "${timings[@]}"; }

child=0
# Runs a step in the background and waits, so that a signal reaches the trap at once.
run() { "$@" & child=$!; wait "$child"; local code=$?; child=0; return "$code"; }

destroyed=0
destroy() {
  [ "$boot" = 1 ] && [ "$destroyed" = 0 ] || return 0
  destroyed=1
  if [ "${MINICORE_E2E_KEEP:-0}" = 1 ]; then echo "e2e: MINICORE_E2E_KEEP=1: the cluster stays up (cd vagrant && vagrant destroy -f)"; return 0; fi
  begin "vagrant destroy -f"
  # The machines are thrown away: pull their plugs first rather than wait for clean shutdowns.
  for id_file in vagrant/.vagrant/machines/*/docker/id; do
    [ -f "$id_file" ] && docker kill "$(cat "$id_file")" >/dev/null 2>&1
  done
  (cd vagrant && vagrant destroy -f >/tmp/minicore-e2e-destroy.log 2>&1) || { cat /tmp/minicore-e2e-destroy.log; echo "e2e: vagrant destroy failed"; }
  finish "vagrant destroy"
}
on_signal() {
  echo; echo "e2e: interrupted: stopping"
  [ "$child" != 0 ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
  destroy; print_timings; exit 130
}
trap on_signal INT TERM
trap destroy EXIT

bash tools/scripts/ensure-installed.sh || exit 1
source tools/scripts/nx-env.sh

begin "building ${apps[*]}"
run npx nx run-many -t build -p "${apps[@]}" --output-style=static >/tmp/minicore-e2e-build.log 2>&1 || { cat /tmp/minicore-e2e-build.log; echo "e2e: build failed"; exit 1; }
finish "build"

if [ "$boot" = 1 ]; then
  command -v vagrant >/dev/null || { echo "e2e: vagrant is not installed (bash tools/ci/apt-install.sh vagrant debootstrap)"; exit 1; }
  if ls vagrant/.vagrant/machines/*/docker/id >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then
      echo "e2e: destroying a cluster left over from an earlier run"
      (cd vagrant && vagrant destroy -f >/dev/null 2>&1) || true
    else
      destroyed=1   # not ours: never destroy a cluster this run did not boot
      echo "e2e: a vagrant cluster already exists in vagrant/. Run the suite against it with"
      echo "  MINICORE_E2E_CLUSTER=vagrant npm run e2e"
      echo "or remove it first: (cd vagrant && vagrant destroy -f)"
      exit 1
    fi
  fi
  begin "node image"
  run bash tools/scripts/node-image.sh || { echo "e2e: node image build failed"; exit 1; }
  finish "node image"
  begin "vagrant up --provider=docker (MINICORE_MACHINES=${MINICORE_MACHINES:-3})"
  # Once more on failure: with other clusters on the same engine, the docker provider can trip over a
  # network that vanishes while it looks for its own, and a machine can be briefly locked; `vagrant up
  # --provision` is idempotent, so a second run finishes what the first one left.
  if ! run env -C vagrant vagrant up --provider=docker --provision; then
    echo "e2e: vagrant up failed; once more"
    run env -C vagrant vagrant up --provider=docker --provision || { echo "e2e: vagrant up failed"; exit 1; }
  fi
  finish "vagrant up"
fi

begin "suite against the $MINICORE_E2E_CLUSTER cluster"
mkdir -p tmp/test-results
rm -f tmp/test-results/e2e.json
run npx vitest run --config e2e/vitest.e2e.config.mjs "$@"
status=$?
finish "suite"
destroy
print_timings
[ -f "$root/tmp/test-results/e2e.json" ] || { echo "e2e: no report written"; exit 1; }
exit "$status"
