import { describe, expect, it } from 'vitest';
import { Prng, seededRandom } from './prng.js';

describe('Prng (mulberry32)', () => {
  it('replays the same sequence from the same seed, and another from another seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const first = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(first);
    expect(new Prng(43).next()).not.toBe(first[0]);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('gives mulberry32\'s known first value for seed 1', () => {
    // Reference value of the published mulberry32 algorithm for seed 1.
    expect(new Prng(1).next()).toBeCloseTo(0.6270739405881613, 15);
  });

  it('keeps int, pick and shuffle within their bounds and permutes', () => {
    const prng = new Prng(7);
    for (let i = 0; i < 1000; i++) {
      const n = prng.int(3, 5);
      expect(n >= 3 && n <= 5 && Number.isInteger(n)).toBe(true);
    }
    expect(['x', 'y']).toContain(prng.pick(['x', 'y']));
    expect(() => prng.pick([])).toThrow('empty');
    expect(prng.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('matches seededRandom for the same seed, and forks independent streams', () => {
    const random = seededRandom(9);
    const prng = new Prng(9);
    expect([random(), random()]).toEqual([prng.next(), prng.next()]);
    const fork = new Prng(9).fork();
    expect(fork.next()).not.toBe(new Prng(9).next());
  });
});
