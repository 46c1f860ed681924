#!/usr/bin/env bash
# Starts a Docker engine (dockerd) in the background unless one already answers on its socket.
# Idempotent: when `docker info` succeeds against the socket, it does nothing.
# Env: DOCKER_SOCKET (default /var/run/docker.sock), DOCKERD_LOG (default /var/log/minicore-dockerd.log),
#      DOCKERD_WAIT_SECONDS (default 60): how long to wait for the socket before giving up.
set -euo pipefail

socket="${DOCKER_SOCKET:-/var/run/docker.sock}"
log="${DOCKERD_LOG:-/var/log/minicore-dockerd.log}"
wait_seconds="${DOCKERD_WAIT_SECONDS:-60}"

engine_answers() {
  timeout 10 docker -H "unix://$socket" info >/dev/null 2>&1
}

if engine_answers; then
  echo "dockerd: already running on $socket"
  exit 0
fi

# containerd loads a container's cgroups from /proc/<pid>/cgroup and fails ("cannot find cgroup
# mount destination") when a cgroup v1 hierarchy listed there has no mount in this namespace: the
# engine then never learns of OOM kills. systemd node containers (the e2e suite's) leave such a
# hierarchy behind (name=systemd). Mount any missing one before the engine starts.
repair_cgroup_mounts() {
  [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = "tmpfs" ] || return 0 # cgroup v2 only: nothing to do
  local writable=0 controllers dir options
  while IFS=: read -r _ controllers _; do
    [ -n "$controllers" ] || continue # the cgroup v2 line, 0::/
    dir="${controllers#name=}"
    mountpoint -q "/sys/fs/cgroup/$dir" && continue
    if [ "$writable" = 0 ]; then mount -o remount,rw /sys/fs/cgroup 2>/dev/null || return 0; writable=1; fi
    options="$controllers"
    [[ "$controllers" == name=* ]] && options="none,$controllers"
    mkdir -p "/sys/fs/cgroup/$dir" && mount -t cgroup -o "$options" cgroup "/sys/fs/cgroup/$dir" &&
      echo "dockerd: mounted the cgroup hierarchy $controllers, which was missing"
  done </proc/self/cgroup
  if [ "$writable" = 1 ]; then mount -o remount,ro /sys/fs/cgroup 2>/dev/null || true; fi
}

command -v dockerd >/dev/null || { echo "dockerd: not installed (apt-get install docker.io)" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
  echo "dockerd: must be started as root" >&2
  exit 1
fi

# A stale pid file from an engine that died would make dockerd refuse to start.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi

mkdir -p "$(dirname "$log")"
echo "dockerd: starting (log: $log)"
repair_cgroup_mounts
# setsid: the engine must outlive this script and the CI step that called it.
setsid dockerd -H "unix://$socket" >>"$log" 2>&1 < /dev/null &
pid=$!

deadline=$((SECONDS + wait_seconds))
until engine_answers; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "dockerd: exited during startup; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "dockerd: no answer on $socket after ${wait_seconds}s; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "dockerd: ready on $socket (pid $pid)"
