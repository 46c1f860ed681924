import { describe, expect, it } from 'vitest';
import { StoreError, V2Store } from './index.js';
import { T0, errorOf, testStore } from './test-helpers.js';

describe('keys and directories', () => {
  it('normalizes keys like etcd (path.Clean of "/" + key)', () => {
    const { set, get } = testStore();
    expect(set('a//b/', '1').node.key).toBe('/a/b');
    expect(get('/a/./b').node.key).toBe('/a/b');
    expect(get('/x/../a/b/').node.key).toBe('/a/b');
    expect(get('a/b').node.value).toBe('1');
    expect(set('/../../c', '2').node.key).toBe('/c');
  });

  it('shows the root as a directory without key or indexes, and refuses to change it (107)', () => {
    const { store, set, get, del, mkdir } = testStore();
    expect(get('/')).toEqual({ action: 'get', node: { dir: true } });
    set('/k', 'v');
    expect(JSON.stringify(get('/'))).toBe('{"action":"get","node":{"dir":true,"nodes":[{"key":"/k","value":"v","modifiedIndex":1,"createdIndex":1}]}}');
    const rootReadOnly = { status: 400, body: { errorCode: 107, message: 'Root is read only', cause: '/', index: 1 } };
    expect(errorOf(() => set('/', 'x'))).toEqual(rootReadOnly);
    expect(errorOf(() => mkdir('/'))).toEqual(rootReadOnly);
    expect(errorOf(() => del('/', { recursive: true }))).toEqual(rootReadOnly);
    expect(errorOf(() => set('/', 'x', { prevExist: true }))).toEqual(rootReadOnly);
    expect(errorOf(() => set('/', 'x', { prevValue: 'x' }))).toEqual(rootReadOnly);
    // etcd answers compare-and-delete on the root with 102 and no cause.
    expect(errorOf(() => del('/', { prevValue: 'x' }))).toEqual({ status: 403, body: { errorCode: 102, message: 'Not a file', index: 1 } });
    expect(store.index).toBe(1);
  });

  it('creates intermediate directories implicitly, with the index of the write', () => {
    const { set, get } = testStore();
    set('/x', '0');
    expect(set('/a/b/c', '1')).toEqual({ action: 'set', node: { key: '/a/b/c', value: '1', modifiedIndex: 2, createdIndex: 2 } });
    expect(get('/a', { recursive: true })).toEqual({
      action: 'get',
      node: {
        key: '/a',
        dir: true,
        nodes: [{ key: '/a/b', dir: true, nodes: [{ key: '/a/b/c', value: '1', modifiedIndex: 2, createdIndex: 2 }], modifiedIndex: 2, createdIndex: 2 }],
        modifiedIndex: 2,
        createdIndex: 2,
      },
    });
    // Not recursive: direct children only, sub-directories without their nodes.
    expect(get('/a').node.nodes).toEqual([{ key: '/a/b', dir: true, modifiedIndex: 2, createdIndex: 2 }]);
  });

  it('hides keys starting with _ from listings but lets them be read by name', () => {
    const { set, get } = testStore();
    set('/h/_hidden', 'x');
    set('/h/vis', 'y');
    set('/h/_hd/inner', 'z');
    expect(get('/h', { recursive: true }).node.nodes).toEqual([{ key: '/h/vis', value: 'y', modifiedIndex: 2, createdIndex: 2 }]);
    expect(get('/h/_hidden').node).toEqual({ key: '/h/_hidden', value: 'x', modifiedIndex: 1, createdIndex: 1 });
    expect(get('/h/_hd').node.nodes).toEqual([{ key: '/h/_hd/inner', value: 'z', modifiedIndex: 3, createdIndex: 3 }]);
  });

  it('answers a missing key with 100 and the key as cause, a file in the path with 104', () => {
    const { set, get } = testStore();
    set('/f', 'v');
    expect(errorOf(() => get('/missing/deep'))).toEqual({ status: 404, body: { errorCode: 100, message: 'Key not found', cause: '/missing', index: 1 } });
    expect(errorOf(() => get('/f/x'))).toEqual({ status: 400, body: { errorCode: 104, message: 'Not a directory', cause: '/f', index: 1 } });
    expect(errorOf(() => set('/f/x', 'v'))).toEqual({ status: 400, body: { errorCode: 104, message: 'Not a directory', cause: '/f', index: 1 } });
  });

  it('lists sorted by key when asked', () => {
    const { set, get } = testStore();
    for (const k of ['b', 'a/x', 'c', 'B']) set(`/s/${k}`, k);
    expect(get('/s', { sorted: true }).node.nodes!.map((n) => n.key)).toEqual(['/s/B', '/s/a', '/s/b', '/s/c']);
  });
});

