import { describe, expect, it } from 'vitest';
import { RaftLog } from './log.js';
import type { Entry } from './types.js';

function entries(terms: number[], from = 1): Entry[] {
  return terms.map((term, i) => ({ term, index: from + i, type: 'normal', data: `${from + i}` }));
}

describe('RaftLog', () => {
  it('appends a follower batch only from the first conflicting entry', () => {
    const log = RaftLog.restore(undefined, entries([1, 1, 2, 2]), 1, 1);
    // A stale, shorter append that matches must not truncate entries 3-4.
    expect(log.maybeAppend(1, 1, 1, entries([1], 2))).toBe(2);
    expect(log.lastIndex()).toBe(4);
    // A conflicting one replaces from the conflict on.
    expect(log.maybeAppend(2, 1, 3, entries([3], 3))).toBe(3);
    expect([log.lastIndex(), log.term(3), log.committed]).toEqual([3, 3, 3]);
    expect(log.unstableEntries().map((e) => e.index)).toEqual([3]);
  });

  it('rejects an append whose previous entry does not match', () => {
    const log = RaftLog.restore(undefined, entries([1, 1]), 0, 0);
    expect(log.maybeAppend(2, 5, 0, [])).toBeUndefined();
    expect(log.maybeAppend(7, 1, 0, [])).toBeUndefined();
  });

  it('refuses to overwrite committed entries', () => {
    const log = RaftLog.restore(undefined, entries([1, 1]), 2, 0);
    expect(() => log.append(entries([2], 2))).toThrow(/committed/);
  });

  it('finds the last index of a term at most the given one', () => {
    const log = RaftLog.restore(undefined, entries([1, 1, 2, 2, 4, 4]), 0, 0);
    expect(log.findConflictByTerm(6, 3)).toEqual({ index: 4, term: 2 });
    expect(log.findConflictByTerm(6, 4)).toEqual({ index: 6, term: 4 });
    expect(log.findConflictByTerm(9, 0)).toEqual({ index: 0, term: 0 });
  });

  it('compacts, and knows only the snapshot term below the first index', () => {
    const log = RaftLog.restore(undefined, entries([1, 1, 2, 2]), 4, 4);
    log.compact({ meta: { index: 2, term: 1, conf: { voters: [] } }, data: '' });
    expect([log.firstIndex(), log.lastIndex(), log.term(2), log.term(1)]).toEqual([3, 4, 1, undefined]);
    expect(log.slice(2, 5, 10)).toBeUndefined();
    expect(log.slice(3, 5, 1)?.map((e) => e.index)).toEqual([3]);
  });

  it('restores from a snapshot, skipping persisted entries it covers', () => {
    const snapshot = { meta: { index: 3, term: 2, conf: { voters: ['a'] } }, data: 'img' };
    const log = RaftLog.restore(snapshot, entries([1, 1, 2, 2, 3]), 4, undefined);
    expect([log.firstIndex(), log.lastIndex(), log.committed, log.applied]).toEqual([4, 5, 4, 3]);
    expect(() => RaftLog.restore(undefined, entries([1, 1]), 5, 0)).toThrow(/commit/);
  });

  it('installs a leader snapshot, or only fast-forwards commit when it already has that entry', () => {
    const log = RaftLog.restore(undefined, entries([1, 1, 2]), 1, 1);
    expect(log.restoreSnapshot({ meta: { index: 2, term: 1, conf: { voters: [] } }, data: '' })).toBe(false);
    expect([log.committed, log.lastIndex()]).toEqual([2, 3]);
    expect(log.restoreSnapshot({ meta: { index: 9, term: 5, conf: { voters: [] } }, data: '' })).toBe(true);
    expect([log.committed, log.firstIndex(), log.lastIndex()]).toEqual([9, 10, 9]);
    expect(log.unstableSnapshot()?.meta.index).toBe(9);
  });

  it('compares logs by last term, then last index', () => {
    const log = RaftLog.restore(undefined, entries([1, 2, 2]), 0, 0);
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(1, 3)).toBe(true);
  });
});
