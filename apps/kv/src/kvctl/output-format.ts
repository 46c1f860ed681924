import { KvError, KvTimeoutError, KvUnavailableError, type KvMember, type KvNode, type KvResponse } from '@minicore/kv-client';

export const outputFormats = ['simple', 'json', 'extended'] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** etcd's response document, without the header fields the client adds. */
function responseDocument(response: KvResponse): object {
  return { action: response.action, node: response.node, ...(response.prevNode ? { prevNode: response.prevNode } : {}) };
}

/**
 * One response the way etcdctl v2 prints it (`printResponseKey`): simple is the value (or the
 * previous value of a deleted key), extended is RFC 2822-style headers then the value, json is
 * the response on one line.
 */
export function formatResponse(response: KvResponse, format: OutputFormat): string {
  switch (format) {
    case 'simple':
      return response.action === 'delete' ? `PrevNode.Value: ${response.prevNode?.value ?? ''}\n` : `${response.node.value ?? ''}\n`;
    case 'extended': {
      const lines = [`Key: ${response.node.key}`, `Created-Index: ${response.node.createdIndex}`, `Modified-Index: ${response.node.modifiedIndex}`];
      if (response.prevNode) lines.push(`PrevNode.Value: ${response.prevNode.value ?? ''}`);
      lines.push(`TTL: ${response.node.ttl ?? 0}`, `Index: ${response.etcdIndex}`);
      if (response.action !== 'delete') lines.push('', response.node.value ?? '');
      return `${lines.join('\n')}\n`;
    }
    case 'json':
      return `${JSON.stringify(responseDocument(response))}\n`;
  }
}

/** `ls`: simple lists keys (directories with a trailing / under -p); other formats print the response. */
export function formatListing(response: KvResponse, format: OutputFormat, options: { recursive?: boolean; slashDirs?: boolean } = {}): string {
  if (format !== 'simple') return formatResponse(response, format);
  const lines: string[] = [];
  const visit = (node: KvNode): void => {
    lines.push(node.dir && options.slashDirs ? `${node.key}/` : node.key);
    if (options.recursive) node.nodes?.forEach(visit);
  };
  if (!response.node.dir) lines.push(response.node.key);
  response.node.nodes?.forEach(visit);
  return lines.map((line) => `${line}\n`).join('');
}

/** The error line etcdctl prints after `Error:  `. */
export function describeError(error: unknown): string {
  if (error instanceof KvError) return error.toString();
  if (error instanceof KvUnavailableError) {
    return `client: etcd cluster is unavailable or misconfigured; ${error.attempts.map((attempt, i) => `error #${i}: ${attempt.endpoint}: ${attempt.reason}`).join('\n; ')}`;
  }
  if (error instanceof KvTimeoutError) return `client: etcd cluster is unavailable or misconfigured; ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** `member list`: `ID: name=… peerURLs=… clientURLs=… isLeader=…`, or `ID[unstarted]: peerURLs=…`. */
export function formatMemberList(members: readonly KvMember[], leaderId: string | undefined): string {
  return members
    .map((member) =>
      member.name === ''
        ? `${member.id}[unstarted]: peerURLs=${member.peerURLs.join(',')}\n`
        : `${member.id}: name=${member.name} peerURLs=${member.peerURLs.join(',')} clientURLs=${member.clientURLs.join(',')} isLeader=${member.id === leaderId}\n`,
    )
    .join('');
}

/** What `member add` prints: the environment the new member must start with. */
export function formatMemberAdded(name: string, added: KvMember, members: readonly KvMember[]): string {
  const initialCluster = members.flatMap((member) => member.peerURLs.map((url) => `${member.id === added.id ? name : member.name}=${url}`));
  return `Added member named ${name} with ID ${added.id} to cluster\n\nETCD_NAME="${name}"\nETCD_INITIAL_CLUSTER="${initialCluster.join(',')}"\nETCD_INITIAL_CLUSTER_STATE="existing"\n`;
}

/** The environment exec-watch gives its command, as etcdctl does. */
export function watchEnvironment(response: KvResponse): Record<string, string> {
  return {
    ETCD_WATCH_ACTION: response.action,
    ETCD_WATCH_KEY: response.node.key,
    ETCD_WATCH_VALUE: response.node.value ?? '',
    ETCD_WATCH_MODIFIED_INDEX: String(response.node.modifiedIndex),
  };
}

/** etcdctl's --timeout takes a Go duration (`2s`, `500ms`, `1m30s`); a bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) return undefined;
  return parts.reduce((total, part) => total + Number(part[1]) * (units[part[2] as string] as number), 0);
}
