import { describe, expect, it } from 'vitest';
import { parseDuration, parseHealthFlags } from './health.js';

describe('health check flags', () => {
  it('reads Go-style durations', () => {
    expect(parseDuration('200ms', '--health-interval')).toBe(200);
    expect(parseDuration('1m30s', '--health-interval')).toBe(90_000);
    expect(parseDuration('1.5s', '--health-interval')).toBe(1500);
    for (const bad of ['', '5', '5 s', 'soon', '1s2']) expect(() => parseDuration(bad, '--health-interval')).toThrow(`invalid --health-interval "${bad}"`);
  });

  it('keeps the engine defaults and needs --health-cmd for the other flags', () => {
    expect(parseHealthFlags({})).toBeUndefined();
    expect(parseHealthFlags({ healthCmd: 'test -f /ready' })).toEqual({ command: 'test -f /ready', intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 });
    expect(parseHealthFlags({ healthCmd: 'true', healthInterval: '200ms', healthRetries: '1', healthTimeout: '1s', healthStartPeriod: '2s' })).toEqual({ command: 'true', intervalMs: 200, timeoutMs: 1000, retries: 1, startPeriodMs: 2000 });
    expect(() => parseHealthFlags({ healthInterval: '1s' })).toThrow('need --health-cmd');
    expect(() => parseHealthFlags({ healthCmd: 'true', healthRetries: '0' })).toThrow('invalid --health-retries "0"');
    expect(() => parseHealthFlags({ healthCmd: '  ' })).toThrow('invalid --health-cmd');
  });
});
