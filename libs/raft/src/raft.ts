import {
  CompactionError,
  ConfChangePendingError,
  InvalidConfChangeError,
  InvalidConfigError,
  NotLeaderError,
  ProposalDroppedError,
} from './errors.js';
import { RaftLog } from './log.js';
import { Membership, parseConfChange } from './membership.js';
import { Progress } from './progress.js';
import { ReadOnly } from './read-only.js';
import { emptyHardState, hardStateEqual, softStateEqual } from './ready.js';
import type {
  AppendMessage,
  AppendResponse,
  ConfChange,
  ConfState,
  Entry,
  EntryType,
  HardState,
  HeartbeatMessage,
  HeartbeatResponse,
  Message,
  NodeId,
  RaftConfig,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotMessage,
  SoftState,
  Status,
  VoteRequest,
} from './types.js';

/**
 * A Raft node with no I/O (in the style of etcd's raft package). The application feeds it ticks,
 * messages and proposals, and collects the resulting work with ready()/advance(): see Ready for
 * the order in which that work must be done. Everything is synchronous and deterministic given
 * the injected `random`.
 */
export class RaftNode {
  readonly id: NodeId;
  private readonly cfg: RaftConfig;

  private term = 0;
  private vote: NodeId | null = null;
  private role: Role = 'follower';
  private leader: NodeId | null = null;

  private readonly log: RaftLog;
  private membership: Membership;
  /** Leader only: one entry per voter, including the leader itself. */
  private progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  private leadTransferee: NodeId | null = null;
  /** Index of the latest confChange entry proposed by this leader; a new one waits until it is applied. */
  private pendingConfIndex = 0;
  private readonly readOnly = new ReadOnly();
  /** ReadIndex requests received before this leader committed an entry of its term. */
  private pendingReads: { requestId: string; from: NodeId | null }[] = [];
  /** Bootstrap confChange entries are reflected in the membership from the start, applied or not. */
  private bootstrapIndex = 0;

  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private prevSoftState: SoftState = { leader: null, role: 'follower' };
  private prevHardState: HardState;

  constructor(config: RaftConfig) {
    validateConfig(config);
    this.id = config.id;
    this.cfg = config;
    const p = config.persisted;
    const fresh =
      p === undefined ||
      (p.snapshot === undefined && p.entries.length === 0 && hardStateEqual(p.hardState, emptyHardState));

    if (fresh && config.peers.length > 0) {
      // Bootstrap: every founding member writes the same confChange entries, so membership lives in the log.
      const peers = [...new Set(config.peers)].sort();
      this.log = RaftLog.restore(undefined, [], 0, 0);
      this.log.append(
        peers.map((nodeId, i) => ({
          term: 1,
          index: i + 1,
          type: 'confChange' as const,
          data: JSON.stringify({ type: 'addNode', nodeId } satisfies ConfChange),
        })),
      );
      this.log.commitTo(peers.length);
      this.term = 1;
      this.membership = new Membership(peers);
      this.bootstrapIndex = peers.length;
      this.prevHardState = emptyHardState;
    } else {
      const hs = p?.hardState ?? emptyHardState;
      this.log = RaftLog.restore(p?.snapshot, p?.entries ?? [], hs.commit, config.applied);
      this.term = hs.term;
      this.vote = hs.vote;
      this.membership = this.confAt(this.log.applied);
      this.prevHardState = { ...hs };
    }
    this.becomeFollower(this.term, null);
  }

  // ---------------------------------------------------------------- inputs

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /** Starts an election now (pre-vote first when enabled). No-op on a leader or a non-voter. */
  campaign(): void {
    this.hup(false);
  }

  /** Appends `data` to the log; returns its index. Only on the leader. */
  propose(data: string): number {
    return this.proposeMany([data]);
  }

  /**
   * Appends several proposals at once; returns the index of the last. Under load this is what
   * keeps replication cheap: one append message per follower (and one answer back) for the whole
   * group instead of one each. Throws, appending nothing, where propose() would.
   */
  proposeMany(data: readonly string[]): number {
    this.checkCanPropose();
    if (data.length === 0) return this.log.lastIndex();
    this.appendEntries(data.map((item) => ({ type: 'normal' as const, data: item })));
    this.bcastAppend();
    return this.log.lastIndex();
  }

