import { describe, expect, it } from 'vitest';
import { AppStatus } from '@minicore/omaha';
import { defaultPolicy, type InstanceRecord, type RolloutPolicy } from '../api/types.js';
import { computeStats, decidePolicy, withinOfficeHours } from './policy.js';
import { newInstance } from './store.js';

const NOW = Date.parse('2026-03-04T12:00:00Z'); // a Wednesday
const policy = (change: Partial<RolloutPolicy> = {}): RolloutPolicy => ({ ...defaultPolicy, updatesEnabled: true, ...change });
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function instance(id: string, change: Partial<InstanceRecord>): InstanceRecord {
  return { ...newInstance('app', id), group: 'g', version: '1.0.0', ...change };
}

describe('policy accounting', () => {
  const instances = [
    instance('a', { lastUpdateVersion: '2.0.0', lastUpdateGrantedAt: ago(10 * 60_000), updateInProgress: true }),
    instance('b', { lastUpdateVersion: '2.0.0', lastUpdateGrantedAt: ago(3 * 3_600_000), updateInProgress: true }),
    instance('c', { lastUpdateVersion: '2.0.0', lastUpdateGrantedAt: ago(2 * 86_400_000), updateInProgress: true }),
    instance('d', { version: '2.0.0', lastUpdateVersion: '2.0.0', lastUpdateGrantedAt: ago(5 * 3_600_000), updateInProgress: false }),
    instance('e', { lastUpdateVersion: '1.5.0', lastUpdateGrantedAt: ago(20 * 60_000), updateInProgress: true }),
    instance('f', {}),
    instance('x', { group: 'other', lastUpdateVersion: '2.0.0', lastUpdateGrantedAt: ago(60_000), updateInProgress: true }),
  ];

  it('counts attempts, grants in the period, in-progress and timed-out updates of one version in one group', () => {
    expect(computeStats(instances, 'g', '2.0.0', policy(), NOW)).toEqual({ attempted: 4, grantedInLastPeriod: 2, inProgress: 2, timedOut: 1, updated: 1 });
    expect(computeStats(instances, 'g', '2.0.0', policy({ periodMs: 15 * 60_000, updateTimeoutMs: 3_600_000 }), NOW)).toEqual({ attempted: 4, grantedInLastPeriod: 1, inProgress: 1, timedOut: 2, updated: 1 });
  });
});

describe('decidePolicy (Nebraska’s order)', () => {
  const stats = (s: Partial<ReturnType<typeof computeStats>> = {}) => () => ({ attempted: 0, grantedInLastPeriod: 0, inProgress: 0, timedOut: 0, updated: 0, ...s });
  const at = new Date(NOW);

  it.each([
    ['updates disabled', policy({ updatesEnabled: false }), stats(), { grant: false, status: AppStatus.UpdatesDisabled, onHold: false, disableUpdates: false }],
    ['nothing granted yet', policy({ maxUpdatesPerPeriod: 2 }), stats(), { grant: true }],
    ['period full', policy({ maxUpdatesPerPeriod: 2 }), stats({ attempted: 2, grantedInLastPeriod: 2 }), { grant: false, status: AppStatus.MaxUpdatesPerPeriodLimitReached, onHold: true, disableUpdates: false }],
    ['too many in progress', policy({ maxUpdatesPerPeriod: 2 }), stats({ attempted: 5, grantedInLastPeriod: 1, inProgress: 2 }), { grant: false, status: AppStatus.MaxConcurrentUpdatesLimitReached, onHold: true, disableUpdates: false }],
    ['timeouts without safe mode are only counted', policy({ maxUpdatesPerPeriod: 2 }), stats({ attempted: 5, timedOut: 4 }), { grant: true }],
    ['safe mode, first attempt: one at a time', policy({ maxUpdatesPerPeriod: 5, safeMode: true }), stats({ grantedInLastPeriod: 1 }), { grant: false, status: AppStatus.MaxUpdatesPerPeriodLimitReached, onHold: true, disableUpdates: false }],
    ['safe mode after an attempt: the group max', policy({ maxUpdatesPerPeriod: 5, safeMode: true }), stats({ attempted: 1, grantedInLastPeriod: 1 }), { grant: true }],
    ['safe mode and timeouts: switch the group off', policy({ maxUpdatesPerPeriod: 1, safeMode: true }), stats({ attempted: 3, timedOut: 1 }), { grant: false, status: AppStatus.MaxTimedOutUpdatesLimitReached, onHold: false, disableUpdates: true }],
    ['unlimited skips the stats', policy({ maxUpdatesPerPeriod: 900_000 }), () => {
      throw new Error('stats must not be computed');
    }, { grant: true }],
  ] as const)('%s', (_name, p, s, verdict) => {
    expect(decidePolicy(p, s, at)).toEqual(verdict);
  });

  it('office hours: Monday to Friday 09:00-17:00 in the group’s timezone', () => {
    expect(withinOfficeHours(new Date('2026-03-04T12:00:00Z'), 'UTC')).toBe(true);
    expect(withinOfficeHours(new Date('2026-03-04T17:00:00Z'), 'UTC')).toBe(false);
    expect(withinOfficeHours(new Date('2026-03-04T08:59:00Z'), 'UTC')).toBe(false);
    expect(withinOfficeHours(new Date('2026-03-07T12:00:00Z'), 'UTC')).toBe(false); // Saturday
    expect(withinOfficeHours(new Date('2026-03-04T20:00:00Z'), 'America/New_York')).toBe(true); // 15:00 there
    expect(withinOfficeHours(new Date('2026-03-04T02:00:00Z'), 'Asia/Tokyo')).toBe(true); // 11:00 there
    const office = policy({ officeHours: true, timezone: 'UTC' });
    expect(decidePolicy(office, stats(), new Date('2026-03-04T12:00:00Z'))).toEqual({ grant: true });
    expect(decidePolicy(office, stats(), new Date('2026-03-04T18:00:00Z'))).toMatchObject({ grant: false, status: AppStatus.UpdatesDisabled });
  });
});
