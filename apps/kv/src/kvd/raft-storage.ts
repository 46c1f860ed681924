import path from 'node:path';
import { Level } from 'level';
import type { Entry, HardState, PersistedState, Snapshot } from '@minicore/raft';
import { WalError, WriteAheadLog, type WalRecord } from './wal.js';

/**
 * Where a member's Raft state lives on disk: the log entries and the hard state (term, vote,
 * commit) in a write-ahead log (`wal/` beside `location`, see WriteAheadLog), and the latest
 * snapshot in a LevelDB at `location`, which also holds the directory's lock. Every save of a
 * Ready is one write and one fdatasync, done before kvd sends a message or answers a client
 * about it; the proposals that arrive meanwhile all go into the next save, which is what groups
 * writes.
 *
 * Data directories written before the WAL existed kept entries and hard state in the LevelDB
 * too; load() moves them into the WAL once.
 */
export class RaftStorage {
  #lastIndex = 0;
  private snapshotIndex = 0;
  /** The hard state last written: a save that changes only its commit index needs no sync. */
  private persistedHardState: HardState | undefined;
  /** Synced batches written and the time they took, for /metrics. */
  readonly syncs = { count: 0, seconds: 0, entries: 0 };

  /** The last log index on disk. */
  get lastIndex(): number {
    return this.#lastIndex;
  }

  private constructor(
    private readonly db: Level<string, string>,
    private readonly wal: WriteAheadLog,
    readonly location: string,
  ) {}

