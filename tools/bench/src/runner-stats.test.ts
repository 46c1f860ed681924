import { describe, expect, it } from 'vitest';
import { ratioOf, roundOrder, spread, statCpuTicks, statusKilobytes } from './runner-stats.js';

describe('spread', () => {
  it('gives nearest-rank p50, p90, p99 and the maximum', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(spread(samples)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('handles one sample and none', () => {
    expect(spread([7])).toEqual({ count: 1, p50: 7, p90: 7, p99: 7, max: 7 });
    expect(spread([])).toBeUndefined();
  });
});

describe('roundOrder', () => {
  it('puts every system first equally often', () => {
    const systems = ['docker', 'runctl', 'api'];
    expect(roundOrder(systems, 0)).toEqual(['docker', 'runctl', 'api']);
    expect(roundOrder(systems, 1)).toEqual(['runctl', 'api', 'docker']);
    expect(roundOrder(systems, 2)).toEqual(['api', 'docker', 'runctl']);
    expect(roundOrder(systems, 3)).toEqual(roundOrder(systems, 0));
    expect(roundOrder([], 5)).toEqual([]);
  });
});

describe('ratioOf', () => {
  it('divides, or says nothing when it cannot', () => {
    expect(ratioOf(330, 300)).toBeCloseTo(1.1);
    expect(ratioOf(undefined, 300)).toBeUndefined();
    expect(ratioOf(1, 0)).toBeUndefined();
    expect(ratioOf(Number.NaN, 1)).toBeUndefined();
  });
});

describe('/proc readers', () => {
  const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t   81234 kB\nVmRSS:\t   65432 kB\nThreads:\t11\n';

  it('reads VmRSS and VmHWM from /proc/PID/status', () => {
    expect(statusKilobytes(status, 'VmRSS')).toBe(65432);
    expect(statusKilobytes(status, 'VmHWM')).toBe(81234);
    expect(statusKilobytes('Name:\tzombie\n', 'VmRSS')).toBeUndefined();
  });

  it('adds utime and stime of /proc/PID/stat, counting fields after the command name', () => {
    // A command name with spaces and parentheses must not shift the fields.
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1234 567 0 0 20 0 11 0 100 1000000 16000';
    expect(statCpuTicks(stat)).toBe(1234 + 567);
    expect(statCpuTicks('')).toBeUndefined();
  });
});
