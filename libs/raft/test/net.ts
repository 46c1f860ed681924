import { RaftNode, parseConfChange } from '../src/index.js';
import type { Entry, Message, NodeId, PersistedState, RaftConfig, ReadState, Ready } from '../src/index.js';
import { Prng } from '@minicore/seeded-random';

/** One machine in a unit-test network: raft plus an in-memory "disk" and applied log. */
export interface NetNode {
  raft: RaftNode;
  disk: PersistedState;
  /** Data of every applied normal entry, in order (restored from snapshots). */
  applied: string[];
  appliedIndex: number;
  readStates: ReadState[];
  readies: Ready[];
}

export type Filter = (m: Message) => Message | null;

/**
 * A synchronous, lossless network for unit tests: flush() processes every node's Ready and
 * delivers messages until the cluster is quiet. Links can be cut and messages filtered or
 * rewritten to build exact scenarios.
 */
export class Net {
  readonly nodes = new Map<NodeId, NetNode>();
  readonly down = new Set<NodeId>();
  readonly sent: Message[] = [];
  private queue: Message[] = [];
  private readonly cut = new Set<string>();
  filter: Filter | null = null;
  private readonly rng = new Prng(42);

  constructor(
    ids: NodeId[],
    readonly overrides: Partial<RaftConfig> = {},
  ) {
    for (const id of ids) this.add(id, ids);
  }

  config(id: NodeId, peers: NodeId[], extra: Partial<RaftConfig> = {}): RaftConfig {
    const random = this.rng.fork();
    return {
      id,
      peers,
      electionTick: 10,
      heartbeatTick: 1,
      preVote: true,
      checkQuorum: true,
      maxEntriesPerMessage: 64,
      maxInflightMessages: 16,
      random: () => random.next(),
      ...this.overrides,
      ...extra,
    };
  }

  add(id: NodeId, peers: NodeId[], extra: Partial<RaftConfig> = {}): NetNode {
    const cfg = this.config(id, peers, extra);
    const node: NetNode = {
      raft: new RaftNode(cfg),
      disk: cfg.persisted ? structuredClone(cfg.persisted) : { hardState: { term: 0, vote: null, commit: 0 }, entries: [] },
      applied: cfg.persisted?.snapshot === undefined ? [] : (JSON.parse(cfg.persisted.snapshot.data) as string[]),
      appliedIndex: cfg.applied ?? cfg.persisted?.snapshot?.meta.index ?? 0,
      readStates: [],
      readies: [],
    };
    this.nodes.set(id, node);
    this.down.delete(id);
    this.processReady(id);
    return node;
  }

  node(id: NodeId): NetNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  raft(id: NodeId): RaftNode {
    return this.node(id).raft;
  }

  processReady(id: NodeId): void {
    const node = this.node(id);
    if (this.down.has(id)) return;
    while (node.raft.hasReady()) {
      const rd = node.raft.ready();
      node.readies.push(rd);
      if (rd.snapshot !== undefined) {
        node.disk.snapshot = structuredClone(rd.snapshot);
        node.disk.entries = [];
      }
      const first = rd.entries[0];
      if (first !== undefined) {
        node.disk.entries = node.disk.entries.filter((e) => e.index < first.index).concat(structuredClone(rd.entries));
      }
      if (rd.hardState !== undefined) node.disk.hardState = { ...rd.hardState };
      for (const m of rd.messages) {
        this.sent.push(m);
        this.queue.push(JSON.parse(JSON.stringify(m)) as Message);
      }
      if (rd.snapshot !== undefined) {
        node.applied = JSON.parse(rd.snapshot.data) as string[];
        node.appliedIndex = rd.snapshot.meta.index;
      }
      for (const e of rd.committedEntries) this.applyEntry(node, e);
      node.readStates.push(...rd.readStates);
      node.raft.advance(rd);
    }
  }

  private applyEntry(node: NetNode, e: Entry): void {
    if (e.index !== node.appliedIndex + 1) throw new Error(`applying ${e.index} after ${node.appliedIndex}`);
    node.appliedIndex = e.index;
    if (e.type === 'confChange') node.raft.applyConfChange(parseConfChange(e));
    else if (e.data !== '') node.applied.push(e.data);
  }

  /** Processes readies and delivers messages until nothing moves. */
  flush(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      for (const id of this.nodes.keys()) this.processReady(id);
      if (this.queue.length === 0) return;
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) this.deliver(m);
    }
    throw new Error('network did not quiesce');
  }

  private deliver(original: Message): void {
    if (this.down.has(original.to) || this.down.has(original.from)) return;
    if (this.cut.has(`${original.from}>${original.to}`)) return;
    const m = this.filter === null ? original : this.filter(original);
    if (m === null) return;
    const node = this.nodes.get(m.to);
    if (node === undefined) return;
    node.raft.step(m);
    this.processReady(m.to);
  }

  /** Drops the messages still in flight (e.g. to simulate losing them). */
  dropQueued(): void {
    this.queue = [];
  }

  tick(ids: NodeId[] = [...this.nodes.keys()], times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const id of ids) {
        if (this.down.has(id)) continue;
        this.raft(id).tick();
      }
      this.flush();
    }
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  heal(): void {
    this.cut.clear();
    this.filter = null;
  }

  crash(id: NodeId): void {
    this.down.add(id);
  }

  /** Rebuilds the node from exactly what it persisted. */
  restart(id: NodeId, extra: Partial<RaftConfig> = {}): NetNode {
    const old = this.node(id);
    const snapshotIndex = old.disk.snapshot?.meta.index ?? 0;
    const node = this.add(id, [], { persisted: structuredClone(old.disk), applied: snapshotIndex, ...extra });
    return node;
  }

  compact(id: NodeId): void {
    const node = this.node(id);
    const snapshot = node.raft.compact(node.appliedIndex, JSON.stringify(node.applied));
    node.disk.snapshot = structuredClone(snapshot);
    node.disk.entries = node.disk.entries.filter((e) => e.index > snapshot.meta.index);
  }

  leaders(): NodeId[] {
    return [...this.nodes.keys()].filter((id) => !this.down.has(id) && this.raft(id).status().role === 'leader');
  }

  /** Ticks everyone until exactly one leader exists; returns it. */
  electLeader(maxTicks = 100): NodeId {
    for (let t = 0; t < maxTicks; t++) {
      const leaders = this.leaders();
      if (leaders.length === 1 && leaders[0] !== undefined) return leaders[0];
      this.tick();
    }
    throw new Error('no leader elected');
  }

  campaign(id: NodeId): void {
    this.raft(id).campaign();
    this.flush();
  }

  messagesOf(type: Message['type']): Message[] {
    return this.sent.filter((m) => m.type === type);
  }
}

/**
 * Persisted state for a node whose log holds the bootstrap entries of `voters` followed by
 * entries with the given terms (data `t<term>-<index>`), for building divergent-log scenarios.
 */
export function persistedWith(voters: NodeId[], terms: number[], hard: { term: number; vote?: NodeId | null; commit?: number }): PersistedState {
  const sorted = [...voters].sort();
  const entries: Entry[] = sorted.map((nodeId, i) => ({ term: 1, index: i + 1, type: 'confChange', data: JSON.stringify({ type: 'addNode', nodeId }) }));
  for (const term of terms) {
    const index = entries.length + 1;
    entries.push({ term, index, type: 'normal', data: `t${term}-${index}` });
  }
  return { hardState: { term: hard.term, vote: hard.vote ?? null, commit: hard.commit ?? sorted.length }, entries };
}