  /** Throws NotLeaderError or ProposalDroppedError when a proposal made now would be refused. */
  assertCanPropose(): void {
    this.checkCanPropose();
  }

  /** Proposes a membership change; returns its index. It takes effect when the application applies it. */
  proposeConfChange(change: ConfChange): number {
    this.checkCanPropose();
    if (this.pendingConfIndex > this.log.applied) throw new ConfChangePendingError(this.pendingConfIndex);
    if (change.type === 'addNode' && this.membership.has(change.nodeId)) {
      throw new InvalidConfChangeError(`${change.nodeId} is already a voter`);
    }
    if (change.type === 'removeNode') {
      if (!this.membership.has(change.nodeId)) throw new InvalidConfChangeError(`${change.nodeId} is not a voter`);
      if (this.membership.size() === 1) throw new InvalidConfChangeError('cannot remove the last voter');
    }
    this.appendEntries([{ type: 'confChange', data: JSON.stringify(change) }]);
    this.pendingConfIndex = this.log.lastIndex();
    this.bcastAppend();
    return this.pendingConfIndex;
  }

  /**
   * The application applied a committed confChange entry. Idempotent, because after a restart
   * the application re-applies entries past its durable applied index.
   */
  applyConfChange(change: ConfChange): ConfState {
    if (!this.membership.apply(change)) return this.membership.toConfState();
    if (this.role === 'leader') {
      if (change.type === 'addNode') {
        const pr = new Progress(this.log.lastIndex() + 1, this.cfg.maxInflightMessages);
        // A new member has not had a chance to answer yet: don't count it as dead in checkQuorum.
        pr.recentActive = true;
        this.progress.set(change.nodeId, pr);
      } else {
        this.progress.delete(change.nodeId);
        if (this.leadTransferee === change.nodeId) this.leadTransferee = null;
      }
      if (!this.membership.has(this.id)) {
        this.stepDownAfterRemoval();
      } else {
        // Removing a voter can shrink the quorum enough to commit.
        if (this.maybeCommit()) this.bcastAppend();
        else if (change.type === 'addNode') this.sendAppend(change.nodeId);
      }
    }
    return this.membership.toConfState();
  }

  /**
   * Linearizable read without a log entry. On the leader the read is registered at the current
   * commit index and confirmed by a heartbeat quorum; a follower forwards it to the leader.
   */
  readIndex(requestId: string): void {
    if (this.role === 'leader') {
      this.handleReadIndex(requestId, null);
      return;
    }
    if (this.leader === null) throw new NotLeaderError(null);
    this.send({ type: 'readIndex', from: this.id, to: this.leader, term: this.term, requestId });
  }

