/**
 * The p-th percentile (0..100) of `samples` by the nearest-rank method: the smallest sample with at
 * least p% of the samples at or below it. Nearest rank never invents a value between two samples,
 * so p99 of 2,000 latencies is the 1,980th smallest one.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  if (p < 0 || p > 100) throw new Error(`percentile ${p} is outside 0..100`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarizeLatencies(samplesMs: readonly number[]): LatencySummary {
  return {
    count: samplesMs.length,
    p50Ms: percentile(samplesMs, 50),
    p99Ms: percentile(samplesMs, 99),
    maxMs: Math.max(...samplesMs),
    meanMs: samplesMs.reduce((sum, value) => sum + value, 0) / samplesMs.length,
  };
}
