import { describe, expect, it } from 'vitest';
import { formatMemory, parseMemory } from './memory.js';

describe('parseMemory', () => {
  it.each([
    ['64m', 64 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['8192k', 8192 * 1024],
    ['64MiB', 64 * 1024 ** 2],
    ['64mb', 64 * 1024 ** 2],
    ['16M', 16 * 1024 ** 2],
    ['10485760', 10485760],
  ])('reads %s', (text, bytes) => {
    expect(parseMemory(text)).toBe(bytes);
  });

  it.each(['', '64x', 'm', '-1m', '1 gigabyte', '64m64'])('rejects %j with the expected form', (text) => {
    expect(() => parseMemory(text)).toThrow(`invalid memory limit "${text}": expected a size such as 512k, 64m or 1g`);
  });

  it('rejects limits under the engine minimum', () => {
    expect(() => parseMemory('4m')).toThrow('memory limit "4m" is too small: the minimum is 6m');
  });

  it('formats bytes back', () => {
    expect(formatMemory(64 * 1024 ** 2)).toBe('64m');
    expect(formatMemory(1.5 * 1024 ** 3)).toBe('1.5g');
    expect(formatMemory(512)).toBe('512b');
  });
});
