#!/usr/bin/env bash
# CI entry point: builds the local busybox test image (minicore/busybox:latest) unless it exists.
# Needs a running engine (tools/ci/start-dockerd.sh) and Debian's busybox-static.
set -euo pipefail
exec bash "$(dirname "$0")/../test-image/build-image.sh" "$@"