describe('set, create, update, compare-and-swap', () => {
  it('set returns prevNode when it replaces a file', () => {
    const { set } = testStore();
    set('/foo', 'bar');
    expect(set('/foo', 'baz')).toEqual({
      action: 'set',
      node: { key: '/foo', value: 'baz', modifiedIndex: 2, createdIndex: 2 },
      prevNode: { key: '/foo', value: 'bar', modifiedIndex: 1, createdIndex: 1 },
    });
  });

  it('set on a directory is 102 "Not a file", as is a value update of a directory', () => {
    const { set, mkdir } = testStore();
    mkdir('/d');
    const notAFile = { status: 403, body: { errorCode: 102, message: 'Not a file', cause: '/d', index: 1 } };
    expect(errorOf(() => set('/d', 'v'))).toEqual(notAFile);
    expect(errorOf(() => mkdir('/d'))).toEqual(notAFile);
    expect(errorOf(() => set('/d', 'v', { prevExist: true }))).toEqual(notAFile);
    expect(errorOf(() => set('/d', 'v', { prevValue: 'x' }))).toEqual(notAFile);
  });

  it('a directory ignores the value it is created with', () => {
    const { store } = testStore();
    const e = store.apply({ op: 'set', key: '/d', value: 'ignored', dir: true, ttl: null, refresh: false, now: T0 });
    expect(e).toEqual({ action: 'set', node: { key: '/d', dir: true, modifiedIndex: 1, createdIndex: 1 } });
  });

  it('set with dir=true turns a file into a directory (etcd replaces files)', () => {
    const { set, mkdir } = testStore();
    set('/fd', '1');
    expect(mkdir('/fd')).toEqual({
      action: 'set',
      node: { key: '/fd', dir: true, modifiedIndex: 2, createdIndex: 2 },
      prevNode: { key: '/fd', value: '1', modifiedIndex: 1, createdIndex: 1 },
    });
  });

  it('create (prevExist=false) fails with 105 on an existing key, even with prevValue', () => {
    const { set } = testStore();
    expect(set('/n', 'v', { prevExist: false })).toEqual({ action: 'create', node: { key: '/n', value: 'v', modifiedIndex: 1, createdIndex: 1 } });
    expect(errorOf(() => set('/n', 'w', { prevExist: false, prevValue: 'v' }))).toEqual({
      status: 412,
      body: { errorCode: 105, message: 'Key already exists', cause: '/n', index: 1 },
    });
  });

  it('update (prevExist=true) of a missing key is 100; it keeps createdIndex', () => {
    const { set } = testStore();
    expect(errorOf(() => set('/n', 'v', { prevExist: true }))).toEqual({ status: 404, body: { errorCode: 100, message: 'Key not found', cause: '/n', index: 0 } });
    set('/n', 'v');
    expect(set('/n', 'w', { prevExist: true })).toEqual({
      action: 'update',
      node: { key: '/n', value: 'w', modifiedIndex: 2, createdIndex: 1 },
      prevNode: { key: '/n', value: 'v', modifiedIndex: 1, createdIndex: 1 },
    });
  });

  it('updating a directory (its TTL) reports the new index but leaves its modifiedIndex, like etcd 3.4', () => {
    const { store, mkdir, get } = testStore();
    mkdir('/d');
    const e = store.apply({ op: 'set', key: '/d', value: '', dir: true, ttl: 100, refresh: false, prevExist: true, now: T0 });
    expect(e).toEqual({
      action: 'update',
      node: { key: '/d', dir: true, expiration: '2026-11-26T08:01:40Z', ttl: 100, modifiedIndex: 2, createdIndex: 1 },
      prevNode: { key: '/d', dir: true, modifiedIndex: 1, createdIndex: 1 },
    });
    expect(get('/d').node).toEqual({ key: '/d', dir: true, expiration: '2026-11-26T08:01:40Z', ttl: 100, modifiedIndex: 1, createdIndex: 1 });
  });

  it('compare-and-swap checks prevValue and prevIndex, with etcd\'s cause format', () => {
    const { set } = testStore();
    set('/foo', 'bar');
    set('/foo', 'baz');
    const failed = (cause: string) => ({ status: 412, body: { errorCode: 101, message: 'Compare failed', cause, index: 2 } });
    expect(errorOf(() => set('/foo', 'q', { prevValue: 'q', prevIndex: 1 }))).toEqual(failed('[q != baz] [1 != 2]'));
    expect(errorOf(() => set('/foo', 'q', { prevIndex: 1 }))).toEqual(failed('[1 != 2]'));
    expect(errorOf(() => set('/foo', 'q', { prevValue: 'q' }))).toEqual(failed('[q != baz]'));
    expect(errorOf(() => set('/foo', 'q', { prevValue: 'q', prevExist: true }))).toEqual(failed('[q != baz]'));
    expect(set('/foo', 'q', { prevValue: 'baz', prevIndex: 2 })).toEqual({
      action: 'compareAndSwap',
      node: { key: '/foo', value: 'q', modifiedIndex: 3, createdIndex: 2 },
      prevNode: { key: '/foo', value: 'baz', modifiedIndex: 2, createdIndex: 2 },
    });
    expect(errorOf(() => set('/nope', 'q', { prevValue: 'a' }))).toEqual({ status: 404, body: { errorCode: 100, message: 'Key not found', cause: '/nope', index: 3 } });
  });

  it('compare against an empty value prints it empty', () => {
    const { set } = testStore();
    set('/e', '');
    expect(errorOf(() => set('/e', 'y', { prevValue: 'x' }))).toEqual({ status: 412, body: { errorCode: 101, message: 'Compare failed', cause: '[x != ]', index: 1 } });
  });

  it('a failed command changes nothing but the failure counters', () => {
    const { store, set, mkdir, del } = testStore();
    set('/a/b', '1');
    mkdir('/d');
    const before = store.snapshot();
    const attempts = [
      () => set('/a', 'x'),
      () => set('/a/b/c', 'x'),
      () => set('/a/b', 'x', { prevExist: false }),
      () => set('/a/b', 'x', { prevValue: 'nope' }),
      () => del('/a'),
      () => del('/a', { dir: true }),
      () => del('/a/b', { prevIndex: 99 }),
      () => set('/zz', 'x', { prevExist: true }),
      () => store.apply({ op: 'create-in-order', dir: '/a/b', value: 'x', ttl: null, now: T0 }),
    ];
    for (const attempt of attempts) expect(attempt).toThrow(StoreError);
    expect(store.snapshot()).toBe(before);
    expect(store.index).toBe(2);
  });
});