  /** Hands leadership to `to`: catch it up, then tell it to campaign at once. Proposals are refused meanwhile. */
  transferLeadership(to: NodeId): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leader);
    if (to === this.id) return;
    const pr = this.progress.get(to);
    if (pr === undefined) throw new InvalidConfChangeError(`${to} is not a voter`);
    if (this.leadTransferee === to) return;
    // The transfer must finish within one election timeout or it is abandoned (see tickHeartbeat).
    this.electionElapsed = 0;
    this.leadTransferee = to;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to);
  }

  /** The transport could not deliver to `id`: stop streaming optimistically and probe instead. */
  reportUnreachable(id: NodeId): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(id);
    if (pr !== undefined && pr.state !== 'probe') pr.becomeProbe();
  }

  /**
   * The application saved a snapshot of its state machine after applying exactly the entries up
   * to `index`. Raft keeps it to send to followers that fall behind the compacted log and drops
   * the entries it covers. The returned Snapshot (with its term and membership) is what the
   * application should persist in place of those entries.
   */
  compact(index: number, data: string): Snapshot {
    const first = this.log.firstIndex();
    if (index < first) throw new CompactionError(`index ${index} is already compacted (first index ${first})`);
    if (index > this.log.applying) {
      throw new CompactionError(`index ${index} is not applied yet (applied ${this.log.applying})`);
    }
    const term = this.log.term(index);
    if (term === undefined) throw new CompactionError(`no entry at index ${index}`);
    const snapshot: Snapshot = { meta: { index, term, conf: this.confAt(index).toConfState() }, data };
    this.log.compact(snapshot);
    return snapshot;
  }

  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id) return;

    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Leader lease: a node that heard from a leader within the election timeout refuses to
        // help start an election (pre-votes always, real votes with checkQuorum), so a removed
        // or partitioned node cannot disrupt a healthy cluster. A leader transfer overrides it.
        const inLease =
          this.leader !== null && this.electionElapsed < this.cfg.electionTick && (m.type === 'preVote' || this.cfg.checkQuorum);
        if (inLease && m.transfer !== true) return;
      }
      if (m.type === 'preVote') {
        // A pre-vote never changes our term: the sender has not started that term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // A granted pre-vote carries the future term we asked for.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'append')) {
        // A stale leader (e.g. back from a partition) would never learn our higher term, because
        // with leases/pre-vote we may not answer its votes: tell it, so that it steps down.
        this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, index: 0, reject: false, rejectHint: 0, rejectTerm: 0 });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'preVote' || m.type === 'vote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'preCandidate':
      case 'candidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  // ---------------------------------------------------------------- outputs

  hasReady(): boolean {
    return (
      this.msgs.length > 0 ||
      this.readStates.length > 0 ||
      this.log.unstableSnapshot() !== undefined ||
      this.log.unstableEntries().length > 0 ||
      this.log.hasNextCommittedEntries() ||
      !softStateEqual(this.softState(), this.prevSoftState) ||
      !hardStateEqual(this.hardState(), this.prevHardState)
    );
  }

  /** Collects pending work. Call advance(ready) once it is done and before calling ready() again. */
  ready(): Ready {
    const rd: Ready = {
      entries: this.log.unstableEntries().map((e) => ({ ...e })),
      committedEntries: this.log.nextCommittedEntries().map((e) => ({ ...e })),
      messages: this.msgs,
      readStates: this.readStates,
    };
    this.msgs = [];
    this.readStates = [];
    const soft = this.softState();
    if (!softStateEqual(soft, this.prevSoftState)) {
      rd.softState = soft;
      this.prevSoftState = soft;
    }
    const hard = this.hardState();
    if (!hardStateEqual(hard, this.prevHardState)) {
      rd.hardState = hard;
      this.prevHardState = hard;
    }
    const snapshot = this.log.unstableSnapshot();
    if (snapshot !== undefined) rd.snapshot = snapshot;
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted !== undefined) this.log.applying = lastCommitted.index;
    return rd;
  }

  advance(rd: Ready): void {
    if (rd.snapshot !== undefined) {
      this.log.stableSnapshotTo(rd.snapshot.meta.index);
      this.log.appliedTo(rd.snapshot.meta.index);
    }
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) this.log.stableTo(lastEntry.index, lastEntry.term);
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted !== undefined) this.log.appliedTo(lastCommitted.index);
  }

  /** The current term, without building a whole status (read on every client answer). */
  get currentTerm(): number {
    return this.term;
  }

  status(): Status {
    const status: Status = {
      id: this.id,
      term: this.term,
      vote: this.vote,
      role: this.role,
      leader: this.leader,
      commit: this.log.committed,
      applied: this.log.applied,
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      voters: this.membership.voters(),
    };
    if (this.role === 'leader') {
      status.progress = Object.fromEntries([...this.progress].map(([id, pr]) => [id, pr.toStatus()]));
      if (this.leadTransferee !== null) status.leadTransferee = this.leadTransferee;
    }
    return status;
  }

  // ---------------------------------------------------------------- roles

  private softState(): SoftState {
    return { leader: this.leader, role: this.role };
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.leader = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTick + Math.floor(this.cfg.random() * this.cfg.electionTick);
    this.leadTransferee = null;
    this.votes = new Map();
    this.progress = new Map();
    this.readOnly.reset();
    this.pendingReads = [];
  }

  private becomeFollower(term: number, leader: NodeId | null): void {
    this.reset(term);
    this.role = 'follower';
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    // Neither the term nor the vote changes: a failed pre-vote leaves no trace.
    this.role = 'preCandidate';
    this.leader = null;
    this.votes = new Map();
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.role = 'leader';
    this.leader = this.id;
    const next = this.log.lastIndex() + 1;
    for (const id of this.membership.voters()) {
      const pr = new Progress(next, this.cfg.maxInflightMessages);
      pr.recentActive = true;
      if (id === this.id) {
        pr.match = this.log.lastIndex();
        pr.becomeReplicate();
      }
      this.progress.set(id, pr);
    }
    // Entries of earlier terms can only be committed through an entry of ours (§5.4.2).
    this.appendEntries([{ type: 'normal', data: '' }]);
    // We may hold unapplied conf changes from earlier terms: no new one until all of them, and our
    // own empty entry, are applied (the single-server change rule: commit in your term first).
    this.pendingConfIndex = this.log.lastIndex();
  }

  private promotable(): boolean {
    return this.membership.has(this.id);
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const [id, pr] of this.progress) {
      if (pr.state !== 'snapshot') continue;
      // A lost snapshot would leave the follower paused forever: retry after an election timeout.
      if (++pr.snapshotElapsed >= this.cfg.electionTick) {
        pr.becomeProbe();
        this.sendAppend(id);
      }
    }
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, null);
        return;
      }
      if (this.leadTransferee !== null) this.leadTransferee = null;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastRequestId());
    }
  }

  /** Did a quorum talk to us since the last check? Resets the marks for the next round. */
  private quorumActive(): boolean {
    const active: NodeId[] = [];
    for (const [id, pr] of this.progress) {
      if (id === this.id || pr.recentActive) active.push(id);
      if (id !== this.id) pr.recentActive = false;
    }
    return this.membership.isQuorum(active);
  }

  private hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable()) return;
    // Membership we have committed but not applied could change who may vote: wait for the app.
    for (let i = Math.max(this.log.applied, this.bootstrapIndex) + 1; i <= this.log.committed; i++) {
      if (this.log.entry(i)?.type === 'confChange') return;
    }
    if (this.cfg.preVote && !transfer) this.startElection('preVote', false);
    else this.startElection('vote', transfer);
  }

  private startElection(kind: 'preVote' | 'vote', transfer: boolean): void {
    if (kind === 'preVote') this.becomePreCandidate();
    else this.becomeCandidate();
    if (this.poll(this.id, true) === 'won') {
      // Single voter: nobody to ask.
      if (kind === 'preVote') this.startElection('vote', false);
      else this.becomeLeader();
      return;
    }
    const term = kind === 'preVote' ? this.term + 1 : this.term;
    for (const id of this.membership.voters()) {
      if (id === this.id) continue;
      const req: VoteRequest = { type: kind, from: this.id, to: id, term, lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm() };
      if (transfer) req.transfer = true;
      this.send(req);
    }
  }

  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return this.membership.voteResult(this.votes);
  }

  private handleVoteRequest(m: VoteRequest): void {
    const respType = m.type === 'preVote' ? 'preVoteResp' : 'voteResp';
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.leader === null) ||
      (m.type === 'preVote' && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm)) {
      // Answer in the requested term: for a pre-vote that is the candidate's future term.
      this.send({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // Someone already won this term.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case 'preVoteResp':
      case 'voteResp': {
        if ((m.type === 'preVoteResp') !== (this.role === 'preCandidate')) return;
        const result = this.poll(m.from, !m.reject);
        if (result === 'won') {
          if (this.role === 'preCandidate') this.startElection('vote', false);
          else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (result === 'lost') {
          this.becomeFollower(this.term, null);
        }
        return;
      }
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        this.hup(true);
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, requestId: m.requestId });
        return;
      default:
        return;
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    // Messages from nodes outside the membership (e.g. removed ones) carry nothing we need.
    if (pr === undefined) return;
    switch (m.type) {
      case 'appendResp':
        pr.recentActive = true;
        this.handleAppendResponse(m, pr);
        return;
      case 'heartbeatResp':
        pr.recentActive = true;
        this.handleHeartbeatResponse(m, pr);
        return;
      case 'readIndex':
        this.handleReadIndex(m.requestId, m.from);
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- follower side of replication

  private handleAppend(m: AppendMessage): void {
    const reply: AppendResponse = { type: 'appendResp', from: this.id, to: m.from, term: this.term, index: 0, reject: false, rejectHint: 0, rejectTerm: 0 };
    if (m.prevIndex < this.log.committed) {
      // Stale or duplicated: everything up to commit already matches the leader.
      reply.index = this.log.committed;
    } else {
      const lastNew = this.log.maybeAppend(m.prevIndex, m.prevTerm, m.commit, m.entries);
      if (lastNew !== undefined) {
        reply.index = lastNew;
      } else {
        const hint = this.log.findConflictByTerm(m.prevIndex, m.prevTerm);
        reply.index = m.prevIndex;
        reply.reject = true;
        reply.rejectHint = hint.index;
        reply.rejectTerm = hint.term;
      }
    }
    this.send(reply);
  }

  private handleHeartbeat(m: HeartbeatMessage): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    const reply: HeartbeatResponse = { type: 'heartbeatResp', from: this.id, to: m.from, term: this.term };
    if (m.context !== undefined) reply.context = m.context;
    this.send(reply);
  }

  private handleSnapshot(m: SnapshotMessage): void {
    const reply: AppendResponse = { type: 'appendResp', from: this.id, to: m.from, term: this.term, index: 0, reject: false, rejectHint: 0, rejectTerm: 0 };
    if (this.log.restoreSnapshot(m.snapshot)) {
      this.membership = new Membership(m.snapshot.meta.conf.voters);
      reply.index = this.log.lastIndex();
    } else {
      reply.index = this.log.committed;
    }
    this.send(reply);
  }

  // ---------------------------------------------------------------- leader side of replication

  private checkCanPropose(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leader);
    if (this.leadTransferee !== null) {
      throw new ProposalDroppedError(`leadership is being transferred to ${this.leadTransferee}`);
    }
  }

  private appendEntries(items: { type: EntryType; data: string }[]): void {
    const last = this.log.lastIndex();
    const entries: Entry[] = items.map((item, i) => ({ term: this.term, index: last + 1 + i, type: item.type, data: item.data }));
    this.log.append(entries);
    // The leader's own copy counts toward the quorum (it is persisted before messages go out).
    this.progress.get(this.id)?.maybeUpdate(this.log.lastIndex());
    this.maybeCommit();
  }

  /** Advances the commit index to what a quorum holds, but only through an entry of this term (§5.4.2). */
  private maybeCommit(): boolean {
    const index = this.membership.committedIndex((id) => this.progress.get(id)?.match ?? 0);
    if (index <= this.log.committed || this.log.term(index) !== this.term) return false;
    const firstInTerm = this.log.term(this.log.committed) !== this.term;
    this.log.commitTo(index);
    if (firstInTerm) this.releasePendingReads();
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.progress.keys()) {
      if (id !== this.id) this.sendAppend(id);
    }
  }

  private bcastHeartbeat(context: string | undefined): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      const m: HeartbeatMessage = { type: 'heartbeat', from: this.id, to: id, term: this.term, commit: Math.min(pr.match, this.log.committed) };
      if (context !== undefined) m.context = context;
      this.send(m);
    }
  }

  /**
   * Sends the next batch of entries to `to` (or the snapshot when they were compacted).
   * Returns whether a message was sent. With sendIfEmpty false, an append without entries is
   * not worth sending (used when draining the pipeline).
   */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    if (pr.next > this.log.lastIndex() + 1) pr.next = this.log.lastIndex() + 1;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const entries = this.log.slice(pr.next, this.log.lastIndex() + 1, this.cfg.maxEntriesPerMessage);
    if (prevTerm === undefined || entries === undefined) {
      const snapshot = this.log.getSnapshot();
      if (snapshot === undefined) throw new Error(`raft invariant broken: index ${prevIndex} compacted but no snapshot`);
      pr.becomeSnapshot(snapshot.meta.index);
      this.send({ type: 'snapshot', from: this.id, to, term: this.term, snapshot });
      return true;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'append', from: this.id, to, term: this.term, prevIndex, prevTerm, entries: entries.map((e) => ({ ...e })), commit: this.log.committed });
    const last = entries[entries.length - 1];
    if (pr.state === 'replicate' && last !== undefined) {
      pr.optimisticUpdate(last.index);
      pr.inflights.add(last.index);
    } else if (pr.state === 'probe') {
      pr.probeSent = true;
    }
    return true;
  }

  private handleAppendResponse(m: AppendResponse, pr: Progress): void {
    if (m.reject) {
      // Skip straight past the follower's conflicting term instead of one index per round trip.
      let nextProbe = m.rejectHint;
      if (m.rejectTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.rejectTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      // The follower installed the snapshot (or caught up otherwise): resume from the log.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) this.bcastAppend();
    else if (wasPaused) this.sendAppend(m.from);
    // Fill the pipeline window with whatever is left.
    while (this.sendAppend(m.from, false)) {
      /* keep sending */
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private handleHeartbeatResponse(m: HeartbeatResponse, pr: Progress): void {
    pr.probeSent = false;
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
    if (m.context === undefined) return;
    const acks = this.readOnly.recvAck(m.context, m.from);
    if (acks === undefined || !this.membership.isQuorum(acks)) return;
    for (const req of this.readOnly.advance(m.context)) this.respondRead(req.requestId, req.index, req.from);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  /**
   * The leader applied its own removal. It stops leading (it is no longer in the quorum) and
   * asks the most caught-up remaining voter to campaign at once, to shorten the leaderless gap.
   */
  private stepDownAfterRemoval(): void {
    let best: NodeId | null = null;
    let bestMatch = -1;
    for (const [id, pr] of this.progress) {
      if (id !== this.id && pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    if (best !== null) this.sendTimeoutNow(best);
    this.becomeFollower(this.term, null);
  }

  // ---------------------------------------------------------------- ReadIndex

  private handleReadIndex(requestId: string, from: NodeId | null): void {
    if (this.log.term(this.log.committed) !== this.term) {
      // Until an entry of this term commits, our commit index may lag what earlier leaders committed.
      this.pendingReads.push({ requestId, from });
      return;
    }
    if (this.membership.isQuorum([this.id])) {
      this.respondRead(requestId, this.log.committed, from);
      return;
    }
    this.readOnly.add(requestId, this.log.committed, from, this.id);
    this.bcastHeartbeat(requestId);
  }

  private releasePendingReads(): void {
    const reads = this.pendingReads;
    this.pendingReads = [];
    for (const r of reads) this.handleReadIndex(r.requestId, r.from);
  }

  private respondRead(requestId: string, index: number, from: NodeId | null): void {
    if (from === null) this.readStates.push({ index, requestId });
    else this.send({ type: 'readIndexResp', from: this.id, to: from, term: this.term, requestId, index });
  }

  // ---------------------------------------------------------------- helpers

  private send(m: Message): void {
    this.msgs.push(m);
  }

  /** Membership after applying every entry up to `index`: the snapshot's conf plus later conf entries. */
  private confAt(index: number): Membership {
    const membership = new Membership(this.log.getSnapshot()?.meta.conf.voters ?? []);
    for (let i = this.log.firstIndex(); i <= index; i++) {
      const e = this.log.entry(i);
      if (e?.type === 'confChange') membership.apply(parseConfChange(e));
    }
    return membership;
  }
}

function validateConfig(c: RaftConfig): void {
  if (c.id === '') throw new InvalidConfigError('id must not be empty');
  if (!Number.isInteger(c.heartbeatTick) || c.heartbeatTick < 1) throw new InvalidConfigError('heartbeatTick must be an integer >= 1');
  if (!Number.isInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) {
    throw new InvalidConfigError('electionTick must be an integer > heartbeatTick');
  }
  if (!Number.isInteger(c.maxEntriesPerMessage) || c.maxEntriesPerMessage < 1) throw new InvalidConfigError('maxEntriesPerMessage must be >= 1');
  if (!Number.isInteger(c.maxInflightMessages) || c.maxInflightMessages < 1) throw new InvalidConfigError('maxInflightMessages must be >= 1');
}
