#!/usr/bin/env bash
# `npm run chaos -- --duration 120s --seed N [--machines 5] [--output DIR]`: the fault-injection
# runner (e2e/chaos, see its README). Builds the apps the machines run, boots the chaos cluster (a
# second vagrant cluster: subnet 10.78.0, state in vagrant/.vagrant-chaos, beside the demo one) unless
# it is already up, runs e2e/chaos/src/main.ts against it, and destroys the cluster it booted at the end
# (also on failure or Ctrl-C). MINICORE_CHAOS_KEEP=1 leaves it up for the next run (much faster).
# The exit code is the runner's: 0 when every checker passed, 1 when one failed, 2 when the run broke.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

machines=5
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --machines) machines="${args[$((i + 1))]:-5}" ;;
    --machines=*) machines="${args[$i]#--machines=}" ;;
    --help|-h) exec node --conditions=development --import tsx e2e/chaos/src/main.ts --help ;;
  esac
done
export MINICORE_SUBNET=${MINICORE_CHAOS_SUBNET:-10.78.0}
export VAGRANT_DOTFILE_PATH="$root/vagrant/.vagrant-chaos"
export MINICORE_MACHINES=$machines
export MINICORE_E2E_CLUSTER=vagrant
# Full disks (the disk-full fault): each machine's kv data dir is a small ext4 filesystem on a loop
# device of this host (e2e/chaos/kv-disks.sh), made before the boot, bind-mounted by the Vagrantfile
# (MINICORE_KV_DISK_DIR), removed after the destroy. MINICORE_CHAOS_KV_DISK_MB=0: none (no disk-full).
kv_disk_mb=${MINICORE_CHAOS_KV_DISK_MB:-256}
kv_disks="$VAGRANT_DOTFILE_PATH/kv-disks"
[ "$kv_disk_mb" != 0 ] && export MINICORE_KV_DISK_DIR="$kv_disks"

child=0
booted=0
destroyed=0
destroy() {
  [ "$booted" = 1 ] && [ "$destroyed" = 0 ] || return 0
  destroyed=1
  if [ "${MINICORE_CHAOS_KEEP:-0}" = 1 ]; then echo "chaos: MINICORE_CHAOS_KEEP=1: the chaos cluster stays up"; return 0; fi
  echo "chaos: destroying the chaos cluster"
  (cd vagrant && vagrant destroy -f >/tmp/minicore-chaos-destroy.log 2>&1) || { cat /tmp/minicore-chaos-destroy.log; echo "chaos: vagrant destroy failed"; }
  # Also after a failed destroy: the host's mounts and loop devices must not outlive the run.
  bash e2e/chaos/kv-disks.sh down "$kv_disks" || echo "chaos: removing the kv disks failed (see: losetup -a; findmnt | grep kv-disks)"
}
on_signal() {
  echo "chaos: interrupted"
  # The runner heals every fault on SIGTERM before it exits.
  [ "$child" != 0 ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
  destroy; exit 130
}
trap on_signal INT TERM
trap destroy EXIT
run() { "$@" & child=$!; wait "$child"; local code=$?; child=0; return "$code"; }

bash tools/scripts/ensure-installed.sh || exit 2
source tools/scripts/nx-env.sh
started=$(date +%s)
# Every app the machines run (their release is packed from these builds) and the release tool,
# which the updater checker uses to publish a release during the run.
run npx nx run-many -t build -p @minicore/kv @minicore/runner @minicore/scheduler @minicore/updater @minicore/release-tool --output-style=static >/tmp/minicore-chaos-build.log 2>&1 || { cat /tmp/minicore-chaos-build.log; echo "chaos: build failed"; exit 2; }

up=1
for i in $(seq 1 "$machines"); do
  id_file="$VAGRANT_DOTFILE_PATH/machines/core-$i/docker/id"
  [ -f "$id_file" ] && [ "$(docker inspect -f '{{.State.Running}}' "$(cat "$id_file")" 2>/dev/null)" = true ] || up=0
done
if [ "$up" = 0 ]; then
  command -v vagrant >/dev/null || { echo "chaos: vagrant is not installed (bash tools/ci/apt-install.sh vagrant debootstrap)"; exit 2; }
  run bash tools/scripts/node-image.sh || { echo "chaos: node image build failed"; exit 2; }
  echo "chaos: booting the chaos cluster ($machines machines on $MINICORE_SUBNET.0/24)"
  booted=1
  if [ "$kv_disk_mb" != 0 ]; then
    # New disks for a new cluster (an earlier member's Raft state must not be reused); machines that
    # exist but are stopped keep theirs.
    ls "$VAGRANT_DOTFILE_PATH"/machines/*/docker/id >/dev/null 2>&1 || bash e2e/chaos/kv-disks.sh down "$kv_disks"
    # Without loop devices (a machine that cannot make them) the run goes on without that one fault:
    # the runner schedules disk-full only where the kv data dir is such a disk.
    bash e2e/chaos/kv-disks.sh up "$kv_disks" "$machines" "$kv_disk_mb" || { echo "chaos: making the kv disks failed: no full-disk fault in this run"; unset MINICORE_KV_DISK_DIR; }
  fi
  # Once more on failure: with other clusters on the same engine the docker provider can trip (a
  # container it just made is not found yet); `vagrant up --provision` is idempotent.
  if ! run env -C vagrant vagrant up --provider=docker --provision >/tmp/minicore-chaos-up.log 2>&1; then
    echo "chaos: vagrant up failed; once more"
    run env -C vagrant vagrant up --provider=docker --provision >/tmp/minicore-chaos-up.log 2>&1 || { tail -40 /tmp/minicore-chaos-up.log; echo "chaos: vagrant up failed"; exit 2; }
  fi
  echo "chaos: cluster up after $(( $(date +%s) - started )) s"
else
  echo "chaos: running against the chaos cluster already up ($VAGRANT_DOTFILE_PATH)"
fi

run node --conditions=development --import tsx e2e/chaos/src/main.ts "$@"
status=$?
destroy
echo "chaos: $(( $(date +%s) - started )) s in all (exit $status)"
exit "$status"
