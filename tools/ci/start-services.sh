#!/usr/bin/env bash
# Starts the services the test suites need and are not running yet (run as root):
# a Docker engine for the runner, the busybox test image it runs (no registry is reachable), and the
# systemd node image (minicore/node) that the scheduler's systemd tests and the vagrant cluster boot.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/ci/start-dockerd.sh
bash tools/ci/build-test-image.sh
bash tools/scripts/node-image.sh
