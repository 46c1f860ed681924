import type { ConfChange, ConfState, Entry, NodeId } from './types.js';

/**
 * Single-server membership: a set of voters and the majority rules over it. A change takes
 * effect when the application applies its committed confChange entry (etcd's approach), so the
 * membership at any log position is the snapshot's conf folded with the confChange entries up to it.
 */
export class Membership {
  private readonly voterSet: Set<NodeId>;

  constructor(voters: Iterable<NodeId>) {
    this.voterSet = new Set(voters);
  }

  voters(): NodeId[] {
    return [...this.voterSet].sort();
  }

  has(id: NodeId): boolean {
    return this.voterSet.has(id);
  }

  size(): number {
    return this.voterSet.size;
  }

  quorum(): number {
    return Math.floor(this.voterSet.size / 2) + 1;
  }

  /** Applies one change; returns false when it changes nothing (re-applied after a restart). */
  apply(change: ConfChange): boolean {
    if (change.type === 'addNode') {
      if (this.voterSet.has(change.nodeId)) return false;
      this.voterSet.add(change.nodeId);
      return true;
    }
    return this.voterSet.delete(change.nodeId);
  }

  toConfState(): ConfState {
    return { voters: this.voters() };
  }

  /**
   * The highest index held by a majority of voters: sort the voters' match indexes descending
   * and take the quorum-th one. Voters without a known match count as 0.
   */
  committedIndex(matchOf: (id: NodeId) => number): number {
    if (this.voterSet.size === 0) return 0;
    const matches = [...this.voterSet].map(matchOf).sort((a, b) => b - a);
    return matches[this.quorum() - 1] ?? 0;
  }

  /** Outcome of an election given the votes received so far. */
  voteResult(votes: ReadonlyMap<NodeId, boolean>): 'won' | 'lost' | 'pending' {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voterSet) {
      const v = votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    const q = this.quorum();
    if (granted >= q) return 'won';
    if (rejected >= q || this.voterSet.size - rejected < q) return 'lost';
    return 'pending';
  }

  /** True when the voters in `ids` form a majority. */
  isQuorum(ids: Iterable<NodeId>): boolean {
    let n = 0;
    for (const id of ids) if (this.voterSet.has(id)) n++;
    return n >= this.quorum();
  }
}

export function parseConfChange(entry: Entry): ConfChange {
  const parsed = JSON.parse(entry.data) as Partial<ConfChange>;
  if ((parsed.type !== 'addNode' && parsed.type !== 'removeNode') || typeof parsed.nodeId !== 'string') {
    throw new Error(`entry ${entry.index} is not a valid confChange: ${entry.data}`);
  }
  return parsed as ConfChange;
}
