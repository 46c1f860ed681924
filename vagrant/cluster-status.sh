#!/usr/bin/env bash
# Printed at the end of `vagrant up`: the kv cluster's health seen from this host, and what to try.
# Usage: cluster-status.sh MACHINES SUBNET. Waits up to 60 s for every member to be healthy.
set -uo pipefail
machines="${1:-3}"; subnet="${2:-10.77.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
kvctl=(node "$root/apps/kv/dist/kvctl/main.js")
endpoints=$(for i in $(seq 1 "$machines"); do printf 'http://%s.%s:2379,' "$subnet" "$((10 + i))"; done)
endpoints=${endpoints%,}

healthy=0
for _ in $(seq 1 120); do
  if "${kvctl[@]}" --endpoints "$endpoints" cluster-health 2>/dev/null | grep -q '^cluster is healthy'; then
    up=$(for i in $(seq 1 "$machines"); do curl -sf -m 1 "http://$subnet.$((10 + i)):2379/health" >/dev/null && echo ok; done | wc -l)
    [ "$up" = "$machines" ] && { healthy=1; break; }
  fi
  sleep 0.5
done
echo
"${kvctl[@]}" --endpoints "$endpoints" cluster-health || true
[ "$healthy" = 1 ] || echo "(not every member is healthy yet: vagrant ssh core-N -c 'journalctl -u minicore-kvd -n 50')"
cat <<TXT

Minicore is running: $machines machines.
$(for i in $(seq 1 "$machines"); do echo "  core-$i  $subnet.$((10 + i))  kv http://$subnet.$((10 + i)):2379  runner http://$subnet.$((10 + i)):4003"; done)

Try, from this host (in the repository):
  export KVCTL_ENDPOINTS=$endpoints
  npx kvctl set /hello world && npx kvctl get /hello
  npx kvctl member list
  RUNCTL_ENDPOINT=http://$subnet.12:4003 npx runctl ps
Or on a machine:
  vagrant ssh core-1 -c 'kvctl get /hello; systemctl status minicore-kvd --no-pager'
  vagrant halt core-2 && vagrant up core-2     # power a machine off and on: its data survives
TXT
