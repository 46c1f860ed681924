#!/usr/bin/env bash
# The chaos cluster's kv disks (the full-disk fault, e2e/chaos/src/kv-disk.ts): one small ext4
# filesystem per machine, an image file on a loop device, mounted on this host at DIR/core-i; the
# Vagrantfile bind-mounts DIR/core-i at the machine's /var/lib/minicore/kv when MINICORE_KV_DISK_DIR=DIR.
#   kv-disks.sh up DIR MACHINES MIB   make (or reuse) and mount them; idempotent
#   kv-disks.sh down DIR              unmount, detach the loop devices, delete the images
# Needs root (losetup, mount). `down` never fails on what is already gone.
set -uo pipefail
action=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: kv-disks.sh up DIR MACHINES MIB | down DIR" >&2; exit 2; }

down() {
  local status=0 mnt dev img
  for mnt in "$dir"/core-*/; do
    mnt=${mnt%/}
    [ -d "$mnt" ] || continue
    if mountpoint -q "$mnt"; then
      dev=$(findmnt -n -o SOURCE --target "$mnt")
      # The machines' bind mounts live in their own mount namespaces: the host's unmount works while
      # a container still holds the filesystem (it goes when the container goes).
      umount "$mnt" || umount -l "$mnt" || status=1
      [[ "$dev" == /dev/loop* ]] && { losetup -d "$dev" 2>/dev/null || true; }
    fi
    rmdir "$mnt" 2>/dev/null || true
  done
  for img in "$dir"/core-*.img; do
    [ -f "$img" ] || continue
    # Any loop device still backed by the image (a mount that failed half-way).
    for dev in $(losetup -j "$img" -O NAME -n 2>/dev/null); do losetup -d "$dev" 2>/dev/null || status=1; done
    rm -f "$img"
  done
  rmdir "$dir" 2>/dev/null || true
  return "$status"
}

up() {
  local machines=$1 mib=$2 i img mnt dev
  mkdir -p "$dir"
  for i in $(seq 1 "$machines"); do
    img="$dir/core-$i.img"
    mnt="$dir/core-$i"
    mkdir -p "$mnt"
    mountpoint -q "$mnt" && continue
    if [ ! -f "$img" ]; then
      truncate -s "${mib}M" "$img"
      # No blocks reserved for root (kvd runs as root and would use them): full means full.
      mkfs.ext4 -q -F -m 0 -L "kv-core-$i" "$img" || return 1
    fi
    dev=$(losetup -f --show "$img") || return 1
    # discard: a deleted filler gives its blocks back to the (sparse) image file on the host disk.
    mount -o discard "$dev" "$mnt" || { losetup -d "$dev"; return 1; }
  done
}

case "$action" in
  up) up "${3:?machines}" "${4:?MiB}" || { echo "kv-disks: making the kv disks failed; removing them" >&2; down; exit 1; } ;;
  down) down ;;
  *) echo "usage: kv-disks.sh up DIR MACHINES MIB | down DIR" >&2; exit 2 ;;
esac
