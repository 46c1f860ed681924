import type { NodeId } from './types.js';

/** Base class so callers can tell raft's refusals apart from bugs with one instanceof. */
export class RaftError extends Error {
  override name = 'RaftError';
}

/** Only the leader accepts proposals; `leader` lets the caller redirect (null while electing). */
export class NotLeaderError extends RaftError {
  override name = 'NotLeaderError';
  constructor(readonly leader: NodeId | null) {
    super(leader === null ? 'not the leader; no leader is known' : `not the leader; the leader is ${leader}`);
  }
}

/** The leader is handing leadership over (or has been removed): retry against the new leader. */
export class ProposalDroppedError extends RaftError {
  override name = 'ProposalDroppedError';
}

/** Single-server membership changes are only safe one at a time. */
export class ConfChangePendingError extends RaftError {
  override name = 'ConfChangePendingError';
  constructor(readonly pendingIndex: number) {
    super(`a configuration change at index ${pendingIndex} is not applied yet`);
  }
}

/** Adding an existing voter, removing an unknown one, removing the last voter, transferring to a non-voter. */
export class InvalidConfChangeError extends RaftError {
  override name = 'InvalidConfChangeError';
}

/** Bad RaftConfig or PersistedState: the node cannot start. */
export class InvalidConfigError extends RaftError {
  override name = 'InvalidConfigError';
}

/** compact() asked for an index raft cannot snapshot (not applied yet, or already compacted). */
export class CompactionError extends RaftError {
  override name = 'CompactionError';
}
