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
import { fleetRequirements, parseUnitFile, serializeUnitFile, unitHash, type FleetRequirements, type UnitOption } from '@minicore/unit-file';
import { inParallel } from './in-parallel.js';
import { leaderFirst } from './leader-first.js';
import type { MachineLoadFields } from './machine-load.js';
import { machineFromRecord, type ClusterMachine, type ClusterSnapshot, type ClusterUnit, type ClusterUnitState } from './model.js';
import { decodeSchedule, machineScheduleKey, scheduleRoot } from './schedule-index.js';

function lastSegment(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Above this many unknown unit texts, one recursive read of them all beats one read each. */
const bulkBlobThreshold = 16;

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
  /** `[X-Fleet]` requirements by name and hash: specifiers depend on the name, the rest on the text. */
  readonly #requirements = new Map<string, FleetRequirements>();

  /** Where writes go: `kv`, or the same cluster leader first (`preferLeaderForWrites`). */
  #writer: KvClient;

  constructor(
    readonly kv: KvClient,
    prefix?: string,
    /**
     * Read folders with quorum=true: a reader that decides from what it wrote moments before (the
     * engine) must not see a member lagging behind its own writes.
     */
    private readonly consistentReads = false,
  ) {
    this.keys = schedulerKeys(prefix);
    this.#writer = kv;
  }

  /** Sends this registry's writes to the current Raft leader first (for a writer of bursts: the engine). */
  async preferLeaderForWrites(): Promise<void> {
    this.#writer = await leaderFirst(this.kv);
  }

  async #tree(key: string): Promise<KvNode[]> {
    return (await this.#treeAt(key)).nodes;
  }

  /** A folder's children, recursively, with the kv index the read reflects. */
  async #treeAt(key: string): Promise<{ nodes: KvNode[]; index: number }> {
    try {
      const response = await this.kv.get(key, { recursive: true, sorted: true, ...(this.consistentReads ? { quorum: true } : {}) });
      return { nodes: response.node.nodes ?? [], index: response.etcdIndex };
    } catch (error) {
      if (isMissing(error)) return { nodes: [], index: (error as { index?: number }).index ?? 0 };
      throw error;
    }
  }

  /** Makes sure the texts of `hashes` are cached: one by one when few are missing, else the whole `unit/` folder at once. */
  async #loadBlobs(hashes: Iterable<string>): Promise<void> {
    const missing = [...new Set(hashes)].filter((hash) => !this.#blobs.has(hash));
    if (missing.length === 0) return;
    if (missing.length <= bulkBlobThreshold) {
      await inParallel(missing, 8, async (hash) => void (await this.#options(hash)));
      return;
    }
    for (const node of await this.#tree(`${this.keys.prefix}/unit`)) {
      const hash = lastSegment(node.key);
      if (this.#blobs.has(hash)) continue;
      const blob = parseRecord<UnitBlobRecord>(node.value);
      if (blob) this.#blobs.set(hash, parseUnitFile(blob.Raw));
    }
  }

  #requirementsOf(name: string, hash: string, options: UnitOption[]): FleetRequirements {
    const key = `${name}\0${hash}`;
    let requirements = this.#requirements.get(key);
    if (!requirements) {
      requirements = fleetRequirements(options, name);
      this.#requirements.set(key, requirements);
    }
    return requirements;
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

  /** A `job/<unit>` folder's fields, and its hash when the object is readable. */
  #jobFields(node: KvNode): { name: string; fields: Map<string, string | undefined>; hash: string | undefined } {
    const fields = new Map((node.nodes ?? []).map((child) => [lastSegment(child.key), child.value]));
    const object = parseRecord<JobObjectRecord>(fields.get('object'));
    return { name: lastSegment(node.key), fields, hash: object && Array.isArray(object.UnitHash) ? bytesToHash(object.UnitHash) : undefined };
  }

  /** The unit from its folder, once its text is cached (`#loadBlobs`). */
  #unitFromJob(job: { name: string; fields: Map<string, string | undefined>; hash: string | undefined }): ClusterUnit | undefined {
    const desired = job.fields.get('target-state');
    if (job.hash === undefined || !isDesiredState(desired)) return undefined;
    const options = this.#blobs.get(job.hash);
    if (!options) return undefined;
    return {
      name: job.name,
      hash: job.hash,
      options,
      desiredState: desired,
      target: job.fields.get('target') || undefined,
      jobState: job.fields.get('job-state') || undefined,
      requirements: this.#requirementsOf(job.name, job.hash, options),
    };
  }

  async units(): Promise<Map<string, ClusterUnit>> {
    return (await this.unitsAt()).units;
  }

  /** Every unit, with the kv index the read reflects (a watch can resume after it). */
  async unitsAt(): Promise<{ units: Map<string, ClusterUnit>; index: number }> {
    const { nodes, index } = await this.#treeAt(this.keys.jobs);
    const jobs = nodes.map((node) => this.#jobFields(node));
    await this.#loadBlobs(jobs.flatMap((job) => (job.hash === undefined ? [] : [job.hash])));
    const units = new Map<string, ClusterUnit>();
    for (const job of jobs) {
      const unit = this.#unitFromJob(job);
      if (unit) units.set(unit.name, unit);
    }
    return { units, index };
  }

  async unit(name: string): Promise<ClusterUnit | undefined> {
    try {
      const job = this.#jobFields((await this.kv.get(this.keys.job(name), { recursive: true })).node);
      if (job.hash !== undefined) await this.#loadBlobs([job.hash]);
      return this.#unitFromJob(job);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** The units the engine assigned to `machineId` (see schedule-index.ts), with their texts, and the kv index of the read. */
  async machineSchedule(machineId: string): Promise<{ units: ClusterUnit[]; index: number }> {
    let text: string | undefined;
    let index: number;
    try {
      const response = await this.kv.get(machineScheduleKey(this.keys.prefix, machineId));
      text = response.node.value;
      index = response.etcdIndex;
    } catch (error) {
      if (!isMissing(error)) throw error;
      index = (error as { index?: number }).index ?? 0;
    }
    const entries = decodeSchedule(text);
    await this.#loadBlobs(entries.map((entry) => entry.hash));
    const units: ClusterUnit[] = [];
    for (const entry of entries) {
      const options = this.#blobs.get(entry.hash);
      if (!options) continue;
      const requirements = this.#requirementsOf(entry.name, entry.hash, options);
      units.push({ name: entry.name, hash: entry.hash, options, desiredState: entry.desiredState, target: requirements.global ? undefined : machineId, jobState: undefined, requirements });
    }
    return { units, index };
  }

  /** The whole index as stored: machine → encoded list (compare with `encodeSchedule`). */
  async scheduleIndex(): Promise<Map<string, string>> {
    const index = new Map<string, string>();
    for (const node of await this.#tree(scheduleRoot(this.keys.prefix))) if (node.value !== undefined) index.set(lastSegment(node.key), node.value);
    return index;
  }

  async putMachineSchedule(machineId: string, encoded: string): Promise<void> {
    await this.#writer.set(machineScheduleKey(this.keys.prefix, machineId), encoded);
  }

  /** Drops a gone machine's list. */
  async deleteMachineSchedule(machineId: string): Promise<void> {
    await this.#writer.delete(machineScheduleKey(this.keys.prefix, machineId)).catch(ignoreMissing);
  }

  /** The key an agent watches for its own assignments. */
  machineScheduleKey(machineId: string): string {
    return machineScheduleKey(this.keys.prefix, machineId);
  }

  async machines(): Promise<Map<string, ClusterMachine>> {
    const machines = new Map<string, ClusterMachine>();
    for (const node of await this.#tree(this.keys.machines)) {
      const object = node.nodes?.find((child) => lastSegment(child.key) === 'object');
      const record = parseRecord<MachineRecord & MachineLoadFields>(object?.value);
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
    // Texts are content-addressed and never deleted: one this registry wrote or read is there already.
    if (!this.#blobs.has(hash)) {
      try {
        await this.#writer.create(this.keys.unitBlob(hash), JSON.stringify({ Raw: serializeUnitFile(options) } satisfies UnitBlobRecord));
      } catch (error) {
        if (!isKvError(error, EtcdErrorCode.nodeExist)) throw error;
      }
      this.#blobs.set(hash, options);
    }
    await this.#writer.set(this.keys.jobObject(name), JSON.stringify({ Name: name, UnitHash: hashToBytes(hash) } satisfies JobObjectRecord));
    await this.#writer.set(this.keys.targetState(name), desiredState);
  }

  async setDesiredState(name: string, desiredState: DesiredState): Promise<void> {
    await this.#writer.set(this.keys.targetState(name), desiredState);
  }

  /** Removes the unit (not its content-addressed text, which others may share). */
  async deleteUnit(name: string): Promise<boolean> {
    try {
      await this.#writer.delete(this.keys.job(name), { recursive: true });
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /** The engine's placement: only if nobody placed the unit meanwhile. */
  async schedule(name: string, machineId: string): Promise<void> {
    await this.#writer.create(this.keys.target(name), machineId);
  }

  /** Takes the unit off `machineId`, only if it is still placed there. */
  async unschedule(name: string, machineId: string): Promise<void> {
    try {
      await this.#writer.delete(this.keys.target(name), { prevValue: machineId });
    } catch (error) {
      if (!isMissing(error) && !isKvError(error, EtcdErrorCode.testFailed)) throw error;
    }
  }

  async registerMachine(record: MachineRecord & MachineLoadFields, ttl: number): Promise<void> {
    await this.#writer.set(this.keys.machineObject(record.ID), JSON.stringify(record), { ttl });
  }

  async publishState(name: string, machineId: string, record: UnitStateRecord, ttl: number): Promise<void> {
    await this.#writer.set(this.keys.unitState(name, machineId), JSON.stringify(record), { ttl });
  }

  async removeState(name: string, machineId: string): Promise<void> {
    await this.#writer.delete(this.keys.unitState(name, machineId)).catch(ignoreMissing);
  }

  /**
   * Extends a published state's TTL without rewriting it (etcd's refresh: no watch event, so the
   * engine is not woken by every heartbeat). False when the key expired meanwhile: publish again.
   */
  async refreshState(name: string, machineId: string, ttl: number): Promise<boolean> {
    return refreshed(this.#writer.refresh(this.keys.unitState(name, machineId), ttl));
  }

  async refreshJobState(name: string, ttl: number): Promise<boolean> {
    return refreshed(this.#writer.refresh(this.keys.jobState(name), ttl));
  }

  async heartbeatJob(name: string, machineId: string, ttl: number): Promise<void> {
    await this.#writer.set(this.keys.jobState(name), machineId, { ttl });
  }

  async clearJobState(name: string, machineId: string): Promise<void> {
    await this.#writer.delete(this.keys.jobState(name), { prevValue: machineId }).catch(ignoreMissing);
  }
}

async function refreshed(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error) && !isKvError(error, EtcdErrorCode.testFailed)) throw error;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
