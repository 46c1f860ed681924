import { EtcdCluster, etcdInstalled } from './etcd-cluster.js';
import { KvdCluster } from './kvd-cluster.js';
import { kvdBuilt } from './kvd-main.js';

/** The kv servers a test can run against: Minicore's kvd, or a real etcd 3.4 in its place. */
export type KvServerKind = 'kvd' | 'etcd';

/** What tests that only need "a kv cluster" use, whichever server runs it. */
export interface KvTestCluster {
  readonly kind: KvServerKind;
  readonly endpoints: string[];
  destroy(): Promise<void>;
}

/** Starts an N-member cluster of `kind`, writable when it resolves. */
export async function startKvCluster(kind: KvServerKind, size: number, options: { logLevel?: string } = {}): Promise<KvTestCluster> {
  const cluster = kind === 'kvd' ? await KvdCluster.start(size, { ...options, waitWritable: true }) : await EtcdCluster.start(size);
  return { kind, endpoints: cluster.endpoints, destroy: () => cluster.destroy() };
}

/** Why a kind cannot run here (for a skip reason), or undefined when it can. */
export function kvServerMissing(kind: KvServerKind): string | undefined {
  if (kind === 'etcd' && !etcdInstalled) return 'etcd is not installed (/usr/bin/etcd; bash tools/ci/apt-install.sh etcd-server)';
  if (kind === 'kvd' && !kvdBuilt) return 'kvd is not built (npx nx run @minicore/kv:build)';
  return undefined;
}
