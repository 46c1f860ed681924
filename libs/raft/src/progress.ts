import { Inflights } from './inflights.js';
import type { ProgressState, ProgressStatus } from './types.js';

/**
 * The leader's view of one follower (etcd's tracker.Progress).
 * - probe: we do not know where the follower's log matches ours; send one append at a time and
 *   wait for its answer (or a heartbeat reply) before sending the next.
 * - replicate: the follower is known to match up to `match`; stream appends optimistically
 *   (advance `next` as we send) within the inflights window.
 * - snapshot: the entries the follower needs are compacted; a snapshot is on its way and nothing
 *   else is sent until the follower acknowledges it (or it times out, see snapshotElapsed).
 */
export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append is outstanding, wait before sending another. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** Leader ticks since the snapshot was sent; a lost snapshot must not stall the follower forever. */
  snapshotElapsed = 0;
  /** Heard from since the last checkQuorum round. */
  recentActive = false;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotElapsed = 0;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, the follower holds at least the snapshot: probe right after it.
    const from = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.resetState('probe');
    this.next = from;
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** A successful append response: returns false when it told us nothing new (stale or duplicate). */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** In replicate state we assume the append will succeed and move on. */
  optimisticUpdate(lastSent: number): void {
    this.next = lastSent + 1;
  }

  /**
   * A rejected append for prevIndex `rejected`; `matchHint` is the highest index that might
   * still match. Returns false for a stale rejection that must be ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // Only a rejection of something beyond what is known to match means we went too far.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In probe state only the answer to the append we are waiting for counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  toStatus(): ProgressStatus {
    return { match: this.match, next: this.next, state: this.state };
  }
}
