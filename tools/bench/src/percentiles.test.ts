import { describe, expect, it } from 'vitest';
import { percentile, summarizeLatencies } from './percentiles.js';

describe('percentile', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose

  it('uses the nearest rank', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([5], 99)).toBe(5);
  });

  it('never returns a value that was not measured', () => {
    expect(percentile([1, 10], 75)).toBe(10);
  });

  it('does not reorder its input', () => {
    const samples = [3, 1, 2];
    percentile(samples, 50);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('rejects empty input and out-of-range p', () => {
    expect(() => percentile([], 50)).toThrow(/no samples/);
    expect(() => percentile([1], 101)).toThrow(/outside/);
  });
});

describe('summarizeLatencies', () => {
  it('gives p50, p99, max and mean', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(summarizeLatencies(samples)).toEqual({ count: 1000, p50Ms: 500, p99Ms: 990, maxMs: 1000, meanMs: 500.5 });
  });
});
