import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireMutex, campaign, compareAndSwap, KvClient, KvError, Lease, observeLeader, type KvWatchItem } from '../src/index.js';
import { startEtcd, type RunningServer } from '../src/testing/etcd-server.js';
import { closedEndpoint } from './support/scripted-http-server.js';

/** The server under test: real etcd 3.4 with the v2 API for now; kvd takes its place here later. */
const startServer: () => Promise<RunningServer> = startEtcd;

let server: RunningServer;
let kv: KvClient;
beforeAll(async () => {
  server = await startServer();
  kv = new KvClient({ endpoints: [server.endpoint], timeoutMs: 3000 });
});
afterAll(async () => {
  await server?.stop();
});

describe('KvClient against a real server', () => {
  it('sets, reads, compares and deletes a key, with the index headers', async () => {
    const set = await kv.set('/it/a', 'hello world & more');
    expect(set).toMatchObject({ action: 'set', node: { key: '/it/a', value: 'hello world & more' } });
    expect(set.etcdIndex).toBe(set.node.modifiedIndex);
    expect(set.raftIndex).toBeGreaterThan(0);
    expect(set.clusterId).toMatch(/^[0-9a-f]+$/);
    expect((await kv.get('/it/a', { quorum: true })).node.value).toBe('hello world & more');
    await expect(kv.set('/it/a', 'x', { prevValue: 'nope' })).rejects.toMatchObject({ errorCode: 101, message: 'Compare failed' });
    expect((await kv.set('/it/a', 'x', { prevIndex: set.node.modifiedIndex })).action).toBe('compareAndSwap');
    expect((await kv.delete('/it/a', { prevValue: 'x' })).action).toBe('compareAndDelete');
    const missing = await kv.get('/it/a').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(KvError);
    expect(missing).toMatchObject({ errorCode: 100, cause: '/it/a', statusCode: 404 });
  });

  it('keeps odd characters in keys and values intact', async () => {
    const key = '/it/odd/a b?c#d%e&f=g+h';
    await kv.set(key, 'é = & + %');
    expect((await kv.get(key)).node).toMatchObject({ key, value: 'é = & + %' });
  });

  it('creates, updates, refreshes and makes directories with their conditions', async () => {
    await kv.create('/it/c', '1');
    await expect(kv.create('/it/c', '2')).rejects.toMatchObject({ errorCode: 105 });
    await expect(kv.update('/it/nope', '2')).rejects.toMatchObject({ errorCode: 100 });
    expect((await kv.update('/it/c', '2', { ttl: 100 })).node.ttl).toBe(100);
    const refreshed = await kv.refresh('/it/c', 50);
    expect(refreshed.node).toMatchObject({ value: '2', ttl: 50 });
    await kv.mkdir('/it/dir', { ttl: 100 });
    await expect(kv.mkdir('/it/dir')).rejects.toMatchObject({ errorCode: 105 });
    expect((await kv.updateDir('/it/dir', { ttl: 200 })).node).toMatchObject({ dir: true, ttl: 200 });
    expect((await kv.setDir('/it/dir2')).node.dir).toBe(true);
    await expect(kv.delete('/it/dir')).rejects.toMatchObject({ errorCode: 102 });
    expect((await kv.delete('/it/dir', { dir: true })).node.dir).toBe(true);
  });

  it('creates in-order keys that sort by creation, and lists recursively and sorted', async () => {
    const first = await kv.createInOrder('/it/queue', 'a');
    const second = await kv.createInOrder('/it/queue', 'b', { ttl: 60 });
    expect(first.node.key < second.node.key).toBe(true);
    const listing = await kv.get('/it/queue', { recursive: true, sorted: true });
    expect(listing.node.nodes?.map((node) => node.value)).toEqual(['a', 'b']);
    expect((await kv.get('/')).node.key).toBe('/');
  });

  it('watches one change, and follows changes forever from an index', async () => {
    const start = await kv.set('/it/w/x', '0');
    const one = kv.watch('/it/w', { recursive: true, waitIndex: start.node.modifiedIndex + 1 });
    await kv.set('/it/w/x', '1');
    expect(await one).toMatchObject({ action: 'set', node: { key: '/it/w/x', value: '1' }, prevNode: { value: '0' } });
    await kv.set('/it/w/y', '2');
    await kv.delete('/it/w/x');
    const controller = new AbortController();
    const seen: KvWatchItem[] = [];
    for await (const item of kv.watchForever('/it/w', { recursive: true, afterIndex: start.node.modifiedIndex, signal: controller.signal })) {
      seen.push(item);
      if (seen.length === 3) controller.abort();
    }
    expect(seen.map((item) => item.kind === 'change' && `${item.response.action} ${item.response.node.key}`)).toEqual(['set /it/w/x', 'set /it/w/y', 'delete /it/w/x']);
  });

  it('keeps a long poll open past the request timeout (the timeout covers the headers only)', async () => {
    const quick = new KvClient({ endpoints: [server.endpoint], timeoutMs: 300 });
    const watching = quick.watch('/it/slow');
    await new Promise((resolve) => setTimeout(resolve, 700));
    await kv.set('/it/slow', 'late');
    expect((await watching)?.node.value).toBe('late');
  });

  it('reports cleared history (401) as a resync and carries on', async () => {
    const before = await kv.set('/it/hist', 'start');
    const writes = Array.from({ length: 1010 }, (_, i) => i);
    for (let i = 0; i < writes.length; i += 50) await Promise.all(writes.slice(i, i + 50).map((n) => kv.set(`/it/flood/${n % 10}`, String(n))));
    const controller = new AbortController();
    const items: KvWatchItem[] = [];
    const following = (async () => {
      for await (const item of kv.watchForever('/it/hist', { afterIndex: before.node.modifiedIndex, signal: controller.signal })) {
        items.push(item);
        if (item.kind === 'change') controller.abort();
      }
    })();
    await expect.poll(() => items.length).toBe(1);
    await kv.set('/it/hist', 'after');
    await following;
    expect(items[0]).toMatchObject({ kind: 'resync', missedFrom: before.node.modifiedIndex + 1, snapshot: { node: { value: 'start' } }, cause: { errorCode: 401 } });
    expect(items[1]).toMatchObject({ kind: 'change', response: { node: { value: 'after' } } });
  }, 60_000);

  it('lists and updates members, and reads health, version and stats', async () => {
    const members = await kv.listMembers();
    expect(members).toHaveLength(1);
    expect(members[0]?.clientURLs).toEqual([server.endpoint]);
    expect((await kv.leaderMember()).id).toBe(members[0]?.id);
    await kv.updateMember(members[0]!.id, members[0]!.peerURLs);
    await expect(kv.addMember(members[0]!.peerURLs)).rejects.toMatchObject({ code: 'KV_ERR_HTTP', statusCode: 409 });
    await expect(kv.removeMember('123')).rejects.toMatchObject({ statusCode: 404 });
    expect(await kv.health()).toEqual([{ endpoint: server.endpoint, healthy: true }]);
    expect((await kv.version()).etcdserver).toMatch(/^\d+\.\d+/);
    expect((await kv.selfStats()).id).toBe(members[0]?.id);
    expect((await kv.leaderStats()).leader).toBe(members[0]?.id);
    expect((await kv.storeStats()).setsSuccess).toBeGreaterThan(0);
  });

  it('fails over from a dead endpoint to the live one', async () => {
    const client = new KvClient({ endpoints: [await closedEndpoint(), server.endpoint], timeoutMs: 1000 });
    await client.set('/it/failover', 'ok');
    expect(client.currentEndpoint).toBe(server.endpoint);
  });
});

