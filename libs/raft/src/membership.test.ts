import { describe, expect, it } from 'vitest';
import { Membership, parseConfChange } from './membership.js';

describe('Membership', () => {
  it('commits the highest index a majority holds', () => {
    const m = new Membership(['a', 'b', 'c', 'd', 'e']);
    const match: Record<string, number> = { a: 9, b: 7, c: 5, d: 3 };
    expect(m.committedIndex((id) => match[id] ?? 0)).toBe(5);
  });

  it('decides elections as soon as the outcome is certain', () => {
    const m = new Membership(['a', 'b', 'c']);
    expect(m.voteResult(new Map([['a', true]]))).toBe('pending');
    expect(m.voteResult(new Map([['a', true], ['b', true]]))).toBe('won');
    expect(m.voteResult(new Map([['a', true], ['b', false], ['c', false]]))).toBe('lost');
    // Votes from non-members do not count.
    expect(m.voteResult(new Map([['a', true], ['x', true]]))).toBe('pending');
  });

  it('applies changes idempotently', () => {
    const m = new Membership(['a']);
    expect(m.apply({ type: 'addNode', nodeId: 'b' })).toBe(true);
    expect(m.apply({ type: 'addNode', nodeId: 'b' })).toBe(false);
    expect(m.apply({ type: 'removeNode', nodeId: 'a' })).toBe(true);
    expect(m.toConfState()).toEqual({ voters: ['b'] });
  });

  it('parses confChange entries and rejects garbage', () => {
    expect(parseConfChange({ term: 1, index: 1, type: 'confChange', data: '{"type":"addNode","nodeId":"a"}' })).toEqual({ type: 'addNode', nodeId: 'a' });
    expect(() => parseConfChange({ term: 1, index: 1, type: 'confChange', data: '{"type":"x"}' })).toThrow();
  });
});
