import { describe, expect, it } from 'vitest';
import { ReadOnly } from './read-only.js';

describe('ReadOnly', () => {
  it('releases requests in order, up to the confirmed one', () => {
    const ro = new ReadOnly();
    ro.add('r1', 5, null, 'a');
    ro.add('r2', 6, 'b', 'a');
    ro.add('r3', 7, null, 'a');
    expect(ro.lastRequestId()).toBe('r3');
    expect([...(ro.recvAck('r2', 'c') ?? [])].sort()).toEqual(['a', 'c']);
    expect(ro.advance('r2').map((r) => [r.requestId, r.index, r.from])).toEqual([
      ['r1', 5, null],
      ['r2', 6, 'b'],
    ]);
    expect(ro.has('r1')).toBe(false);
    expect(ro.recvAck('r1', 'c')).toBeUndefined();
    expect(ro.lastRequestId()).toBe('r3');
  });
});
