import { EtcdErrorCode, isKvError, KvConflictError } from './errors.js';
import type { KvClient } from './kv-client.js';
import type { KvNode, KvResponse } from './types.js';

export interface CompareAndSwapOptions {
  /** Attempts before giving up with KvConflictError. Default 10. */
  maxAttempts?: number;
  /** TTL for the written value. */
  ttl?: number;
  signal?: AbortSignal;
}

/**
 * Read, change, write-if-unchanged, retried while other writers win the race: the pattern behind
 * locksmith's reboot semaphore. `change` gets the current node (undefined when the key is absent) and
 * returns the new value, or undefined to write nothing. A write conditions on the node's
 * modifiedIndex (or on absence), so a concurrent change makes it fail with 101/105 and loop.
 * Returns the write's response, or undefined when `change` declined.
 */
export async function compareAndSwap(
  client: Pick<KvClient, 'get' | 'set'>,
  key: string,
  change: (current: KvNode | undefined) => string | undefined | Promise<string | undefined>,
  options: CompareAndSwapOptions = {},
): Promise<KvResponse | undefined> {
  const maxAttempts = options.maxAttempts ?? 10;
  const ttl = options.ttl === undefined ? {} : { ttl: options.ttl };
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    options.signal?.throwIfAborted();
    let current: KvNode | undefined;
    try {
      current = (await client.get(key, { quorum: true, signal: options.signal })).node;
    } catch (error) {
      if (!isKvError(error, EtcdErrorCode.keyNotFound)) throw error;
    }
    const next = await change(current);
    if (next === undefined) return undefined;
    try {
      return current === undefined
        ? await client.set(key, next, { ...ttl, prevExist: false, signal: options.signal })
        : await client.set(key, next, { ...ttl, prevIndex: current.modifiedIndex, signal: options.signal });
    } catch (error) {
      const lostRace = isKvError(error, EtcdErrorCode.testFailed) || isKvError(error, EtcdErrorCode.nodeExist) || isKvError(error, EtcdErrorCode.keyNotFound);
      if (!lostRace) throw error;
    }
  }
  throw new KvConflictError(key, maxAttempts);
}
