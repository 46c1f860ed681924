import { describe, expect, it } from 'vitest';
import { evaluateTarget, formatFigure, formatRatio, formatTable, KV_METRICS, ratio, type MetricDefinition } from './table.js';

const metric = (id: MetricDefinition['id']): MetricDefinition => KV_METRICS.find((m) => m.id === id) as MetricDefinition;

describe('ratio and figures', () => {
  it('divides kvd by etcd and refuses what cannot be divided', () => {
    expect(ratio(3000, 2000)).toBe(1.5);
    expect(ratio(undefined, 2000)).toBeUndefined();
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(Number.NaN, 1)).toBeUndefined();
  });

  it('formats ratios and figures for people', () => {
    expect(formatRatio(1.5)).toBe('1.50x');
    expect(formatRatio(0.123)).toBe('0.12x');
    expect(formatRatio(250.4)).toBe('250x');
    expect(formatRatio(undefined)).toBe('-');
    expect(formatFigure(12345.6, 'req/s')).toBe('12,346');
    expect(formatFigure(2.345, 'ms')).toBe('2.35');
    expect(formatFigure(45.67, 'ms')).toBe('45.7');
    expect(formatFigure(1500, 'ms')).toBe('1,500');
    expect(formatFigure(undefined, 'ms')).toBe('-');
  });
});

describe('evaluateTarget', () => {
  it('checks throughput targets at 3 members only', () => {
    expect(evaluateTarget(metric('writeRps'), 1, 0.5)).toBeUndefined();
    expect(evaluateTarget(metric('writeRps'), 3, 1.6)).toEqual({ text: '>= 1.50x', met: true });
    expect(evaluateTarget(metric('writeRps'), 3, 1.2)).toEqual({ text: '>= 1.50x', met: false });
  });

  it('checks the p99 latency target at every size', () => {
    expect(evaluateTarget(metric('writeP99Ms'), 1, 1)).toEqual({ text: '<= 1.00x', met: true });
    expect(evaluateTarget(metric('writeP99Ms'), 3, 1.01)).toEqual({ text: '<= 1.00x', met: false });
  });

  it('gives no verdict without a ratio and ignores metrics without a target', () => {
    expect(evaluateTarget(metric('readRps'), 3, undefined)).toEqual({ text: '>= 1.50x', met: undefined });
    expect(evaluateTarget(metric('watchFanoutMs'), 3, 2)).toBeUndefined();
  });
});

describe('formatTable', () => {
  it('prints metric, etcd, kvd, ratio, direction and target side by side', () => {
    const table = formatTable({
      size: 3,
      heading: '3 members',
      figures: {
        etcd: { writeP50Ms: 2, writeP99Ms: 5, writeRps: 4000, readRps: 20000, quorumReadRps: 4000, watchFanoutMs: 30 },
        kvd: { writeP50Ms: 3, writeP99Ms: 4, writeRps: 8000, readRps: 10000, quorumReadRps: 6000, watchFanoutMs: 60 },
      },
    });
    const lines = table.split('\n');
    expect(lines[0]).toBe('3 members');
    expect(lines[2]).toMatch(/^metric\s+etcd\s+kvd\s+kvd\/etcd\s+better\s+target$/);
    expect(table).toMatch(/write latency p99, 1 client \(ms\)\s+5\.00\s+4\.00\s+0\.80x\s+lower is better\s+<= 1\.00x met/);
    expect(table).toMatch(/write throughput \(req\/s\)\s+4,000\s+8,000\s+2\.00x\s+higher is better\s+>= 1\.50x met/);
    expect(table).toMatch(/read throughput \(req\/s\)\s+20,000\s+10,000\s+0\.50x\s+higher is better\s+>= 1\.50x MISSED/);
    expect(table).toMatch(/write -> all watchers answered \(ms\)\s+30\.0\s+60\.0\s+2\.00x\s+lower is better$/m);
    // figures are right-aligned under their heading
    const kvdHeadingEnd = (lines[2] as string).indexOf('kvd ') + 3;
    expect((lines[5] as string).slice(kvdHeadingEnd - 5, kvdHeadingEnd)).toBe('8,000');
  });

  it('shows dashes for a system that was not measured', () => {
    const table = formatTable({ size: 3, heading: '3 members', figures: { kvd: { writeRps: 100 } } });
    expect(table).toMatch(/write throughput \(req\/s\)\s+-\s+100\s+-\s+higher is better\s+>= 1\.50x \?$/m);
  });
});
