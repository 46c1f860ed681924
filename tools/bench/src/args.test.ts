import { describe, expect, it } from 'vitest';
import { parseCommand, parseDurationSeconds } from './args.js';
import { UsageError } from './option-values.js';

describe('parseCommand', () => {
  it('has the issue\'s defaults', () => {
    expect(parseCommand(['kv'])).toEqual({
      kind: 'kv',
      options: { sizes: [1, 3], durationSeconds: 10, connections: 64, watchers: 1000, latencyRequests: 2000, systems: ['etcd', 'kvd'], phases: ['latency', 'write', 'read', 'quorum', 'watch'], json: false, cpuProf: false },
    });
  });

  it('reads every option', () => {
    const parsed = parseCommand(['kv', '--sizes', '3', '--duration', '5s', '--connections=32', '--watchers', '200', '--requests', '500', '--only', 'kvd', '--phases', 'watch,write', '--output', 'json', '--cpu-prof']);
    expect(parsed).toEqual({
      kind: 'kv',
      options: { sizes: [3], durationSeconds: 5, connections: 32, watchers: 200, latencyRequests: 500, systems: ['kvd'], phases: ['write', 'watch'], json: true, cpuProf: true },
    });
  });

  it('answers --help with the usage', () => {
    const parsed = parseCommand(['--help']);
    expect(parsed.kind).toBe('help');
    expect(parsed.kind === 'help' && parsed.text).toMatch(/npm run bench -- kv/);
  });

  it('rejects what it does not understand', () => {
    expect(() => parseCommand([])).toThrow(UsageError);
    expect(() => parseCommand(['etcd'])).toThrow(/unknown benchmark/);
    expect(() => parseCommand(['kv', 'extra'])).toThrow(/unexpected argument/);
    expect(() => parseCommand(['kv', '--bogus'])).toThrow(UsageError);
    expect(() => parseCommand(['kv', '--only', 'zookeeper'])).toThrow(/--only/);
    expect(() => parseCommand(['kv', '--output', 'csv'])).toThrow(/--output/);
    expect(() => parseCommand(['kv', '--sizes', '1,x'])).toThrow(/--sizes/);
    expect(() => parseCommand(['kv', '--phases', 'write,fsync'])).toThrow(/--phases/);
    expect(() => parseCommand(['kv', '--sizes', '0'])).toThrow(/--sizes/);
    expect(() => parseCommand(['kv', '--connections', '-1'])).toThrow(UsageError);
    expect(() => parseCommand(['kv', '--watchers', '1.5'])).toThrow(/--watchers/);
  });

  it('drops repeated sizes', () => {
    const parsed = parseCommand(['kv', '--sizes', '1,3,1']);
    expect(parsed.kind === 'kv' && parsed.options.sizes).toEqual([1, 3]);
  });
});

describe('parseDurationSeconds', () => {
  it('reads s, ms, m and bare seconds', () => {
    expect(parseDurationSeconds('10s')).toBe(10);
    expect(parseDurationSeconds('1m')).toBe(60);
    expect(parseDurationSeconds('2500ms')).toBe(3);
    expect(parseDurationSeconds('7')).toBe(7);
  });

  it('rejects nonsense and less than a second', () => {
    expect(() => parseDurationSeconds('ten')).toThrow(/--duration/);
    expect(() => parseDurationSeconds('200ms')).toThrow(/at least 1s/);
  });
});
