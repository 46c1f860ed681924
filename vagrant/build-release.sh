#!/usr/bin/env bash
# Packs this host's build into the signed release bundle that provisioning installs on the machines
# (the Vagrantfile runs it before a machine is provisioned). Usage: build-release.sh KEYFILE OUT.
# The bundle is made again only when the built files changed (their content, not their times), so
# re-provisioning an unchanged build installs nothing and restarts nothing.
set -euo pipefail
key="$1"; out="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ -f tools/release/dist/main.js ] || { echo "minicore: the release tool is not built (npm run build)" >&2; exit 1; }
ls apps/*/dist/*/main.js >/dev/null 2>&1 || { echo "minicore: nothing is built (npm run build)" >&2; exit 1; }

# What the release is made of: every project's build output, the package manifests and the lock file.
fingerprint=$(
  { find apps/*/dist apps/*/bin libs/*/dist -type f ! -name '*.tsbuildinfo' -print0 2>/dev/null | sort -z | xargs -0 sha256sum
    sha256sum package-lock.json apps/*/package.json libs/*/package.json; } | sha256sum | cut -d' ' -f1
)
if [ -f "$out" ] && [ "$(cat "$out.fingerprint" 2>/dev/null)" = "$fingerprint" ]; then
  echo "minicore: release bundle up to date ($(basename "$out"))"
  exit 0
fi
version=$(node -p 'require("./package.json").version')
mkdir -p "$(dirname "$out")"
started=$(date +%s)
node tools/release/dist/main.js --version "$version" --key "$key" --out "$out.tmp" --root "$root" > "$out.json"
mv "$out.tmp" "$out"
echo "$fingerprint" > "$out.fingerprint"
echo "minicore: release $version packed from this host's build in $(( $(date +%s) - started )) s: $(node -p 'const r = require(process.argv[1]); `${r.files} files, ${(r.size / 1048576).toFixed(1)} MiB`' "$out.json")"
