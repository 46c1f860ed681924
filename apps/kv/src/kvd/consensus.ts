import type { Logger } from '@minicore/log';
import type { ConfChange, Entry, Message, RaftNode, Ready, SoftState } from '@minicore/raft';
import type { RaftStorage } from './raft-storage.js';

/** What the replicated state machine does with committed entries; the consensus driver knows nothing of keys. */
export interface StateMachine {
  /** Applies one committed normal entry (its data already parsed) and returns the result for the member that proposed it. */
  apply(entry: Entry, proposal: Proposal<unknown>): unknown;
  /** Applies a committed membership change (after Raft itself has taken it in). */
  applyConfChange(change: ConfChange, index: number): void;
  /** The whole state as a string, for a Raft snapshot. */
  snapshot(): string;
  restore(image: string): void;
}

export interface ConsensusOptions {
  raft: RaftNode;
  storage: RaftStorage;
  stateMachine: StateMachine;
  send: (messages: Message[]) => void;
  logger: Logger;
  /** Take a snapshot and compact the log every this many applied entries. */
  snapshotCount: number;
  onSoftState?: (state: SoftState) => void;
  /** The state machine was replaced by a snapshot from the leader. */
  onRestored?: () => void;
  /** The loop failed (a sync or an apply threw): this member's state is unknown and it must stop. */
  onFatal?: (error: Error) => void;
}

/** Proposals that never reached Raft because this member stopped leading first: they were not written, so they may be retried. */
export class ProposalsDroppedError extends Error {
  override name = 'ProposalsDroppedError';
}

/** The entry kvd proposes: the request id lets the proposing member match the result to its waiter. */
export interface Proposal<C> {
  id: string;
  command: C;
}

/**
 * Drives a Raft core: feeds it ticks and messages, and processes its Ready batches strictly in
 * order: persist (one synced batch), then send, then apply, then advance. Proposals resolve when
 * their entry is applied on this member, so a client that wrote through a member reads its write
 * there afterwards.
 */
export class Consensus {
  private running = false;
  private pendingRun = false;
  /** Proposals waiting for the end of this event-loop turn (see propose). */
  private proposals: string[] = [];
  private proposalIds: (string | undefined)[] = [];
  private readonly waiters = new Map<string, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  private readonly readWaiters = new Map<string, { index: number | null; resolve: () => void; reject: (error: Error) => void }>();
  private appliedIndex = 0;
  /** The term last written to disk: messages of that term may leave before the next sync. */
  private persistedTerm: number;
  /** The last log index on this member's disk. */
  private persistedLastIndex: number;
  private snapshotIndex = 0;
  private stopped = false;
  private failure: Error | undefined;

  constructor(private readonly options: ConsensusOptions) {
    this.persistedTerm = options.raft.status().term;
    this.persistedLastIndex = options.storage.lastIndex;
  }

  get applied(): number {
    return this.appliedIndex;
  }

  /** Restores the applied position after the state machine was loaded from a snapshot at `index`. */
  setApplied(index: number): void {
    this.appliedIndex = index;
    this.snapshotIndex = index;
  }

  tick(): void {
    this.options.raft.tick();
    this.schedule();
  }

  reportUnreachable(peer: string): void {
    this.options.raft.reportUnreachable(peer);
    this.schedule();
  }

