import { Level } from 'level';
import { InstanceStatus, instanceStatusName } from '@minicore/omaha';
import type { ActivityEntry, ApplicationRecord, ChannelRecord, GroupRecord, HistoryEntry, InstanceRecord, PackageRecord } from '../api/types.js';
import { GroupCounters } from './group-counters.js';

/**
 * update-server's state. Applications, packages, channels, groups and instances are held in memory
 * (the grant decision and its accounting happen in one synchronous step, so two check-ins cannot
 * both take the last slot of a period) and written through to LevelDB; status history and activity
 * are append-only and read from disk.
 *
 * Key layout (one place): `app/<appId>`, `package/<appId>/<version>`, `channel/<appId>/<name>`,
 * `group/<appId>/<name>`, `instance/<appId>/<machineId>`, `history/<appId>/<machineId>/<seq>`,
 * `activity/<seq>`; seq is a zero-padded counter that survives restarts.
 */
type Stored = ApplicationRecord | PackageRecord | ChannelRecord | GroupRecord | InstanceRecord | HistoryEntry | ActivityEntry;

const key = (...parts: string[]) => parts.join('/');
const SEQ_WIDTH = 16;

export class ServerStore {
  readonly apps = new Map<string, ApplicationRecord>();
  readonly packages = new Map<string, PackageRecord>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly groups = new Map<string, GroupRecord>();
  readonly instances = new Map<string, InstanceRecord>();
  /** The rollout policy's figures per group, following every stored instance (rebuilt at open). */
  readonly counters = new GroupCounters();
  #seq = 0;
  #pending: { type: 'put'; key: string; value: Stored }[] = [];
  #flushing: Promise<void> | undefined;

  private constructor(private readonly db: Level<string, Stored>) {}

  static async open(dir: string): Promise<ServerStore> {
    const db = new Level<string, Stored>(dir, { valueEncoding: 'json' });
    await db.open();
    const store = new ServerStore(db);
    for await (const [k, value] of db.iterator()) {
      const [kind] = k.split('/', 1);
      const rest = k.slice((kind?.length ?? 0) + 1);
      if (kind === 'app') store.apps.set(rest, value as ApplicationRecord);
      else if (kind === 'package') store.packages.set(rest, value as PackageRecord);
      else if (kind === 'channel') store.channels.set(rest, value as ChannelRecord);
      else if (kind === 'group') store.groups.set(rest, value as GroupRecord);
      else if (kind === 'instance') {
        store.instances.set(rest, value as InstanceRecord);
        store.counters.track(value as InstanceRecord);
      }
      if (kind === 'history' || kind === 'activity') store.#seq = Math.max(store.#seq, Number(k.slice(-SEQ_WIDTH)));
    }
    return store;
  }

  /** Queues a write; `flush()` (awaited by every handler) commits the queue as one batch. */
  #put(k: string, value: Stored): void {
    this.#pending.push({ type: 'put', key: k, value: structuredClone(value) });
  }

  async flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#flushing) {
      if (this.#flushing) {
        await this.#flushing;
        continue;
      }
      const batch = this.#pending;
      this.#pending = [];
      this.#flushing = this.db.batch(batch).finally(() => (this.#flushing = undefined));
    }
  }

  #nextSeq(): string {
    this.#seq += 1;
    return String(this.#seq).padStart(SEQ_WIDTH, '0');
  }

  putApp(app: ApplicationRecord): void {
    this.apps.set(app.id, app);
    this.#put(key('app', app.id), app);
  }

  putPackage(pkg: PackageRecord): void {
    this.packages.set(key(pkg.appId, pkg.version), pkg);
    this.#put(key('package', pkg.appId, pkg.version), pkg);
  }

  getPackage(appId: string, version: string): PackageRecord | undefined {
    return this.packages.get(key(appId, version));
  }

  putChannel(channel: ChannelRecord): void {
    this.channels.set(key(channel.appId, channel.name), channel);
    this.#put(key('channel', channel.appId, channel.name), channel);
  }

  getChannel(appId: string, name: string): ChannelRecord | undefined {
    return this.channels.get(key(appId, name));
  }

  putGroup(group: GroupRecord): void {
    this.groups.set(key(group.appId, group.name), group);
    this.#put(key('group', group.appId, group.name), group);
  }

  getGroup(appId: string, name: string): GroupRecord | undefined {
    return this.groups.get(key(appId, name));
  }

  groupByTrack(appId: string, track: string): GroupRecord | undefined {
    for (const group of this.groups.values()) if (group.appId === appId && group.track === track) return group;
    return undefined;
  }

  getInstance(appId: string, machineId: string): InstanceRecord | undefined {
    return this.instances.get(key(appId, machineId));
  }

  /** Stores the instance; a changed status also appends to its history. */
  putInstance(instance: InstanceRecord, previousStatus: number | undefined, at: string, errorCode?: number, errorName?: string): void {
    instance.statusName = instanceStatusName(instance.status) ?? 'Undefined';
    this.instances.set(key(instance.appId, instance.machineId), instance);
    this.counters.track(instance);
    this.#put(key('instance', instance.appId, instance.machineId), instance);
    if (previousStatus !== instance.status) {
      const entry: HistoryEntry = { at, status: instance.status, statusName: instance.statusName, version: instance.lastUpdateVersion ?? instance.version };
      if (errorCode !== undefined) entry.errorCode = errorCode;
      if (errorName !== undefined) entry.errorName = errorName;
      this.#put(key('history', instance.appId, instance.machineId, this.#nextSeq()), entry);
    }
  }

  appInstances(appId: string): InstanceRecord[] {
    return [...this.instances.values()].filter((instance) => instance.appId === appId);
  }

  async history(appId: string, machineId: string): Promise<HistoryEntry[]> {
    const prefix = `${key('history', appId, machineId)}/`;
    const entries: HistoryEntry[] = [];
    for await (const value of this.db.values({ gt: prefix, lt: `${prefix}\xff` })) entries.push(value as HistoryEntry);
    return entries;
  }

  addActivity(entry: ActivityEntry): void {
    this.#put(key('activity', this.#nextSeq()), entry);
  }

  async activity(limit: number): Promise<ActivityEntry[]> {
    const entries: ActivityEntry[] = [];
    for await (const value of this.db.values({ gt: 'activity/', lt: 'activity/\xff', reverse: true, limit })) entries.push(value as ActivityEntry);
    return entries;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.db.close();
  }
}

export function newInstance(appId: string, machineId: string): InstanceRecord {
  return {
    appId,
    machineId,
    ip: '',
    version: '',
    track: '',
    group: null,
    status: InstanceStatus.Undefined,
    statusName: 'Undefined',
    lastCheck: new Date(0).toISOString(),
    lastUpdateGrantedAt: null,
    lastUpdateVersion: null,
    updateInProgress: false,
    bootId: '',
    oem: '',
    alephVersion: '',
    lastErrorCode: null,
  };
}
