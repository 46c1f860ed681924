import { describe, expect, it } from 'vitest';
import { describeCpu, parseStatCpuSeconds, processCpuSeconds } from './process-cpu.js';

describe('processCpuSeconds', () => {
  it('reads utime + stime after a command name with spaces and parentheses', () => {
    const stat = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 1 0 100 1000 10';
    expect(parseStatCpuSeconds(stat)).toBe(3);
  });

  it('measures this very process and gives nothing for a missing one', () => {
    const own = processCpuSeconds(process.pid);
    if (process.platform === 'linux') expect(own).toBeGreaterThanOrEqual(0);
    expect(processCpuSeconds(2 ** 30)).toBeUndefined();
  });

  it('describes a phase with the leader marked', () => {
    const text = describeCpu('write', { seconds: { kvd1: 5, kvd2: 2.5 }, msPerRequest: 0.25 }, 'kvd1');
    expect(text).toBe('write phase: 0.250 CPU ms per request over all members (kvd1 (leader) 5.0 s, kvd2 2.5 s)');
  });
});
