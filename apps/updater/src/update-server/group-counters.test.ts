import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Prng } from '@minicore/seeded-random';
import { AppStatus, MINICORE_APP_ID, buildUpdateEngineRequest, parseRequest, type RequestKind } from '@minicore/omaha';
import { defaultPolicy, type InstanceRecord, type RolloutPolicy } from '../api/types.js';
import { GroupCounters } from './group-counters.js';
import { handleOmahaRequest, type OmahaContext } from './omaha-handler.js';
import { computeStats } from './policy.js';
import { ServerStore, newInstance } from './store.js';

const HOUR = 3_600_000;
const START = Date.parse('2026-03-04T12:00:00Z');
const GROUPS = ['g1', 'g2', null] as const;
const VERSIONS = ['1.0.0', '2.0.0', '3.0.0'];

/** computeStats over the instances of one app, the way the handler used to call it. */
const expected = (instances: Iterable<InstanceRecord>, appId: string, group: string, version: string, periodMs: number, updateTimeoutMs: number, now: number) =>
  computeStats(
    [...instances].filter((i) => i.appId === appId),
    group,
    version,
    { ...defaultPolicy, periodMs, updateTimeoutMs },
    now,
  );

/** One random change to an instance, as check-ins and events make them. */
function mutate(random: Prng, instance: InstanceRecord, now: number): void {
  switch (random.int(0, 5)) {
    case 0:
      instance.group = random.pick(GROUPS);
      break;
    case 1:
      instance.version = random.pick(VERSIONS);
      break;
    case 2:
      // a grant, sometimes back-dated (grants from before a restart, another clock)
      instance.lastUpdateGrantedAt = new Date(now - random.int(0, 3 * HOUR)).toISOString();
      instance.lastUpdateVersion = random.pick(VERSIONS);
      instance.updateInProgress = true;
      break;
    case 3:
      instance.updateInProgress = false;
      break;
    case 4:
      instance.updateInProgress = random.chance(0.5);
      break;
    default:
      if (random.chance(0.2)) {
        instance.lastUpdateGrantedAt = null;
        instance.lastUpdateVersion = null;
      }
  }
}

describe('GroupCounters', () => {
  it('give exactly what computeStats gives, through thousands of random changes, for any period and timeout', () => {
    for (const seed of [1, 2, 3]) {
      const random = new Prng(seed);
      const counters = new GroupCounters();
      const instances = new Map<string, InstanceRecord>();
      let now = START;
      for (let step = 0; step < 3000; step++) {
        now += random.int(0, 10 * 60_000);
        const appId = random.chance(0.8) ? 'app' : 'other-app';
        const id = `m${random.int(0, 40)}`;
        const key = `${appId}/${id}`;
        const instance = instances.get(key) ?? { ...newInstance(appId, id), group: 'g1', version: '1.0.0' };
        instances.set(key, instance);
        mutate(random, instance, now);
        counters.track(instance);
        if (random.chance(0.1)) counters.track(instance); // a repeat changes nothing
        const group = random.pick(['g1', 'g2']);
        const version = random.pick(VERSIONS);
        const periodMs = random.pick([15 * 60_000, HOUR, 2 * HOUR]);
        const timeoutMs = random.pick([30 * 60_000, HOUR, 4 * HOUR]);
        const at = now + random.int(-HOUR, HOUR);
        expect(counters.stats('app', group, version, periodMs, timeoutMs, at), `seed ${seed} step ${step}`).toEqual(expected(instances.values(), 'app', group, version, periodMs, timeoutMs, at));
      }
    }
  });

  it('count a grant exactly at the period and timeout boundaries as computeStats does', () => {
    const counters = new GroupCounters();
    const granted = { ...newInstance('app', 'm1'), group: 'g', version: '1.0.0', lastUpdateGrantedAt: new Date(START).toISOString(), lastUpdateVersion: '2.0.0', updateInProgress: true };
    counters.track(granted);
    for (const at of [START + HOUR - 1, START + HOUR, START + HOUR + 1]) {
      expect(counters.stats('app', 'g', '2.0.0', HOUR, HOUR, at)).toEqual(expected([granted], 'app', 'g', '2.0.0', HOUR, HOUR, at));
    }
    expect(counters.stats('app', 'g', '2.0.0', HOUR, HOUR, START + HOUR)).toMatchObject({ grantedInLastPeriod: 0, inProgress: 0, timedOut: 1 });
  });
});

