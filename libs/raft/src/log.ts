import { InvalidConfigError } from './errors.js';
import type { Entry, Snapshot } from './types.js';

/**
 * The raft log as this node knows it: a snapshot (everything up to `snapshotIndex`, compacted)
 * followed by the entries after it. All entries are kept in memory; the ones from `unstableFrom`
 * on have not been persisted by the application yet, which is what Ready.entries carries.
 * Raft never reads the disk itself: the application hands back what it persisted on restart.
 */
export class RaftLog {
  /** Latest snapshot (from compact(), from the leader, or loaded on restart). */
  private snapshot: Snapshot | undefined;
  private snapshotIndex = 0;
  private snapshotTerm = 0;
  /** entries[i].index === snapshotIndex + 1 + i */
  private entries: Entry[] = [];
  /** First index not yet handed to the application for persistence and acknowledged. */
  private unstableFrom = 1;
  /** Snapshot received from the leader that the application has not persisted yet. */
  private pendingSnapshot: Snapshot | undefined;

  committed = 0;
  /** Highest index the application has applied (acknowledged through advance). */
  applied = 0;
  /** Highest index handed out in a Ready's committedEntries (may be ahead of applied until advance). */
  applying = 0;

  /** Rebuilds the log from what the application persisted; entries at or below the snapshot are ignored. */
  static restore(snapshot: Snapshot | undefined, entries: Entry[], commit: number, applied: number | undefined): RaftLog {
    const log = new RaftLog();
    if (snapshot !== undefined) {
      log.snapshot = snapshot;
      log.snapshotIndex = snapshot.meta.index;
      log.snapshotTerm = snapshot.meta.term;
    }
    let expected = log.snapshotIndex + 1;
    for (const e of entries) {
      if (e.index <= log.snapshotIndex) continue;
      if (e.index !== expected) throw new InvalidConfigError(`persisted entries are not contiguous: expected index ${expected}, got ${e.index}`);
      log.entries.push({ ...e });
      expected++;
    }
    log.unstableFrom = log.lastIndex() + 1;
    if (commit > log.lastIndex()) throw new InvalidConfigError(`persisted commit ${commit} is beyond the last persisted index ${log.lastIndex()}`);
    log.committed = Math.max(commit, log.snapshotIndex);
    const start = Math.min(Math.max(applied ?? log.snapshotIndex, log.snapshotIndex), log.committed);
    log.applied = start;
    log.applying = start;
    return log;
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  getSnapshot(): Snapshot | undefined {
    return this.snapshot;
  }

  getSnapshotIndex(): number {
    return this.snapshotIndex;
  }

  /** Term of the entry at `index`; undefined when it was compacted away or does not exist yet. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]?.term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.snapshotIndex) return undefined;
    return this.entries[index - this.snapshotIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft's "at least as up-to-date" rule (§5.4.1): compare last terms, then last indexes. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi) but at most `maxCount`; undefined when lo was compacted (send a snapshot instead). */
  slice(lo: number, hi: number, maxCount: number): Entry[] | undefined {
    if (lo <= this.snapshotIndex) return undefined;
    const end = Math.min(hi, this.lastIndex() + 1, lo + maxCount);
    if (end <= lo) return [];
    return this.entries.slice(lo - this.snapshotIndex - 1, end - this.snapshotIndex - 1);
  }

  /**
   * Follower side of AppendEntries: if our log has (prevIndex, prevTerm), append `entries`,
   * truncating only from the first conflicting entry (a stale, reordered append must never
   * cut off entries we already acknowledged). Returns the last index now known to match the
   * leader, or undefined when the consistency check fails.
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, entries: Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new Error(`raft invariant broken: entry ${conflict} conflicts with committed entry (commit ${this.committed})`);
      }
      const first = entries[0];
      if (first === undefined) throw new Error('unreachable: conflict in empty entries');
      this.append(entries.slice(conflict - first.index));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** Index of the first entry whose term differs from ours (or that we lack); 0 if all match. */
  private findConflict(entries: Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, and its term. Used on both sides of a
   * rejected append to skip every entry of a term the other side cannot have.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (; i >= this.snapshotIndex; i--) {
      const t = this.term(i);
      if (t === undefined) break;
      if (t <= term) return { index: i, term: t };
    }
    // Below the snapshot we know nothing: let the other side probe from there.
    return { index: Math.max(i, 0), term: 0 };
  }

  /** Appends entries, replacing any existing ones from entries[0].index on. */
  append(entries: Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index <= this.committed) {
      throw new Error(`raft invariant broken: overwriting committed index ${first.index} (commit ${this.committed})`);
    }
    if (first.index > this.lastIndex() + 1) {
      throw new Error(`raft invariant broken: gap appending ${first.index} after ${this.lastIndex()}`);
    }
    this.entries.length = first.index - this.snapshotIndex - 1;
    for (const e of entries) this.entries.push({ ...e });
    this.unstableFrom = Math.min(this.unstableFrom, first.index);
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) {
      throw new Error(`raft invariant broken: commit ${index} is beyond the last index ${this.lastIndex()}`);
    }
    this.committed = index;
    return true;
  }

  unstableEntries(): Entry[] {
    if (this.unstableFrom > this.lastIndex()) return [];
    return this.entries.slice(this.unstableFrom - this.snapshotIndex - 1);
  }

  unstableSnapshot(): Snapshot | undefined {
    return this.pendingSnapshot;
  }

  /** The application persisted entries up to (index, term); ignored if the log changed meanwhile. */
  stableTo(index: number, term: number): void {
    if (index >= this.unstableFrom && this.matchTerm(index, term)) this.unstableFrom = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.pendingSnapshot?.meta.index === index) this.pendingSnapshot = undefined;
  }

  /** Committed entries not yet handed out for applying. */
  nextCommittedEntries(): Entry[] {
    const lo = Math.max(this.applying, this.snapshotIndex) + 1;
    if (lo > this.committed) return [];
    return this.entries.slice(lo - this.snapshotIndex - 1, this.committed - this.snapshotIndex);
  }

  hasNextCommittedEntries(): boolean {
    return Math.max(this.applying, this.snapshotIndex) < this.committed;
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
    if (index > this.applying) this.applying = index;
  }

  /**
   * Installs a snapshot from the leader. When our log already holds the snapshot's last entry
   * the snapshot is redundant: just fast-forward the commit index and keep our entries.
   */
  restoreSnapshot(snapshot: Snapshot): boolean {
    const { index, term } = snapshot.meta;
    if (index <= this.committed) return false;
    if (this.matchTerm(index, term)) {
      this.commitTo(index);
      return false;
    }
    this.snapshot = snapshot;
    this.pendingSnapshot = snapshot;
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.entries = [];
    this.unstableFrom = index + 1;
    this.committed = index;
    return true;
  }

  /** The application took a snapshot at `snapshot.meta.index`: drop the entries it covers. */
  compact(snapshot: Snapshot): void {
    const index = snapshot.meta.index;
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshot = snapshot;
    this.snapshotIndex = index;
    this.snapshotTerm = snapshot.meta.term;
    this.unstableFrom = Math.max(this.unstableFrom, index + 1);
  }
}
