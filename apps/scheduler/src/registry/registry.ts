import {
  bytesToHash,
  hashToBytes,
  isDesiredState,
  parseRecord,
  schedulerKeys,
  type DesiredState,
  type JobObjectRecord,
  type MachineRecord,
  type SchedulerKeys,
  type UnitBlobRecord,
  type UnitStateRecord,
} from '@minicore/fleet-api';
import { EtcdErrorCode, isKvError, type KvClient, type KvNode } from '@minicore/kv-client';
import { fleetRequirements, parseUnitFile, serializeUnitFile, unitHash, type UnitOption } from '@minicore/unit-file';
import { machineFromRecord, type ClusterMachine, type ClusterSnapshot, type ClusterUnit, type ClusterUnitState } from './model.js';

function lastSegment(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

function isMissing(error: unknown): boolean {
  return isKvError(error, EtcdErrorCode.keyNotFound);
}

/**
 * Everything the scheduler keeps in kv, read and written through one class, in fleet's key
 * layout. Unit texts are content-addressed and never change, so they are cached forever.
 */
export class Registry {
  readonly keys: SchedulerKeys;
  readonly #blobs = new Map<string, UnitOption[]>();

  constructor(
    readonly kv: KvClient,
    prefix?: string,
  ) {
    this.keys = schedulerKeys(prefix);
  }

  async #tree(key: string): Promise<KvNode[]> {
    try {
      return (await this.kv.get(key, { recursive: true, sorted: true })).node.nodes ?? [];
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async #options(hash: string): Promise<UnitOption[] | undefined> {
    const cached = this.#blobs.get(hash);
    if (cached) return cached;
    try {
      const blob = parseRecord<UnitBlobRecord>((await this.kv.get(this.keys.unitBlob(hash))).node.value);
      if (!blob) return undefined;
      const options = parseUnitFile(blob.Raw);
      this.#blobs.set(hash, options);
      return options;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async #unitFromNode(node: KvNode): Promise<ClusterUnit | undefined> {
    const name = lastSegment(node.key);
    const fields = new Map((node.nodes ?? []).map((child) => [lastSegment(child.key), child.value]));
    const object = parseRecord<JobObjectRecord>(fields.get('object'));
    const desired = fields.get('target-state');
    if (!object || !Array.isArray(object.UnitHash) || !isDesiredState(desired)) return undefined;
    const hash = bytesToHash(object.UnitHash);
    const options = await this.#options(hash);
    if (!options) return undefined;
    return {
      name,
      hash,
      options,
      desiredState: desired,
      target: fields.get('target') || undefined,
      jobState: fields.get('job-state') || undefined,
      requirements: fleetRequirements(options, name),
    };
  }

  async units(): Promise<Map<string, ClusterUnit>> {
    const units = new Map<string, ClusterUnit>();
    for (const node of await this.#tree(this.keys.jobs)) {
      const unit = await this.#unitFromNode(node);
      if (unit) units.set(unit.name, unit);
    }
    return units;
  }

  async unit(name: string): Promise<ClusterUnit | undefined> {
    try {
      return await this.#unitFromNode((await this.kv.get(this.keys.job(name), { recursive: true })).node);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async machines(): Promise<Map<string, ClusterMachine>> {
    const machines = new Map<string, ClusterMachine>();
    for (const node of await this.#tree(this.keys.machines)) {
      const object = node.nodes?.find((child) => lastSegment(child.key) === 'object');
      const record = parseRecord<MachineRecord>(object?.value);
      if (record?.ID) machines.set(record.ID, machineFromRecord(record));
    }
    return machines;
  }

  async states(): Promise<ClusterUnitState[]> {
    const states: ClusterUnitState[] = [];
    for (const unitNode of await this.#tree(this.keys.states)) {
      for (const machineNode of unitNode.nodes ?? []) {
        const record = parseRecord<UnitStateRecord>(machineNode.value);
        if (record) states.push({ name: lastSegment(unitNode.key), machineId: lastSegment(machineNode.key), record });
      }
    }
    return states.sort((a, b) => (a.name === b.name ? cmp(a.machineId, b.machineId) : cmp(a.name, b.name)));
  }

  async snapshot(parts: { states?: boolean } = {}): Promise<ClusterSnapshot> {
    const [units, machines, states] = await Promise.all([this.units(), this.machines(), parts.states === false ? [] : this.states()]);
    return { units, machines, states };
  }

  /** Creates or replaces a unit: its text by hash, its object, its desired state. */
  async putUnit(name: string, options: UnitOption[], desiredState: DesiredState): Promise<void> {
    const hash = unitHash(options);
    try {
      await this.kv.create(this.keys.unitBlob(hash), JSON.stringify({ Raw: serializeUnitFile(options) } satisfies UnitBlobRecord));
    } catch (error) {
      if (!isKvError(error, EtcdErrorCode.nodeExist)) throw error;
    }
    this.#blobs.set(hash, options);
    await this.kv.set(this.keys.jobObject(name), JSON.stringify({ Name: name, UnitHash: hashToBytes(hash) } satisfies JobObjectRecord));
    await this.kv.set(this.keys.targetState(name), desiredState);
  }

  async setDesiredState(name: string, desiredState: DesiredState): Promise<void> {
    await this.kv.set(this.keys.targetState(name), desiredState);
  }

  /** Removes the unit (not its content-addressed text, which others may share). */
  async deleteUnit(name: string): Promise<boolean> {
    try {
      await this.kv.delete(this.keys.job(name), { recursive: true });
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /** The engine's placement: only if nobody placed the unit meanwhile. */
  async schedule(name: string, machineId: string): Promise<void> {
    await this.kv.create(this.keys.target(name), machineId);
  }

  /** Takes the unit off `machineId`, only if it is still placed there. */
  async unschedule(name: string, machineId: string): Promise<void> {
    try {
      await this.kv.delete(this.keys.target(name), { prevValue: machineId });
    } catch (error) {
      if (!isMissing(error) && !isKvError(error, EtcdErrorCode.testFailed)) throw error;
    }
  }

  async registerMachine(record: MachineRecord, ttl: number): Promise<void> {
    await this.kv.set(this.keys.machineObject(record.ID), JSON.stringify(record), { ttl });
  }

  async publishState(name: string, machineId: string, record: UnitStateRecord, ttl: number): Promise<void> {
    await this.kv.set(this.keys.unitState(name, machineId), JSON.stringify(record), { ttl });
  }

  async removeState(name: string, machineId: string): Promise<void> {
    await this.kv.delete(this.keys.unitState(name, machineId)).catch(ignoreMissing);
  }

  async heartbeatJob(name: string, machineId: string, ttl: number): Promise<void> {
    await this.kv.set(this.keys.jobState(name), machineId, { ttl });
  }

  async clearJobState(name: string, machineId: string): Promise<void> {
    await this.kv.delete(this.keys.jobState(name), { prevValue: machineId }).catch(ignoreMissing);
  }
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error) && !isKvError(error, EtcdErrorCode.testFailed)) throw error;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
