import { describe, expect, it } from 'vitest';
import { caseSeed, FuzzPrng } from './prng.js';

describe('FuzzPrng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = new FuzzPrng(42);
    const b = new FuzzPrng(42);
    const c = new FuzzPrng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
  });

  it('keeps int within its bounds', () => {
    const rng = new FuzzPrng(7);
    for (let i = 0; i < 1000; i++) {
      const n = rng.int(-3, 5);
      expect(n).toBeGreaterThanOrEqual(-3);
      expect(n).toBeLessThanOrEqual(5);
    }
  });

  it('derives distinct case seeds per daemon and index', () => {
    expect(caseSeed(1, 'kvd', 0)).toBe(caseSeed(1, 'kvd', 0));
    expect(caseSeed(1, 'kvd', 0)).not.toBe(caseSeed(1, 'kvd', 1));
    expect(caseSeed(1, 'kvd', 0)).not.toBe(caseSeed(1, 'schedulerd', 0));
  });
});
