#!/usr/bin/env bash
# Provisions one Minicore machine (run as root by `vagrant up` / `vagrant provision`; idempotent):
# Node 20 and a Docker engine when the box lacks them, the release into slot A, machine metadata,
# systemd units for kvd then runnerd. Services restart only when their release or unit changed.
# Env (from the Vagrantfile): MINICORE_MACHINE (i), MINICORE_MACHINES (N), MINICORE_SUBNET, MINICORE_SRC.
set -euo pipefail
i="${MINICORE_MACHINE:?}"; machines="${MINICORE_MACHINES:?}"; subnet="${MINICORE_SUBNET:?}"; src="${MINICORE_SRC:?}"
name="core-$i"
ip="$subnet.$((10 + i))"
slot=/opt/minicore/slots/A
say() { echo "$name: $*"; }

systemctl is-system-running --wait >/dev/null 2>&1 || true

# --- Node and Docker: baked into the docker provider's image; installed on VM boxes (untested) ---
if ! /usr/local/bin/node --version >/dev/null 2>&1; then
  say "installing Node 20 (NodeSource) and Docker"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq ca-certificates curl gnupg rsync docker.io >/dev/null
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash - >/dev/null
  apt-get install -y -qq nodejs >/dev/null
  ln -sf "$(command -v node)" /usr/local/bin/node
fi
if ! command -v dockerd >/dev/null; then
  apt-get install -y -qq docker.io >/dev/null
fi
systemctl enable --now docker.service >/dev/null 2>&1 || say "warning: docker.service did not start"

# --- The release: the built workspace's runtime parts, into slot A ---
[ -f "$src/apps/kv/dist/kvd/main.js" ] || { say "no built release in $src (run npm run build on the host)"; exit 1; }
mkdir -p "$slot" /var/lib/minicore
# Build-only packages stay behind (they are most of node_modules); everything else is kept, so a new
# runtime dependency needs no change here.
rsync -a --delete --itemize-changes \
  --exclude='node_modules/.cache/' --exclude='node_modules/.vite*/' \
  --exclude='/node_modules/nx/' --exclude='/node_modules/@nx/' --exclude='/node_modules/@nrwl/' \
  --exclude='/node_modules/typescript/' --exclude='/node_modules/@typescript-eslint/' --exclude='/node_modules/typescript-eslint/' \
  --exclude='/node_modules/eslint*/' --exclude='/node_modules/@eslint*/' \
  --exclude='/node_modules/vite/' --exclude='/node_modules/vitest/' --exclude='/node_modules/@vitest/' \
  --exclude='/node_modules/esbuild/' --exclude='/node_modules/@esbuild/' --exclude='/node_modules/rollup/' --exclude='/node_modules/@rollup/' \
  --exclude='/node_modules/@swc*/' --exclude='/node_modules/tsx/' --exclude='/node_modules/@oxc-*/' --exclude='/node_modules/@rolldown/' --exclude='/node_modules/rolldown/' \
  --include='/package.json' --include='/node_modules/***' \
  --include='/apps/' --include='/libs/' --include='/apps/*/' --include='/libs/*/' \
  --include='/*/*/package.json' --include='/*/*/bin/***' --include='/*/*/dist/***' --include='/*/*/node_modules/***' \
  --exclude='*.tsbuildinfo' --exclude='*' \
  "$src/" "$slot/" > /var/lib/minicore/release-sync.log
# Lines starting with ".d" only touch a folder's times: not a change of the release.
changes=$(grep -cv '^\.d' /var/lib/minicore/release-sync.log || true)
say "release in $slot ($changes files changed, $(du -sh "$slot" | cut -f1))"

# --- Machine metadata and the commands on PATH ---
mkdir -p /etc/minicore /var/lib/minicore
initial_cluster=$(for j in $(seq 1 "$machines"); do printf 'core-%s=http://%s.%s:2380,' "$j" "$subnet" "$((10 + j))"; done)
initial_cluster=${initial_cluster%,}
endpoints=$(for j in $(seq 1 "$machines"); do printf 'http://%s.%s:2379,' "$subnet" "$((10 + j))"; done)
endpoints=${endpoints%,}

