import { boolean, defineConfig, integer, oneOf, string, urlList, type ConfigOf } from '@minicore/config';

/** kvd's flags, named as etcd 2 named them so that etcd's docs and habits carry over. */
export const kvdConfig = defineConfig({
  program: 'kvd',
  summary:
    'kvd is Minicore\'s replicated key-value store: etcd\'s v2 keys API over HTTP, Raft between members,\n' +
    'LevelDB on disk. Start one per machine; machines that are not members run it with --proxy on.',
  envPrefix: 'KVD',
  fields: {
    name: string({ description: 'Human-readable name of this member, as it appears in --initial-cluster', default: 'default' }),
    dataDir: string({ description: 'Directory for the Raft log, snapshots and member identity (default: ./<name>.kvd)', default: '' }),
    listenClientUrls: urlList({ description: 'URLs to serve clients on', default: ['http://127.0.0.1:2379', 'http://127.0.0.1:4001'] }),
    advertiseClientUrls: urlList({ description: 'Client URLs announced to the cluster', default: ['http://127.0.0.1:2379', 'http://127.0.0.1:4001'] }),
    listenPeerUrls: urlList({ description: 'URLs to serve Raft traffic from other members on', default: ['http://127.0.0.1:2380', 'http://127.0.0.1:7001'] }),
    initialAdvertisePeerUrls: urlList({ description: 'Peer URLs of this member, announced to the cluster', default: ['http://127.0.0.1:2380', 'http://127.0.0.1:7001'] }),
    initialCluster: string({ description: 'Members of a new cluster: name=peerURL,name=peerURL (default: this member alone)', default: '' }),
    initialClusterState: oneOf(['new', 'existing'] as const, { description: '"new" to bootstrap a cluster, "existing" to join one (after `kvctl member add`)', default: 'new' }),
    initialClusterToken: string({ description: 'Token that keeps distinct clusters apart (part of member and cluster ids)', default: 'kv-cluster' }),
    heartbeatInterval: integer({ description: 'Time between leader heartbeats', default: 100, min: 1, unit: 'ms' }),
    electionTimeout: integer({ description: 'Time without a leader before an election', default: 1000, min: 1, unit: 'ms' }),
    snapshotCount: integer({ description: 'Committed entries between snapshots', default: 10_000, min: 1 }),
    proxy: oneOf(['off', 'on', 'readonly'] as const, { description: 'Run as a proxy that forwards clients to the members of --initial-cluster', default: 'off' }),
    maxRequestBytes: integer({ description: 'Largest accepted request body', default: 1536 * 1024, min: 1024, unit: 'bytes' }),
    debug: boolean({ description: 'Log at debug level' }),
  },
});

export type KvdConfig = ConfigOf<typeof kvdConfig.fields>;
