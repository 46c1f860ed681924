import { describe, expect, it } from 'vitest';
import { parseRange } from './range.js';

describe('Range: bytes=', () => {
  it.each([
    [undefined, 'ignore'],
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=100-', { start: 100, end: 999 }],
    ['bytes=-100', { start: 900, end: 999 }],
    ['bytes=-5000', { start: 0, end: 999 }],
    ['bytes=990-5000', { start: 990, end: 999 }],
    ['bytes=1000-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=5-2', 'ignore'],
    ['bytes=0-1,5-6', 'ignore'],
    ['items=0-1', 'ignore'],
  ] as const)('%s of 1000 bytes → %o', (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });
});
