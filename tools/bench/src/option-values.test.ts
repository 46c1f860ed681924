import { describe, expect, it } from 'vitest';
import { durationSeconds, someOf, UsageError, wholeNumber } from './option-values.js';

describe('benchmark option values', () => {
  it('reads whole numbers within bounds, naming the flag otherwise', () => {
    expect(wholeNumber('units', ' 42 ', 1, 100)).toBe(42);
    expect(() => wholeNumber('units', '4.5', 1, 100)).toThrow(/--units 4.5: expected a whole number/);
    expect(() => wholeNumber('units', '0', 1, 100)).toThrow(UsageError);
  });

  it('reads durations in ms, s, m or bare seconds, with a floor', () => {
    expect(durationSeconds('steady', '500ms')).toBe(0.5);
    expect(durationSeconds('steady', '2m')).toBe(120);
    expect(durationSeconds('steady', '15')).toBe(15);
    expect(() => durationSeconds('baseline', '500ms', 1)).toThrow(/--baseline 500ms: at least 1s/);
    expect(() => durationSeconds('steady', 'soon')).toThrow(/expected e.g. 10s/);
  });

  it('reads a subset of a fixed list in the list order, without repeats', () => {
    expect(someOf('phases', 'read, write,read', ['write', 'read', 'watch'] as const)).toEqual(['write', 'read']);
    expect(() => someOf('phases', 'write,fly', ['write', 'read'] as const)).toThrow(/--phases write,fly: expected some of write,read/);
  });
});
