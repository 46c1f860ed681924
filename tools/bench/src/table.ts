import type { KvSystem } from './args.js';
import { renderColumns } from './columns.js';

export type MetricId = 'writeP50Ms' | 'writeP99Ms' | 'writeRps' | 'readRps' | 'quorumReadRps' | 'watchFanoutMs';

export interface Target {
  /** kvd/etcd must be >= this (throughput) ... */
  minRatio?: number;
  /** ... or <= this (latency). */
  maxRatio?: number;
  /** The cluster size the issue sets the target for; every size when absent. */
  atSize?: number;
}

export interface MetricDefinition {
  id: MetricId;
  label: string;
  unit: 'ms' | 'req/s';
  better: 'higher' | 'lower';
  target?: Target;
}

/** The rows of the kv table, in print order, with the targets the kv issue sets. */
export const KV_METRICS: readonly MetricDefinition[] = [
  { id: 'writeP50Ms', label: 'write latency p50, 1 client', unit: 'ms', better: 'lower' },
  { id: 'writeP99Ms', label: 'write latency p99, 1 client', unit: 'ms', better: 'lower', target: { maxRatio: 1 } },
  { id: 'writeRps', label: 'write throughput', unit: 'req/s', better: 'higher', target: { minRatio: 1.5, atSize: 3 } },
  { id: 'readRps', label: 'read throughput', unit: 'req/s', better: 'higher', target: { minRatio: 1.5, atSize: 3 } },
  { id: 'quorumReadRps', label: 'read throughput ?quorum=true', unit: 'req/s', better: 'higher', target: { minRatio: 1.5, atSize: 3 } },
  { id: 'watchFanoutMs', label: 'write -> all watchers answered', unit: 'ms', better: 'lower' },
];

export type Figures = Partial<Record<MetricId, number>>;

/** kvd/etcd, or undefined when either side is missing or etcd's figure is 0. */
export function ratio(kvd: number | undefined, etcd: number | undefined): number | undefined {
  if (kvd === undefined || etcd === undefined || !Number.isFinite(kvd) || !Number.isFinite(etcd) || etcd === 0) return undefined;
  return kvd / etcd;
}

export function formatRatio(value: number | undefined): string {
  if (value === undefined) return '-';
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(2)}x`;
}

export function formatFigure(value: number | undefined, unit: MetricDefinition['unit']): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  if (unit === 'req/s') return Math.round(value).toLocaleString('en-US');
  return value < 10 ? value.toFixed(2) : value < 1000 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
}

/** `met` is undefined when there is no ratio to judge (a system not measured, or a phase that failed). */
export type TargetOutcome = { text: string; met: boolean | undefined } | undefined;

/** The target for this metric at this size, and whether the measured ratio meets it. */
export function evaluateTarget(metric: MetricDefinition, size: number, value: number | undefined): TargetOutcome {
  const target = metric.target;
  if (!target || (target.atSize !== undefined && target.atSize !== size)) return undefined;
  const text = target.minRatio !== undefined ? `>= ${target.minRatio.toFixed(2)}x` : `<= ${(target.maxRatio ?? 1).toFixed(2)}x`;
  if (value === undefined) return { text, met: undefined };
  const met = target.minRatio !== undefined ? value >= target.minRatio : value <= (target.maxRatio ?? 1);
  return { text, met };
}

export interface TableInput {
  size: number;
  heading: string;
  figures: Partial<Record<KvSystem, Figures>>;
  metrics?: readonly MetricDefinition[];
}

/** One cluster size: metric, etcd, kvd, kvd/etcd, which direction is better, and the target. */
export function formatTable(input: TableInput): string {
  const metrics = input.metrics ?? KV_METRICS;
  const rows: string[][] = [['metric', 'etcd', 'kvd', 'kvd/etcd', 'better', 'target']];
  for (const metric of metrics) {
    const etcd = input.figures.etcd?.[metric.id];
    const kvd = input.figures.kvd?.[metric.id];
    const value = ratio(kvd, etcd);
    const outcome = evaluateTarget(metric, input.size, value);
    rows.push([
      `${metric.label} (${metric.unit})`,
      formatFigure(etcd, metric.unit),
      formatFigure(kvd, metric.unit),
      formatRatio(value),
      `${metric.better} is better`,
      outcome ? `${outcome.text} ${outcome.met === undefined ? '?' : outcome.met ? 'met' : 'MISSED'}` : '',
    ]);
  }
  const rule = '-'.repeat(Math.max(...rows.map((row) => row.join('  ').length)));
  return `${input.heading}\n${rule}\n${renderColumns(rows, new Set([1, 2, 3]))}\n`;
}