describe('delete', () => {
  it('needs dir=true for a directory (102), recursive for a non-empty one (108)', () => {
    const { store, set, del, mkdir } = testStore();
    set('/x/y/z', '1');
    expect(errorOf(() => del('/x'))).toEqual({ status: 403, body: { errorCode: 102, message: 'Not a file', cause: '/x', index: 1 } });
    expect(errorOf(() => del('/x', { dir: true }))).toEqual({ status: 403, body: { errorCode: 108, message: 'Directory not empty', cause: '/x', index: 1 } });
    mkdir('/empty');
    expect(del('/empty', { dir: true })).toEqual({
      action: 'delete',
      node: { key: '/empty', dir: true, modifiedIndex: 3, createdIndex: 2 },
      prevNode: { key: '/empty', dir: true, modifiedIndex: 2, createdIndex: 2 },
    });
    expect(del('/x', { recursive: true })).toEqual({
      action: 'delete',
      node: { key: '/x', dir: true, modifiedIndex: 4, createdIndex: 1 },
      prevNode: { key: '/x', dir: true, modifiedIndex: 1, createdIndex: 1 },
    });
    expect(() => store.get('/x/y/z', { recursive: false, sorted: false, now: T0 })).toThrow(StoreError);
  });

  it('deletes a file with dir=true or recursive=true too; a missing key is 100', () => {
    const { set, del } = testStore();
    set('/f', '1');
    expect(del('/f', { dir: true }).action).toBe('delete');
    set('/g', '1');
    expect(del('/g', { recursive: true }).prevNode).toEqual({ key: '/g', value: '1', modifiedIndex: 3, createdIndex: 3 });
    expect(errorOf(() => del('/g'))).toEqual({ status: 404, body: { errorCode: 100, message: 'Key not found', cause: '/g', index: 4 } });
  });

  it('compare-and-delete', () => {
    const { set, del, mkdir } = testStore();
    set('/k', 'v');
    expect(errorOf(() => del('/k', { prevValue: 'zz', prevIndex: 7 }))).toEqual({
      status: 412,
      body: { errorCode: 101, message: 'Compare failed', cause: '[zz != v] [7 != 1]', index: 1 },
    });
    expect(del('/k', { prevValue: 'v', prevIndex: 1 })).toEqual({
      action: 'compareAndDelete',
      node: { key: '/k', modifiedIndex: 2, createdIndex: 1 },
      prevNode: { key: '/k', value: 'v', modifiedIndex: 1, createdIndex: 1 },
    });
    mkdir('/d');
    expect(errorOf(() => del('/d', { prevValue: 'x' }))).toEqual({ status: 403, body: { errorCode: 102, message: 'Not a file', cause: '/d', index: 3 } });
  });
});

