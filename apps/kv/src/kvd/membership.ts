import { createHash } from 'node:crypto';

/** A member as etcd's /v2/members lists it. Ids are 64-bit hex strings, as etcd prints them. */
export interface Member {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

/** The error for a bad --initial-cluster; kvd prints it and exits 2. */
export class InitialClusterError extends Error {
  override name = 'InitialClusterError';
  readonly code = 'KV_ERR_INITIAL_CLUSTER';
}

function hash64(parts: readonly string[]): string {
  const digest = createHash('sha1').update(parts.join('\n')).digest();
  // A leading-zero-free hex string, as etcd prints ids; never "0" (etcd reserves id 0 for "none").
  const id = digest.readBigUInt64BE(0).toString(16);
  return id === '0' ? '1' : id;
}

/**
 * A member's id depends on its peer URLs and the cluster token only (as in etcd), so that every
 * member computes the same ids from the same --initial-cluster without talking to the others.
 */
export function memberIdOf(peerURLs: readonly string[], token: string): string {
  return hash64([...[...peerURLs].sort(), token]);
}

export function clusterIdOf(memberIds: readonly string[], token: string): string {
  return hash64([...[...memberIds].sort(), token]);
}

/** Reads `a=http://127.0.0.11:2380,b=http://127.0.0.12:2380` (a name may repeat, one URL each). */
export function parseInitialCluster(text: string, token: string): Member[] {
  const byName = new Map<string, string[]>();
  for (const pair of text.split(',').map((item) => item.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const url = pair.slice(at + 1).trim().replace(/\/$/, '');
    if (at <= 0 || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new InitialClusterError(`--initial-cluster: "${pair}" is not name=http://host:port`);
    }
    byName.set(name, [...(byName.get(name) ?? []), url]);
  }
  if (byName.size === 0) throw new InitialClusterError('--initial-cluster names no member');
  const members = [...byName].map(([name, peerURLs]) => ({ id: memberIdOf(peerURLs, token), name, peerURLs, clientURLs: [] }));
  const seen = new Map<string, string>();
  for (const member of members) {
    for (const url of member.peerURLs) {
      const other = seen.get(url);
      if (other) throw new InitialClusterError(`--initial-cluster: members ${other} and ${member.name} share the peer URL ${url}`);
      seen.set(url, member.name);
    }
  }
  return members;
}
