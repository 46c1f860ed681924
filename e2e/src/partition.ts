import type { Cluster, ClusterMachine } from './cluster.js';

/**
 * Network partitions made inside a machine with iptables (its own chain, so a heal removes exactly
 * what a cut added): the machine drops all traffic to and from the other machines' addresses, while
 * the host can still reach it. That lets the suite ask the cut-off side what it does.
 */
const chain = 'MINICORE-E2E-PARTITION';

/** Cuts `machine` off from `peers` (both directions). */
export async function cutOff(cluster: Cluster, machine: ClusterMachine, peers: readonly ClusterMachine[]): Promise<void> {
  const rules = peers.map((peer) => `iptables -A ${chain} -s ${peer.address} -j DROP && iptables -A ${chain} -d ${peer.address} -j DROP`).join(' && ');
  await cluster.exec(
    machine.name,
    `set -e; iptables -N ${chain} 2>/dev/null || true; ` +
      `iptables -C INPUT -j ${chain} 2>/dev/null || iptables -I INPUT -j ${chain}; ` +
      `iptables -C OUTPUT -j ${chain} 2>/dev/null || iptables -I OUTPUT -j ${chain}; ${rules}`,
  );
}

/** Removes every cut made on `machine`. */
export async function heal(cluster: Cluster, machine: ClusterMachine): Promise<void> {
  await cluster.exec(machine.name, `iptables -F ${chain} 2>/dev/null || true`);
}
