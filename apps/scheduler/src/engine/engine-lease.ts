import { engineVersion, parseRecord, type EngineLeaseRecord } from '@minicore/fleet-api';
import { EtcdErrorCode, isKvError, type KvClient } from '@minicore/kv-client';

/**
 * fleet's engine leadership: one key with a TTL. The holder renews it with a compare-and-swap on
 * its last index (so a holder that lost it cannot renew someone else's), others create it only when
 * it is absent, and a clean shutdown deletes it (CAS again) so the next engine takes over at once.
 */
export class EngineLease {
  #index: number | undefined;

  constructor(
    private readonly kv: Pick<KvClient, 'get' | 'set' | 'create' | 'delete'>,
    private readonly key: string,
    private readonly machineId: string,
    private readonly ttl: number,
  ) {}

  get held(): boolean {
    return this.#index !== undefined;
  }

  #value(): string {
    return JSON.stringify({ MachineID: this.machineId, Version: engineVersion } satisfies EngineLeaseRecord);
  }

  /** Renews or acquires; true while this machine leads. */
  async claim(): Promise<boolean> {
    if (this.#index !== undefined) {
      try {
        this.#index = (await this.kv.set(this.key, this.#value(), { prevIndex: this.#index, ttl: this.ttl })).node.modifiedIndex;
        return true;
      } catch (error) {
        this.#index = undefined;
        if (!isKvError(error, EtcdErrorCode.testFailed) && !isKvError(error, EtcdErrorCode.keyNotFound)) throw error;
      }
    }
    try {
      const current = await this.kv.get(this.key, { quorum: true });
      // Our own lease from before a restart: take it back rather than wait for it to expire.
      if (parseRecord<EngineLeaseRecord>(current.node.value)?.MachineID !== this.machineId) return false;
      this.#index = (await this.kv.set(this.key, this.#value(), { prevIndex: current.node.modifiedIndex, ttl: this.ttl })).node.modifiedIndex;
      return true;
    } catch (error) {
      if (isKvError(error, EtcdErrorCode.testFailed)) return false;
      if (!isKvError(error, EtcdErrorCode.keyNotFound)) throw error;
    }
    try {
      this.#index = (await this.kv.create(this.key, this.#value(), { ttl: this.ttl })).node.modifiedIndex;
      return true;
    } catch (error) {
      if (isKvError(error, EtcdErrorCode.nodeExist)) return false;
      throw error;
    }
  }

  /** Gives leadership up if still held. */
  async release(): Promise<void> {
    const index = this.#index;
    this.#index = undefined;
    if (index === undefined) return;
    await this.kv.delete(this.key, { prevIndex: index }).catch((error: unknown) => {
      if (!isKvError(error, EtcdErrorCode.testFailed) && !isKvError(error, EtcdErrorCode.keyNotFound)) throw error;
    });
  }

  /** Who leads now, by machine id. */
  async holder(): Promise<string | undefined> {
    try {
      return parseRecord<EngineLeaseRecord>((await this.kv.get(this.key, { quorum: true })).node.value)?.MachineID;
    } catch (error) {
      if (isKvError(error, EtcdErrorCode.keyNotFound)) return undefined;
      throw error;
    }
  }
}
