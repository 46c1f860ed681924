#!/usr/bin/env bash
# Builds the Minicore node image (default minicore/node:latest): a debootstrapped Debian bookworm
# with systemd as PID 1, sshd with Vagrant's insecure key, Docker engine, and this machine's own
# Node 20 binary. The recipe is ../shared/research/nodes.md (tested): no registry or box download.
#
# Two stages, so that only what changed is redone:
#   1. minicore/node-rootfs:<hash of suite+packages+mirror>  `debootstrap` output, `docker import`ed (~1-2 min)
#   2. minicore/node:latest  FROM stage 1 (Dockerfile here): node binary, vagrant user, per-machine
#      identity, dockerd settings, STOPSIGNAL. Labelled with the hash of all its inputs. (~10 s)
# Idempotent: skips a stage whose image exists with the same inputs (FORCE=1 rebuilds both).
# Run as root (debootstrap). Env: IMAGE, MIRROR, NODE_BIN (default: `command -v node`),
# VAGRANT_PUBKEY (default: the Debian vagrant package's keys/vagrant.pub).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

image="${IMAGE:-minicore/node:latest}"
suite=bookworm
mirror="${MIRROR:-http://deb.debian.org/debian}"
packages="systemd,systemd-sysv,dbus,iproute2,openssh-server,sudo,docker.io,ca-certificates,procps,rsync,curl,less"
node_bin="$(readlink -f "${NODE_BIN:-$(command -v node)}")"
pubkey="${VAGRANT_PUBKEY:-$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub /opt/vagrant/embedded/gems/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | head -n 1 || true)}"

step_started=0
step() { step_started=$(date +%s.%N); echo "node-image: $*"; }
done_step() { printf 'node-image:   done in %.1f s\n' "$(awk -v a="$(date +%s.%N)" -v b="$step_started" 'BEGIN { print a - b }')"; }
fail() { echo "node-image: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (debootstrap needs it)"
command -v docker >/dev/null || fail "docker CLI not found"
docker info >/dev/null 2>&1 || fail "no Docker engine answers (bash tools/ci/start-dockerd.sh)"
[ -n "$pubkey" ] && [ -f "$pubkey" ] || fail "Vagrant's insecure public key not found: set VAGRANT_PUBKEY (keys/vagrant.pub in the Vagrant install)"
[ -x "$node_bin" ] || fail "node binary not found (set NODE_BIN)"

# The node binary is copied into the image, so it must be self-contained apart from glibc and
# libstdc++ (the official and NodeSource builds are; a distro build that links libnode.so is not).
node_version="$("$node_bin" --version)"
case "$node_version" in v20.*) ;; *) fail "$node_bin is $node_version; the machines need Node 20" ;; esac
unexpected="$(ldd "$node_bin" | awk '{print $1}' | grep -vE '^(linux-vdso\.so|/lib64/ld-linux-x86-64\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libstdc\+\+\.so|libgcc_s\.so)' || true)"
[ -z "$unexpected" ] || fail "$node_bin needs libraries bookworm's minbase may lack: $unexpected"

# ---- stage 1: the debootstrapped rootfs ------------------------------------------------------
rootfs_hash="$(printf '%s\n' "$suite" "$packages" "$mirror" | sha256sum | cut -c1-12)"
rootfs_image="minicore/node-rootfs:$rootfs_hash"
if [ "${FORCE:-0}" != 1 ] && docker image inspect "$rootfs_image" >/dev/null 2>&1; then
  echo "node-image: stage 1 $rootfs_image exists (debootstrap skipped)"
else
  command -v debootstrap >/dev/null || fail "debootstrap not found (bash tools/ci/apt-install.sh debootstrap)"
  work="$(mktemp -d /var/tmp/minicore-rootfs.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  step "stage 1: debootstrap $suite (minbase + ${packages//,/ }) from $mirror"
  # Progress: debootstrap logs a line per package per phase (~1000 lines); show one line per phase.
  debootstrap --variant=minbase --include="$packages" "$suite" "$work/rootfs" "$mirror" 2>&1 \
    | awk '/^I: / { phase = $2; if (phase != last) { if (n > 1) printf "node-image:     (%d packages)\n", n;
                                                     print "node-image:   " $0; last = phase; n = 0 } n++; fflush(); next }
           { print "node-image:   " $0; fflush() }'
  [ "${PIPESTATUS[0]}" = 0 ] || fail "debootstrap failed"
  [ -x "$work/rootfs/lib/systemd/systemd" ] || fail "debootstrap produced no systemd"
  rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/* "$work/rootfs"/var/log/*.log
  done_step
  step "stage 1: docker import -> $rootfs_image"
  tar -C "$work/rootfs" --numeric-owner -c . | docker import --message "minicore node rootfs: $suite $packages" - "$rootfs_image" >/dev/null
  rm -rf "$work"
  done_step
fi

# ---- stage 2: the node image ------------------------------------------------------------------
inputs_hash="$( { echo "$rootfs_image"; cat "$here/Dockerfile" "$here/configure.sh" "$pubkey"; sha256sum < "$node_bin"; } | sha256sum | cut -c1-16)"
current="$(docker image inspect -f '{{ index .Config.Labels "minicore.node-image.inputs" }}' "$image" 2>/dev/null || true)"
if [ "${FORCE:-0}" != 1 ] && [ "$current" = "$inputs_hash" ]; then
  echo "node-image: $image is up to date (inputs $inputs_hash)"
  exit 0
fi
step "stage 2: $image (node $node_version from $node_bin, inputs $inputs_hash)"
context="$(mktemp -d /var/tmp/minicore-node-image.XXXXXX)"
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" "$here/configure.sh" "$context/"
cp "$node_bin" "$context/node"
cp "$pubkey" "$context/vagrant.pub"
# The legacy builder: STOPSIGNAL and RUN need no buildx plugin (the host's CLI may lack it).
DOCKER_BUILDKIT=0 docker build -q \
  --build-arg "ROOTFS=$rootfs_image" \
  --label "minicore.node-image.inputs=$inputs_hash" \
  -t "$image" "$context" 2>&1 >/dev/null | grep -vE 'DEPRECATED|BuildKit is currently disabled|environment-variable|^ *$' || true
[ "$(docker image inspect -f '{{ index .Config.Labels "minicore.node-image.inputs" }}' "$image" 2>/dev/null)" = "$inputs_hash" ] || fail "docker build failed"
done_step
echo "node-image: built $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
