import { describe, expect, it } from 'vitest';
import { parseCpus } from './cpus.js';

describe('parseCpus', () => {
  it('turns CPUs into nano-CPUs', () => {
    expect(parseCpus('0.5')).toBe(500_000_000);
    expect(parseCpus('2')).toBe(2_000_000_000);
  });
  it.each(['0', '-1', 'half', '', '2000'])('rejects %j', (text) => {
    expect(() => parseCpus(text)).toThrow(/invalid cpu limit/);
  });
});
