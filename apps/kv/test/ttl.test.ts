import { afterEach, describe, expect, it } from 'vitest';
import { KvdCluster } from '@minicore/kvd-testing';

let cluster: KvdCluster | undefined;
afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

interface ExpireEvent {
  action: string;
  node: { key: string; modifiedIndex: number };
  prevNode?: { value: string };
}

describe('TTL expiry across a cluster (real processes)', () => {
  it('expires a key once, decided by the leader, at the same store index on every member', async () => {
    cluster = await KvdCluster.start(3);
    const [a, b, c] = cluster.members;
    // One watcher per member: each must see exactly one expire event, all with the same index.
    const watches = [a!, b!, c!].map(async (member) => {
      const response = await fetch(`${member.clientUrl}/v2/keys/lease?wait=true`, { signal: AbortSignal.timeout(10_000) });
      return (await response.json()) as ExpireEvent;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const created = await fetch(`${b!.clientUrl}/v2/keys/lease`, { method: 'PUT', body: new URLSearchParams({ value: 'held', ttl: '1' }) });
    expect(created.status).toBe(201);
    const firstEvents = await Promise.all(watches);
    expect(firstEvents.map((event) => event.action)).toEqual(['set', 'set', 'set']);

    const expiries = cluster.members.map(async (member) => {
      const response = await fetch(`${member.clientUrl}/v2/keys/lease?wait=true&waitIndex=${firstEvents[0]!.node.modifiedIndex + 1}`, { signal: AbortSignal.timeout(10_000) });
      return (await response.json()) as ExpireEvent;
    });
    const events = await Promise.all(expiries);
    expect(events.map((event) => event.action)).toEqual(['expire', 'expire', 'expire']);
    expect(new Set(events.map((event) => event.node.modifiedIndex)).size).toBe(1);
    expect(events[0]!.prevNode?.value).toBe('held');
    for (const member of cluster.members) {
      const gone = await fetch(`${member.clientUrl}/v2/keys/lease?quorum=true`);
      expect(gone.status).toBe(404);
    }
  });

  it('keeps a refreshed key alive past its first TTL', async () => {
    cluster = await KvdCluster.start(3);
    const [a] = cluster.members;
    await fetch(`${a!.clientUrl}/v2/keys/session`, { method: 'PUT', body: new URLSearchParams({ value: 'v', ttl: '2' }) });
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      const refreshed = await fetch(`${a!.clientUrl}/v2/keys/session`, { method: 'PUT', body: new URLSearchParams({ ttl: '2', refresh: 'true', prevExist: 'true' }) });
      expect(refreshed.status).toBe(200);
    }
    const alive = await fetch(`${a!.clientUrl}/v2/keys/session?quorum=true`);
    expect(((await alive.json()) as { node: { value: string } }).node.value).toBe('v');
  });
});
