import type { NodeId } from './types.js';

/** One ReadIndex request waiting for a heartbeat quorum. `from` is null for a local request. */
export interface ReadRequest {
  requestId: string;
  index: number;
  from: NodeId | null;
  acks: Set<NodeId>;
}

/**
 * ReadIndex bookkeeping on the leader (Raft thesis §6.4). A read is registered with the commit
 * index at the time it arrives; it becomes safe once a quorum answered a heartbeat sent after
 * that, which proves no newer leader existed when the index was recorded. Requests are
 * confirmed in arrival order: an ack for a later request confirms every earlier one too.
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadRequest>();
  private readonly queue: string[] = [];

  has(requestId: string): boolean {
    return this.pending.has(requestId);
  }

  add(requestId: string, index: number, from: NodeId | null, self: NodeId): void {
    if (this.pending.has(requestId)) return;
    this.pending.set(requestId, { requestId, index, from, acks: new Set([self]) });
    this.queue.push(requestId);
  }

  /** Records a heartbeat ack; returns who has acked the request so far (undefined if unknown). */
  recvAck(requestId: string, from: NodeId): ReadonlySet<NodeId> | undefined {
    const req = this.pending.get(requestId);
    if (req === undefined) return undefined;
    req.acks.add(from);
    return req.acks;
  }

  /** Removes and returns every request up to and including `requestId`. */
  advance(requestId: string): ReadRequest[] {
    const at = this.queue.indexOf(requestId);
    if (at < 0) return [];
    const done = this.queue.splice(0, at + 1);
    const out: ReadRequest[] = [];
    for (const id of done) {
      const req = this.pending.get(id);
      this.pending.delete(id);
      if (req !== undefined) out.push(req);
    }
    return out;
  }

  /** The newest request: regular heartbeats carry it so a lost heartbeat round is retried. */
  lastRequestId(): string | undefined {
    return this.queue[this.queue.length - 1];
  }

  reset(): void {
    this.pending.clear();
    this.queue.length = 0;
  }
}