describe('in-order keys (POST)', () => {
  it('names them after the next store index, zero-padded to 20 digits', () => {
    const { post, set, get } = testStore();
    set('/other', 'x');
    expect(post('/q', 'a')).toEqual({ action: 'create', node: { key: '/q/00000000000000000002', value: 'a', modifiedIndex: 2, createdIndex: 2 } });
    expect(post('/q', '', { isDir: true })).toEqual({ action: 'create', node: { key: '/q/00000000000000000003', dir: true, modifiedIndex: 3, createdIndex: 3 } });
    expect(post('/', 'root')).toEqual({ action: 'create', node: { key: '/00000000000000000004', value: 'root', modifiedIndex: 4, createdIndex: 4 } });
    expect(post('/q/', 'ttl', { ttl: 10 }).node).toEqual({
      key: '/q/00000000000000000005',
      value: 'ttl',
      expiration: '2026-11-26T08:00:10Z',
      ttl: 10,
      modifiedIndex: 5,
      createdIndex: 5,
    });
    expect(get('/q', { sorted: true }).node.nodes!.map((n) => n.key)).toEqual([
      '/q/00000000000000000002',
      '/q/00000000000000000003',
      '/q/00000000000000000005',
    ]);
    expect(errorOf(() => post('/other', 'x'))).toEqual({ status: 400, body: { errorCode: 104, message: 'Not a directory', cause: '/other', index: 5 } });
  });
});

