import { RaftError, RaftNode, parseConfChange } from '../../src/index.js';
import type { Entry, Message, NodeId, PersistedState, Ready, Role } from '../../src/index.js';
import { Prng } from '@minicore/seeded-random';

/** A safety or liveness property did not hold. */
export class SimulationViolation extends Error {
  override name = 'SimulationViolation';
}

export interface SimOptions {
  seed: number;
  /** Founding voters. */
  nodes: number;
  preVote: boolean;
  checkQuorum: boolean;
  electionTick: number;
  heartbeatTick: number;
  maxEntriesPerMessage: number;
  maxInflightMessages: number;
  /** Membership changes keep the voter count within [minVoters, maxVoters]. */
  minVoters: number;
  maxVoters: number;
}

/** The application side of one simulated machine: its disk survives crashes, nothing else does. */
interface SimNode {
  id: NodeId;
  raft: RaftNode | null;
  disk: PersistedState;
  /** State machine: last applied index and a running hash of everything applied. */
  sm: { index: number; hash: string };
  role: Role;
  /** Removed from the cluster and shut down for good. */
  stopped: boolean;
  /** Highest commit index already checked against the global committed map. */
  checkedCommit: number;
  finals: Set<string>;
  random: Prng;
}

interface InFlight {
  to: NodeId;
  json: string;
}

