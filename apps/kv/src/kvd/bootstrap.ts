import { clusterIdOf, memberIdOf, parseInitialCluster, InitialClusterError, type Member } from './membership.js';
import { readIdentity, writeIdentity, type MemberIdentity } from './identity.js';
import type { KvdConfig } from './config.js';

export interface Bootstrap {
  identity: MemberIdentity;
  /** Voters to found a new cluster with; empty when restarting or joining an existing cluster. */
  foundingVoters: string[];
}

/** The members of an existing cluster, as a peer's GET /members answers. */
export interface ClusterInfo {
  clusterId: string;
  members: Member[];
}

export const PEER_MEMBERS_PATH = '/members';

/**
 * Decides who this member is, following etcd's rules: a data directory that holds an identity is
 * a restart (the initial-cluster flags are ignored); otherwise --initial-cluster-state new founds a
 * cluster from --initial-cluster, and existing joins one that `kvctl member add` announced it to.
 */
export async function bootstrap(config: KvdConfig, dataDir: string): Promise<Bootstrap> {
  const existing = await readIdentity(dataDir);
  if (existing) return { identity: existing, foundingVoters: [] };

  const initialCluster = config.initialCluster || `${config.name}=${config.initialAdvertisePeerUrls.join(`,${config.name}=`)}`;
  const members = parseInitialCluster(initialCluster, config.initialClusterToken);
  const selfId = memberIdOf(config.initialAdvertisePeerUrls, config.initialClusterToken);
  const self = members.find((member) => member.name === config.name);
  if (!self) throw new InitialClusterError(`--initial-cluster has no member named "${config.name}" (--name)`);
  if (self.id !== selfId) {
    throw new InitialClusterError(
      `--initial-cluster gives ${config.name} the peer URLs ${self.peerURLs.join(',')} but --initial-advertise-peer-urls says ${config.initialAdvertisePeerUrls.join(',')}`,
    );
  }

  let identity: MemberIdentity;
  let foundingVoters: string[] = [];
  if (config.initialClusterState === 'new') {
    identity = { version: 1, memberId: selfId, clusterId: clusterIdOf(members.map((m) => m.id), config.initialClusterToken), name: config.name, initialMembers: members };
    foundingVoters = members.map((member) => member.id);
  } else {
    const others = members.filter((member) => member.id !== selfId);
    const info = await fetchClusterInfo(others.flatMap((member) => member.peerURLs));
    // `member add` chose this member's id; find it by the peer URLs it was added with, as etcd does.
    const own = [...config.initialAdvertisePeerUrls].sort().join(',');
    const added = info.members.find((member) => [...member.peerURLs].sort().join(',') === own);
    if (!added) {
      throw new InitialClusterError(
        `the cluster does not list this member (peer URLs ${config.initialAdvertisePeerUrls.join(',')}): add it first with \`kvctl member add ${config.name} ${config.initialAdvertisePeerUrls.join(',')}\``,
      );
    }
    identity = { version: 1, memberId: added.id, clusterId: info.clusterId, name: config.name, initialMembers: info.members };
  }
  await writeIdentity(dataDir, identity);
  return { identity, foundingVoters };
}

async function fetchClusterInfo(peerURLs: string[]): Promise<ClusterInfo> {
  const failures: string[] = [];
  for (const url of peerURLs) {
    try {
      const response = await fetch(`${url}${PEER_MEMBERS_PATH}`, { signal: AbortSignal.timeout(3000) });
      if (response.ok) return (await response.json()) as ClusterInfo;
      failures.push(`${url}: HTTP ${response.status}`);
    } catch (error) {
      failures.push(`${url}: ${(error as Error).message}`);
    }
  }
  throw new InitialClusterError(`cannot join: no existing member answered (${failures.join('; ') || 'no other member in --initial-cluster'})`);
}
