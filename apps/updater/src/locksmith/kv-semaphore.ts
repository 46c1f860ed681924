import { compareAndSwap, EtcdErrorCode, isKvError, type KvClient } from '@minicore/kv-client';
import { initialSemaphore, lockSemaphore, parseSemaphore, rebootLockKey, serializeSemaphore, setSemaphoreMax, unlockSemaphore, type Semaphore } from './semaphore.js';

export interface SemaphoreState {
  semaphore: Semaphore;
  /** The node's modifiedIndex: what the next compare-and-swap conditions on. */
  index: number;
}

/**
 * The semaphore in kv, driven the way locksmith drives it: an idempotent create of the initial
 * value, then read-change-write conditioned on modifiedIndex (compare-and-swap), retried while
 * another machine's write wins the race.
 */
export class KvSemaphore {
  readonly key: string;

  constructor(
    private readonly kv: Pick<KvClient, 'get' | 'set' | 'create' | 'watch'>,
    group = '',
    private readonly maxAttempts = 10,
  ) {
    this.key = rebootLockKey(group);
  }

  /** `PUT …?prevExist=false` with the initial value; "key already exists" is the normal case. */
  async init(): Promise<void> {
    try {
      await this.kv.create(this.key, serializeSemaphore(initialSemaphore));
    } catch (error) {
      if (!isKvError(error, EtcdErrorCode.nodeExist)) throw error;
    }
  }

  async get(): Promise<SemaphoreState> {
    await this.init();
    const node = (await this.kv.get(this.key, { quorum: true })).node;
    return { semaphore: parseSemaphore(node.value ?? ''), index: node.modifiedIndex };
  }

  lock(holder: string): Promise<Semaphore> {
    return this.#change((s) => lockSemaphore(s, holder));
  }

  unlock(holder: string): Promise<Semaphore> {
    return this.#change((s) => unlockSemaphore(s, holder));
  }

  setMax(max: number): Promise<{ old: Semaphore; now: Semaphore }> {
    let old: Semaphore = initialSemaphore;
    return this.#change((s) => {
      old = s;
      return setSemaphoreMax(s, max);
    }).then((now) => ({ old, now }));
  }

  /** Resolves at the first change after `index` (or when `signal` aborts): lets a waiter retry at once instead of at its next backoff. */
  async waitForChange(index: number, signal: AbortSignal): Promise<void> {
    await this.kv.watch(this.key, { waitIndex: index + 1, signal }).catch(() => undefined);
  }

  async #change(rule: (s: Semaphore) => Semaphore): Promise<Semaphore> {
    await this.init();
    let written: Semaphore | undefined;
    await compareAndSwap(
      this.kv,
      this.key,
      (node) => {
        written = rule(node?.value === undefined ? initialSemaphore : parseSemaphore(node.value));
        return serializeSemaphore(written);
      },
      { maxAttempts: this.maxAttempts },
    );
    return written!;
  }
}
