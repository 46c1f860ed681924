#!/usr/bin/env bash
# `npm run node-image`: builds the Minicore node image (minicore/node:latest) that the vagrant docker
# provider boots, with debootstrap (no registry needed). Skips what is up to date; FORCE=1 rebuilds.
# Installs debootstrap from Debian when missing. Run as root. See tools/node-image/build-image.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v debootstrap >/dev/null || bash tools/ci/apt-install.sh debootstrap
started=$(date +%s)
bash tools/node-image/build-image.sh "$@"
echo "node-image: $(( $(date +%s) - started )) s in all"
