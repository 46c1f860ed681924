import { describe, expect, it } from 'vitest';
import { parseByteRate } from './byte-rate.js';

describe('parseByteRate', () => {
  it('reads bytes per second with K/M/G suffixes (powers of 1024)', () => {
    expect(parseByteRate('1000')).toBe(1000);
    expect(parseByteRate('500K')).toBe(512_000);
    expect(parseByteRate('10M')).toBe(10 * 1024 * 1024);
    expect(parseByteRate('1.5m')).toBe(1.5 * 1024 * 1024);
    expect(parseByteRate('2MB/s')).toBe(2 * 1024 * 1024);
    expect(parseByteRate('0')).toBeUndefined();
  });

  it('refuses what is not a rate', () => {
    expect(() => parseByteRate('fast')).toThrow('expected bytes per second');
    expect(() => parseByteRate('-1M')).toThrow();
  });
});
