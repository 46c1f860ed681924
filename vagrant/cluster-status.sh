#!/usr/bin/env bash
# Printed at the end of `vagrant up`: the cluster's health seen from this host, and what to try.
# Usage: cluster-status.sh MACHINES SUBNET SECRETS_DIR. Waits up to 60 s for every kv member to be healthy.
set -uo pipefail
machines="${1:-3}"; subnet="${2:-10.77.0}"; secrets="${3:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
kvctl=(node "$root/apps/kv/dist/kvctl/main.js")
schedctl=(node "$root/apps/scheduler/dist/schedctl/main.js")
ip() { echo "$subnet.$((10 + $1))"; }
endpoints=$(for i in $(seq 1 "$machines"); do printf 'http://%s:2379,' "$(ip "$i")"; done)
endpoints=${endpoints%,}
sched_endpoints=$(for i in $(seq 1 "$machines"); do printf 'http://%s:4002,' "$(ip "$i")"; done)
sched_endpoints=${sched_endpoints%,}
rel() { local p="$1"; echo "${p#"$root"/}"; }

healthy=0
for _ in $(seq 1 120); do
  if "${kvctl[@]}" --endpoints "$endpoints" cluster-health 2>/dev/null | grep -q '^cluster is healthy'; then
    up=$(for i in $(seq 1 "$machines"); do curl -sf -m 1 "http://$(ip "$i"):2379/health" >/dev/null && echo ok; done | wc -l)
    [ "$up" = "$machines" ] && { healthy=1; break; }
  fi
  sleep 0.5
done
echo
"${kvctl[@]}" --endpoints "$endpoints" cluster-health || true
[ "$healthy" = 1 ] || echo "(not every member is healthy yet: vagrant ssh core-N -c 'journalctl -u minicore-kvd -n 50')"

# Each daemon's /health from here (updaterd has no HTTP: its state is `systemctl is-active` on the machine).
answer() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null | sed 's/^200$/ok/;s/^000$/down/'; }
echo
printf '%-8s %-12s %-6s %-8s %-10s\n' MACHINE ADDRESS KVD RUNNERD SCHEDULERD
for i in $(seq 1 "$machines"); do
  a=$(ip "$i")
  printf '%-8s %-12s %-6s %-8s %-10s\n' "core-$i" "$a" "$(answer "http://$a:2379/health")" "$(answer "http://$a:4003/health")" "$(answer "http://$a:4002/health")"
done
echo "update-server on core-1: $(answer "http://$(ip 1):4005/health")"
# The scheduler's engine may still be waiting for its first election: give the machine list a few tries.
for _ in $(seq 1 20); do
  listing=$("${schedctl[@]}" --endpoint "$sched_endpoints" list-machines 2>/dev/null) && [ "$(echo "$listing" | grep -c core-)" = "$machines" ] && break
  sleep 0.5
done
echo; echo "${listing:-schedctl list-machines: no answer yet}"

token_hint="\$(cat $(rel "$secrets")/update-server.token)"
cat <<TXT

Minicore is running: $machines machines.
$(for i in $(seq 1 "$machines"); do a=$(ip "$i"); echo "  core-$i  $a  kv :2379  runner :4003  scheduler :4002$([ "$i" = 1 ] && echo "  update-server :4005")"; done)

Try, from this host (in the repository; npm run build first):
  export KVCTL_ENDPOINTS=$endpoints
  npx kvctl set /hello world && npx kvctl get /hello && npx kvctl member list
  npx runctl --endpoint http://$(ip 2):4003 run --announce web:80 minicore/busybox:latest sleep 600
  npx kvctl ls -r /services                        # web announced by core-2 (the image: see vagrant/README.md)
  export SCHEDCTL_ENDPOINT=$sched_endpoints
  printf '[Service]\nExecStart=/bin/sleep 3600\n[X-Fleet]\nMachineMetadata=disk=ssd\n' > hello.service
  npx schedctl start hello.service && npx schedctl list-units && npx schedctl list-machines
  npx updatectl --server http://$(ip 1):4005 --token $token_hint instances
Or on a machine (kvctl, runctl, schedctl and updatectl are on its PATH, aimed at it):
  vagrant ssh core-1 -c 'sudo updatectl status; systemctl status "minicore-*" --no-pager'
  vagrant halt core-2 && vagrant up core-2     # power a machine off and on: its data survives
TXT
