import { linkedController } from './abort.js';
import { EtcdErrorCode, isKvError, KvLeaseLostError } from './errors.js';
import type { KvClient } from './kv-client.js';
import { Lease } from './lease.js';
import { waitForRemoval } from './wait-for-removal.js';

export interface MutexOptions {
  /** Seconds a crashed holder keeps the lock. */
  ttl: number;
  /** Stored in the waiting key, so `ls` shows who holds or waits (e.g. `host:pid`). */
  value?: string;
  signal?: AbortSignal;
  /** Told the key this caller waits behind, each time it starts waiting. */
  onWait?: (predecessorKey: string) => void;
}

export interface MutexHold {
  /** Our in-order key under the lock's directory. */
  readonly key: string;
  readonly lease: Lease;
  /** Resolves if the lock is lost while held (the key expired or was removed). */
  readonly lost: Promise<KvLeaseLostError>;
  release(): Promise<void>;
}

type MutexClient = Pick<KvClient, 'get' | 'watch' | 'set' | 'createInOrder' | 'refresh' | 'delete'>;

/**
 * A fair distributed mutex (etcd's v2 lock recipe): queue an in-order key with a TTL under `dir`
 * and keep it alive; the lowest key holds the lock, and everyone else watches only the key just
 * before theirs, so a release wakes one waiter, not the herd. Abort the signal to stop waiting;
 * the queued key is removed then.
 */
export async function acquireMutex(client: MutexClient, dir: string, options: MutexOptions): Promise<MutexHold> {
  const lease = await Lease.createInOrder(client, dir, options.value ?? '', { ttl: options.ttl });
  const waiting = linkedController(options.signal);
  void lease.lost.then((error) => waiting.abort(error));
  try {
    for (;;) {
      waiting.signal.throwIfAborted();
      const listing = await client.get(dir, { sorted: true, quorum: true, signal: waiting.signal });
      const queue = (listing.node.nodes ?? []).filter((node) => !node.dir).map((node) => node.key).sort();
      const position = queue.indexOf(lease.key);
      if (position === -1) throw new KvLeaseLostError(lease.key);
      if (position === 0) {
        return { key: lease.key, lease, lost: lease.lost, release: () => lease.stop() };
      }
      const predecessor = queue[position - 1] as string;
      options.onWait?.(predecessor);
      try {
        await waitForRemoval(client, predecessor, listing.etcdIndex + 1, waiting.signal);
      } catch (error) {
        if (!isKvError(error, EtcdErrorCode.keyNotFound)) throw error;
      }
    }
  } catch (error) {
    await lease.stop().catch(() => undefined);
    throw error;
  } finally {
    waiting.dispose();
  }
}
