import type { Logger } from '@minicore/log';
import type { Message, NodeId } from '@minicore/raft';

export interface PeerTransportOptions {
  selfId: NodeId;
  clusterId: string;
  logger: Logger;
  /** Raft retransmits what is lost; it only needs to hear that a peer did not answer. */
  onUnreachable: (peer: NodeId) => void;
  /** How long one POST may take before the peer counts as unreachable (ms). */
  timeoutMs: number;
}

interface PeerQueue {
  urls: string[];
  pending: Message[];
  inFlight: boolean;
  failures: number;
  stats: FollowerStats;
}

/** One follower as etcd's /v2/stats/leader shows it (latencies in ms). */
export interface FollowerStats {
  latency: { current: number; average: number; standardDeviation: number; minimum: number; maximum: number };
  counts: { fail: number; success: number };
}

function emptyStats(): FollowerStats {
  return { latency: { current: 0, average: 0, standardDeviation: 0, minimum: 0, maximum: 0 }, counts: { fail: 0, success: 0 } };
}

/** Running mean and deviation (Welford), so stats cost O(1) per request. */
function recordLatency(stats: FollowerStats, ms: number, sumOfSquares: Map<FollowerStats, number>): void {
  const { latency, counts } = stats;
  counts.success += 1;
  const delta = ms - latency.average;
  latency.average += delta / counts.success;
  const m2 = (sumOfSquares.get(stats) ?? 0) + delta * (ms - latency.average);
  sumOfSquares.set(stats, m2);
  latency.standardDeviation = Math.sqrt(m2 / counts.success);
  latency.current = ms;
  latency.minimum = counts.success === 1 ? ms : Math.min(latency.minimum, ms);
  latency.maximum = Math.max(latency.maximum, ms);
}

/** The path on the peer listener where members deliver Raft messages to each other. */
export const RAFT_MESSAGES_PATH = '/raft/messages';

/**
 * Delivers Raft messages between members over HTTP, as JSON arrays POSTed to each peer's
 * /raft/messages. One request per peer is in flight at a time; what Raft emits meanwhile queues
 * and goes in the next request, which is how heavy write load turns into large, few requests.
 */
export class PeerTransport {
  private readonly peers = new Map<NodeId, PeerQueue>();
  private readonly sumOfSquares = new Map<FollowerStats, number>();
  private stopped = false;
  /** Append messages sent, for /v2/stats/self. */
  appendsSent = 0;

  constructor(private readonly options: PeerTransportOptions) {}

  /** Sets who the peers are and where they listen; peers no longer listed are forgotten. */
  setPeers(peers: ReadonlyMap<NodeId, readonly string[]>): void {
    for (const id of this.peers.keys()) if (!peers.has(id)) this.peers.delete(id);
    for (const [id, urls] of peers) {
      if (id === this.options.selfId) continue;
      const queue = this.peers.get(id);
      if (queue) queue.urls = [...urls];
      else this.peers.set(id, { urls: [...urls], pending: [], inFlight: false, failures: 0, stats: emptyStats() });
    }
  }

  send(messages: readonly Message[]): void {
    if (this.stopped) return;
    for (const message of messages) {
      const queue = this.peers.get(message.to);
      if (!queue) continue; // a removed or unknown member: Raft will stop addressing it
      if (message.type === 'append') this.appendsSent += 1;
      queue.pending.push(message);
      if (!queue.inFlight) void this.flush(message.to, queue);
    }
  }

  private async flush(peer: NodeId, queue: PeerQueue): Promise<void> {
    while (queue.pending.length > 0 && !this.stopped) {
      const batch = queue.pending.splice(0);
      queue.inFlight = true;
      const url = queue.urls[queue.failures % queue.urls.length];
      const started = performance.now();
      try {
        const hasSnapshot = batch.some((message) => message.type === 'snapshot');
        const response = await fetch(`${url}${RAFT_MESSAGES_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-etcd-cluster-id': this.options.clusterId, 'x-server-from': this.options.selfId },
          body: JSON.stringify(batch),
          signal: AbortSignal.timeout(hasSnapshot ? 60_000 : this.options.timeoutMs),
        });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        recordLatency(queue.stats, performance.now() - started, this.sumOfSquares);
        if (queue.failures > 0) this.options.logger.info({ peer, url }, 'peer reachable again');
        queue.failures = 0;
      } catch (error) {
        if (queue.failures === 0) this.options.logger.warn({ peer, url, err: (error as Error).message }, 'peer unreachable');
        queue.failures += 1;
        queue.stats.counts.fail += 1;
        this.options.onUnreachable(peer);
      } finally {
        queue.inFlight = false;
      }
    }
  }

  /** Per-peer delivery statistics, keyed by member id. */
  followerStats(): Record<NodeId, FollowerStats> {
    return Object.fromEntries([...this.peers].map(([id, queue]) => [id, queue.stats]));
  }

  stop(): void {
    this.stopped = true;
    for (const queue of this.peers.values()) queue.pending.length = 0;
  }
}