describe('coordination helpers against a real server', () => {
  it('a lease keeps its key past the TTL, and the key expires once it stops without removing', async () => {
    const lease = await Lease.set(kv, '/it/lease', 'me', { ttl: 1, refreshEveryMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await kv.get('/it/lease')).node.value).toBe('me');
    await lease.stop({ remove: false });
    await expect.poll(() => kv.get('/it/lease').then(() => 'there', () => 'gone'), { timeout: 4000, interval: 250 }).toBe('gone');
  });

  it('compare-and-swap counts correctly under concurrent writers', async () => {
    await Promise.all(Array.from({ length: 5 }, () => compareAndSwap(kv, '/it/counter', (node) => String(Number(node?.value ?? 0) + 1), { maxAttempts: 20 })));
    expect((await kv.get('/it/counter')).node.value).toBe('5');
  });

  it('the mutex admits one holder at a time, in queue order', async () => {
    const order: string[] = [];
    const first = await acquireMutex(kv, '/it/locks/m', { ttl: 5, value: 'first' });
    const second = acquireMutex(kv, '/it/locks/m', { ttl: 5, value: 'second' }).then((hold) => (order.push('second'), hold));
    await new Promise((resolve) => setTimeout(resolve, 300));
    order.push('first releases');
    await first.release();
    const hold = await second;
    expect(order).toEqual(['first releases', 'second']);
    await hold.release();
    expect((await kv.get('/it/locks/m')).node.nodes ?? []).toEqual([]);
  });

  it('an election has one leader, observers see it change, and a loser takes over after resign', async () => {
    const controller = new AbortController();
    const leaders: (string | undefined)[] = [];
    const watching = (async () => {
      for await (const leader of observeLeader(kv, '/it/elect', { signal: controller.signal })) leaders.push(leader);
    })();
    // The observer's first read must see the empty election before anyone campaigns.
    await expect.poll(() => leaders.length).toBe(1);
    const a = await campaign(kv, '/it/elect', 'a', { ttl: 5 });
    const bCampaign = campaign(kv, '/it/elect', 'b', { ttl: 5 });
    await expect.poll(() => leaders.at(-1)).toBe('a');
    await a.resign();
    const b = await bCampaign;
    await expect.poll(() => leaders.at(-1)).toBe('b');
    await b.resign();
    await expect.poll(() => leaders.at(-1)).toBe(undefined);
    controller.abort();
    await watching;
    expect(leaders).toEqual([undefined, 'a', undefined, 'b', undefined]);
  });
});
