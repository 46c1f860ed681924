import { StoreError } from './errors.js';
import { V2Store } from './store.js';
import type { StoreEvent, StoreOptions } from './types.js';

/** 2026-11-26T08:00:00Z: after etcd's 2000-01-01 cut-off, so TTLs are kept. */
export const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);

/** A store plus terse helpers that build commands the way kvd would. */
export function testStore(options?: StoreOptions) {
  const store = new V2Store(options);
  return {
    store,
    set: (key: string, value: string, extra: Partial<Extract<Parameters<V2Store['apply']>[0], { op: 'set' }>> = {}): StoreEvent =>
      store.apply({ op: 'set', key, value, dir: false, ttl: null, refresh: false, now: T0, ...extra }),
    mkdir: (key: string, extra: { ttl?: number | null; now?: number } = {}): StoreEvent =>
      store.apply({ op: 'set', key, value: '', dir: true, ttl: extra.ttl ?? null, refresh: false, now: extra.now ?? T0 }),
    del: (key: string, extra: Partial<Extract<Parameters<V2Store['apply']>[0], { op: 'delete' }>> = {}): StoreEvent =>
      store.apply({ op: 'delete', key, dir: false, recursive: false, now: T0, ...extra }),
    post: (dir: string, value: string, extra: { ttl?: number | null; isDir?: boolean; now?: number } = {}): StoreEvent =>
      store.apply({ op: 'create-in-order', dir, value, ttl: extra.ttl ?? null, now: extra.now ?? T0, ...(extra.isDir ? { isDir: true } : {}) }),
    expire: (now: number): StoreEvent[] => store.apply({ op: 'expire', now }),
    get: (key: string, opts: { recursive?: boolean; sorted?: boolean; now?: number } = {}): StoreEvent =>
      store.get(key, { recursive: opts.recursive ?? false, sorted: opts.sorted ?? false, now: opts.now ?? T0 }),
  };
}

/** Runs `fn` and returns the thrown error's JSON (fails when nothing is thrown). */
export function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return { status: err.statusCode, body: err.toJSON() };
    throw err;
  }
  throw new Error('expected an error');
}