  /** Resolves once the Ready being processed (if any) is done, e.g. before closing storage. */
  async idle(): Promise<void> {
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  step(message: Message): void {
    this.options.raft.step(message);
    this.schedule();
  }

  /** Registers a waiter for the proposal's result; the caller then gets the entry committed (propose locally or via the leader). */
  waitFor(id: string): Promise<unknown> {
    return new Promise((resolve, reject) => this.waiters.set(id, { resolve, reject }));
  }

  cancel(id: string, error: Error): void {
    this.waiters.get(id)?.reject(error);
    this.waiters.delete(id);
    const read = this.readWaiters.get(id);
    if (read) {
      this.readWaiters.delete(id);
      read.reject(error);
    }
  }

  /**
   * Proposes on this member's Raft (throws NotLeaderError on a follower). Proposals made in the
   * same turn of the event loop (the requests one socket read brought) go to Raft together, so
   * each follower gets one append for the group and answers it once. `id` is the proposal's
   * waiter, failed if the group cannot be proposed after all (leadership lost meanwhile).
   */
  propose(data: string, id?: string): void {
    this.options.raft.assertCanPropose();
    this.proposals.push(data);
    this.proposalIds.push(id);
    if (this.proposals.length === 1) setImmediate(() => this.flushProposals());
  }

  private flushProposals(): void {
    const data = this.proposals;
    const ids = this.proposalIds;
    this.proposals = [];
    this.proposalIds = [];
    if (data.length === 0 || this.stopped) return;
    try {
      this.options.raft.proposeMany(data);
    } catch (error) {
      // Nothing of the group was appended: its writers may safely try again.
      const reason = error instanceof Error ? error : new Error(String(error));
      this.options.logger.warn({ err: reason.message, proposals: data.length }, 'proposals dropped: leadership changed before they reached Raft');
      for (const id of ids) if (id !== undefined) this.cancel(id, new ProposalsDroppedError(reason.message));
      return;
    }
    this.schedule();
  }

  proposeConfChange(change: ConfChange): void {
    this.options.raft.proposeConfChange(change);
    this.schedule();
  }

  /** Linearizable read barrier (ReadIndex): resolves once this member has applied everything committed before the call. */
  readBarrier(id: string): Promise<void> {
    // Ask first: readIndex throws NotLeaderError when no leader is known, and then no waiter may be left behind.
    this.options.raft.readIndex(id);
    const done = new Promise<void>((resolve, reject) => this.readWaiters.set(id, { index: null, resolve, reject }));
    this.schedule();
    return done;
  }

  /** Fails every pending read (Raft drops them when leadership changes); callers retry on the new leader. */
  failPendingReads(error: Error): void {
    for (const [id, waiter] of this.readWaiters) {
      this.readWaiters.delete(id);
      waiter.reject(error);
    }
  }

  schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pendingRun = true;
      return;
    }
    this.running = true;
    setImmediate(() => void this.run());
  }

  private async run(): Promise<void> {
    try {
      do {
        this.pendingRun = false;
        while (!this.stopped && this.options.raft.hasReady()) await this.handle(this.options.raft.ready());
      } while (this.pendingRun && !this.stopped);
    } catch (error) {
      // A failed fsync or apply leaves this member's state unknown: stop rather than risk acknowledging lost writes.
      this.failure = error as Error;
      this.options.logger.fatal({ err: error }, 'consensus loop failed; this member stops serving');
      this.stop(this.failure);
      this.options.onFatal?.(this.failure);
    } finally {
      this.running = false;
    }
  }

  private async handle(ready: Ready): Promise<void> {
    if (ready.softState) this.options.onSoftState?.(ready.softState);
    // The leader replicates while it writes its own disk (Raft thesis §10.2.1): its appends go out
    // before its sync. Everything else (votes, answers to the leader) waits for the disk, as Raft
    // requires.
    const termUnchanged = ready.hardState === undefined || ready.hardState.term === this.persistedTerm;
    const early = termUnchanged ? ready.messages.filter((message) => message.type === 'append' || message.type === 'heartbeat') : [];
    if (early.length > 0) this.options.send(early);

    // Committed entries already on this member's disk are applied (and their clients answered)
    // now, not after the sync of this Ready's new entries: that would add a whole sync to every
    // write. Entries this Ready brings to disk wait for the sync, because a leader counts its own
    // copy towards the quorum that committed them.
    let next = 0;
    if (!ready.snapshot) {
      while (next < ready.committedEntries.length && ready.committedEntries[next]!.index <= this.persistedLastIndex) this.applyEntry(ready.committedEntries[next++]!);
      this.noteReadStates(ready);
      this.settleReads();
    }

    await this.options.storage.save({ hardState: ready.hardState, entries: ready.entries, snapshot: ready.snapshot });
    if (ready.hardState) this.persistedTerm = ready.hardState.term;
    if (ready.snapshot) this.persistedLastIndex = ready.snapshot.meta.index;
    const lastNew = ready.entries.at(-1);
    if (lastNew) this.persistedLastIndex = lastNew.index;

    if (ready.snapshot && ready.snapshot.meta.index > this.appliedIndex) {
      this.options.stateMachine.restore(ready.snapshot.data);
      this.options.onRestored?.();
      this.appliedIndex = ready.snapshot.meta.index;
      this.snapshotIndex = ready.snapshot.meta.index;
    }
    const late = early.length > 0 ? ready.messages.filter((message) => message.type !== 'append' && message.type !== 'heartbeat') : ready.messages;
    if (late.length > 0) this.options.send(late);
    for (; next < ready.committedEntries.length; next++) this.applyEntry(ready.committedEntries[next]!);
    this.noteReadStates(ready);
    this.options.raft.advance(ready);
    this.settleReads();
    await this.maybeSnapshot();
  }

  private noteReadStates(ready: Ready): void {
    for (const state of ready.readStates) {
      const waiter = this.readWaiters.get(state.requestId);
      if (waiter) waiter.index = state.index;
    }
  }

  private applyEntry(entry: Entry): void {
    if (entry.index <= this.appliedIndex) return;
    if (entry.type === 'confChange') {
      const change = JSON.parse(entry.data) as ConfChange;
      this.options.raft.applyConfChange(change);
      this.options.stateMachine.applyConfChange(change, entry.index);
    } else if (entry.data !== '') {
      const proposal = JSON.parse(entry.data) as Proposal<unknown>;
      const result = this.options.stateMachine.apply(entry, proposal);
      const waiter = this.waiters.get(proposal.id);
      if (waiter) {
        this.waiters.delete(proposal.id);
        waiter.resolve(result);
      }
    }
    this.appliedIndex = entry.index;
  }

  private settleReads(): void {
    for (const [id, waiter] of this.readWaiters) {
      if (waiter.index !== null && waiter.index <= this.appliedIndex) {
        this.readWaiters.delete(id);
        waiter.resolve();
      }
    }
  }

  private async maybeSnapshot(): Promise<void> {
    if (this.appliedIndex - this.snapshotIndex < this.options.snapshotCount) return;
    const image = this.options.stateMachine.snapshot();
    const snapshot = this.options.raft.compact(this.appliedIndex, image);
    await this.options.storage.saveSnapshot(snapshot);
    this.snapshotIndex = snapshot.meta.index;
    this.options.logger.info({ index: snapshot.meta.index, bytes: image.length }, 'snapshot taken');
  }

  stop(error = new Error('kvd is stopping')): void {
    this.stopped = true;
    for (const id of [...this.waiters.keys(), ...this.readWaiters.keys()]) this.cancel(id, error);
  }

  get failed(): Error | undefined {
    return this.failure;
  }
}
