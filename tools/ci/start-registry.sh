#!/usr/bin/env bash
# Starts a local image registry (Debian's docker-registry, distribution 2.8) in the background unless
# one already answers: how machines share images (`runctl push/pull --registry HOST:PORT`).
# Idempotent: when GET /v2/ answers on the address, it does nothing.
# Env (MINICORE_-prefixed: docker-registry reads REGISTRY_* variables as config overrides):
#      MINICORE_REGISTRY_ADDR (default 127.0.0.1:5000; a machine's own cluster address to share it),
#      MINICORE_REGISTRY_DIR (default /var/lib/minicore-registry: config and blobs),
#      MINICORE_REGISTRY_LOG (default /var/log/minicore-registry.log), MINICORE_REGISTRY_WAIT_SECONDS (default 20).
# The engine talks plain HTTP only to registries in 127.0.0.0/8 unless it lists the address under
# "insecure-registries" in /etc/docker/daemon.json (for the Vagrant cluster: 10.77.0.0/24).
set -euo pipefail

addr="${MINICORE_REGISTRY_ADDR:-127.0.0.1:5000}"
dir="${MINICORE_REGISTRY_DIR:-/var/lib/minicore-registry}"
log="${MINICORE_REGISTRY_LOG:-/var/log/minicore-registry.log}"
wait_seconds="${MINICORE_REGISTRY_WAIT_SECONDS:-20}"

answers() {
  curl -fsS --max-time 2 "http://$addr/v2/" >/dev/null 2>&1
}

if answers; then
  echo "registry: already running on $addr"
  exit 0
fi

command -v docker-registry >/dev/null || { echo "registry: not installed (apt-get install docker-registry)" >&2; exit 1; }

mkdir -p "$dir/data" "$(dirname "$log")"
cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $addr
YAML

echo "registry: starting on $addr (data: $dir/data, log: $log)"
# setsid: the registry must outlive this script and the CI step that called it.
setsid docker-registry serve "$dir/config.yml" >>"$log" 2>&1 < /dev/null &
pid=$!

deadline=$((SECONDS + wait_seconds))
until answers; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "registry: exited during startup; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "registry: no answer on $addr after ${wait_seconds}s; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  sleep 0.3
done
echo "registry: ready on $addr (pid $pid)"