describe('TTL', () => {
  it('shows expiration (RFC 3339, ns, trailing zeros trimmed) and the remaining ttl rounded up', () => {
    const { set, get } = testStore();
    expect(set('/k', 'v', { ttl: 5, now: T0 + 123 }).node).toEqual({
      key: '/k',
      value: 'v',
      expiration: '2026-11-26T08:00:05.123Z',
      ttl: 5,
      modifiedIndex: 1,
      createdIndex: 1,
    });
    expect(get('/k', { now: T0 + 1123 }).node.ttl).toBe(4);
    expect(get('/k', { now: T0 + 1124 }).node.ttl).toBe(4);
    expect(get('/k', { now: T0 + 4124 }).node.ttl).toBe(1);
    // Expired but not yet removed (no expire command yet): ttl 0 is left out, then negative.
    expect(get('/k', { now: T0 + 5123 }).node).toEqual({ key: '/k', value: 'v', expiration: '2026-11-26T08:00:05.123Z', modifiedIndex: 1, createdIndex: 1 });
    expect(get('/k', { now: T0 + 7000 }).node.ttl).toBe(-1);
    expect(set('/half', 'v', { ttl: 1, now: T0 + 500 }).node.expiration).toBe('2026-11-26T08:00:01.5Z');
    expect(set('/frac', 'v', { ttl: 1, now: T0 + 0.25 }).node.expiration).toBe('2026-11-26T08:00:01.00025Z');
  });

  it('ttl 0 expires at once; expirations before 2000 mean no TTL (etcd)', () => {
    const { set, expire } = testStore();
    expect(set('/z', 'v', { ttl: 0 }).node).toEqual({ key: '/z', value: 'v', expiration: '2026-11-26T08:00:00Z', modifiedIndex: 1, createdIndex: 1 });
    expect(expire(T0).map((e) => e.node.key)).toEqual(['/z']);
    expect(set('/old', 'v', { ttl: 5, now: 1000 }).node).toEqual({ key: '/old', value: 'v', modifiedIndex: 3, createdIndex: 3 });
  });

  it('expire removes every node due, earliest first (ties by key), one event each', () => {
    const { store, set, mkdir, expire, get } = testStore();
    set('/b', 'v', { ttl: 2 });
    set('/a', 'v', { ttl: 2 });
    set('/c', 'v', { ttl: 1 });
    set('/keep', 'v', { ttl: 10 });
    mkdir('/perm');
    expect(store.nextExpiration()).toBe(T0 + 1000);
    expect(expire(T0 + 999)).toEqual([]);
    const events = expire(T0 + 2000);
    expect(events).toEqual([
      {
        action: 'expire',
        node: { key: '/c', modifiedIndex: 6, createdIndex: 3 },
        prevNode: { key: '/c', value: 'v', expiration: '2026-11-26T08:00:01Z', ttl: -1, modifiedIndex: 3, createdIndex: 3 },
      },
      {
        action: 'expire',
        node: { key: '/a', modifiedIndex: 7, createdIndex: 2 },
        prevNode: { key: '/a', value: 'v', expiration: '2026-11-26T08:00:02Z', modifiedIndex: 2, createdIndex: 2 },
      },
      {
        action: 'expire',
        node: { key: '/b', modifiedIndex: 8, createdIndex: 1 },
        prevNode: { key: '/b', value: 'v', expiration: '2026-11-26T08:00:02Z', modifiedIndex: 1, createdIndex: 1 },
      },
    ]);
    expect(store.index).toBe(8);
    expect(store.nextExpiration()).toBe(T0 + 10_000);
    expect(get('/', { sorted: true }).node.nodes!.map((n) => n.key)).toEqual(['/keep', '/perm']);
    expect(store.stats().expireCount).toBe(3);
  });

  it('a directory TTL takes its children with it, including their own TTLs', () => {
    const { store, set, mkdir, expire } = testStore();
    mkdir('/d', { ttl: 1 });
    set('/d/child', '1');
    set('/d/sub/ttl', '2', { ttl: 100 });
    const events = expire(T0 + 1000);
    expect(events).toEqual([
      {
        action: 'expire',
        node: { key: '/d', dir: true, modifiedIndex: 4, createdIndex: 1 },
        prevNode: { key: '/d', dir: true, expiration: '2026-11-26T08:00:01Z', modifiedIndex: 1, createdIndex: 1 },
      },
    ]);
    expect(store.nextExpiration()).toBeNull();
    expect(() => store.get('/d/child', { recursive: false, sorted: false, now: T0 })).toThrow(StoreError);
  });

  it('update without ttl makes a key permanent; with ttl it moves the expiration', () => {
    const { store, set } = testStore();
    set('/k', 'v', { ttl: 3 });
    expect(set('/k', 'w', { prevExist: true }).node).toEqual({ key: '/k', value: 'w', modifiedIndex: 2, createdIndex: 1 });
    expect(store.nextExpiration()).toBeNull();
    set('/k', 'x', { prevExist: true, ttl: 100 });
    expect(store.nextExpiration()).toBe(T0 + 100_000);
    // Compare-and-swap without ttl also drops the TTL, as in etcd.
    set('/k', 'y', { prevValue: 'x' });
    expect(store.nextExpiration()).toBeNull();
    // A plain set replaces the node and its TTL.
    set('/k', 'z', { ttl: 5 });
    set('/k', 'zz');
    expect(store.nextExpiration()).toBeNull();
  });

  describe('refresh', () => {
    it('with prevExist=true updates the TTL only, keeping value and createdIndex', () => {
      const { set } = testStore();
      set('/k', 'v', { ttl: 100 });
      expect(set('/k', '', { prevExist: true, refresh: true, ttl: 50, now: T0 + 1000 })).toEqual({
        action: 'update',
        node: { key: '/k', value: 'v', expiration: '2026-11-26T08:00:51Z', ttl: 50, modifiedIndex: 2, createdIndex: 1 },
        prevNode: { key: '/k', value: 'v', expiration: '2026-11-26T08:01:40Z', ttl: 99, modifiedIndex: 1, createdIndex: 1 },
      });
    });

    it('with prevValue is a compare-and-swap that keeps the value', () => {
      const { set } = testStore();
      set('/k', 'v', { ttl: 100 });
      expect(set('/k', '', { prevValue: 'v', refresh: true, ttl: 40 }).node).toEqual({
        key: '/k',
        value: 'v',
        expiration: '2026-11-26T08:00:40Z',
        ttl: 40,
        modifiedIndex: 2,
        createdIndex: 1,
      });
    });

    it('as a plain set keeps the value but replaces the node (new createdIndex), as etcd does', () => {
      const { set } = testStore();
      set('/k', 'v', { ttl: 100 });
      expect(set('/k', '', { refresh: true, ttl: 30 })).toEqual({
        action: 'set',
        node: { key: '/k', value: 'v', expiration: '2026-11-26T08:00:30Z', ttl: 30, modifiedIndex: 2, createdIndex: 2 },
        prevNode: { key: '/k', value: 'v', expiration: '2026-11-26T08:01:40Z', ttl: 100, modifiedIndex: 1, createdIndex: 1 },
      });
    });

    it('of a missing key is 100; of a directory needs prevExist=true', () => {
      const { store, set, mkdir } = testStore();
      expect(errorOf(() => set('/nope', '', { refresh: true, ttl: 5 }))).toEqual({ status: 404, body: { errorCode: 100, message: 'Key not found', cause: '/nope', index: 0 } });
      mkdir('/d', { ttl: 100 });
      const refreshDir = (prevExist?: boolean) =>
        store.apply({ op: 'set', key: '/d', value: '', dir: true, ttl: 50, refresh: true, now: T0, ...(prevExist === undefined ? {} : { prevExist }) });
      expect(errorOf(() => refreshDir())).toEqual({ status: 403, body: { errorCode: 102, message: 'Not a file', cause: '/d', index: 1 } });
      expect(refreshDir(true).node).toEqual({ key: '/d', dir: true, expiration: '2026-11-26T08:00:50Z', ttl: 50, modifiedIndex: 2, createdIndex: 1 });
    });
  });
});