units_changed=0
# install_file PATH MODE: writes stdin to PATH when it differs; remembers that something changed.
install_file() {
  local tmp; tmp=$(mktemp)
  cat > "$tmp"
  if ! cmp -s "$tmp" "$1"; then install -m "$2" "$tmp" "$1"; units_changed=1; fi
  rm -f "$tmp"
}

install_file /etc/minicore/machine.env 644 <<ENV
# This machine, as provisioning set it up (read by the Minicore units).
MINICORE_MACHINE=$name
MINICORE_ADDRESS=$ip
MINICORE_MACHINES=$machines
MINICORE_SLOT=$slot
MINICORE_KV_ENDPOINTS=$endpoints
KVCTL_ENDPOINTS=http://127.0.0.1:2379
RUNCTL_ENDPOINT=http://$ip:4003
ENV
install_file /etc/profile.d/minicore.sh 644 <<'SH'
set -a; . /etc/minicore/machine.env; set +a
SH
install_file /usr/local/bin/kvctl 755 <<SH
#!/bin/sh
exec /usr/local/bin/node $slot/apps/kv/dist/kvctl/main.js "\$@"
SH
install_file /usr/local/bin/runctl 755 <<SH
#!/bin/sh
[ -n "\${RUNCTL_ENDPOINT:-}" ] || RUNCTL_ENDPOINT=http://$ip:4003; export RUNCTL_ENDPOINT
exec /usr/local/bin/node $slot/apps/runner/dist/runctl/main.js "\$@"
SH

# --- systemd units: kvd, then runnerd ---
# kvd binds this machine's cluster address (only 10.77 addresses between machines) and loopback for
# local clients. Until `vagrant up` has attached the private network the bind fails; systemd retries.
install_file /etc/systemd/system/minicore-kvd.service 644 <<UNIT
[Unit]
Description=Minicore kvd (etcd v2-compatible store), member $name
After=network-online.target
StartLimitIntervalSec=0

[Service]
ExecStart=/usr/local/bin/node $slot/apps/kv/dist/kvd/main.js \\
  --name $name --data-dir /var/lib/minicore/kv \\
  --listen-client-urls http://$ip:2379,http://127.0.0.1:2379 \\
  --advertise-client-urls http://$ip:2379 \\
  --listen-peer-urls http://$ip:2380 --initial-advertise-peer-urls http://$ip:2380 \\
  --initial-cluster $initial_cluster \\
  --initial-cluster-state new --initial-cluster-token minicore-vagrant
Restart=always
RestartSec=1
TimeoutStopSec=5

[Install]
WantedBy=multi-user.target
UNIT
install_file /etc/systemd/system/minicore-runnerd.service 644 <<UNIT
[Unit]
Description=Minicore runnerd (this machine's containers, on its Docker engine)
After=minicore-kvd.service docker.service
Wants=minicore-kvd.service docker.service
StartLimitIntervalSec=0

[Service]
ExecStart=/usr/local/bin/node $slot/apps/runner/dist/runnerd/main.js \\
  --listen $ip:4003 --docker-socket /var/run/docker.sock \\
  --kv-endpoints http://127.0.0.1:2379 --advertise-host $ip \\
  --data-dir /var/lib/minicore/runner
Restart=always
RestartSec=1
TimeoutStopSec=10

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable minicore-kvd.service minicore-runnerd.service >/dev/null 2>&1
if [ "$units_changed" = 1 ] || [ "$changes" -gt 0 ]; then
  say "starting kvd and runnerd (release or units changed)"
  systemctl restart minicore-kvd.service minicore-runnerd.service
else
  systemctl start minicore-kvd.service minicore-runnerd.service
fi

# kvd answers /version without a quorum; the cluster's health is printed from the host at the end.
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:2379/version" >/dev/null && break
  sleep 0.2
done
say "kvd $(systemctl is-active minicore-kvd.service) ($(curl -sf http://127.0.0.1:2379/version || echo 'not answering yet')), runnerd $(systemctl is-active minicore-runnerd.service), docker $(systemctl is-active docker.service)"
