export { RaftNode } from './raft.js';
export { RaftLog } from './log.js';
export { Membership, parseConfChange } from './membership.js';
export { isEmptyReady } from './ready.js';
export {
  CompactionError,
  ConfChangePendingError,
  InvalidConfChangeError,
  InvalidConfigError,
  NotLeaderError,
  ProposalDroppedError,
  RaftError,
} from './errors.js';
export type {
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
  MessageType,
  NodeId,
  PersistedState,
  ProgressState,
  ProgressStatus,
  RaftConfig,
  ReadIndexMessage,
  ReadIndexResponse,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotMessage,
  SnapshotMeta,
  SoftState,
  Status,
  TimeoutNowMessage,
  VoteRequest,
  VoteResponse,
} from './types.js';
