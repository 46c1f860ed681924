import { Bitset } from './bitset.js';
import { formatIllegalReport } from './report.js';
import type { CheckOptions, CheckReport, CheckResult, IllegalReport, Model, Operation, Partition, PartitionResult } from './types.js';

const DEFAULT_TIMEOUT_MS = 10_000;
/** How many search steps run between two looks at the clock. */
const CLOCK_EVERY = 1024;

/**
 * Checks that a history is linearizable with respect to a model: Wing & Gong's search with Lowe's
 * memoization of (linearized set, state) pairs, run per partition (P-compositionality), as
 * Porcupine does. 'unknown' means the time budget ran out before an answer.
 */
export function checkOperations<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], options: CheckOptions = {}): CheckReport<I, O> {
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const partitions: Partition<I, O>[] = model.partition ? model.partition(history) : [{ key: '', operations: [...history] }];
  const results: PartitionResult[] = [];
  let result: CheckResult = 'ok';
  let illegal: IllegalReport<I, O> | undefined;
  for (const partition of partitions) {
    const partitionStarted = performance.now();
    const outcome = checkPartition(model, partition, deadline);
    results.push({ key: partition.key, result: outcome.result, operations: partition.operations.length, elapsedMs: performance.now() - partitionStarted });
    if (outcome.result === 'illegal') {
      result = 'illegal';
      illegal = outcome.report;
      break;
    }
    if (outcome.result === 'unknown') {
      result = 'unknown';
      break;
    }
  }
  const report: CheckReport<I, O> = { result, elapsedMs: performance.now() - started, partitions: results };
  if (illegal) report.illegal = illegal;
  return report;
}

/** A call or return event in the doubly linked list the search walks (dancing links). */
interface Entry {
  kind: 'call' | 'return';
  id: number;
  time: number;
  /** For a call, its return. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

function buildEntries<I, O>(operations: readonly Operation<I, O>[]): Entry {
  const entries: Entry[] = [];
  operations.forEach((operation, id) => {
    if (!(operation.call <= operation.return)) throw new Error(`operation ${id} returns (${operation.return}) before its call (${operation.call})`);
    const ret: Entry = { kind: 'return', id, time: operation.return, match: null, prev: null, next: null };
    entries.push({ kind: 'call', id, time: operation.call, match: ret, prev: null, next: null }, ret);
  });
  // At equal times a call sorts before a return: the two operations count as concurrent.
  entries.sort((a, b) => a.time - b.time || (a.kind === b.kind ? a.id - b.id : a.kind === 'call' ? -1 : 1));
  const head: Entry = { kind: 'call', id: -1, time: -Infinity, match: null, prev: null, next: null };
  let last = head;
  for (const entry of entries) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

/** Takes a call and its return out of the list. */
function lift(entry: Entry): void {
  unlink(entry);
  unlink(entry.match as Entry);
}

/** Puts them back, in reverse order (their own prev/next still point at their old neighbours). */
function unlift(entry: Entry): void {
  relink(entry.match as Entry);
  relink(entry);
}

function unlink(entry: Entry): void {
  (entry.prev as Entry).next = entry.next;
  if (entry.next) entry.next.prev = entry.prev;
}

function relink(entry: Entry): void {
  (entry.prev as Entry).next = entry;
  if (entry.next) entry.next.prev = entry;
}

type PartitionOutcome<I, O> = { result: 'ok' | 'unknown' } | { result: 'illegal'; report: IllegalReport<I, O> };

interface Frame<S> {
  entry: Entry;
  /** The state before this operation was linearized. */
  state: S;
}

/** The memo table: linearized sets already explored, with the states they were explored in. */
class Memo<S> {
  private readonly buckets = new Map<number, { bits: Bitset; state: S }[]>();

  constructor(private readonly equal: (a: S, b: S) => boolean) {}

  /** False when this (set, state) pair was seen before: nothing new can follow from it. */
  add(bits: Bitset, state: S): boolean {
    const hash = bits.hash();
    const bucket = this.buckets.get(hash);
    if (!bucket) {
      this.buckets.set(hash, [{ bits, state }]);
      return true;
    }
    for (const seen of bucket) if (seen.bits.equals(bits) && this.equal(seen.state, state)) return false;
    bucket.push({ bits, state });
    return true;
  }
}

export function checkPartition<S, I, O>(model: Model<S, I, O>, partition: Partition<I, O>, deadline: number): PartitionOutcome<I, O> {
  const operations = partition.operations;
  const head = buildEntries(operations);
  const memo = new Memo<S>((a, b) => model.equal(a, b));
  const stack: Frame<S>[] = [];
  let linearized = Bitset.ofSize(operations.length);
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  // The deepest dead end: the prefix linearized when the search first hit a return it could not pass.
  let best: { prefix: number[]; state: S; blocking: number } | undefined;

  while (head.next !== null && entry !== null) {
    if (++steps % CLOCK_EVERY === 0 && performance.now() > deadline) return { result: 'unknown' };
    if (entry.kind === 'call') {
      const operation = operations[entry.id] as Operation<I, O>;
      const [ok, next] = model.step(state, operation.input, operation.return === Infinity ? undefined : operation.output);
      if (ok) {
        const bits = linearized.clone().set(entry.id);
        if (memo.add(bits, next)) {
          stack.push({ entry, state });
          state = next;
          linearized = bits;
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      // This operation returned, yet no order of the pending ones lets it take effect: backtrack.
      if (!best || stack.length > best.prefix.length) best = { prefix: stack.map((frame) => frame.entry.id), state, blocking: entry.id };
      const top = stack.pop();
      if (!top) return { result: 'illegal', report: illegalReport(model, partition, best) };
      state = top.state;
      linearized = linearized.clone().clear(top.entry.id);
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { result: 'ok' };
}

function illegalReport<S, I, O>(model: Model<S, I, O>, partition: Partition<I, O>, best: { prefix: number[]; state: S; blocking: number }): IllegalReport<I, O> {
  const operations = partition.operations;
  const at = (index: number) => ({ index, operation: operations[index] as Operation<I, O> });
  const inPrefix = new Set(best.prefix);
  const blocking = at(best.blocking);
  // The ops concurrent with the blocking one (overlapping it in time), and every op still waiting to be linearized that was called before it returned.
  const window = operations
    .map((_, index) => ({ ...at(index), linearized: inPrefix.has(index) }))
    .filter(({ operation, linearized }) => operation.call <= blocking.operation.return && (!linearized || operation.return >= blocking.operation.call))
    .sort((a, b) => a.operation.call - b.operation.call || a.index - b.index);
  const report: Omit<IllegalReport<I, O>, 'text'> = {
    key: partition.key,
    longestPrefix: best.prefix.map(at),
    stateAfterPrefix: model.describeState(best.state),
    blocking,
    window,
  };
  return { ...report, text: formatIllegalReport(model, operations, report) };
}
