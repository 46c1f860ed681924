import { describe, expect, it } from 'vitest';
import { checkWatches, coveredRanges, unionRanges, type WatchEvent, type WatcherLog, type WatchItem } from './watch-checker.js';

const event = (index: number, key = '/chaos/r/k1', value: string | null = `v${index}`, action = 'set'): WatchItem => ({ kind: 'event', event: { index, key, value, action, atMs: index * 10 } });
const watcher = (id: string, afterIndex: number, items: WatchItem[], throughIndex: number, sawSentinel = true): WatcherLog => ({ id, prefix: '/chaos', machine: 'core-1', afterIndex, items, throughIndex, sawSentinel });

describe('coveredRanges and unionRanges', () => {
  it('covers from the start to the end minus the gaps a 401 resync left', () => {
    expect(coveredRanges(watcher('w', 10, [event(11), { kind: 'resync', missedFrom: 12, resumeAfter: 40, atMs: 0 }, event(45)], 50))).toEqual([
      [11, 11],
      [41, 50],
    ]);
    expect(unionRanges([[41, 50], [1, 5], [6, 9], [30, 42]])).toEqual([
      [1, 9],
      [30, 50],
    ]);
  });
});

describe('checkWatches', () => {
  it('passes watchers that each saw every change in order, and builds the reference log', () => {
    const a = watcher('a', 10, [event(11), event(12), event(14, '/chaos/ttl/t1', null, 'expire')], 14);
    const b = watcher('b', 11, [event(12), event(14, '/chaos/ttl/t1', null, 'expire')], 14);
    const result = checkWatches([a, b], [{ index: 12, key: 'chaos/r/k1', value: 'v12' }]);
    expect(result.verdict.result).toBe('pass');
    expect([...result.log.keys()].sort((x, y) => x - y)).toEqual([11, 12, 14]);
    expect((result.log.get(14) as WatchEvent).action).toBe('expire');
    expect(result.covered).toEqual([[11, 14]]);
  });

  it('fails a watcher that skipped a change another watcher or an acknowledged write shows', () => {
    const a = watcher('a', 10, [event(11), event(12), event(13)], 13);
    const b = watcher('b', 10, [event(11), event(13)], 13);
    const result = checkWatches([a, b], []);
    expect(result.verdict.result).toBe('fail');
    expect(result.verdict.details.join('\n')).toContain('b on core-1 skipped 1 change(s)');
    expect(result.verdict.details.join('\n')).toContain('@12');
    const alone = checkWatches([b], [{ index: 12, key: '/chaos/r/k2', value: 'x' }]);
    expect(alone.verdict.details.join('\n')).toContain('skipped 1 change(s)');
  });

  it('fails reordered or repeated events', () => {
    const result = checkWatches([watcher('a', 10, [event(12), event(11)], 12), watcher('b', 10, [event(11), event(11)], 11)], []);
    expect(result.verdict.result).toBe('fail');
    expect(result.verdict.details.filter((line) => line.includes('reordered or repeated'))).toHaveLength(2);
  });

  it('accepts what a 401 resync dropped, but not a resync that jumps back or starts elsewhere', () => {
    const resynced = watcher('a', 10, [event(11), { kind: 'resync', missedFrom: 12, resumeAfter: 20, atMs: 0 }, event(21)], 21);
    const full = watcher('b', 10, [event(11), event(15), event(21)], 21);
    expect(checkWatches([resynced, full], []).verdict.result).toBe('pass');
    const bad = watcher('c', 10, [event(11), { kind: 'resync', missedFrom: 14, resumeAfter: 20, atMs: 0 }], 20);
    expect(checkWatches([bad], []).verdict.details.join('\n')).toContain('resync from 14, but its last index was 11');
  });

  it('fails when two views of one index disagree, an event is outside the prefix, or a watcher never caught up', () => {
    const a = watcher('a', 10, [event(11, '/chaos/r/k1', 'x')], 11);
    const b = watcher('b', 10, [event(11, '/chaos/r/k1', 'y'), event(12, '/other/key')], 12, false);
    const details = checkWatches([a, b], []).verdict.details.join('\n');
    expect(details).toContain('index 11 is two different changes');
    expect(details).toContain('outside its prefix');
    expect(details).toContain('never saw the final sentinel');
  });
});
