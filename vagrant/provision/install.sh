#!/usr/bin/env bash
# Provisions one Minicore machine (run as root by `vagrant up` / `vagrant provision`; idempotent):
# Node 20 and a Docker engine when the box lacks them, the host's build as a signed release into the
# booted slot (A on a fresh machine), machine metadata, the boot selector, systemd units for kvd,
# runnerd, schedulerd and updaterd (in that order; update-server on the first machine). A unit restarts
# only when its file changed, all of them when the release changed.
# Env (from the Vagrantfile): MINICORE_MACHINE (i), MINICORE_MACHINES (N), MINICORE_SUBNET, MINICORE_SRC
# (the host's workspace), MINICORE_BUNDLE (the host's build as a signed release bundle),
# MINICORE_RELEASE_PUBKEY (the cluster's release key, base64 of its PEM), MINICORE_UPDATE_TOKEN (the
# update-server's admin token; first machine only).
set -euo pipefail
i="${MINICORE_MACHINE:?}"; machines="${MINICORE_MACHINES:?}"; subnet="${MINICORE_SUBNET:?}"; src="${MINICORE_SRC:?}"
bundle="${MINICORE_BUNDLE:?}"; pubkey="${MINICORE_RELEASE_PUBKEY:?}"; token="${MINICORE_UPDATE_TOKEN:-}"
name="core-$i"
ip="$subnet.$((10 + i))"
slots=/opt/minicore/slots
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
# Powering a machine off stops its containers: give them 3 s (dockerd's default is 10 s per container,
# which would make every halt of a machine running containers slow, or cut short by the provider).
docker_settings=$(/usr/local/bin/node -e '
  const fs = require("fs"); const file = "/etc/docker/daemon.json";
  const before = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "{}";
  const settings = { ...JSON.parse(before), "shutdown-timeout": 3 };
  const after = JSON.stringify(settings, null, 2) + "\n";
  if (after !== before) { fs.mkdirSync("/etc/docker", { recursive: true }); fs.writeFileSync(file, after); console.log("changed"); }')
systemctl enable --now docker.service >/dev/null 2>&1 || say "warning: docker.service did not start"
[ "$docker_settings" = changed ] && { systemctl restart docker.service || say "warning: docker.service did not restart"; }

# --- Machine metadata, the cluster's release key and the commands on PATH ---
mkdir -p /etc/minicore /var/lib/minicore
peer() { printf '%s.%s' "$subnet" "$((10 + $1))"; }
initial_cluster=$(for j in $(seq 1 "$machines"); do printf 'core-%s=http://%s:2380,' "$j" "$(peer "$j")"; done)
initial_cluster=${initial_cluster%,}
endpoints=$(for j in $(seq 1 "$machines"); do printf 'http://%s:2379,' "$(peer "$j")"; done)
endpoints=${endpoints%,}
# The update server runs on the first machine (the cluster's CoreUpdate); every updaterd checks in there.
update_server="http://$(peer 1):4005"
# Machine metadata for the scheduler's MachineMetadata=: the name, and a disk kind that differs
# between machines so that constraints have something to select.
if [ $((i % 2)) = 1 ]; then disk=ssd; else disk=hdd; fi
metadata="machine=$name,disk=$disk"

changed=()       # units whose file changed in this run
# install_file PATH MODE [UNIT]: writes stdin to PATH when it differs; remembers UNIT as changed (so
# never call it in a pipeline: that would be a subshell).
install_file() {
  local tmp; tmp=$(mktemp)
  cat > "$tmp"
  if ! cmp -s "$tmp" "$1"; then install -m "$2" "$tmp" "$1"; changed+=("${3:-any}"); fi
  rm -f "$tmp"
}

install_file /etc/minicore/machine.env 644 <<ENV
# This machine, as provisioning set it up (read by the Minicore units and login shells).
MINICORE_MACHINE=$name
MINICORE_ADDRESS=$ip
MINICORE_MACHINES=$machines
MINICORE_METADATA=$metadata
MINICORE_SLOTS=$slots
MINICORE_KV_ENDPOINTS=$endpoints
KVCTL_ENDPOINTS=http://127.0.0.1:2379
RUNCTL_ENDPOINT=http://$ip:4003
SCHEDCTL_ENDPOINT=http://$ip:4002
UPDATECTL_SERVER=$update_server
ENV
# Releases must be signed with the cluster's key (made on the host by the Vagrantfile).
install_file /etc/minicore/release-key.pub 644 minicore-updaterd.service < <(printf '%s' "$pubkey" | base64 -d)
install_file /etc/profile.d/minicore.sh 644 <<'SH'
set -a; . /etc/minicore/machine.env; set +a
SH
# --- The release: the host's build as a signed bundle, installed into the booted slot ---
# The Vagrantfile packs the host's build (npm run release's tool, signed with the cluster's key) into
# $bundle before provisioning. A machine runs its daemons from /opt/minicore/current, the link the
# boot selector points at the slot it picks; provisioning installs into the slot booted now (A on a
# fresh machine), so that an update from update-server goes to the other one.
[ -f "$bundle" ] || { say "no release bundle at $bundle (the Vagrantfile's trigger makes it: is the host built? npm run build)"; exit 1; }
# The host's updaterd installs (a slot's own would be overwritten while it runs; a fresh machine has none).
install_updaterd="$src/apps/updater/bin/updaterd.js"
# install_release [ARGS]: `updaterd install` of the bundle; a second and third try when it fails, since
# the host's workspace may be in the middle of a rebuild (its files briefly missing).
install_release() {
  local attempt
  for attempt in 1 2 3; do
    /usr/local/bin/node "$install_updaterd" install --slots-dir "$slots" --bundle "$bundle" --trusted-key /etc/minicore/release-key.pub "$@" && return 0
    [ "$attempt" = 3 ] || { say "updaterd install failed; again in 5 s" >&2; sleep 5; }
  done
  return 1
}
mkdir -p "$slots" /opt/minicore/boot
bundle_sha=$(sha256sum "$bundle" | cut -d' ' -f1)
# The slot this boot runs from, as the boot selector recorded it (none on a fresh machine).
booted_slot() { sed -n 's/.*"slot": *"\([AB]\)".*/\1/p' "$slots/booted.json" 2>/dev/null | head -1 || true; }
release_changed=0
if [ "$bundle_sha" != "$(cat /var/lib/minicore/provisioned-release.sha256 2>/dev/null)" ]; then
  booted=$(booted_slot)
  if [ -n "$booted" ]; then
    # Replacing the running slot: its daemons stop first (as `updaterd install --force` asks).
    systemctl stop minicore-updaterd minicore-update-server minicore-schedulerd minicore-runnerd minicore-kvd 2>/dev/null || true
    installed=$(install_release --slot "$booted" --force)
  else
    installed=$(install_release)
  fi
  echo "$bundle_sha" > /var/lib/minicore/provisioned-release.sha256
  release_changed=1
  say "release $(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' <<<"$installed") installed into slot $(sed -n 's/^{"slot":"\([AB]\)".*/\1/p' <<<"$installed")"
fi
# The boot selector lives outside the slots (like GRUB), so that an update never replaces what boots it.
slot_now=$(booted_slot)
selector_source="$slots/${slot_now:-A}/boot/updaterd-boot.mjs"
cmp -s "$selector_source" /opt/minicore/boot/updaterd-boot.mjs || install -m 755 "$selector_source" /opt/minicore/boot/updaterd-boot.mjs
current=/opt/minicore/current
# A machine provisioned before releases were bundles ran slot A as a plain copy: point the link anyway.
[ -e "$current" ] || ln -sfn "$slots/${slot_now:-A}" "$current"

# cli NAME SCRIPT ENVVAR DEFAULT: a command on PATH running the release's CLI, aimed at this machine.
cli() {
  install_file "/usr/local/bin/$1" 755 <<SH
#!/bin/sh
[ -n "\${$3:-}" ] || $3=$4; export $3
exec /usr/local/bin/node $current/apps/$2 "\$@"
SH
}
cli kvctl kv/bin/kvctl.js KVCTL_ENDPOINTS http://127.0.0.1:2379
cli runctl runner/bin/runctl.js RUNCTL_ENDPOINT "http://$ip:4003"
cli schedctl scheduler/bin/schedctl.js SCHEDCTL_ENDPOINT "http://$ip:4002"
cli updatectl updater/bin/updatectl.js UPDATECTL_SERVER "$update_server"
# updaterd owns its name on the system bus only with this policy, which the bus must have loaded
# before updaterd starts (it does not try again). The policy comes with the release (like CoreOS's
# /usr/share/dbus-1/system.d in /usr): a link into the booted slot, which the boot selector's unit
# makes the bus read again at every boot, so an update brings its own policy.
policy_link=/etc/dbus-1/system.d/io.minicore.UpdateEngine.conf
policy_target=$current/apps/updater/dbus/io.minicore.UpdateEngine.conf
[ -f "$policy_target" ] || { say "the release in $current has no D-Bus policy ($policy_target)"; exit 1; }
if [ "$(readlink "$policy_link" 2>/dev/null)" != "$policy_target" ]; then
  rm -f "$policy_link"; ln -s "$policy_target" "$policy_link"; changed+=(dbus-policy)
fi
if [ "$release_changed" = 1 ] || [[ " ${changed[*]} " == *" dbus-policy "* ]]; then
  systemctl reload dbus.service || say "warning: the system bus did not reload its policy"
  changed+=(minicore-updaterd.service)
fi

# --- systemd units: the boot selector, then kvd, runnerd, schedulerd, updaterd ---
node=/usr/local/bin/node
# The boot selector (GRUB's part) runs once per boot, before the daemons: it picks slot A or B by
# priority, tries and successful, records the choice (updaterd marks it successful once the machine is
# healthy) and points $current at it, where every daemon starts from. The bus then reads the booted
# release's policy (the bus may have started before, with the link still at the last boot's slot).
install_file /etc/systemd/system/minicore-boot.service 644 minicore-boot.service <<UNIT
[Unit]
Description=Minicore boot selector (picks slot A or B by priority, tries, successful)
Before=minicore-kvd.service minicore-updaterd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$node /opt/minicore/boot/updaterd-boot.mjs --slots-dir $slots --current-link $current
ExecStartPost=-/bin/systemctl --no-block try-reload-or-restart dbus.service

[Install]
WantedBy=multi-user.target
UNIT

# kvd binds this machine's cluster address (only the private network's addresses between machines)
# and loopback for local clients. Until `vagrant up` has attached the private network the bind
# fails; systemd retries.
install_file /etc/systemd/system/minicore-kvd.service 644 minicore-kvd.service <<UNIT
[Unit]
Description=Minicore kvd (etcd v2-compatible store), member $name
After=network-online.target minicore-boot.service
Wants=minicore-boot.service
StartLimitIntervalSec=0

[Service]
ExecStart=$node $current/apps/kv/bin/kvd.js \\
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

# The machine name is the runner's machine id: announcements are /services/NAME/core-i.
install_file /etc/systemd/system/minicore-runnerd.service 644 minicore-runnerd.service <<UNIT
[Unit]
Description=Minicore runnerd (this machine's containers, on its Docker engine)
After=minicore-kvd.service docker.service
Wants=minicore-kvd.service docker.service
StartLimitIntervalSec=0

[Service]
ExecStart=$node $current/apps/runner/bin/runnerd.js \\
  --listen $ip:4003 --docker-socket /var/run/docker.sock \\
  --kv-endpoints http://127.0.0.1:2379 --advertise-host $ip --machine-id $name \\
  --data-dir /var/lib/minicore/runner
Restart=always
RestartSec=1
TimeoutStopSec=10

[Install]
WantedBy=multi-user.target
UNIT

# The scheduler runs units through systemd when this release's schedulerd can, else as supervised
# processes (exec backend). With exec, the units are processes in schedulerd's cgroup: KillMode=process
# lets them outlive a restart of schedulerd, which adopts them again (as it is designed to).
if $node "$current/apps/scheduler/bin/schedulerd.js" --help 2>/dev/null | grep -q -- '--unit-backend <[^>]*systemd'; then
  backend=systemd; kill_mode=control-group
else
  backend=exec; kill_mode=process
fi
install_file /etc/systemd/system/minicore-schedulerd.service 644 minicore-schedulerd.service <<UNIT
[Unit]
Description=Minicore schedulerd (fleet: this machine's agent, the engine when elected)
After=minicore-kvd.service minicore-runnerd.service dbus.service
Wants=minicore-kvd.service minicore-runnerd.service
StartLimitIntervalSec=0

[Service]
ExecStart=$node $current/apps/scheduler/bin/schedulerd.js \\
  --kv-endpoints http://127.0.0.1:2379 --machine-id $name --public-ip $ip \\
  --api-listen $ip:4002 --metadata $metadata --unit-backend $backend \\
  --data-dir /var/lib/minicore/scheduler
Restart=always
RestartSec=1
KillMode=$kill_mode
TimeoutStopSec=15

[Install]
WantedBy=multi-user.target
UNIT

# updaterd: checks in with the update server on the first machine, installs signed releases into the
# passive slot, marks the booted slot good once this machine's daemons have answered for 20 s (a demo
# cluster's patience; the default is 45 s), and reboots under the kv semaphore (locksmith's etcd-lock:
# one machine at a time, the next one after this one is healthy again). A release on trial that is
# not marked good 90 s after its boot (default 10 min; a good one here is marked after about 30 s) is rolled back: updaterd reboots, still
# holding the semaphore, and the boot selector falls back to the previous slot.
install_file /etc/systemd/system/minicore-updaterd.service 644 minicore-updaterd.service <<UNIT
[Unit]
Description=Minicore updaterd (A/B updates of this machine, reboots under the kv semaphore)
After=minicore-schedulerd.service minicore-boot.service dbus.service
Wants=minicore-schedulerd.service minicore-boot.service
StartLimitIntervalSec=0

[Service]
ExecStart=$node $current/apps/updater/bin/updaterd.js \\
  --slots-dir $slots --machine-id $name \\
  --server $update_server/v1/update/ --trusted-key /etc/minicore/release-key.pub \\
  --health-urls http://127.0.0.1:2379/health,http://$ip:4003/health,http://$ip:4002/health \\
  --healthy-after 20s --health-interval 2s --trial-deadline 90s \\
  --first-check-delay 30s --check-interval 5m --check-fuzz 30s \\
  --reboot-strategy etcd-lock --kv-endpoints http://127.0.0.1:2379
Restart=always
RestartSec=1
TimeoutStopSec=10

[Install]
WantedBy=multi-user.target
UNIT

services=(minicore-kvd.service minicore-runnerd.service minicore-schedulerd.service minicore-updaterd.service)
if [ "$i" = 1 ]; then
  # The update server keeps its admin token out of the unit file (and out of `systemctl show`).
  [ -n "$token" ] || { say "MINICORE_UPDATE_TOKEN is missing"; exit 1; }
  install_file /etc/minicore/update-server.env 600 minicore-update-server.service <<<"UPDATE_SERVER_ADMIN_TOKEN=$token"
  install_file /etc/systemd/system/minicore-update-server.service 644 minicore-update-server.service <<UNIT
[Unit]
Description=Minicore update-server (Omaha; the cluster's releases, channels and rollouts)
After=network-online.target
Before=minicore-updaterd.service
StartLimitIntervalSec=0

[Service]
EnvironmentFile=/etc/minicore/update-server.env
ExecStart=$node $current/apps/updater/bin/update-server.js \\
  --listen $ip:4005 --data-dir /var/lib/minicore/update-server \\
  --trusted-key /etc/minicore/release-key.pub --public-url http://$ip:4005
Restart=always
RestartSec=1
TimeoutStopSec=5

[Install]
WantedBy=multi-user.target
UNIT
  services=(minicore-kvd.service minicore-runnerd.service minicore-schedulerd.service minicore-update-server.service minicore-updaterd.service)
fi

systemctl daemon-reload
systemctl enable minicore-boot.service "${services[@]}" >/dev/null 2>&1
systemctl start minicore-boot.service
# A new release restarts every daemon; a changed unit (or its key or policy) restarts only that unit.
restart=()
for service in "${services[@]}"; do
  if [ "$release_changed" = 1 ] || [[ " ${changed[*]} " == *" $service "* ]]; then restart+=("$service"); fi
done
if [ "${#restart[@]}" -gt 0 ]; then
  say "restarting ${restart[*]} (release or units changed)"
  systemctl restart "${restart[@]}"
fi
systemctl start "${services[@]}"

# wait_http URL: up to 20 s for the URL to answer (any HTTP status: the daemon listens).
wait_http() { for _ in $(seq 1 100); do curl -s -o /dev/null -m 1 "$1" && return 0; sleep 0.2; done; return 1; }
wait_http "http://127.0.0.1:2379/version" || true
wait_http "http://$ip:4003/health" || true
wait_http "http://$ip:4002/health" || true
state() { systemctl is-active "$1" 2>/dev/null || true; }
say "kvd $(state minicore-kvd), runnerd $(state minicore-runnerd), schedulerd $(state minicore-schedulerd) ($backend backend, $metadata), updaterd $(state minicore-updaterd)$([ "$i" = 1 ] && echo ", update-server $(state minicore-update-server)"), docker $(state docker)"
