import { describe, expect, it } from 'vitest';
import { checkTtls, type TtlCheckInput } from './ttl-checker.js';
import type { KnownChange, WatchEvent } from './watch-checker.js';

const expire = (index: number, key: string, atMs: number): WatchEvent => ({ index, key: `/${key}`, action: 'expire', value: null, atMs });
const input = (changes: (WatchEvent | KnownChange)[], overrides: Partial<TtlCheckInput> = {}): TtlCheckInput => ({
  keys: [{ key: 'chaos/ttl/t1', ttlMs: 2_000, outcome: 'ok', call: 1_000, index: 5 }],
  log: new Map(changes.map((change) => [change.index, change])),
  covered: [[1, 100]],
  endIndex: 100,
  present: new Map([['chaos/ttl/t1', false]]),
  ...overrides,
});

describe('checkTtls', () => {
  it('passes a key that expired once, after its TTL', () => {
    const result = checkTtls(input([expire(9, 'chaos/ttl/t1', 3_200)]));
    expect(result.result).toBe('pass');
    expect(result.summary).toContain('1 seen expiring once');
  });

  it('fails a double expiry, an early one, a key still there, and a delete that was not its TTL', () => {
    expect(checkTtls(input([expire(9, 'chaos/ttl/t1', 3_200), expire(12, 'chaos/ttl/t1', 3_400)])).details.join()).toContain('expired 2 times');
    expect(checkTtls(input([expire(9, 'chaos/ttl/t1', 1_500)])).details.join()).toContain('expired early');
    expect(checkTtls(input([], { present: new Map([['chaos/ttl/t1', true]]) })).details.join()).toContain('still exists');
    expect(checkTtls(input([{ index: 9, key: '/chaos/ttl/t1', action: 'delete', value: null, atMs: 3_000 }])).details.join()).toContain('not by its TTL');
  });

  it('fails a key gone without an expire event only when the watchers saw every index since its creation', () => {
    expect(checkTtls(input([])).details.join()).toContain('disappeared without an expire event');
    const gap = checkTtls(input([], { covered: [[1, 40], [60, 100]] }));
    expect(gap.result).toBe('pass');
    expect(gap.summary).toContain('1 unverified');
  });

  it('allows a key whose create had an unknown outcome to expire once or never, not twice', () => {
    const keys = [{ key: 'chaos/ttl/t1', ttlMs: 2_000, outcome: 'unknown' as const, call: 1_000 }];
    expect(checkTtls(input([], { keys })).result).toBe('pass');
    expect(checkTtls(input([expire(9, 'chaos/ttl/t1', 3_200)], { keys })).result).toBe('pass');
    expect(checkTtls(input([expire(9, 'chaos/ttl/t1', 3_200), expire(10, 'chaos/ttl/t1', 3_300)], { keys })).result).toBe('fail');
  });
});

describe('checkTtls around clock jumps', () => {
  it('does not judge the timing of a key created around a clock jump, but still its expiring twice', () => {
    const keys = [
      { key: 'chaos/ttl/a', ttlMs: 4_000, outcome: 'ok' as const, call: 10_000, index: 1 },
      { key: 'chaos/ttl/b', ttlMs: 4_000, outcome: 'ok' as const, call: 11_000, index: 2 },
      { key: 'chaos/ttl/c', ttlMs: 4_000, outcome: 'ok' as const, call: 30_000, index: 3 },
    ];
    const changes = [expire(4, 'chaos/ttl/a', 10_500), expire(5, 'chaos/ttl/b', 11_200), expire(6, 'chaos/ttl/b', 16_000), expire(7, 'chaos/ttl/c', 30_100)];
    const present = new Map(keys.map((key) => [key.key, false]));
    const verdict = checkTtls(input(changes, { keys, present, clockJumps: [{ startMs: 12_000, endMs: 20_000 }] }));
    expect(verdict.result).toBe('fail');
    const details = verdict.details.join('\n');
    expect(details).toContain('chaos/ttl/b expired 2 times');
    expect(details).toContain('chaos/ttl/c (TTL 4 s, created at 30.00 s) expired early');
    expect(details).not.toContain('chaos/ttl/a');
    expect(verdict.summary).toContain('2 created around a clock jump');
  });
});