describe('ServerStore keeps the counters', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'group-counters-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('up to date as instances are stored, and rebuilt from the stored instances when update-server restarts', async () => {
    const random = new Prng(7);
    let store = await ServerStore.open(dir);
    let now = START;
    for (let step = 0; step < 500; step++) {
      now += random.int(0, 5 * 60_000);
      const id = `m${random.int(0, 60)}`;
      const instance = store.getInstance('app', id) ?? { ...newInstance('app', id), group: 'g1', version: '1.0.0' };
      mutate(random, instance, now);
      store.putInstance(instance, undefined, new Date(now).toISOString());
    }
    const compare = (s: ServerStore) => {
      for (const group of ['g1', 'g2'])
        for (const version of VERSIONS)
          for (const at of [now, now + HOUR / 2, now + 3 * HOUR]) expect(s.counters.stats('app', group, version, HOUR, 2 * HOUR, at)).toEqual(expected(s.instances.values(), 'app', group, version, HOUR, 2 * HOUR, at));
    };
    compare(store);
    const before = store.counters.stats('app', 'g1', '2.0.0', HOUR, 2 * HOUR, now);
    await store.close();
    store = await ServerStore.open(dir);
    try {
      compare(store);
      expect(store.counters.stats('app', 'g1', '2.0.0', HOUR, 2 * HOUR, now)).toEqual(before);
    } finally {
      await store.close();
    }
  });
});

