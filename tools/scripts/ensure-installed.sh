#!/usr/bin/env bash
# Installs the npm packages when they are missing or older than package-lock.json, so that
# `npm start` and `npm test` work on a fresh clone without a separate install step.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
fi
