import { linkedController } from './abort.js';
import { EtcdErrorCode, isKvError, type KvLeaseLostError } from './errors.js';
import type { KvClient } from './kv-client.js';
import { Lease } from './lease.js';
import { waitForRemoval } from './wait-for-removal.js';
import { watchForever } from './watch-forever.js';

export interface CampaignOptions {
  /** Seconds a crashed leader keeps leadership. */
  ttl: number;
  signal?: AbortSignal;
}

export interface Leadership {
  readonly key: string;
  readonly value: string;
  /** Resolves if leadership is lost (the key expired or was taken away). */
  readonly lost: Promise<KvLeaseLostError>;
  /** Gives leadership up: removes the key if it still holds our value. */
  resign(): Promise<void>;
}

type ElectionClient = Pick<KvClient, 'get' | 'watch' | 'set' | 'createInOrder' | 'refresh' | 'delete'>;

/**
 * Campaigns for the election at `key` and resolves once this candidate leads: the leader is whoever
 * created the key (prevExist=false) and keeps refreshing its TTL. Losers wait for the key to be
 * removed or to expire, then try again. Abort the signal to stop campaigning.
 */
export async function campaign(client: ElectionClient, key: string, value: string, options: CampaignOptions): Promise<Leadership> {
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const lease = await Lease.set(client, key, value, { ttl: options.ttl, prevExist: false });
      return { key: lease.key, value, lost: lease.lost, resign: () => lease.stop() };
    } catch (error) {
      if (!isKvError(error, EtcdErrorCode.nodeExist)) throw error;
      await waitForRemoval(client, key, error.index + 1, options.signal);
    }
  }
}

/**
 * The leader's value now and after each change (undefined while nobody leads), without repeats.
 * Ends when the signal aborts.
 */
export async function* observeLeader(client: Pick<KvClient, 'get' | 'watch'>, key: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<string | undefined, void, undefined> {
  const { signal } = options;
  let current: string | undefined;
  let afterIndex: number;
  try {
    const response = await client.get(key, { quorum: true, signal });
    current = response.node.value;
    afterIndex = response.etcdIndex;
  } catch (error) {
    if (signal?.aborted) return;
    if (!isKvError(error, EtcdErrorCode.keyNotFound)) throw error;
    afterIndex = error.index;
  }
  yield current;
  const stop = linkedController(signal);
  try {
    for await (const item of watchForever(client, key, { afterIndex, signal: stop.signal, maxConsecutiveFailures: Number.POSITIVE_INFINITY })) {
      const next = item.kind === 'resync' ? item.snapshot?.node.value : ['delete', 'expire', 'compareAndDelete'].includes(item.response.action) ? undefined : item.response.node.value;
      if (next !== current) {
        current = next;
        yield current;
      }
    }
  } finally {
    stop.dispose();
  }
}