describe('policy accounting through the Omaha handler', () => {
  let dir: string;
  let store: ServerStore;
  let clock: number;
  let context: OmahaContext;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'policy-accounting-'));
    store = await ServerStore.open(dir);
    clock = START;
    context = { store, now: () => new Date(clock), disableUpdatesOnFailedRollout: false, codebase: () => 'http://127.0.0.1:4005/packages/app/', missingPackages: new Set() };
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function setup(policy: Partial<RolloutPolicy>) {
    store.putApp({ id: MINICORE_APP_ID, name: 'Minicore', createdAt: '' });
    store.putPackage({ appId: MINICORE_APP_ID, version: '2.0.0', filename: 'minicore-2.0.0.mcr', size: 1234, sha256: 'ab', sha256Base64: 'q83vEjRWeJA=', sha1Base64: 'x', buildTime: '', files: 3, keyId: 'k', uploadedAt: '' });
    store.putChannel({ appId: MINICORE_APP_ID, name: 'stable', version: '2.0.0', updatedAt: '' });
    store.putGroup({ appId: MINICORE_APP_ID, name: 'prod', track: 'stable', channel: 'stable', policy: { ...defaultPolicy, updatesEnabled: true, ...policy }, rolloutInProgress: false, createdAt: '' });
    await store.flush();
  }

  const send = (machine: string, request: RequestKind, version = '1.0.0') => {
    const xml = buildUpdateEngineRequest({ appid: MINICORE_APP_ID, version, track: 'stable', bootid: '{b}', machineid: machine }, request);
    return handleOmahaRequest(parseRequest(xml), '127.0.0.9', context).apps[0]!;
  };
  const check = (machine: string, version = '1.0.0', previousVersion = '') => send(machine, { kind: 'updatecheck', previousVersion }, version).status;
  const group = () => store.getGroup(MINICORE_APP_ID, 'prod')!;
  const counted = () => {
    const { periodMs, updateTimeoutMs } = group().policy;
    const stats = store.counters.stats(MINICORE_APP_ID, 'prod', '2.0.0', periodMs, updateTimeoutMs, clock);
    expect(stats).toEqual(expected(store.instances.values(), MINICORE_APP_ID, 'prod', '2.0.0', periodMs, updateTimeoutMs, clock));
    return stats;
  };

  it('max updates per period: exactly that many of many machines, the next ones in the next period', async () => {
    await setup({ maxUpdatesPerPeriod: 3, periodMs: HOUR, updateTimeoutMs: 10 * HOUR });
    const machines = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const firstRound = machines.map((m) => check(m));
    expect(firstRound.filter((s) => s === AppStatus.Ok)).toHaveLength(3);
    expect(firstRound.filter((s) => s === AppStatus.MaxUpdatesPerPeriodLimitReached)).toHaveLength(17);
    // asking again changes nothing: the granted ones are offered the same update, the others wait
    for (const m of machines) check(m);
    expect(counted()).toMatchObject({ grantedInLastPeriod: 3, attempted: 3, inProgress: 3 });
    // the three finish; a new period grants three more
    const granted = machines.filter((m) => store.getInstance(MINICORE_APP_ID, m)!.updateInProgress);
    for (const m of granted) check(m, '2.0.0', '1.0.0');
    clock += HOUR;
    for (const m of granted) expect(send(m, { kind: 'updatecheck', previousVersion: '' }, '2.0.0').updatecheck?.status).toBe('noupdate');
    expect(machines.filter((m) => !granted.includes(m)).map((m) => check(m)).filter((s) => s === AppStatus.Ok)).toHaveLength(3);
    expect(counted()).toMatchObject({ grantedInLastPeriod: 3, attempted: 6, inProgress: 3, updated: 3 });
  });

  it('concurrent limit: a new period grants nothing while the last period’s updates are still in progress', async () => {
    await setup({ maxUpdatesPerPeriod: 2, periodMs: HOUR, updateTimeoutMs: 4 * HOUR });
    expect([check('a'), check('b'), check('c')]).toEqual([AppStatus.Ok, AppStatus.Ok, AppStatus.MaxUpdatesPerPeriodLimitReached]);
    clock += HOUR + 1;
    expect(check('c')).toBe(AppStatus.MaxConcurrentUpdatesLimitReached);
    check('a', '2.0.0', '1.0.0');
    expect(counted()).toMatchObject({ grantedInLastPeriod: 0, inProgress: 1 });
    expect(check('c')).toBe(AppStatus.Ok);
    expect(check('d')).toBe(AppStatus.MaxConcurrentUpdatesLimitReached);
  });

  it('update timeout: an update past it no longer counts as in progress (but still as timed out)', async () => {
    await setup({ maxUpdatesPerPeriod: 1, periodMs: HOUR, updateTimeoutMs: 2 * HOUR });
    expect(check('a')).toBe(AppStatus.Ok);
    clock += HOUR + 1;
    expect(check('b')).toBe(AppStatus.MaxConcurrentUpdatesLimitReached);
    clock += HOUR;
    expect(counted()).toMatchObject({ inProgress: 0, timedOut: 1 });
    expect(check('b')).toBe(AppStatus.Ok);
  });

  it('safe mode: one update until someone attempted, then the max; a timed-out update switches the group off', async () => {
    await setup({ maxUpdatesPerPeriod: 1, periodMs: 30 * 60_000, updateTimeoutMs: HOUR, safeMode: true });
    expect([check('a'), check('b')]).toEqual([AppStatus.Ok, AppStatus.MaxUpdatesPerPeriodLimitReached]);
    clock += HOUR;
    expect(check('b')).toBe(AppStatus.MaxTimedOutUpdatesLimitReached);
    expect(group().policy.updatesEnabled).toBe(false);
    expect(check('c')).toBe(AppStatus.UpdatesDisabled);
  });

  it('the counters match a full count after every request of a random rollout', async () => {
    await setup({ maxUpdatesPerPeriod: 4, periodMs: HOUR, updateTimeoutMs: 3 * HOUR });
    const random = new Prng(11);
    const running = new Map<string, string>();
    for (let step = 0; step < 1500; step++) {
      clock += random.int(0, 3 * 60_000);
      const machine = `m${random.int(0, 30)}`;
      const version = running.get(machine) ?? '1.0.0';
      const choice = random.int(0, 9);
      if (choice < 5) check(machine, version);
      else if (choice === 5) send(machine, { kind: 'event', eventtype: 13, eventresult: 1 }, version);
      else if (choice === 6) send(machine, { kind: 'event', eventtype: 3, eventresult: 0, errorcode: 10 }, version);
      else if (choice === 7 && store.getInstance(MINICORE_APP_ID, machine)?.updateInProgress) {
        running.set(machine, '2.0.0');
        check(machine, '2.0.0', '1.0.0');
      } else send(machine, { kind: 'ping' }, version);
      counted();
    }
  });
});
