import type { Logger } from '@minicore/log';
import { ConfChangePendingError, NotLeaderError, ProposalDroppedError, RaftNode, type ConfChange, type Message, type Status } from '@minicore/raft';
import { ErrorCode, StoreError, type StoreCommand, type V2Store, type Watcher } from '@minicore/kv-store';
import { Consensus, ProposalsDroppedError } from './consensus.js';
import { bootstrap } from './bootstrap.js';
import type { KvdConfig } from './config.js';
import type { MemberIdentity } from './identity.js';
import type { Member } from './membership.js';
import { PeerTransport } from './peer-transport.js';
import { RaftStorage } from './raft-storage.js';
import { KvStateMachine, type ApplyResult, type KvCommand } from './state-machine.js';

/** The path on the peer listener where a follower hands a proposal to the leader. */
export const RAFT_PROPOSE_PATH = '/raft/propose';

/** What the HTTP routes need from a member. */
export interface KvMember {
  readonly store: V2Store;
  /** Open watchers, cancelled when the member stops or its store is replaced by a snapshot. */
  readonly watchers: Set<Watcher>;
  /** Registers an open watcher; once the member has ended its watches (shutdown), cancels it at once. */
  trackWatcher(watcher: Watcher): void;
  propose(command: StoreCommand): Promise<ApplyResult>;
  linearizableRead(): Promise<void>;
  headers(etcdIndex: number): Record<string, string>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One kvd member: its Raft node, log storage, transport and replicated state, and the timers
 * that drive them (Raft ticks, TTL expiry while leader, publishing its client URLs).
 */
export class KvMemberNode implements KvMember {
  readonly watchers = new Set<Watcher>();
  readonly startTime = new Date();
  private readonly timers: NodeJS.Timeout[] = [];
  private sequence = 0;
  private expiring = false;
  private watchesEnded = false;
  private published = false;
  private leaderSince = Date.now();
  /** Leader changes seen, and proposals that failed (timeouts, no leader), for /metrics. */
  readonly counters = { leaderChanges: 0, proposalsFailed: 0 };
  private currentLeader: string | null = null;
  private stopped = false;
  private gatheringReads: Promise<void> | null = null;
  private notifyRemoved: () => void = () => undefined;
  private notifyFatal: (error: Error) => void = () => undefined;
  /** Resolves if the consensus loop fails (e.g. a disk sync fails): the daemon must exit, as etcd panics. */
  readonly fatal = new Promise<Error>((resolve) => (this.notifyFatal = resolve));
  /** Resolves when this member learns it was removed from the cluster; the daemon then exits. */
  readonly removed = new Promise<void>((resolve) => (this.notifyRemoved = resolve));

  private constructor(
    readonly config: KvdConfig,
    readonly identity: MemberIdentity,
    readonly raft: RaftNode,
    readonly consensus: Consensus,
    readonly stateMachine: KvStateMachine,
    readonly storage: RaftStorage,
    private readonly transport: PeerTransport,
    private readonly logger: Logger,
  ) {}

  static async start(config: KvdConfig, dataDir: string, logger: Logger): Promise<KvMemberNode> {
    const { identity, foundingVoters } = await bootstrap(config, dataDir);
    const storage = await RaftStorage.open(`${dataDir}/raft`);
    const persisted = await storage.load();

    // The parts below call back into the member, which can only be built once they exist.
    const late: { node?: KvMemberNode } = {};
    const stateMachine = new KvStateMachine(() => late.node?.membersChanged());
    for (const member of identity.initialMembers) stateMachine.members.set(member.id, { ...member });
    if (persisted?.snapshot) stateMachine.restore(persisted.snapshot.data);
    const applied = persisted?.snapshot?.meta.index ?? 0;

    const raft = new RaftNode({
      id: identity.memberId,
      peers: foundingVoters,
      electionTick: Math.max(2, Math.round(config.electionTimeout / config.heartbeatInterval)),
      heartbeatTick: 1,
      preVote: true,
      checkQuorum: true,
      maxEntriesPerMessage: 1024,
      maxInflightMessages: 256,
      random: Math.random,
      ...(persisted ? { persisted } : {}),
      applied,
    });
    const transport = new PeerTransport({
      selfId: identity.memberId,
      clusterId: identity.clusterId,
      logger,
      redialMs: Math.min(100, config.heartbeatInterval),
      onUnreachable: (peer) => late.node?.consensus.reportUnreachable(peer),
      onRemoved: () => late.node?.learnedRemoval(),
    });
    const consensus = new Consensus({
      raft,
      storage,
      stateMachine,
      send: (messages) => transport.send(messages),
      logger,
      snapshotCount: config.snapshotCount,
      onSoftState: (state) => late.node?.leaderChanged(state.leader),
      onRestored: () => late.node?.cancelWatchers(),
      onFatal: (error) => late.node?.notifyFatal(error),
    });
    consensus.setApplied(applied);
    const node = new KvMemberNode(config, identity, raft, consensus, stateMachine, storage, transport, logger);
    late.node = node;
    node.membersChanged();
    // A cluster of one has nobody to wait for: lead at once rather than after an election timeout.
    if (raft.status().voters.length === 1 && raft.status().voters[0] === identity.memberId) {
      raft.campaign();
      consensus.schedule();
    }
    node.startTimers();
    logger.info({ memberId: identity.memberId, clusterId: identity.clusterId, restarted: persisted !== undefined, applied }, 'member started');
    return node;
  }

