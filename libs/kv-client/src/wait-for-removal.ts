import { delay } from './abort.js';
import { EtcdErrorCode, isKvError } from './errors.js';
import type { KvClient } from './kv-client.js';

const removals = new Set(['delete', 'expire', 'compareAndDelete']);

/**
 * Resolves once `key` is removed (deleted or expired) at or after `fromIndex`, or already gone.
 * Rejects with the signal's reason on abort.
 */
export async function waitForRemoval(client: Pick<KvClient, 'watch' | 'get'>, key: string, fromIndex: number, signal?: AbortSignal): Promise<void> {
  let waitIndex = fromIndex;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const event = await client.watch(key, { waitIndex, signal });
      if (event === undefined) {
        await delay(100, signal);
        continue;
      }
      if (removals.has(event.action)) return;
      waitIndex = event.node.modifiedIndex + 1;
    } catch (error) {
      if (!isKvError(error, EtcdErrorCode.eventIndexCleared)) throw error;
      // History cleared while we were away: look at the key itself.
      try {
        waitIndex = (await client.get(key, { quorum: true, signal })).etcdIndex + 1;
      } catch (readError) {
        if (isKvError(readError, EtcdErrorCode.keyNotFound)) return;
        throw readError;
      }
    }
  }
}