function fnv(prev: string, text: string): string {
  let h = 0x811c9dc5 ^ parseInt(prev === '' ? '0' : prev, 36);
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * A deterministic cluster: simulated machines, a lossy/reordering/duplicating/partitionable
 * network, crashes with restart from exactly what was persisted, and invariant checks after
 * every Ready each node produces.
 */
export class SimCluster {
  readonly rng: Prng;
  readonly nodes = new Map<NodeId, SimNode>();
  now = 0;
  private nextNodeNumber = 0;
  private readonly queue = new Map<number, InFlight[]>();

  // Network faults.
  loss = 0;
  duplicate = 0;
  maxDelay = 1;
  /** Node -> side of the current partition; nodes on different sides cannot talk. */
  private partition: Map<NodeId, number> | null = null;

  // Invariant bookkeeping.
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly entrySignature = new Map<string, string>();
  private readonly committed = new Map<number, string>();
  private maxCommitted = 0;
  private readonly appliedHash = new Map<number, string>();
  private readonly readStart = new Map<string, number>();
  private readonly readsDone = new Set<string>();
  readsServed = 0;
  proposalsAccepted = 0;
  /** What happened, to check that the faults and features are actually exercised. */
  readonly stats = { crashes: 0, confChanges: 0, snapshotsInstalled: 0, compactions: 0, transfers: 0, maxTerm: 0, partitions: 0 };

  constructor(readonly options: SimOptions) {
    this.rng = new Prng(options.seed);
    const founders: NodeId[] = [];
    for (let i = 0; i < options.nodes; i++) founders.push(this.newNodeId());
    for (const id of founders) this.addMachine(id, founders);
  }

  private newNodeId(): NodeId {
    return `n${++this.nextNodeNumber}`;
  }

  fail(what: string): never {
    throw new SimulationViolation(`tick ${this.now}: ${what}`);
  }

  private addMachine(id: NodeId, peers: NodeId[]): SimNode {
    const node: SimNode = {
      id,
      raft: null,
      disk: { hardState: { term: 0, vote: null, commit: 0 }, entries: [] },
      sm: { index: 0, hash: '' },
      role: 'follower',
      stopped: false,
      checkedCommit: 0,
      finals: new Set(),
      random: this.rng.fork(),
    };
    this.nodes.set(id, node);
    this.start(node, peers);
    return node;
  }

  private start(node: SimNode, peers: NodeId[]): void {
    const o = this.options;
    const snapshot = node.disk.snapshot;
    // Half the time the state machine is volatile: it comes back from the snapshot and raft
    // replays the rest. Otherwise it is durable (like kvd's store) and raft must not replay it.
    if (node.raft === null && (node.sm.index === 0 || this.rng.chance(0.5))) {
      node.sm = snapshot === undefined ? { index: 0, hash: '' } : (JSON.parse(snapshot.data) as { index: number; hash: string });
    }
    node.role = 'follower';
    node.checkedCommit = 0;
    node.raft = new RaftNode({
      id: node.id,
      peers,
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      maxEntriesPerMessage: o.maxEntriesPerMessage,
      maxInflightMessages: o.maxInflightMessages,
      random: () => node.random.next(),
      persisted: clone(node.disk),
      applied: node.sm.index,
    });
    this.processReady(node);
  }

  live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.raft !== null);
  }

  leaders(): SimNode[] {
    return this.live().filter((n) => n.role === 'leader');
  }

  crash(node: SimNode): void {
    node.raft = null;
    this.stats.crashes++;
  }

  restart(node: SimNode): void {
    if (node.raft !== null || node.stopped) return;
    this.start(node, []);
  }

  private stop(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    node.stopped = true;
    node.raft = null;
  }

  setPartition(sides: Map<NodeId, number> | null): void {
    this.partition = sides;
  }

  private linked(a: NodeId, b: NodeId): boolean {
    if (this.partition === null) return true;
    return (this.partition.get(a) ?? 0) === (this.partition.get(b) ?? 0);
  }

  // ------------------------------------------------------------ time and the network

  tick(): void {
    this.now++;
    for (const node of this.live()) {
      node.raft?.tick();
      this.processReady(node);
    }
    const due = this.queue.get(this.now);
    if (due === undefined) return;
    this.queue.delete(this.now);
    this.rng.shuffle(due);
    for (const m of due) this.deliver(m);
  }

  private deliver(m: InFlight): void {
    const node = this.nodes.get(m.to);
    if (node === undefined || node.raft === null) return;
    const message = JSON.parse(m.json) as Message;
    if (!this.linked(message.from, message.to)) return;
    node.raft.step(message);
    this.processReady(node);
  }

  private send(from: SimNode, m: Message): void {
    if (!this.linked(m.from, m.to)) {
      // The transport noticed the connection failed.
      if (this.rng.chance(0.5)) from.raft?.reportUnreachable(m.to);
      return;
    }
    if (this.rng.chance(this.loss)) return;
    const json = JSON.stringify(m);
    const copies = this.rng.chance(this.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = this.now + this.rng.int(1, this.maxDelay);
      let bucket = this.queue.get(at);
      if (bucket === undefined) this.queue.set(at, (bucket = []));
      bucket.push({ to: m.to, json });
    }
  }

  // ------------------------------------------------------------ the application loop

  processReady(node: SimNode): void {
    for (let guard = 0; node.raft?.hasReady() === true; guard++) {
      if (guard > 100) this.fail(`${node.id}: hasReady() never settles`);
      const raft = node.raft;
      const rd = raft.ready();
      this.persist(node, rd);
      if (rd.softState !== undefined) {
        node.role = rd.softState.role;
        if (node.role === 'leader') this.checkNewLeader(node);
      }
      for (const m of rd.messages) this.send(node, m);
      this.apply(node, rd);
      if (node.raft === null) return;
      raft.advance(rd);
    }
  }

  private diskTerm(disk: PersistedState, index: number): number | undefined {
    const snapIndex = disk.snapshot?.meta.index ?? 0;
    if (index === snapIndex) return disk.snapshot?.meta.term ?? 0;
    if (index < snapIndex) return undefined;
    return disk.entries[index - snapIndex - 1]?.term;
  }

  private diskEntry(disk: PersistedState, index: number): Entry | undefined {
    const snapIndex = disk.snapshot?.meta.index ?? 0;
    return index <= snapIndex ? undefined : disk.entries[index - snapIndex - 1];
  }

  private persist(node: SimNode, rd: Ready): void {
    const disk = node.disk;
    if (rd.snapshot !== undefined) {
      disk.snapshot = clone(rd.snapshot);
      disk.entries = [];
      this.stats.snapshotsInstalled++;
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      const snapIndex = disk.snapshot?.meta.index ?? 0;
      if (first.index <= snapIndex) this.fail(`${node.id}: persisting entry ${first.index} at or below the snapshot ${snapIndex}`);
      if (first.index > snapIndex + disk.entries.length + 1) this.fail(`${node.id}: persisting entry ${first.index} leaves a gap`);
      disk.entries.length = first.index - snapIndex - 1;
      for (const e of rd.entries) {
        // Log Matching: an (index, term) pair always names the same entry with the same predecessor.
        const key = `${e.index}/${e.term}`;
        const signature = `${this.diskTerm(disk, e.index - 1) ?? '?'}/${e.type}/${e.data}`;
        const seen = this.entrySignature.get(key);
        if (seen === undefined) this.entrySignature.set(key, signature);
        else if (seen !== signature) this.fail(`Log Matching: entry ${key} is ${signature} on ${node.id} but ${seen} elsewhere`);
        disk.entries.push(clone(e));
      }
    }
    if (rd.hardState !== undefined) {
      const prev = disk.hardState;
      if (rd.hardState.term < prev.term) this.fail(`${node.id}: term went back from ${prev.term} to ${rd.hardState.term}`);
      if (rd.hardState.term === prev.term && prev.vote !== null && rd.hardState.vote !== prev.vote) {
        this.fail(`${node.id}: changed its vote in term ${prev.term} from ${prev.vote} to ${rd.hardState.vote}`);
      }
      if (rd.hardState.commit < prev.commit) this.fail(`${node.id}: commit went back from ${prev.commit} to ${rd.hardState.commit}`);
      disk.hardState = { ...rd.hardState };
      this.stats.maxTerm = Math.max(this.stats.maxTerm, disk.hardState.term);
    }
    this.checkCommitted(node);
  }

  /** Every index any node ever persisted as committed names one entry, cluster-wide. */
  private checkCommitted(node: SimNode): void {
    const commit = node.disk.hardState.commit;
    const lastIndex = (node.disk.snapshot?.meta.index ?? 0) + node.disk.entries.length;
    if (commit > lastIndex) this.fail(`${node.id}: commit ${commit} beyond its persisted log (${lastIndex})`);
    for (let i = Math.max(node.checkedCommit, node.disk.snapshot?.meta.index ?? 0) + 1; i <= commit; i++) {
      const e = this.diskEntry(node.disk, i);
      if (e === undefined) continue;
      const sig = `${e.term}/${e.type}/${e.data}`;
      const seen = this.committed.get(i);
      if (seen === undefined) this.committed.set(i, sig);
      else if (seen !== sig) this.fail(`committed entry ${i} is ${sig} on ${node.id} but ${seen} elsewhere`);
    }
    node.checkedCommit = Math.max(node.checkedCommit, commit);
    this.maxCommitted = Math.max(this.maxCommitted, commit);
  }

  private checkNewLeader(node: SimNode): void {
    const term = node.disk.hardState.term;
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== node.id) this.fail(`Election Safety: ${other} and ${node.id} both lead term ${term}`);
    this.leaderOfTerm.set(term, node.id);
    // Leader Completeness: everything committed so far is in the new leader's log.
    const snapIndex = node.disk.snapshot?.meta.index ?? 0;
    for (let i = snapIndex + 1; i <= this.maxCommitted; i++) {
      const sig = this.committed.get(i);
      if (sig === undefined) continue;
      const e = this.diskEntry(node.disk, i);
      if (e === undefined || `${e.term}/${e.type}/${e.data}` !== sig) {
        this.fail(`Leader Completeness: leader ${node.id} of term ${term} lacks committed entry ${i} (${sig})`);
      }
    }
  }

  private apply(node: SimNode, rd: Ready): void {
    if (rd.snapshot !== undefined) {
      const image = JSON.parse(rd.snapshot.data) as { index: number; hash: string };
      if (image.index !== rd.snapshot.meta.index) this.fail(`${node.id}: snapshot image/meta index mismatch`);
      this.checkApplied(node, image.index, image.hash);
      node.sm = image;
    }
    for (const e of rd.committedEntries) {
      if (e.index !== node.sm.index + 1) this.fail(`${node.id}: applying ${e.index} after ${node.sm.index}`);
      if (e.type === 'confChange') {
        const change = parseConfChange(e);
        node.raft?.applyConfChange(change);
        if (change.type === 'removeNode') this.stop(change.nodeId);
        if (!this.appliedHash.has(e.index) && e.term > 1) this.stats.confChanges++;
      }
      node.sm = { index: e.index, hash: fnv(node.sm.hash, `${e.type}:${e.data}`) };
      this.checkApplied(node, e.index, node.sm.hash);
      if (e.data.startsWith('final-')) node.finals.add(e.data);
      if (node.raft === null) return;
    }
    for (const rs of rd.readStates) {
      const start = this.readStart.get(rs.requestId);
      if (start === undefined) this.fail(`${node.id}: read state for unknown request ${rs.requestId}`);
      if (rs.index < start) this.fail(`ReadIndex: request ${rs.requestId} got index ${rs.index} < ${start} committed before it began`);
      // The network may duplicate a forwarded read or its answer: the application de-duplicates.
      if (!this.readsDone.has(rs.requestId)) this.readsServed++;
      this.readsDone.add(rs.requestId);
    }
  }

  /** State Machine Safety: no two nodes reach different states at the same index. */
  private checkApplied(node: SimNode, index: number, hash: string): void {
    const seen = this.appliedHash.get(index);
    if (seen === undefined) this.appliedHash.set(index, hash);
    else if (seen !== hash) this.fail(`State Machine Safety: ${node.id} applied a different entry at ${index}`);
  }

  // ------------------------------------------------------------ client actions

  propose(node: SimNode, data: string): boolean {
    const raft = node.raft;
    if (raft === null) return false;
    try {
      raft.propose(data);
      this.proposalsAccepted++;
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
      return false;
    } finally {
      this.processReady(node);
    }
    return true;
  }

  read(node: SimNode, requestId: string): void {
    const raft = node.raft;
    if (raft === null) return;
    this.readStart.set(requestId, this.maxCommitted);
    try {
      raft.readIndex(requestId);
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
    } finally {
      this.processReady(node);
    }
  }

  compact(node: SimNode): void {
    const raft = node.raft;
    if (raft === null || node.sm.index < raft.status().firstIndex) return;
    const snapshot = raft.compact(node.sm.index, JSON.stringify(node.sm));
    node.disk.snapshot = clone(snapshot);
    this.stats.compactions++;
    node.disk.entries = node.disk.entries.filter((e) => e.index > snapshot.meta.index);
  }

  transfer(leader: SimNode): void {
    const raft = leader.raft;
    if (raft === null) return;
    const others = raft.status().voters.filter((v) => v !== leader.id);
    if (others.length === 0) return;
    try {
      raft.transferLeadership(this.rng.pick(others));
      this.stats.transfers++;
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
    } finally {
      this.processReady(leader);
    }
  }

  /** Adds a fresh machine (or re-proposes the pending one) or removes a voter, through the leader. */
  private joining: NodeId | null = null;

  changeMembership(leader: SimNode): void {
    const raft = leader.raft;
    if (raft === null) return;
    const voters = raft.status().voters;
    if (this.joining !== null && voters.includes(this.joining)) this.joining = null;
    const o = this.options;
    const add = voters.length < o.maxVoters && (voters.length <= o.minVoters || this.rng.chance(0.5));
    try {
      if (add) {
        if (this.joining === null) {
          this.joining = this.newNodeId();
          this.addMachine(this.joining, []);
        }
        raft.proposeConfChange({ type: 'addNode', nodeId: this.joining });
      } else if (voters.length > o.minVoters) {
        raft.proposeConfChange({ type: 'removeNode', nodeId: this.rng.pick(voters) });
      }
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
    } finally {
      this.processReady(leader);
    }
  }

  // ------------------------------------------------------------ scenario

  /** One tick of random faults and client activity. */
  chaos(): void {
    const rng = this.rng;
    const live = this.live();
    const leaders = this.leaders();
    if (rng.chance(0.4)) {
      const target = leaders.length > 0 && rng.chance(0.8) ? rng.pick(leaders) : live.length > 0 ? rng.pick(live) : undefined;
      if (target !== undefined) this.propose(target, `p${this.now}-${rng.int(0, 1e6)}`);
    }
    if (rng.chance(0.05) && live.length > 0) this.read(rng.pick(live), `r${this.now}-${rng.int(0, 1e9)}`);
    if (rng.chance(0.03) && live.length > 0) this.compact(rng.pick(live));
    if (rng.chance(0.03) && leaders.length > 0) this.changeMembership(rng.pick(leaders));
    if (rng.chance(0.004) && leaders.length > 0) this.transfer(rng.pick(leaders));
    if (rng.chance(0.03) && live.length > 0) this.crash(rng.pick(live));
    for (const node of this.nodes.values()) {
      if (node.raft === null && !node.stopped && rng.chance(0.08)) this.restart(node);
    }
    if (this.partition === null && rng.chance(0.015)) {
      const sides = new Map<NodeId, number>();
      for (const id of this.nodes.keys()) sides.set(id, rng.int(0, 1));
      this.setPartition(sides);
      this.stats.partitions++;
    } else if (this.partition !== null && rng.chance(0.06)) {
      this.setPartition(null);
    }
  }

  heal(): void {
    this.setPartition(null);
    this.loss = 0;
    this.duplicate = 0;
    for (const node of this.nodes.values()) this.restart(node);
  }

  /**
   * Liveness after healing: a leader emerges, and new proposals get applied by every voter.
   * Proposals that a deposed leader took but never replicated are simply proposed again.
   */
  awaitProgress(maxTicks: number, count: number): void {
    const finals = Array.from({ length: count }, (_, i) => `final-${i}`);
    for (let t = 0; t < maxTicks; t++) {
      this.tick();
      const leader = this.leaders()[0];
      if (leader === undefined || leader.raft === null) continue;
      const voters = leader.raft.status().voters;
      const members = voters.map((id) => this.nodes.get(id));
      const done = finals.every((f) => members.every((n) => n?.finals.has(f) === true));
      if (done) return;
      if (t % 25 === 0) {
        for (const f of finals) if (!leader.finals.has(f)) this.propose(leader, f);
      }
    }
    const state = [...this.nodes.values()]
      .map((n) => `${n.id}:${n.stopped ? 'stopped' : n.raft === null ? 'down' : `${n.role}/t${n.disk.hardState.term}/c${n.disk.hardState.commit}/${n.raft.status().voters.join('+')}`}`)
      .join(' ');
    this.fail(`liveness: no progress within ${maxTicks} ticks after healing (${state})`);
  }
}