  get store(): V2Store {
    return this.stateMachine.store;
  }

  get leader(): string | null {
    return this.currentLeader;
  }

  status(): Status {
    return this.raft.status();
  }

  private appendsReceived = 0;

  /** Messages from peers, delivered by the peer listener. */
  receive(messages: Message[]): void {
    for (const message of messages) {
      if (message.type === 'append') this.appendsReceived += 1;
      if (message.type === 'heartbeatResp') this.transport.heartbeatAnswered(message.from);
      this.consensus.step(message);
    }
  }

  /** For /v2/stats: counts of append requests and the leader's view of each follower. */
  get transportStats() {
    return {
      self: () => ({ recvAppendRequestCnt: this.appendsReceived, sendAppendRequestCnt: this.transport.appendsSent }),
      followers: () => this.transport.followerStats(),
    };
  }

  headers(etcdIndex: number): Record<string, string> {
    return {
      'x-etcd-cluster-id': this.identity.clusterId,
      'x-etcd-index': String(etcdIndex),
      'x-raft-index': String(this.consensus.applied),
      'x-raft-term': String(this.raft.currentTerm),
    };
  }

  members(): Member[] {
    return [...this.stateMachine.members.values()];
  }

  propose(command: StoreCommand): Promise<ApplyResult> {
    return this.proposeCommand(command);
  }

  /** Proposes through Raft (via the leader when this member follows) and resolves with the applied result. */
  async proposeCommand(command: KvCommand): Promise<ApplyResult> {
    const id = `${this.identity.memberId}:${this.startTime.getTime().toString(36)}:${(this.sequence++).toString(36)}`;
    const data = JSON.stringify({ id, command });
    const deadline = Date.now() + this.requestTimeoutMs();
    for (;;) {
      const result = this.consensus.waitFor(id);
      // The waiter is rejected by cancel() when submitting fails; that path reports the submit error instead.
      result.catch(() => undefined);
      try {
        await this.submit(data, deadline, id);
        return (await this.beforeDeadline(result, deadline)) as ApplyResult;
      } catch (error) {
        this.consensus.cancel(id, error as Error);
        // Dropped before it reached Raft (leadership moved in the same instant): never written, so send it again.
        if (error instanceof ProposalsDroppedError && Date.now() < deadline) continue;
        this.counters.proposalsFailed += 1;
        if (error instanceof StoreError) return { ok: false, error };
        throw error;
      }
    }
  }

