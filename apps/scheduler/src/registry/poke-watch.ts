import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdErrorCode, isKvError, type KvClient } from '@minicore/kv-client';
import type { Logger } from '@minicore/log';

export interface PokeWatchOptions {
  key: string;
  /** Which changes deserve a reconcile (by changed key); all when absent. */
  relevant?: (key: string) => boolean;
  /**
   * The kv index the loop's last full read reflected. Events up to it are already acted on, so the
   * watch skips past them instead of fetching them one long poll at a time: a burst of thousands of
   * writes costs a handful of polls, not one per write (etcd's v2 watch answers one event per poll).
   */
  coveredIndex: () => number;
  poke: () => void;
  /**
   * Resolves when the woken loop has nothing left to run. The watch waits for it after each poke:
   * the loop's own writes (an engine placing thousands of units) would otherwise come back as
   * thousands of events fetched one poll at a time, all covered by the loop's next read anyway.
   */
  settled?: () => Promise<void>;
  signal: AbortSignal;
  logger: Logger;
}

/**
 * Wakes a reconcile loop on kv changes under `key`. Only the fact of a change matters (the loop
 * reads what it needs), which is what lets it skip events. Runs until `signal` aborts; kv outages
 * are retried with a growing pause, a cleared event window (etcd keeps 1000) just pokes and goes on.
 */
export async function watchForPokes(kv: Pick<KvClient, 'watch'>, options: PokeWatchOptions): Promise<void> {
  const { signal } = options;
  let waitIndex: number | undefined;
  let pause = 100;
  while (!signal.aborted) {
    const covered = options.coveredIndex();
    if (covered > 0 && (waitIndex === undefined || waitIndex <= covered)) waitIndex = covered + 1;
    try {
      const response = await kv.watch(options.key, { recursive: true, waitIndex, signal });
      pause = 100;
      if (response === undefined) {
        await sleep(100, undefined, { signal }).catch(() => undefined);
        continue;
      }
      waitIndex = response.node.modifiedIndex + 1;
      if (!options.relevant || options.relevant(response.node.key)) {
        options.poke();
        await options.settled?.();
      }
    } catch (error) {
      if (signal.aborted) return;
      if (isKvError(error, EtcdErrorCode.eventIndexCleared)) {
        waitIndex = error.index + 1;
        options.poke();
        continue;
      }
      options.logger.warn({ err: error, key: options.key }, 'kv watch failed; watching again');
      await sleep(pause, undefined, { signal }).catch(() => undefined);
      pause = Math.min(pause * 2, 2_000);
    }
  }
}
