import { request as httpRequest, type ClientRequest } from 'node:http';
import type { Logger } from '@minicore/log';
import type { Message, NodeId } from '@minicore/raft';

export interface PeerTransportOptions {
  selfId: NodeId;
  clusterId: string;
  logger: Logger;
  /** Raft retransmits what is lost; it only needs to hear that a peer did not answer. */
  onUnreachable: (peer: NodeId) => void;
  /** A peer answered 410: this member was removed from the cluster. */
  onRemoved: () => void;
  /** How long to wait before dialing a peer again after a failure (ms). */
  redialMs: number;
}

/** One follower as etcd's /v2/stats/leader shows it (latencies in ms, from heartbeat round trips). */
export interface FollowerStats {
  latency: { current: number; average: number; standardDeviation: number; minimum: number; maximum: number };
  counts: { fail: number; success: number };
}

/** The path on the peer listener that takes a member's stream of Raft messages. */
export const RAFT_STREAM_PATH = '/raft/stream';

/** A stream that cannot drain this much (a paused or wedged peer) is cut, and the peer counted unreachable. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

interface Peer {
  urls: string[];
  stream: ClientRequest | undefined;
  /** Messages of this tick, written as one line at the end of it. */
  pending: Message[];
  failures: number;
  lastFailure: number;
  heartbeatSentAt: number | undefined;
  stats: FollowerStats;
  /** Heartbeat round trips measured, and the running sum of squared deviations (Welford). */
  samples: number;
  sumOfSquares: number;
}

/**
 * Delivers Raft messages between members as etcd does: one long-lived HTTP request per peer
 * (POST /raft/stream) whose body is a stream of lines, each a JSON array of the messages one tick
 * produced. No request/response round trip per batch, order kept, and a broken stream is
 * redialled on the next message after a short pause.
 */
export class PeerTransport {
  private readonly peers = new Map<NodeId, Peer>();
  private flushScheduled = false;
  private stopped = false;
  /** Append messages sent, for /v2/stats/self. */
  appendsSent = 0;

  constructor(private readonly options: PeerTransportOptions) {}

  /** Sets who the peers are and where they listen; peers no longer listed are forgotten. */
  setPeers(peers: ReadonlyMap<NodeId, readonly string[]>): void {
    for (const [id, peer] of this.peers) {
      if (!peers.has(id)) {
        peer.stream?.destroy();
        this.peers.delete(id);
      }
    }
    for (const [id, urls] of peers) {
      if (id === this.options.selfId) continue;
      const peer = this.peers.get(id);
      if (!peer) {
        this.peers.set(id, { urls: [...urls], stream: undefined, pending: [], failures: 0, lastFailure: 0, heartbeatSentAt: undefined, stats: emptyStats(), samples: 0, sumOfSquares: 0 });
      } else if (peer.urls.join() !== urls.join()) {
        peer.urls = [...urls];
        peer.stream?.destroy();
      }
    }
  }

  send(messages: readonly Message[]): void {
    if (this.stopped) return;
    for (const message of messages) {
      const peer = this.peers.get(message.to);
      if (!peer) continue; // a removed or unknown member: Raft will stop addressing it
      if (message.type === 'append') this.appendsSent += 1;
      if (message.type === 'heartbeat' && peer.heartbeatSentAt === undefined) peer.heartbeatSentAt = performance.now();
      peer.pending.push(message);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** A heartbeat answer from `peer` arrived: the round trip is the latency /v2/stats/leader shows. */
  heartbeatAnswered(peer: NodeId): void {
    const state = this.peers.get(peer);
    if (state?.heartbeatSentAt === undefined) return;
    recordLatency(state, performance.now() - state.heartbeatSentAt);
    state.heartbeatSentAt = undefined;
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [id, peer] of this.peers) {
      if (peer.pending.length === 0) continue;
      const batch = peer.pending;
      peer.pending = [];
      const stream = this.streamTo(id, peer);
      if (!stream) {
        this.options.onUnreachable(id);
        continue;
      }
      stream.write(`${JSON.stringify(batch)}\n`);
      peer.stats.counts.success += batch.length;
      if (stream.writableLength > MAX_BUFFERED_BYTES) this.fail(id, peer, new Error(`peer is not reading (${stream.writableLength} bytes buffered)`));
    }
  }

  private streamTo(id: NodeId, peer: Peer): ClientRequest | undefined {
    if (peer.stream && !peer.stream.destroyed) return peer.stream;
    if (Date.now() - peer.lastFailure < this.options.redialMs) return undefined;
    const url = new URL(`${peer.urls[peer.failures % peer.urls.length]}${RAFT_STREAM_PATH}`);
    const stream = httpRequest(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-ndjson', 'x-etcd-cluster-id': this.options.clusterId, 'x-server-from': this.options.selfId },
    });
    stream.setNoDelay(true);
    stream.on('response', (response) => {
      response.resume();
      if (response.statusCode === 410) this.options.onRemoved();
      if (response.statusCode !== 200) this.fail(id, peer, new Error(`HTTP ${response.statusCode} from ${url.origin}`));
    });
    stream.on('error', (error) => this.fail(id, peer, error));
    stream.on('close', () => {
      if (peer.stream === stream) peer.stream = undefined;
    });
    stream.flushHeaders();
    peer.stream = stream;
    return stream;
  }

  private fail(id: NodeId, peer: Peer, error: Error): void {
    if (peer.failures === 0 || Date.now() - peer.lastFailure > 10_000) this.options.logger.warn({ peer: id, err: error.message }, 'peer unreachable');
    peer.failures += 1;
    peer.lastFailure = Date.now();
    peer.stats.counts.fail += 1;
    peer.stream?.destroy();
    peer.stream = undefined;
    this.options.onUnreachable(id);
  }

  /** Per-peer delivery statistics, keyed by member id. */
  followerStats(): Record<NodeId, FollowerStats> {
    return Object.fromEntries([...this.peers].map(([id, peer]) => [id, peer.stats]));
  }

  stop(): void {
    this.stopped = true;
    for (const peer of this.peers.values()) {
      peer.pending = [];
      peer.stream?.end();
    }
  }
}

function emptyStats(): FollowerStats {
  return { latency: { current: 0, average: 0, standardDeviation: 0, minimum: 0, maximum: 0 }, counts: { fail: 0, success: 0 } };
}

/** Running mean and deviation (Welford), so stats cost O(1) per sample. */
function recordLatency(peer: Peer, ms: number): void {
  const { latency } = peer.stats;
  const n = (peer.samples += 1);
  const delta = ms - latency.average;
  latency.average += delta / n;
  peer.sumOfSquares += delta * (ms - latency.average);
  latency.standardDeviation = Math.sqrt(peer.sumOfSquares / n);
  latency.current = ms;
  latency.minimum = n === 1 ? ms : Math.min(latency.minimum, ms);
  latency.maximum = Math.max(latency.maximum, ms);
}
