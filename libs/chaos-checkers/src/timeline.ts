import type { OutcomeKind } from './history.js';

/** What the timeline needs of an operation: when it was sent and when the client stopped waiting. */
export interface TimedOperation {
  call: number;
  ended: number;
  outcome: OutcomeKind;
}

/** One slice of the run: operations that ended in it, and the latencies of the answered ones. */
export interface Bucket {
  startMs: number;
  ok: number;
  fail: number;
  unknown: number;
  none: number;
  /** Latency percentiles of the answered (ok + fail) operations, ms; null when none answered. */
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** Throughput and latency over time, in buckets of `bucketMs` from 0 to `endMs`. */
export function timeline(operations: readonly TimedOperation[], bucketMs: number, endMs: number): Bucket[] {
  const count = Math.max(1, Math.ceil(endMs / bucketMs));
  const latencies: number[][] = Array.from({ length: count }, () => []);
  const buckets: Bucket[] = Array.from({ length: count }, (_, i) => ({ startMs: i * bucketMs, ok: 0, fail: 0, unknown: 0, none: 0, p50: null, p99: null, max: null }));
  for (const operation of operations) {
    const i = Math.min(count - 1, Math.max(0, Math.floor(operation.ended / bucketMs)));
    const bucket = buckets[i] as Bucket;
    bucket[operation.outcome] += 1;
    if (operation.outcome === 'ok' || operation.outcome === 'fail') (latencies[i] as number[]).push(operation.ended - operation.call);
  }
  buckets.forEach((bucket, i) => {
    const sorted = (latencies[i] as number[]).sort((a, b) => a - b);
    if (sorted.length === 0) return;
    bucket.p50 = percentile(sorted, 0.5);
    bucket.p99 = percentile(sorted, 0.99);
    bucket.max = sorted[sorted.length - 1] as number;
  });
  return buckets;
}

/** The nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of nothing');
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}
