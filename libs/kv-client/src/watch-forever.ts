import { delay } from './abort.js';
import { EtcdErrorCode, isKvError, KvError, KvHttpError, KvTimeoutError, KvUnavailableError } from './errors.js';
import type { KvResponse } from './types.js';

export interface WatchForeverOptions {
  recursive?: boolean | undefined;
  /** Report changes after this index (etcdctl's --after-index); without it, from the next change. */
  afterIndex?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Give up after this many failed polls in a row (unreachable cluster, 5xx). Default 10. */
  maxConsecutiveFailures?: number | undefined;
  /** First retry delay, doubled up to 2 s. Default 100. */
  retryDelayMs?: number | undefined;
}

export type KvWatchItem =
  /** One change, in index order. */
  | { kind: 'change'; response: KvResponse }
  /**
   * etcd keeps the last 1000 events only: the events from `missedFrom` on were cleared (error 401),
   * so the key was read again (`snapshot`, undefined when it no longer exists) and the watch resumes
   * after `resumeAfter`. Whatever changed in between is only visible through the snapshot.
   */
  | { kind: 'resync'; missedFrom: number | undefined; resumeAfter: number; snapshot: KvResponse | undefined; cause: KvError };

/** What watchForever needs from a client: tests pass a double. */
export interface Watchable {
  watch(key: string, options: { recursive?: boolean; waitIndex?: number | undefined; signal?: AbortSignal | undefined }): Promise<KvResponse | undefined>;
  get(key: string, options: { recursive?: boolean; sorted?: boolean; quorum?: boolean; signal?: AbortSignal | undefined }): Promise<KvResponse>;
}

function isTransient(error: unknown): boolean {
  if (error instanceof KvUnavailableError || error instanceof KvTimeoutError) return true;
  return (error instanceof KvError || error instanceof KvHttpError) && error.statusCode >= 500;
}

/**
 * Follows a key change after change: each poll asks for the index after the last change seen,
 * so nothing between polls is lost. Ends quietly when `signal` aborts; throws on a non-transient
 * error, or after `maxConsecutiveFailures` transient ones.
 */
export async function* watchForever(client: Watchable, key: string, options: WatchForeverOptions = {}): AsyncGenerator<KvWatchItem, void, undefined> {
  const { signal } = options;
  const recursive = options.recursive ?? false;
  const maxFailures = options.maxConsecutiveFailures ?? 10;
  let retryDelay = options.retryDelayMs ?? 100;
  let waitIndex = options.afterIndex === undefined ? undefined : options.afterIndex + 1;
  let failures = 0;
  while (!signal?.aborted) {
    let response: KvResponse | undefined;
    try {
      response = await client.watch(key, { recursive, waitIndex, signal });
    } catch (error) {
      if (signal?.aborted) return;
      if (isKvError(error, EtcdErrorCode.eventIndexCleared)) {
        const { snapshot, index } = await readSnapshot(client, key, recursive, signal);
        yield { kind: 'resync', missedFrom: waitIndex, resumeAfter: index, snapshot, cause: error };
        waitIndex = index + 1;
        continue;
      }
      if (!isTransient(error) || ++failures >= maxFailures) throw error;
      await delay(retryDelay, signal);
      retryDelay = Math.min(retryDelay * 2, 2_000);
      continue;
    }
    if (response === undefined) {
      // An empty answer: the server closed the poll without an event. Ask again, but not in a hot loop.
      await delay(options.retryDelayMs ?? 100, signal);
      continue;
    }
    failures = 0;
    retryDelay = options.retryDelayMs ?? 100;
    waitIndex = response.node.modifiedIndex + 1;
    yield { kind: 'change', response };
  }
}

async function readSnapshot(client: Watchable, key: string, recursive: boolean, signal: AbortSignal | undefined): Promise<{ snapshot: KvResponse | undefined; index: number }> {
  try {
    const snapshot = await client.get(key, { recursive, sorted: true, quorum: true, signal });
    return { snapshot, index: snapshot.etcdIndex };
  } catch (error) {
    if (isKvError(error, EtcdErrorCode.keyNotFound)) return { snapshot: undefined, index: error.index };
    throw error;
  }
}