describe('stats', () => {
  it('counts successes and failures per operation like /v2/stats/store', () => {
    const { store, set, del, get, post, expire } = testStore();
    set('/a', '1');
    expect(() => set('/a/b', '1')).toThrow();
    set('/n', '1', { prevExist: false });
    expect(() => set('/n', '1', { prevExist: false })).toThrow();
    // etcd counts a create that hits a file in its path as a failed set too.
    expect(() => set('/a/x', '1', { prevExist: false })).toThrow();
    set('/n', '2', { prevExist: true });
    expect(() => set('/zz', '1', { prevExist: true })).toThrow();
    set('/n', '3', { prevValue: '2' });
    expect(() => set('/n', '3', { prevValue: '2' })).toThrow();
    post('/q', 'x');
    get('/a');
    expect(() => get('/nope')).toThrow();
    del('/n', { prevValue: '3' });
    expect(() => del('/a', { prevValue: '3' })).toThrow();
    del('/a');
    expect(() => del('/a')).toThrow();
    set('/t', 'x', { ttl: 1 });
    expire(T0 + 5000);
    const w = store.watch('/w', { recursive: false, stream: false });
    expect(store.stats()).toEqual({
      getsSuccess: 1,
      getsFail: 1,
      setsSuccess: 2,
      setsFail: 2,
      deleteSuccess: 1,
      deleteFail: 1,
      updateSuccess: 1,
      updateFail: 1,
      createSuccess: 2,
      createFail: 2,
      compareAndSwapSuccess: 1,
      compareAndSwapFail: 1,
      compareAndDeleteSuccess: 1,
      compareAndDeleteFail: 1,
      expireCount: 1,
      watchers: 1,
    });
    w.cancel();
    expect(store.stats().watchers).toBe(0);
  });
});

