import { describe, expect, it } from 'vitest';
import { KvError, KvUnavailableError } from './errors.js';
import type { KvResponse } from './types.js';
import { watchForever, type KvWatchItem, type Watchable } from './watch-forever.js';

function change(key: string, value: string, index: number, action: KvResponse['action'] = 'set'): KvResponse {
  return { action, node: { key, value, createdIndex: index, modifiedIndex: index }, etcdIndex: index };
}

/** A scripted client: each watch call takes the next step; records the waitIndex it was given. */
function scripted(steps: (KvResponse | undefined | Error)[], snapshot?: KvResponse | Error): Watchable & { waitIndexes: (number | undefined)[] } {
  const waitIndexes: (number | undefined)[] = [];
  return {
    waitIndexes,
    watch: async (_key, options) => {
      waitIndexes.push(options.waitIndex);
      const step = steps.shift();
      if (step instanceof Error) throw step;
      if (steps.length === 0 && step === undefined) throw new Error('script ended');
      return step;
    },
    get: async () => {
      if (snapshot instanceof Error) throw snapshot;
      if (!snapshot) throw new Error('no snapshot');
      return snapshot;
    },
  };
}

async function take(iterator: AsyncGenerator<KvWatchItem>, count: number): Promise<KvWatchItem[]> {
  const items: KvWatchItem[] = [];
  for await (const item of iterator) {
    items.push(item);
    if (items.length === count) break;
  }
  return items;
}

describe('watchForever', () => {
  it('asks for the index after each change, starting after --after-index', async () => {
    const client = scripted([change('/a', '1', 5), change('/a', '2', 9)]);
    const items = await take(watchForever(client, '/a', { afterIndex: 3 }), 2);
    expect(items.map((item) => item.kind === 'change' && item.response.node.value)).toEqual(['1', '2']);
    expect(client.waitIndexes).toEqual([4, 6]);
  });

  it('on 401 reads the key again, reports the gap, and resumes after the current index', async () => {
    const cleared = new KvError({ errorCode: 401, message: 'The event in requested index is outdated and cleared', cause: 'the requested history has been cleared [1104/2]', index: 2100 }, 400);
    const snapshot = { ...change('/a', 'now', 2090, 'get'), etcdIndex: 2100 };
    const client = scripted([cleared, change('/a', 'next', 2101)], snapshot);
    const items = await take(watchForever(client, '/a', { afterIndex: 1 }), 2);
    expect(items[0]).toMatchObject({ kind: 'resync', missedFrom: 2, resumeAfter: 2100, snapshot: { node: { value: 'now' } } });
    expect(items[1]).toMatchObject({ kind: 'change', response: { node: { value: 'next' } } });
    expect(client.waitIndexes).toEqual([2, 2101]);
  });

  it('reports a key deleted during the gap as an undefined snapshot', async () => {
    const cleared = new KvError({ errorCode: 401, message: 'cleared', index: 50 }, 400);
    const client = scripted([cleared], new KvError({ errorCode: 100, message: 'Key not found', cause: '/a', index: 60 }, 404));
    const [item] = await take(watchForever(client, '/a', { afterIndex: 1 }), 1);
    expect(item).toMatchObject({ kind: 'resync', snapshot: undefined, resumeAfter: 60 });
  });

  it('retries an unreachable cluster with backoff, then gives up after maxConsecutiveFailures', async () => {
    const down = new KvUnavailableError([{ endpoint: 'http://127.0.0.1:1', reason: 'ECONNREFUSED', error: new Error('x') }]);
    const recovering = scripted([down, down, change('/a', '1', 3)]);
    expect(await take(watchForever(recovering, '/a', { retryDelayMs: 1 }), 1)).toHaveLength(1);
    const dead = scripted([down, down, down]);
    await expect(take(watchForever(dead, '/a', { retryDelayMs: 1, maxConsecutiveFailures: 3 }), 1)).rejects.toBe(down);
  });

  it('throws other etcd errors at once and ends quietly on abort', async () => {
    await expect(take(watchForever(scripted([new KvError({ errorCode: 104, message: 'Not a directory', index: 1 }, 403)]), '/a'), 1)).rejects.toMatchObject({ errorCode: 104 });
    const controller = new AbortController();
    const hanging: Watchable = {
      watch: (_key, options) => new Promise((_resolve, reject) => options.signal?.addEventListener('abort', () => reject(options.signal?.reason as Error))),
      get: () => Promise.reject(new Error('unused')),
    };
    setTimeout(() => controller.abort(), 20);
    expect(await take(watchForever(hanging, '/a', { signal: controller.signal }), 1)).toEqual([]);
  });
});
