import { describe, expect, it } from 'vitest';
import { parseSize, parseUpdaterCommand, UPDATER_USAGE } from './updater-args.js';

describe('npm run bench -- updater options', () => {
  it('has defaults matching the issue (a 200 MB release, both priorities)', () => {
    expect(parseUpdaterCommand(['updater'])).toEqual({ kind: 'run', options: { parts: ['install', 'workload', 'checkins'], sizeBytes: 200 * 1024 ** 2, repeat: 3, priorities: ['idle', 'normal'], baselineSeconds: 10, instances: 1000, checkinSeconds: 10, json: false } });
  });

  it('reads every option', () => {
    expect(parseUpdaterCommand(['updater', '--parts', 'checkins,install', '--size', '50M', '--repeat', '5', '--priorities', 'idle', '--baseline', '5s', '--instances', '500', '--checkins', '3s', '--output', 'json'])).toEqual({
      kind: 'run',
      options: { parts: ['install', 'checkins'], sizeBytes: 50 * 1024 ** 2, repeat: 5, priorities: ['idle'], baselineSeconds: 5, instances: 500, checkinSeconds: 3, json: true },
    });
    expect(parseSize('1G')).toBe(1024 ** 3);
    expect(parseUpdaterCommand(['updater', '--help'])).toEqual({ kind: 'help', text: UPDATER_USAGE });
  });

  it('refuses what it cannot measure', () => {
    expect(() => parseUpdaterCommand(['updater', '--size', 'big'])).toThrow('invalid --size');
    expect(() => parseUpdaterCommand(['updater', '--size', '10K'])).toThrow('at least 1M');
    expect(() => parseUpdaterCommand(['updater', '--priorities', 'high'])).toThrow('expected some of idle,normal');
    expect(() => parseUpdaterCommand(['updater', '--repeat', '0'])).toThrow('expected 1..20');
    expect(() => parseUpdaterCommand(['updater', '--parts', 'all'])).toThrow('expected some of install,workload,checkins');
    expect(() => parseUpdaterCommand(['updater', '--output', 'csv'])).toThrow('expected json');
    expect(() => parseUpdaterCommand(['updater', 'extra'])).toThrow('unexpected argument');
    expect(() => parseUpdaterCommand(['updater', '--instances', '5'])).toThrow('expected 10..1000000');
    expect(() => parseUpdaterCommand(['updater', '--checkins', 'x'])).toThrow('invalid --checkins');
  });
});