describe('snapshot and restore', () => {
  function build() {
    const t = testStore({ historySize: 5 });
    t.set('/a/b', '1');
    t.set('/a/_h', 'hidden');
    t.mkdir('/d', { ttl: 60 });
    t.set('/d/k', 'v', { ttl: 30 });
    t.post('/q', 'x');
    t.set('/a/b', '2', { prevValue: '1' });
    t.set('/e', '');
    t.del('/e');
    return t;
  }

  it('keeps the tree, TTLs, the index and the history (JSON, version 1)', () => {
    const { store } = build();
    const image = store.snapshot();
    const parsed = JSON.parse(image) as { version: number; index: number; history: { events: unknown[] } };
    expect(parsed.version).toBe(1);
    expect(parsed.index).toBe(8);
    expect(parsed.history.events).toHaveLength(5);
    const copy = V2Store.restore(image, { historySize: 5 });
    expect(copy.index).toBe(8);
    const all = { recursive: true, sorted: true, now: T0 + 1000 };
    expect(copy.get('/', all)).toEqual(store.get('/', all));
    expect(copy.get('/a/_h', all)).toEqual(store.get('/a/_h', all));
    expect(copy.nextExpiration()).toBe(T0 + 30_000);
    expect(copy.snapshot()).toBe(image);
    expect(copy.stats().setsSuccess).toBe(0); // stats are per process
  });

  it('a restored store goes on exactly like the original', () => {
    const a = build();
    const b = V2Store.restore(a.store.snapshot(), { historySize: 5 });
    const commands = [
      { op: 'expire', now: T0 + 30_000 },
      { op: 'set', key: '/d2/x', value: 'y', dir: false, ttl: 10, refresh: false, now: T0 + 30_000 },
      { op: 'expire', now: T0 + 60_000 },
      { op: 'create-in-order', dir: '/q', value: 'z', ttl: null, now: T0 + 60_000 },
    ] as const;
    for (const c of commands) expect(JSON.stringify(b.apply(c))).toBe(JSON.stringify(a.store.apply(c)));
    expect(b.snapshot()).toBe(a.store.snapshot());
  });

  it('serves watches from the restored history, and 401 before it', async () => {
    const { store } = build();
    const copy = V2Store.restore(store.snapshot(), { historySize: 5 });
    const w = copy.watch('/a/b', { recursive: false, stream: false, sinceIndex: 4 });
    expect(await w.next()).toEqual({
      action: 'compareAndSwap',
      node: { key: '/a/b', value: '2', modifiedIndex: 6, createdIndex: 1 },
      prevNode: { key: '/a/b', value: '1', modifiedIndex: 1, createdIndex: 1 },
    });
    expect(errorOf(() => copy.watch('/a/b', { recursive: false, stream: false, sinceIndex: 3 }))).toEqual({
      status: 400,
      body: { errorCode: 401, message: 'The event in requested index is outdated and cleared', cause: 'the requested history has been cleared [4/3]', index: 8 },
    });
  });

  it('restores into a smaller history keeping the newest events', () => {
    const { store } = build();
    const copy = V2Store.restore(store.snapshot(), { historySize: 2 });
    expect(() => copy.watch('/', { recursive: true, stream: false, sinceIndex: 6 })).toThrow(StoreError);
    expect(copy.watch('/', { recursive: true, stream: false, sinceIndex: 7 }).tryNext()?.node.key).toBe('/e');
  });

  it('rejects an unknown version', () => {
    expect(() => V2Store.restore(JSON.stringify({ version: 99 }))).toThrow(/version 99/);
  });
});

describe('determinism', () => {
  it('two stores fed the same commands produce identical events and snapshots', () => {
    const a = new V2Store();
    const b = new V2Store();
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const now = T0 + i * 100;
      const key = `/k${rnd(5)}/${rnd(5)}`;
      const r = rnd(6);
      const command =
        r === 0
          ? ({ op: 'expire', now } as const)
          : r === 1
            ? ({ op: 'delete', key: `/k${rnd(5)}`, dir: true, recursive: true, now } as const)
            : ({ op: 'set', key, value: String(i), dir: false, ttl: rnd(3) === 0 ? rnd(20) : null, refresh: false, now } as const);
      let ea: string;
      let eb: string;
      try {
        ea = JSON.stringify(a.apply(command));
      } catch (err) {
        ea = JSON.stringify(err);
      }
      try {
        eb = JSON.stringify(b.apply(command));
      } catch (err) {
        eb = JSON.stringify(err);
      }
      expect(eb).toBe(ea);
    }
    expect(b.snapshot()).toBe(a.snapshot());
    expect(a.index).toBeGreaterThan(1000);
  });
});
