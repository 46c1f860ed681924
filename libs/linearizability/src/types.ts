/**
 * One operation of a recorded history. `call` and `return` are monotonic timestamps (any unit,
 * e.g. performance.now() milliseconds). An operation whose outcome is unknown (a timeout, a crash:
 * Jepsen's :info) has `return: Infinity`; its output is ignored, and it may or may not have taken
 * effect at any point after its call.
 */
export interface Operation<I, O> {
  clientId: number | string;
  input: I;
  output: O | undefined;
  call: number;
  return: number;
}

/** A sub-history that is checked on its own (P-compositionality: e.g. one key of a key-value store). */
export interface Partition<I, O> {
  key: string;
  operations: Operation<I, O>[];
}

/**
 * A sequential specification. `step` says whether `input` may produce `output` in `state`, and the
 * state after it. `output` is `undefined` for an operation with an unknown outcome: `step` must then
 * accept it in every state (choosing whichever effect the state implies), so that such an operation
 * can always be placed last, where it has no visible effect.
 */
export interface Model<S, I, O> {
  init(): S;
  step(state: S, input: I, output: O | undefined): [ok: boolean, next: S];
  /** Splits a history into independent sub-histories; without it the whole history is one partition. */
  partition?(history: readonly Operation<I, O>[]): Partition<I, O>[];
  equal(a: S, b: S): boolean;
  /** One operation, readable: e.g. `cas(a, "1" -> "2") -> ok @12`. */
  describe(input: I, output: O | undefined): string;
  describeState(state: S): string;
}

export type CheckResult = 'ok' | 'illegal' | 'unknown';

export interface CheckOptions {
  /** The time budget for the whole history; when spent, the result is 'unknown'. Default 10 s. */
  timeoutMs?: number;
}

/** One operation as it appears in a report. */
export interface ReportedOperation<I, O> {
  /** Its index in the partition's operations. */
  index: number;
  operation: Operation<I, O>;
  /** In a report's window: whether the operation is part of the longest linearizable prefix. */
  linearized?: boolean;
}

/** Why a partition could not be linearized. */
export interface IllegalReport<I, O> {
  key: string;
  /** The longest prefix of operations the search could linearize, in linearization order. */
  longestPrefix: ReportedOperation<I, O>[];
  /** The model state after that prefix, described. */
  stateAfterPrefix: string;
  /** The first operation that could not be linearized after that prefix (it returned before any order worked). */
  blocking: ReportedOperation<I, O>;
  /** The operations concurrent with the blocking one (linearized or not), and every not-yet-linearized one called before it returned. */
  window: ReportedOperation<I, O>[];
  /** Readable lines: key, the tail of the prefix, the state, and the window. */
  text: string;
}

export interface PartitionResult {
  key: string;
  result: CheckResult;
  operations: number;
  elapsedMs: number;
}

export interface CheckReport<I, O> {
  result: CheckResult;
  elapsedMs: number;
  partitions: PartitionResult[];
  /** Present when `result` is 'illegal': the first partition that failed. */
  illegal?: IllegalReport<I, O>;
}
