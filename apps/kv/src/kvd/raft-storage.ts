import { Level } from 'level';
import type { Entry, HardState, PersistedState, Snapshot } from '@minicore/raft';

/**
 * Where a member's Raft state lives on disk: one LevelDB holding the hard state (term, vote,
 * commit), the latest snapshot and the log entries after it. Every save is one synced batch, so
 * whatever Raft asked to persist in a Ready is on disk before kvd sends a message or answers a
 * client about it, and a crash mid-batch leaves the previous state whole (LevelDB's log is
 * atomic per batch). Saving a Ready at a time is also what groups writes: the proposals that
 * arrive while one batch syncs all go into the next.
 */
export class RaftStorage {
  #lastIndex = 0;
  private snapshotIndex = 0;
  /** Synced batches written and the time they took, for /metrics. */
  readonly syncs = { count: 0, seconds: 0, entries: 0 };

  /** The last log index on disk. */
  get lastIndex(): number {
    return this.#lastIndex;
  }

  private constructor(
    private readonly db: Level<string, string>,
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
    return new RaftStorage(db, location);
  }

  /** Reads everything Raft needs to resume exactly where it stopped; throws StorageError naming what is broken. */
  async load(): Promise<PersistedState | undefined> {
    const [hardStateText, snapshotText] = await this.db.getMany([KEY.hardState, KEY.snapshot]);
    if (hardStateText === undefined) {
      if (snapshotText !== undefined || (await this.db.keys({ gte: KEY.entryPrefix, lt: KEY.entryEnd, limit: 1 }).all()).length > 0) {
        throw new StorageError(this.location, 'has log entries or a snapshot but no hard state: the store is damaged');
      }
      return undefined;
    }
    const hardState = this.parse<HardState>(KEY.hardState, hardStateText);
    const snapshot = snapshotText === undefined ? undefined : this.parse<Snapshot>(KEY.snapshot, snapshotText);
    this.snapshotIndex = snapshot?.meta.index ?? 0;

    const entries: Entry[] = [];
    let expected = this.snapshotIndex + 1;
    for await (const [key, value] of this.db.iterator({ gt: entryKey(this.snapshotIndex), lt: KEY.entryEnd })) {
      const entry = this.parse<Entry>(key, value);
      if (entry.index !== expected) throw new StorageError(this.location, `log has a gap: expected entry ${expected}, found ${entry.index} (key ${key})`);
      entries.push(entry);
      expected += 1;
    }
    this.#lastIndex = entries.at(-1)?.index ?? this.snapshotIndex;
    if (hardState.commit > this.#lastIndex) {
      throw new StorageError(this.location, `hard state says entry ${hardState.commit} is committed but the log ends at ${this.#lastIndex}: entries were lost`);
    }
    return { hardState, entries, ...(snapshot ? { snapshot } : {}) };
  }

  /** Persists one Ready's worth of state in a single synced batch. */
  async save(update: { hardState?: HardState | undefined; entries: readonly Entry[]; snapshot?: Snapshot | undefined }): Promise<void> {
    const batch = this.db.batch();
    // A snapshot in a Ready came from the leader (InstallSnapshot): it replaces the whole log.
    if (update.snapshot) this.putSnapshot(batch, update.snapshot, { replaceLog: true });
    const first = update.entries[0];
    if (first) {
      // Raft may overwrite an uncommitted suffix with a leader's entries: drop what lies beyond.
      const last = update.entries.at(-1)!.index;
      for (let index = last + 1; index <= this.#lastIndex; index++) batch.del(entryKey(index));
      for (const entry of update.entries) batch.put(entryKey(entry.index), JSON.stringify(entry));
      this.#lastIndex = last;
    }
    if (update.hardState) batch.put(KEY.hardState, JSON.stringify(update.hardState));
    if (batch.length === 0) {
      await batch.close();
      return;
    }
    const started = performance.now();
    await batch.write({ sync: true });
    this.syncs.count += 1;
    this.syncs.seconds += (performance.now() - started) / 1000;
    this.syncs.entries += update.entries.length;
  }

  /** Compaction: keeps `snapshot` (taken by this member) as the base of the log and drops the entries it covers. */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const batch = this.db.batch();
    this.putSnapshot(batch, snapshot, { replaceLog: false });
    await batch.write({ sync: true });
  }

  private putSnapshot(batch: ReturnType<Level<string, string>['batch']>, snapshot: Snapshot, options: { replaceLog: boolean }): void {
    batch.put(KEY.snapshot, JSON.stringify(snapshot));
    const dropThrough = options.replaceLog ? this.#lastIndex : Math.min(snapshot.meta.index, this.#lastIndex);
    for (let index = this.snapshotIndex + 1; index <= dropThrough; index++) batch.del(entryKey(index));
    if (options.replaceLog || snapshot.meta.index > this.#lastIndex) this.#lastIndex = snapshot.meta.index;
    this.snapshotIndex = snapshot.meta.index;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private parse<T>(key: string, text: string): T {
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new StorageError(this.location, `record ${key} is corrupt (${(error as Error).message})`, { cause: error });
    }
  }
}

const KEY = {
  hardState: 'hardstate',
  snapshot: 'snapshot',
  entryPrefix: 'entry/',
  entryEnd: 'entry0', // '0' sorts right after '/'
} as const;

/** Zero-padded so that LevelDB's byte order is index order. */
function entryKey(index: number): string {
  return `${KEY.entryPrefix}${index.toString().padStart(16, '0')}`;
}

/** The data directory cannot be used as it is; the message says which file or record and why. */
export class StorageError extends Error {
  override name = 'StorageError';
  readonly code = 'KV_ERR_STORAGE';
  constructor(location: string, problem: string, options?: ErrorOptions) {
    super(`${location} ${problem}`, options);
  }
}
