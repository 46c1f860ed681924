import { describe, expect, it } from 'vitest';
import { StoreError, WatcherClosedError, type StoreEvent, type Watcher } from './index.js';
import { T0, errorOf, testStore } from './test-helpers.js';

/** Everything a watcher has queued right now. */
function drain(w: Watcher): StoreEvent[] {
  const out: StoreEvent[] = [];
  for (let e = w.tryNext(); e !== undefined; e = w.tryNext()) out.push(e);
  return out;
}

describe('watch', () => {
  it('waits for the next change of the key, then leaves the hub', async () => {
    const { store, set } = testStore();
    set('/foo', 'a');
    const w = store.watch('/foo', { recursive: false, stream: false });
    expect(w.startIndex).toBe(1);
    expect(store.stats().watchers).toBe(1);
    const pending = w.next();
    set('/other', 'x');
    set('/foo', 'b');
    expect(await pending).toEqual({
      action: 'set',
      node: { key: '/foo', value: 'b', modifiedIndex: 3, createdIndex: 3 },
      prevNode: { key: '/foo', value: 'a', modifiedIndex: 1, createdIndex: 1 },
    });
    expect(w.removed).toBe(true);
    expect(store.stats().watchers).toBe(0);
    await expect(w.next()).rejects.toEqual(new WatcherClosedError('delivered'));
  });

  it('a plain watcher on a directory ignores its children; a recursive one sees them', () => {
    const { store, set } = testStore();
    set('/dir/a', '1');
    const plain = store.watch('/dir', { recursive: false, stream: false });
    const rec = store.watch('/dir', { recursive: true, stream: false });
    set('/dir/a', '2');
    expect(drain(plain)).toEqual([]);
    expect(drain(rec).map((e) => e.node.key)).toEqual(['/dir/a']);
    expect(store.stats().watchers).toBe(1);
    plain.cancel();
    expect(store.stats().watchers).toBe(0);
  });

  it('normalizes the watched key', () => {
    const { store, set } = testStore();
    const w = store.watch('a//b/', { recursive: false, stream: false });
    expect(w.key).toBe('/a/b');
    set('/a/b', 'x');
    expect(drain(w)).toHaveLength(1);
  });

  describe('from history (waitIndex)', () => {
    it('returns the first matching event at or after sinceIndex, including one at exactly that index', () => {
      const { store, set } = testStore();
      set('/foo', '1'); // 1
      set('/bar', '1'); // 2
      set('/foo', '2'); // 3
      expect(store.watch('/foo', { recursive: false, stream: false, sinceIndex: 1 }).tryNext()?.node.modifiedIndex).toBe(1);
      expect(store.watch('/foo', { recursive: false, stream: false, sinceIndex: 2 }).tryNext()?.node.modifiedIndex).toBe(3);
      expect(store.watch('/', { recursive: true, stream: false, sinceIndex: 2 }).tryNext()?.node.key).toBe('/bar');
      const w = store.watch('/foo', { recursive: false, stream: false, sinceIndex: 3 });
      expect(w.removed).toBe(true);
      expect(w.startIndex).toBe(3);
      expect(store.stats().watchers).toBe(0);
    });

    it('waits when sinceIndex is ahead of the history', () => {
      const { store, set } = testStore();
      set('/foo', '1');
      const w = store.watch('/foo', { recursive: false, stream: false, sinceIndex: 3 });
      set('/foo', '2');
      expect(drain(w)).toEqual([]);
      set('/foo', '3');
      expect(drain(w).map((e) => e.node.value)).toEqual(['3']);
    });

    it('answers 401 once the index has left the history', () => {
      const { store, set } = testStore({ historySize: 3 });
      for (let i = 0; i < 5; i++) set('/k', String(i));
      expect(errorOf(() => store.watch('/k', { recursive: false, stream: false, sinceIndex: 2 }))).toEqual({
        status: 400,
        body: { errorCode: 401, message: 'The event in requested index is outdated and cleared', cause: 'the requested history has been cleared [3/2]', index: 5 },
      });
      expect(store.watch('/k', { recursive: false, stream: false, sinceIndex: 3 }).tryNext()?.node.value).toBe('2');
    });

    it('a deleted directory matches watches below it (etcd compares raw prefixes)', () => {
      const { store, set, del } = testStore();
      set('/w/a', '1');
      del('/w', { recursive: true });
      expect(store.watch('/w/nonexistent/deeper', { recursive: false, stream: false, sinceIndex: 2 }).tryNext()?.action).toBe('delete');
      expect(store.watch('/wx', { recursive: false, stream: false, sinceIndex: 2 }).tryNext()?.action).toBe('delete');
    });

    it('a stream watch served from history gets that one event and is not registered, as in etcd', () => {
      const { store, set } = testStore();
      set('/s', '1');
      const w = store.watch('/s', { recursive: false, stream: true, sinceIndex: 1 });
      set('/s', '2');
      expect(drain(w).map((e) => e.node.value)).toEqual(['1']);
      expect(store.stats().watchers).toBe(0);
    });
  });

  describe('deletes and expirations', () => {
    it('watchers on a deleted directory and on nodes inside it are told; a stream on the directory twice (etcd)', () => {
      const { store, set, del } = testStore();
      set('/w/a', '1');
      const recStream = store.watch('/w', { recursive: true, stream: true });
      const plainStream = store.watch('/w', { recursive: false, stream: true });
      const child = store.watch('/w/a', { recursive: false, stream: true });
      const root = store.watch('/', { recursive: true, stream: true });
      const hidden = store.watch('/w/_h', { recursive: false, stream: true });
      const absent = store.watch('/w/nonexist/deeper', { recursive: false, stream: true });
      set('/w/_h', '1');
      set('/w/b', '1');
      del('/w', { recursive: true });
      const setH = { action: 'set', node: { key: '/w/_h', value: '1', modifiedIndex: 2, createdIndex: 2 } };
      const setB = { action: 'set', node: { key: '/w/b', value: '1', modifiedIndex: 3, createdIndex: 3 } };
      const delW = {
        action: 'delete',
        node: { key: '/w', dir: true, modifiedIndex: 4, createdIndex: 1 },
        prevNode: { key: '/w', dir: true, modifiedIndex: 1, createdIndex: 1 },
      };
      // What etcd 3.4.23 streamed for the same sequence.
      expect(drain(recStream)).toEqual([setB, delW, delW]);
      expect(drain(plainStream)).toEqual([delW, delW]);
      expect(drain(child)).toEqual([delW]);
      expect(drain(root)).toEqual([setB, delW]);
      expect(drain(hidden)).toEqual([setH, delW]);
      expect(drain(absent)).toEqual([]);
      for (const w of [recStream, plainStream, child, root, hidden, absent]) w.cancel();
      expect(store.stats().watchers).toBe(0);
    });

    it('a plain watcher on a file inside a deleted directory gets the delete', async () => {
      const { store, set, del } = testStore();
      set('/d/f', '1');
      const w = store.watch('/d/f', { recursive: false, stream: false });
      del('/d', { recursive: true });
      expect((await w.next()).node).toEqual({ key: '/d', dir: true, modifiedIndex: 2, createdIndex: 1 });
      expect(store.stats().watchers).toBe(0);
    });

    it('expire events reach watchers, including those inside an expired directory', () => {
      const { store, set, mkdir, expire } = testStore();
      mkdir('/ex/d', { ttl: 1 });
      set('/ex/d/child', '1');
      set('/ex/k', 'v', { ttl: 1 });
      const rec = store.watch('/ex', { recursive: true, stream: true });
      const child = store.watch('/ex/d/child', { recursive: false, stream: false });
      expire(T0 + 1000);
      const expD = {
        action: 'expire',
        node: { key: '/ex/d', dir: true, modifiedIndex: 4, createdIndex: 1 },
        prevNode: { key: '/ex/d', dir: true, expiration: '2026-11-26T08:00:01Z', modifiedIndex: 1, createdIndex: 1 },
      };
      const expK = {
        action: 'expire',
        node: { key: '/ex/k', modifiedIndex: 5, createdIndex: 3 },
        prevNode: { key: '/ex/k', value: 'v', expiration: '2026-11-26T08:00:01Z', modifiedIndex: 3, createdIndex: 3 },
      };
      expect(drain(rec)).toEqual([expD, expK]);
      expect(drain(child)).toEqual([expD]);
      rec.cancel();
      expect(store.stats().watchers).toBe(0);
    });
  });

  it('hidden keys are seen only by a watcher on exactly that key (or below a hidden directory)', () => {
    const { store, set } = testStore();
    const root = store.watch('/', { recursive: true, stream: true });
    const dir = store.watch('/a', { recursive: true, stream: true });
    const exact = store.watch('/a/_h', { recursive: false, stream: true });
    const inside = store.watch('/a/_hd', { recursive: true, stream: true });
    set('/a/_h', '1');
    set('/a/_hd/x', '2');
    set('/a/v', '3');
    expect(drain(root).map((e) => e.node.key)).toEqual(['/a/v']);
    expect(drain(dir).map((e) => e.node.key)).toEqual(['/a/v']);
    expect(drain(exact).map((e) => e.node.key)).toEqual(['/a/_h']);
    expect(drain(inside).map((e) => e.node.key)).toEqual(['/a/_hd/x']);
    // History is not filtered for hidden keys (etcd's scan does not check).
    expect(store.watch('/', { recursive: true, stream: false, sinceIndex: 1 }).tryNext()?.node.key).toBe('/a/_h');
  });

  it('TTL refreshes are invisible to watchers and skipped in history', () => {
    const { store, set } = testStore();
    set('/k', 'v', { ttl: 100 });
    const w = store.watch('/k', { recursive: false, stream: true });
    set('/k', '', { prevExist: true, refresh: true, ttl: 50 });
    set('/k', '', { prevValue: 'v', refresh: true, ttl: 40 });
    set('/k', '', { refresh: true, ttl: 30 });
    expect(drain(w)).toEqual([]);
    expect(store.watch('/k', { recursive: false, stream: false, sinceIndex: 2 }).tryNext()).toBeUndefined();
    set('/k', 'new');
    expect(drain(w).map((e) => e.node.value)).toEqual(['new']);
    w.cancel();
  });

  it('a stream watcher receives many events in order', async () => {
    const { store, set } = testStore();
    const w = store.watch('/s', { recursive: true, stream: true });
    const got: string[] = [];
    const reader = (async () => {
      while (got.length < 500) got.push((await w.next()).node.value!);
    })();
    for (let i = 0; i < 250; i++) set(`/s/${i % 7}`, String(i));
    await Promise.resolve();
    for (let i = 250; i < 500; i++) set(`/s/${i % 7}`, String(i));
    await reader;
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
    expect(w.removed).toBe(false);
    w.cancel();
    expect(store.stats().watchers).toBe(0);
  });

  it('cancel removes the watcher from the hub and rejects a pending next()', async () => {
    const { store, set } = testStore();
    const watchers = Array.from({ length: 10 }, (_, i) => store.watch(`/k${i % 3}`, { recursive: i % 2 === 0, stream: i % 4 === 0 }));
    expect(store.stats().watchers).toBe(10);
    const pending = watchers[0]!.next();
    for (const w of watchers) w.cancel();
    for (const w of watchers) w.cancel(); // idempotent
    expect(store.stats().watchers).toBe(0);
    await expect(pending).rejects.toEqual(new WatcherClosedError('cancelled'));
    set('/k0', 'x');
    expect(watchers.every((w) => w.removed && w.tryNext() === undefined)).toBe(true);
  });

  it('drops a stream watcher that falls watcherBufferSize events behind', async () => {
    const { store, set } = testStore({ watcherBufferSize: 3 });
    const w = store.watch('/k', { recursive: false, stream: true });
    for (let i = 0; i < 5; i++) set('/k', String(i));
    expect(w.removed).toBe(true);
    expect(store.stats().watchers).toBe(0);
    expect((await w.next()).node.value).toBe('0');
    expect(drain(w).map((e) => e.node.value)).toEqual(['1', '2']);
    await expect(w.next()).rejects.toEqual(new WatcherClosedError('overflow'));
  });

  it('notifies watchers of a key in the order they were registered', async () => {
    const { store, set } = testStore();
    const order: number[] = [];
    const all = [0, 1, 2].map((i) =>
      store
        .watch('/k', { recursive: false, stream: false })
        .next()
        .then(() => order.push(i)),
    );
    set('/k', 'v');
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2]);
  });

  it('only one next() may be pending', async () => {
    const { store } = testStore();
    const w = store.watch('/k', { recursive: false, stream: true });
    const first = w.next();
    await expect(w.next()).rejects.toThrow(/already pending/);
    w.cancel();
    await expect(first).rejects.toBeInstanceOf(WatcherClosedError);
  });

  it('StoreError for bad indexes is thrown synchronously', () => {
    const { store, set } = testStore({ historySize: 1 });
    set('/a', '1');
    set('/a', '2');
    expect(() => store.watch('/a', { recursive: false, stream: false, sinceIndex: 1 })).toThrow(StoreError);
  });
});
