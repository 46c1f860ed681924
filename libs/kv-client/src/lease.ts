import { EtcdErrorCode, isKvError, KvInvalidArgumentError, KvLeaseLostError } from './errors.js';
import type { KvClient } from './kv-client.js';
import type { KvResponse } from './types.js';

export interface LeaseOptions {
  /** Seconds the key lives without a refresh. */
  ttl: number;
  /** How often to refresh; default a third of the TTL, so two refreshes may fail before it expires. */
  refreshEveryMs?: number | undefined;
  /** Told about each failed refresh that did not (yet) lose the key. */
  onRefreshError?: ((error: unknown) => void) | undefined;
}

type LeaseClient = Pick<KvClient, 'set' | 'createInOrder' | 'refresh' | 'delete'>;

/**
 * A key kept alive by refreshing its TTL on an interval until `stop()`: the building block of
 * presence keys, locks and leadership. If a refresh finds the key gone (it expired, or someone
 * removed it) or no refresh has worked for a whole TTL, `lost` resolves and refreshing stops.
 */
export class Lease {
  readonly key: string;
  readonly value: string;
  readonly createdIndex: number;
  /** Resolves (never rejects) with the reason once the key is lost; stays pending after a clean stop. */
  readonly lost: Promise<KvLeaseLostError>;
  #markLost!: (error: KvLeaseLostError) => void;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #isLost = false;
  #lastRefresh = Date.now();
  #inFlight: Promise<void> | undefined;
  readonly #controller = new AbortController();

  /** Keeps alive a key that `response` just wrote with a TTL. */
  constructor(
    private readonly client: LeaseClient,
    response: KvResponse,
    private readonly options: LeaseOptions,
  ) {
    if (!(options.ttl >= 1)) throw new KvInvalidArgumentError(`a lease needs a TTL of at least 1 s, got ${options.ttl}`);
    this.key = response.node.key;
    this.value = response.node.value ?? '';
    this.createdIndex = response.node.createdIndex;
    this.lost = new Promise((resolve) => (this.#markLost = resolve));
    this.#schedule();
  }

  /** Sets `key` with the TTL (`prevExist: false` to create it only if absent) and keeps it alive. */
  static async set(client: LeaseClient, key: string, value: string, options: LeaseOptions & { prevExist?: boolean }): Promise<Lease> {
    const response = await client.set(key, value, { ttl: options.ttl, ...(options.prevExist === undefined ? {} : { prevExist: options.prevExist }) });
    return new Lease(client, response, options);
  }

  /** Creates an in-order key under `dir` with the TTL and keeps it alive. */
  static async createInOrder(client: LeaseClient, dir: string, value: string, options: LeaseOptions): Promise<Lease> {
    return new Lease(client, await client.createInOrder(dir, value, { ttl: options.ttl }), options);
  }

  get isLost(): boolean {
    return this.#isLost;
  }

  /** Stops refreshing; with `remove` (the default) deletes the key if it still holds our value. */
  async stop(options: { remove?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#controller.abort();
    await this.#inFlight;
    if ((options.remove ?? true) && !this.#isLost) {
      try {
        await this.client.delete(this.key, { prevValue: this.value });
      } catch (error) {
        // Already expired, or someone else's value now: either way it is not ours to remove.
        if (!isKvError(error, EtcdErrorCode.keyNotFound) && !isKvError(error, EtcdErrorCode.testFailed)) throw error;
      }
    }
  }

  #schedule(): void {
    if (this.#stopped || this.#isLost) return;
    const every = this.options.refreshEveryMs ?? Math.max(200, (this.options.ttl * 1000) / 3);
    this.#timer = setTimeout(() => {
      this.#inFlight = this.#refresh().finally(() => this.#schedule());
    }, every);
  }

  async #refresh(): Promise<void> {
    try {
      await this.client.refresh(this.key, this.options.ttl, { signal: this.#controller.signal });
      this.#lastRefresh = Date.now();
    } catch (error) {
      if (this.#stopped) return;
      if (isKvError(error, EtcdErrorCode.keyNotFound) || Date.now() - this.#lastRefresh > this.options.ttl * 1000) {
        this.#isLost = true;
        this.#markLost(new KvLeaseLostError(this.key, { cause: error }));
        return;
      }
      this.options.onRefreshError?.(error);
    }
  }
}

/** Runs `work` while `key` is kept alive with a TTL, then removes the key (also when `work` throws). */
export async function withTtlRefresh<T>(client: LeaseClient, key: string, value: string, options: LeaseOptions, work: (lease: Lease) => Promise<T>): Promise<T> {
  const lease = await Lease.set(client, key, value, options);
  try {
    return await work(lease);
  } finally {
    await lease.stop();
  }
}
