/**
 * The data types the Raft core exchanges with the application. Every value here is a plain
 * JSON-serializable object: messages travel between nodes as JSON, and entries, hard state and
 * snapshots are what the application writes to disk.
 */

export type NodeId = string;

/** 'confChange' entries carry JSON.stringify(ConfChange); everything else is 'normal'. */
export type EntryType = 'normal' | 'confChange';

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque to raft. '' for the empty entry a new leader appends to commit its term. */
  data: string;
}

export interface ConfChange {
  type: 'addNode' | 'removeNode';
  nodeId: NodeId;
  /** Opaque to raft: e.g. the new member's peer URL, so every node learns how to reach it. */
  context?: string;
}

export interface ConfState {
  voters: NodeId[];
}

export interface SnapshotMeta {
  /** Last log index the snapshot covers. */
  index: number;
  /** Term of the entry at `index`. */
  term: number;
  /** Membership in effect after applying every entry up to `index`. */
  conf: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  /** The application's state-machine image: opaque to raft. */
  data: string;
}

/** What must be durable before any message of the same Ready is sent. */
export interface HardState {
  term: number;
  vote: NodeId | null;
  commit: number;
}

/** A linearizable read may be served once the application has applied up to `index`. */
export interface ReadState {
  index: number;
  requestId: string;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state, reported so the application can route proposals and show status. */
export interface SoftState {
  leader: NodeId | null;
  role: Role;
}

interface MessageBase {
  from: NodeId;
  to: NodeId;
  term: number;
}

/**
 * A vote request. For 'preVote', `term` is the term the sender would campaign in (its own
 * term + 1): the sender has not bumped its term yet.
 */
export interface VoteRequest extends MessageBase {
  type: 'preVote' | 'vote';
  lastIndex: number;
  lastTerm: number;
  /** Set when the election is a leadership transfer: voters then ignore their leader lease. */
  transfer?: boolean;
}

export interface VoteResponse extends MessageBase {
  type: 'preVoteResp' | 'voteResp';
  reject: boolean;
}

export interface AppendMessage extends MessageBase {
  type: 'append';
  /** Index and term of the entry just before `entries`: the consistency check. */
  prevIndex: number;
  prevTerm: number;
  entries: Entry[];
  commit: number;
}

export interface AppendResponse extends MessageBase {
  type: 'appendResp';
  /** On success: the follower's last index known to match the leader. On reject: the rejected prevIndex. */
  index: number;
  reject: boolean;
  /**
   * On reject: the largest index at or below the rejected one whose term is <= the leader's
   * prevTerm (with `rejectTerm` its term), so the leader can skip a whole conflicting term at once.
   */
  rejectHint: number;
  rejectTerm: number;
}

export interface HeartbeatMessage extends MessageBase {
  type: 'heartbeat';
  /** min(follower's match, leader commit): never ahead of what the follower is known to hold. */
  commit: number;
  /** ReadIndex request id being confirmed by this round of heartbeats, if any. */
  context?: string;
}

export interface HeartbeatResponse extends MessageBase {
  type: 'heartbeatResp';
  context?: string;
}

export interface SnapshotMessage extends MessageBase {
  type: 'snapshot';
  snapshot: Snapshot;
}

/** Sent by a leader to its chosen successor: campaign now, skipping pre-vote and leases. */
export interface TimeoutNowMessage extends MessageBase {
  type: 'timeoutNow';
}

/** A follower forwards a client's ReadIndex request to the leader. */
export interface ReadIndexMessage extends MessageBase {
  type: 'readIndex';
  requestId: string;
}

export interface ReadIndexResponse extends MessageBase {
  type: 'readIndexResp';
  requestId: string;
  index: number;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendMessage
  | AppendResponse
  | HeartbeatMessage
  | HeartbeatResponse
  | SnapshotMessage
  | TimeoutNowMessage
  | ReadIndexMessage
  | ReadIndexResponse;

export type MessageType = Message['type'];

/**
 * One batch of work for the application. Handle it in this order, then call advance(ready):
 * 1. persist `snapshot` (if any), then `entries` (replacing stored entries from entries[0].index on),
 *    then `hardState` (if any), durably;
 * 2. send `messages`;
 * 3. load `snapshot` into the state machine (if any), then apply `committedEntries` in order,
 *    calling applyConfChange for each 'confChange' entry;
 * 4. serve `readStates` once applied >= readState.index.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
}

/** What the application loaded from disk on restart. `entries` are those after the snapshot. */
export interface PersistedState {
  hardState: HardState;
  snapshot?: Snapshot;
  entries: Entry[];
}

export interface RaftConfig {
  id: NodeId;
  /**
   * Voters of a brand-new cluster. Used only when `persisted` is absent or empty (no snapshot,
   * no entries, term 0): the node then writes one 'addNode' confChange entry per peer (sorted,
   * term 1, indexes 1..n, already committed) exactly like every other founding member does, so
   * the membership is part of the log and a node added later learns it by replication.
   * A node joining an existing cluster passes `peers: []` and learns everything from the leader.
   * On restart membership is rebuilt from the snapshot's conf plus the confChange entries in
   * (snapshot index, applied]; later ones are re-applied by the application via applyConfChange.
   */
  peers: NodeId[];
  /** Ticks without hearing from a leader before campaigning (randomized in [electionTick, 2*electionTick)). */
  electionTick: number;
  /** Ticks between leader heartbeats; must be < electionTick. */
  heartbeatTick: number;
  preVote: boolean;
  /** Leader steps down when it has not heard from a quorum within an election timeout. */
  checkQuorum: boolean;
  maxEntriesPerMessage: number;
  maxInflightMessages: number;
  /** Returns a number in [0, 1): the only source of randomness (election timeout jitter). */
  random: () => number;
  persisted?: PersistedState;
  /** Last index the application has already applied (from its own durable state). Defaults to the snapshot index. */
  applied?: number;
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
}

export interface Status {
  id: NodeId;
  term: number;
  vote: NodeId | null;
  role: Role;
  leader: NodeId | null;
  commit: number;
  applied: number;
  firstIndex: number;
  lastIndex: number;
  voters: NodeId[];
  /** Only on the leader. */
  progress?: Record<NodeId, ProgressStatus>;
  /** Only on the leader, while a leadership transfer is in progress. */
  leadTransferee?: NodeId;
}
