import { KvClient } from '@minicore/kv-client';
import type { ClusterMachine } from './cluster.js';

/** A client that talks to these machines only (in order, failing over between them). */
export function kvThrough(machines: readonly ClusterMachine[], timeoutMs = 2_000): KvClient {
  return new KvClient({ endpoints: machines.map((machine) => machine.kvUrl), timeoutMs });
}

/** The machine whose kvd is the Raft leader right now, if one of `machines` says so itself. */
export async function findLeader(machines: readonly ClusterMachine[]): Promise<ClusterMachine | undefined> {
  const states = await Promise.all(
    machines.map(async (machine) => {
      try {
        return (await kvThrough([machine], 1_000).selfStats()).state === 'StateLeader' ? machine : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return states.find((machine) => machine !== undefined);
}

/** True when every machine's kvd answers /health with a healthy cluster. */
export async function allHealthy(machines: readonly ClusterMachine[]): Promise<boolean> {
  const health = await kvThrough(machines, 1_000).health();
  return health.every((endpoint) => endpoint.healthy);
}