  static async open(location: string): Promise<RaftStorage> {
    const db = new Level<string, string>(location, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    try {
      await db.open();
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') throw new StorageError(location, 'is in use by another kvd process (LevelDB lock held)', { cause: error });
      throw new StorageError(location, `cannot be opened: ${cause?.message ?? (error as Error).message}`, { cause: error });
    }
    // The LevelDB lock, taken above, also guards the WAL: one process per data directory.
    return new RaftStorage(db, WriteAheadLog.open(walDirectory(location)), location);
  }

  /** Reads everything Raft needs to resume exactly where it stopped; throws StorageError naming what is broken. */
  async load(): Promise<PersistedState | undefined> {
    const snapshotText = await this.db.get(KEY.snapshot);
    const snapshot = snapshotText === undefined ? undefined : this.parse<Snapshot>(KEY.snapshot, snapshotText);
    this.snapshotIndex = snapshot?.meta.index ?? 0;

    let records;
    try {
      records = this.wal.read();
    } catch (error) {
      if (error instanceof WalError) throw new StorageError(this.wal.dir, error.message.replace(`${this.wal.dir}/`, 'segment '), { cause: error });
      throw error;
    }
    if (records.length === 0) {
      const migrated = await this.migrateFromLevel();
      if (migrated) records = migrated.map((record) => ({ record, segment: 0 }));
    } else {
      await this.dropLevelLog();
    }

    let hardState: HardState | undefined;
    let entries: Entry[] = [];
    let unbackedMark = false;
    for (const { record } of records) {
      if (record.kind === 'hardState') hardState = record.value as HardState;
      else if (record.kind === 'snapshot') {
        // A mark beyond the stored snapshot: the crash came between the two, so the log it would
        // replace still stands, and the commit index saved with the mark may lie past its end.
        if (record.value.index <= this.snapshotIndex) entries = [];
        else unbackedMark = true;
      } else {
        const entry = record.value as Entry;
        const first = entries[0];
        // A leader overwrote an uncommitted suffix: the later record wins from its index on.
        if (first && entry.index <= (entries.at(-1) as Entry).index) entries.length = Math.max(0, entry.index - first.index);
        const last = entries.at(-1);
        if (last && entry.index !== last.index + 1) throw new StorageError(this.wal.dir, `log has a gap: expected entry ${last.index + 1}, found ${entry.index}`);
        entries.push(entry);
      }
    }
    if (hardState === undefined) {
      if (snapshot !== undefined || entries.length > 0) throw new StorageError(this.location, 'has log entries or a snapshot but no hard state: the store is damaged');
      return undefined;
    }
    entries = entries.filter((entry) => entry.index > this.snapshotIndex);
    const expected = this.snapshotIndex + 1;
    if (entries[0] && entries[0].index !== expected) throw new StorageError(this.wal.dir, `log has a gap: expected entry ${expected}, found ${entries[0].index}`);
    this.#lastIndex = entries.at(-1)?.index ?? this.snapshotIndex;
    // The commit index need not be durable (the leader tells it again); term and vote are kept.
    if (unbackedMark && hardState.commit > this.#lastIndex) hardState = { ...hardState, commit: this.#lastIndex };
    if (hardState.commit > this.#lastIndex) {
      throw new StorageError(this.location, `hard state says entry ${hardState.commit} is committed but the log ends at ${this.#lastIndex}: entries were lost`);
    }
    this.persistedHardState = hardState;
    return { hardState, entries, ...(snapshot ? { snapshot } : {}) };
  }

  /** Persists one Ready's worth of state: synced before it returns (except a change of the commit index alone). */
  async save(update: { hardState?: HardState | undefined; entries: readonly Entry[]; snapshot?: Snapshot | undefined }): Promise<void> {
    const started = performance.now();
    const records: WalRecord[] = [];
    if (update.hardState) records.push({ kind: 'hardState', value: update.hardState });
    if (update.snapshot) {
      // A snapshot from the leader (InstallSnapshot) replaces the whole log. Its mark goes first,
      // in a segment of its own, then the image; a crash between the two leaves the old log.
      const { index, term } = update.snapshot.meta;
      this.wal.startSegment();
      this.wal.write([...records.splice(0), { kind: 'snapshot', value: { index, term } }]);
      if (update.hardState) this.persistedHardState = update.hardState;
      await this.putSnapshot(update.snapshot);
      this.#lastIndex = index;
      this.wal.supersedeOlderSegments();
      this.wal.dropThrough(index);
    }
    for (const entry of update.entries) records.push({ kind: 'entry', value: entry });
    const last = update.entries.at(-1);
    // Raft may overwrite an uncommitted suffix with a leader's entries: the reader drops what lies beyond.
    if (last) this.#lastIndex = last.index;
    if (records.length === 0) return;
    // As etcd: a change of the commit index alone is written but not synced. It need not survive a
    // crash (the leader tells it again), and a sync for it would cost every write one more on each member.
    const mustSync = update.entries.length > 0 || (update.hardState !== undefined && (update.hardState.term !== this.persistedHardState?.term || update.hardState.vote !== this.persistedHardState.vote));
    if (update.hardState) this.persistedHardState = update.hardState;
    this.wal.write(records, mustSync);
    if (!mustSync) return;
    this.syncs.count += 1;
    this.syncs.seconds += (performance.now() - started) / 1000;
    this.syncs.entries += update.entries.length;
  }

  /** Compaction: keeps `snapshot` (taken by this member) as the base of the log and drops the WAL segments it covers. */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    await this.putSnapshot(snapshot);
    if (snapshot.meta.index > this.#lastIndex) this.#lastIndex = snapshot.meta.index;
    this.wal.dropThrough(snapshot.meta.index);
  }

  private async putSnapshot(snapshot: Snapshot): Promise<void> {
    await this.db.put(KEY.snapshot, JSON.stringify(snapshot), { sync: true });
    this.snapshotIndex = snapshot.meta.index;
  }

  async close(): Promise<void> {
    this.wal.close();
    await this.db.close();
  }

  /**
   * A data directory from before the WAL: its hard state and entries, written into the WAL (synced)
   * and then removed from the LevelDB. Crashing in between is harmless: a WAL with records wins.
   */
  private async migrateFromLevel(): Promise<WalRecord[] | undefined> {
    const hardStateText = await this.db.get(LEGACY.hardState);
    if (hardStateText === undefined) return undefined;
    const records: WalRecord[] = [{ kind: 'hardState', value: this.parse<HardState>(LEGACY.hardState, hardStateText) }];
    let expected = this.snapshotIndex + 1;
    for await (const [key, value] of this.db.iterator({ gt: legacyEntryKey(this.snapshotIndex), lt: LEGACY.entryEnd })) {
      const entry = this.parse<Entry>(key, value);
      if (entry.index !== expected) throw new StorageError(this.location, `log has a gap: expected entry ${expected}, found ${entry.index} (key ${key})`);
      records.push({ kind: 'entry', value: entry });
      expected += 1;
    }
    this.wal.write(records);
    await this.dropLevelLog();
    return records;
  }

  /** Removes the pre-WAL hard state and entries from the LevelDB, if any are left. */
  private async dropLevelLog(): Promise<void> {
    const keys: string[] = await this.db.keys({ gte: LEGACY.entryPrefix, lt: LEGACY.entryEnd }).all();
    if ((await this.db.get(LEGACY.hardState)) !== undefined) keys.push(LEGACY.hardState);
    if (keys.length > 0) await this.db.batch(keys.map((key) => ({ type: 'del' as const, key })), { sync: true });
  }

  private parse<T>(key: string, text: string): T {
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new StorageError(this.location, `record ${key} is corrupt (${(error as Error).message})`, { cause: error });
    }
  }
}

/** The WAL sits beside the LevelDB: <data-dir>/raft and <data-dir>/wal. */
function walDirectory(location: string): string {
  return path.join(path.dirname(location), 'wal');
}

const KEY = { snapshot: 'snapshot' } as const;

/** Where data directories from before the WAL kept the log, in the LevelDB. */
const LEGACY = {
  hardState: 'hardstate',
  entryPrefix: 'entry/',
  entryEnd: 'entry0', // '0' sorts right after '/'
} as const;

/** Zero-padded so that LevelDB's byte order is index order. */
function legacyEntryKey(index: number): string {
  return `${LEGACY.entryPrefix}${index.toString().padStart(16, '0')}`;
}

/** The data directory cannot be used as it is; the message says which file or record and why. */
export class StorageError extends Error {
  override name = 'StorageError';
  readonly code = 'KV_ERR_STORAGE';
  constructor(location: string, problem: string, options?: ErrorOptions) {
    super(`${location} ${problem}`, options);
  }
}