  /**
   * ReadIndex: resolves once this member has applied everything committed when the read arrived.
   * Reads that arrive together share one round (one heartbeat quorum confirms them all): a read
   * joins only a round whose index has not been asked for yet, so it never gets an older index.
   */
  linearizableRead(): Promise<void> {
    if (!this.gatheringReads) {
      this.gatheringReads = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          this.gatheringReads = null;
          this.readBarrier().then(resolve, reject);
        });
      });
    }
    return this.gatheringReads;
  }

  private async readBarrier(): Promise<void> {
    const deadline = Date.now() + this.requestTimeoutMs();
    for (;;) {
      const id = `read:${this.identity.memberId}:${(this.sequence++).toString(36)}`;
      try {
        await this.beforeDeadline(this.consensus.readBarrier(id), deadline);
        return;
      } catch (error) {
        this.consensus.cancel(id, error as Error);
        if (!(error instanceof NotLeaderError) || Date.now() >= deadline) throw toStoreError(error);
        await sleep(Math.min(50, this.config.heartbeatInterval));
      }
    }
  }

  private async submit(data: string, deadline: number, id: string): Promise<void> {
    for (;;) {
      if (this.stopped) throw new StoreError(ErrorCode.RaftInternal, 'etcdserver: server stopped');
      const leader = this.currentLeader;
      if (leader === this.identity.memberId) {
        try {
          this.consensus.propose(data, id);
          return;
        } catch (error) {
          if (!(error instanceof NotLeaderError) && !(error instanceof ProposalDroppedError)) throw error;
        }
      } else if (leader !== null) {
        const accepted = await this.forward(leader, data, deadline);
        if (accepted) return;
      }
      if (Date.now() >= deadline) throw new StoreError(ErrorCode.RaftInternal, 'etcdserver: request timed out');
      await sleep(Math.min(50, this.config.heartbeatInterval));
    }
  }

  /**
   * Hands a proposal to the leader. Retried only when the leader surely did not take it (it said
   * no, or the connection was refused): a proposal that may have been taken is never sent twice.
   */
  private forward(leader: string, data: string, deadline: number): Promise<boolean> {
    return this.forwardRequest(leader, { data }, deadline);
  }

  private async forwardRequest(leader: string, body: { data: string } | { confChange: ConfChange }, deadline: number): Promise<boolean> {
    const url = this.stateMachine.members.get(leader)?.peerURLs[0];
    if (!url) return false;
    let response: Response;
    try {
      response = await fetch(`${url}${RAFT_PROPOSE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-etcd-cluster-id': this.identity.clusterId },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code === 'ECONNREFUSED') return false;
      throw new StoreError(ErrorCode.RaftInternal, 'etcdserver: request timed out, possibly due to leader failure');
    }
    await response.arrayBuffer();
    return response.status === 202;
  }

  /** The leader's side of forward(): 202 when proposed, 503 when this member is not (or no longer) the leader. */
  acceptForwarded(data: string): boolean {
    try {
      this.consensus.propose(data);
      return true;
    } catch (error) {
      if (error instanceof NotLeaderError || error instanceof ProposalDroppedError) return false;
      throw error;
    }
  }

  acceptForwardedConfChange(change: ConfChange): boolean {
    try {
      this.consensus.proposeConfChange(change);
      return true;
    } catch (error) {
      if (error instanceof NotLeaderError || error instanceof ProposalDroppedError || error instanceof ConfChangePendingError) return false;
      throw error;
    }
  }

  /**
   * Adds or removes a voter (one change at a time, as single-server changes require) and waits
   * until this member has applied it; `applied` tells when the change is visible here.
   */
  async changeMembership(change: ConfChange, applied: () => boolean): Promise<void> {
    const deadline = Date.now() + this.requestTimeoutMs();
    for (;;) {
      const leader = this.currentLeader;
      let accepted = false;
      if (leader === this.identity.memberId) accepted = this.acceptForwardedConfChange(change);
      else if (leader !== null) accepted = await this.forwardRequest(leader, { confChange: change }, deadline);
      if (accepted) break;
      if (Date.now() >= deadline) throw new StoreError(ErrorCode.RaftInternal, 'etcdserver: request timed out');
      await sleep(50);
    }
    while (!applied()) {
      if (Date.now() >= deadline) throw new StoreError(ErrorCode.RaftInternal, 'etcdserver: request timed out');
      await sleep(10);
    }
  }

  /** `work`, or etcd's request-timed-out error if it has not settled by `deadline` (the timer is cleared either way). */
  private beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new StoreError(ErrorCode.RaftInternal, 'etcdserver: request timed out')), Math.max(0, deadline - Date.now()));
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private requestTimeoutMs(): number {
    return 5000 + 2 * this.config.electionTimeout;
  }

  private leaderChanged(leader: string | null): void {
    if (leader === this.currentLeader) return;
    this.logger.info({ leader, previous: this.currentLeader, term: this.raft.status().term }, leader === null ? 'leader lost' : 'leader elected');
    this.currentLeader = leader;
    this.leaderSince = Date.now();
    this.counters.leaderChanges += 1;
    // Raft forgets ReadIndex requests across a leader change: send them again to the new leader.
    this.consensus.failPendingReads(new NotLeaderError(leader));
  }

  get leaderStartTime(): number {
    return this.leaderSince;
  }

  /** A peer said this member was removed, before the removal reached this member's log. */
  private learnedRemoval(): void {
    if (this.stopped || this.stateMachine.removed.has(this.identity.memberId)) return;
    this.stateMachine.removed.add(this.identity.memberId);
    this.membersChanged();
  }

  private membersChanged(): void {
    this.transport.setPeers(new Map(this.members().map((member) => [member.id, member.peerURLs])));
    if (this.stateMachine.removed.has(this.identity.memberId)) {
      this.logger.warn('this member was removed from the cluster; shutting down');
      this.notifyRemoved();
    }
  }

  private cancelWatchers(): void {
    for (const watcher of this.watchers) watcher.cancel();
    this.watchers.clear();
  }

  private startTimers(): void {
    this.timers.push(setInterval(() => this.consensus.tick(), this.config.heartbeatInterval));
    this.timers.push(setInterval(() => void this.expireKeys(), Math.min(500, Math.max(10, this.config.heartbeatInterval))));
    this.timers.push(setInterval(() => void this.publish(), 200));
  }

  /** As etcd's leader SYNC: all members expire TTL keys at the same log position, decided by the leader's clock. */
  private async expireKeys(): Promise<void> {
    if (this.expiring || this.currentLeader !== this.identity.memberId) return;
    const next = this.store.nextExpiration();
    if (next === null || next > Date.now()) return;
    this.expiring = true;
    try {
      await this.proposeCommand({ op: 'expire', now: Date.now() });
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'TTL expiry proposal failed; retrying');
    } finally {
      this.expiring = false;
    }
  }

  /** Announces this member's name and client URLs once there is a leader (etcd's publish). */
  private async publish(): Promise<void> {
    if (this.published || this.currentLeader === null) return;
    this.published = true;
    const result = await this.proposeCommand({ op: 'publish', memberId: this.identity.memberId, name: this.config.name, clientURLs: this.config.advertiseClientUrls }).catch(
      (error: Error) => ({ ok: false as const, error }),
    );
    if (!result.ok) this.published = false;
    else this.logger.info({ clientURLs: this.config.advertiseClientUrls }, 'published client URLs to the cluster');
  }

  /**
   * First step of a graceful stop, while clients are still served: hand leadership to a caught-up
   * follower so the cluster does not wait an election timeout for a new leader.
   */
  async handOver(): Promise<void> {
    if (this.stopped) return;
    const status = this.raft.status();
    if (status.role === 'leader' && status.voters.length > 1) await this.transferLeadership(status);
  }

  /** Ends every waiting watch (long poll or stream), as etcd does on shutdown: they would hold the client server's close open. */
  endWatches(): void {
    this.watchesEnded = true;
    this.cancelWatchers();
  }

  trackWatcher(watcher: Watcher): void {
    // A watch request already in flight when the shutdown began registers after endWatches.
    if (this.watchesEnded) watcher.cancel();
    else this.watchers.add(watcher);
  }

  /** Graceful stop: hand over leadership (when not done yet), then stop timers, watchers and storage. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.handOver();
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.cancelWatchers();
    this.consensus.stop();
    this.transport.stop();
    await this.consensus.idle();
    await this.storage.close();
  }

  private async transferLeadership(status: Status): Promise<void> {
    const progress = status.progress ?? {};
    const candidates = Object.entries(progress)
      .filter(([id]) => id !== this.identity.memberId)
      .sort(([, a], [, b]) => b.match - a.match);
    const target = candidates[0]?.[0];
    if (!target) return;
    try {
      this.raft.transferLeadership(target);
      this.consensus.schedule();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'leader transfer refused');
      return;
    }
    const deadline = Date.now() + this.config.electionTimeout * 2;
    while (this.currentLeader === this.identity.memberId && Date.now() < deadline) await sleep(10);
    this.logger.info({ to: target, done: this.currentLeader !== this.identity.memberId }, 'leadership transferred for shutdown');
  }
}

function toStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  return new StoreError(ErrorCode.RaftInternal, (error as Error).message);
}
