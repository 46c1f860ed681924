import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppStatus, InstanceStatus, MINICORE_APP_ID, buildUpdateEngineRequest, interpretUpdateCheck, parseRequest, parseResponse, withFlags, type RequestKind } from '@minicore/omaha';
import { defaultPolicy, type RolloutPolicy } from '../api/types.js';
import { handleOmahaRequest, type OmahaContext } from './omaha-handler.js';
import { ServerStore } from './store.js';

let dir: string;
let store: ServerStore;
let clock: number;
let context: OmahaContext;

async function setup(policy: Partial<RolloutPolicy> = {}) {
  store.putApp({ id: MINICORE_APP_ID, name: 'Minicore', createdAt: '' });
  store.putPackage({ appId: MINICORE_APP_ID, version: '2.0.0', filename: 'minicore-2.0.0.tar.gz', size: 1234, sha256: 'ab', sha256Base64: 'q83vEjRWeJA=', sha1Base64: 'x', buildTime: '', files: 3, keyId: 'k', uploadedAt: '' });
  store.putChannel({ appId: MINICORE_APP_ID, name: 'stable', version: '2.0.0', updatedAt: '' });
  store.putGroup({ appId: MINICORE_APP_ID, name: 'prod', track: 'stable', channel: 'stable', policy: { ...defaultPolicy, updatesEnabled: true, maxUpdatesPerPeriod: 10, ...policy }, rolloutInProgress: false, createdAt: '' });
  await store.flush();
}

function send(machine: string, request: RequestKind, version = '1.0.0', track = 'stable', appid = MINICORE_APP_ID) {
  clock += 1000;
  const xml = buildUpdateEngineRequest({ appid, version, track, bootid: '{b}', machineid: machine }, request);
  return handleOmahaRequest(parseRequest(xml), '127.0.0.9', context).apps[0]!;
}

const check = (previousVersion = ''): RequestKind => ({ kind: 'updatecheck', previousVersion });
const event = (eventtype: number, eventresult: number, errorcode?: number): RequestKind => ({ kind: 'event', eventtype, eventresult, ...(errorcode === undefined ? {} : { errorcode }) });
const status = (machine: string) => store.getInstance(MINICORE_APP_ID, machine)?.statusName;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'omaha-handler-'));
  store = await ServerStore.open(dir);
  clock = Date.parse('2026-03-04T12:00:00Z');
  context = { store, now: () => new Date(clock), disableUpdatesOnFailedRollout: false, codebase: () => 'http://127.0.0.1:4005/packages/app/', missingPackages: new Set() };
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('an update, event by event (research notes §1.5)', () => {
  it('Granted → Downloading → Downloaded → (3/1 and pings change nothing) → Complete after the reboot', async () => {
    await setup();
    const granted = send('m1', check());
    expect(granted.status).toBe(AppStatus.Ok);
    expect(interpretUpdateCheck(buildFromApp(granted))).toMatchObject({ kind: 'update', version: '2.0.0', size: 1234, sha256: 'q83vEjRWeJA=', payloadUrls: ['http://127.0.0.1:4005/packages/app/minicore-2.0.0.tar.gz'], disablePayloadBackoff: true });
    expect(status('m1')).toBe('UpdateGranted');
    expect(send('m1', event(13, 1))).toEqual({ appid: MINICORE_APP_ID, status: 'ok', events: 1 });
    expect(status('m1')).toBe('Downloading');
    send('m1', event(14, 1));
    expect(status('m1')).toBe('Downloaded');
    send('m1', event(3, 1));
    expect(send('m1', { kind: 'ping' })).toEqual({ appid: MINICORE_APP_ID, status: 'ok', ping: true });
    expect(status('m1')).toBe('Downloaded');
    // first check after rebooting into 2.0.0
    const after = send('m1', check('1.0.0'), '2.0.0');
    expect(after.updatecheck).toEqual({ status: 'noupdate' });
    expect(store.getInstance(MINICORE_APP_ID, 'm1')).toMatchObject({ statusName: 'Complete', updateInProgress: false, version: '2.0.0' });
    await store.flush();
    expect((await store.history(MINICORE_APP_ID, 'm1')).map((h) => h.statusName)).toEqual(['UpdateGranted', 'Downloading', 'Downloaded', 'Complete']);
    expect((await store.activity(10)).map((a) => a.class)).toEqual(['RolloutFinished', 'RolloutStarted']);
    expect(store.getGroup(MINICORE_APP_ID, 'prod')?.rolloutInProgress).toBe(false);
  });

  it('an error event: Error with the decoded code in the history and an activity entry', async () => {
    await setup();
    send('m1', check());
    send('m1', event(13, 1));
    send('m1', event(3, 0, withFlags(10, ['TestOmahaUrl'])));
    expect(store.getInstance(MINICORE_APP_ID, 'm1')).toMatchObject({ statusName: 'Error', updateInProgress: false, lastErrorCode: 268435466 });
    await store.flush();
    expect((await store.history(MINICORE_APP_ID, 'm1')).at(-1)).toMatchObject({ statusName: 'Error', errorCode: 268435466, errorName: 'PayloadHashMismatchError with TestOmahaUrlFlag' });
    expect((await store.activity(1))[0]).toMatchObject({ class: 'InstanceUpdateFailed', severity: 'error' });
  });

  it('ignores events while no update is in progress, and the every-check 3/2 "" starts an in-progress instance over', async () => {
    await setup();
    send('m1', event(13, 1));
    expect(status('m1')).toBe('Undefined');
    send('m1', check());
    send('m1', event(13, 1));
    const again = send('m1', check());
    expect(again.updatecheck?.status).toBe('ok');
    expect(status('m1')).toBe('UpdateGranted');
    await store.flush();
    expect((await store.history(MINICORE_APP_ID, 'm1')).map((h) => h.statusName)).toEqual(['UpdateGranted', 'Downloading', 'Undefined', 'UpdateGranted']);
  });

  it('disables the group when the first attempt fails and the server was asked to', async () => {
    await setup();
    context.disableUpdatesOnFailedRollout = true;
    send('m1', check());
    send('m1', event(3, 0, 10));
    expect(store.getGroup(MINICORE_APP_ID, 'prod')?.policy.updatesEnabled).toBe(false);
    expect(send('m2', check()).status).toBe(AppStatus.UpdatesDisabled);
  });
});

describe('a rollback (Flatcar’s 3/0 errorcode=44 in the first update check after the fallback)', () => {
  const rollbackCheck: RequestKind = { kind: 'updatecheck', previousVersion: '1.0.0', rolledBack: true };

  it('marks the update Error with RollbackError, stops the group on its first attempt, and never offers that version to the machine again', async () => {
    await setup({ maxUpdatesPerPeriod: 1, periodMs: 1000 });
    context.disableUpdatesOnFailedRollout = true;
    send('m1', check());
    send('m1', event(13, 1));
    send('m1', event(14, 1));
    send('m1', event(3, 1));
    // m2 waits while m1 is in progress (one at a time)
    expect(send('m2', check()).status).toBe(AppStatus.MaxConcurrentUpdatesLimitReached);
    // m1 rebooted into 2.0.0, which never became healthy; it is back on 1.0.0 and checks in
    const back = send('m1', rollbackCheck, '1.0.0');
    expect(back).toMatchObject({ status: 'ok', updatecheck: { status: 'noupdate' } });
    expect(store.getInstance(MINICORE_APP_ID, 'm1')).toMatchObject({ statusName: 'Error', lastErrorCode: 44, lastUpdateVersion: '2.0.0', updateInProgress: false, version: '1.0.0' });
    await store.flush();
    expect((await store.history(MINICORE_APP_ID, 'm1')).at(-1)).toMatchObject({ statusName: 'Error', errorCode: 44, errorName: 'RollbackError', version: '2.0.0' });
    const activity = await store.activity(10);
    expect(activity.map((a) => a.class).slice(0, 2)).toEqual(['RolloutFailed', 'InstanceUpdateFailed']);
    expect(activity[1]?.message).toBe('instance m1 rolled back from 2.0.0 (it never became healthy; not offered that version again): RollbackError');
    // the group stopped: nobody else gets 2.0.0
    expect(store.getGroup(MINICORE_APP_ID, 'prod')?.policy.updatesEnabled).toBe(false);
    expect(send('m2', check()).status).toBe(AppStatus.UpdatesDisabled);
    // an operator resumes the group: m2 gets 2.0.0, m1 still does not (check after check)
    store.putGroup({ ...store.getGroup(MINICORE_APP_ID, 'prod')!, policy: { ...store.getGroup(MINICORE_APP_ID, 'prod')!.policy, updatesEnabled: true } });
    for (let i = 0; i < 3; i++) expect(send('m1', check(), '1.0.0').updatecheck).toEqual({ status: 'noupdate' });
    expect(status('m1')).toBe('Error');
    expect(send('m2', check()).updatecheck?.status).toBe('ok');
  });

  it('offers a newer version to a machine that rolled back from an older one, and other errors are retried as Nebraska does', async () => {
    await setup();
    send('m1', check());
    send('m1', event(14, 1));
    send('m1', rollbackCheck, '1.0.0');
    expect(send('m1', check(), '1.0.0').updatecheck).toEqual({ status: 'noupdate' });
    store.putPackage({ ...store.getPackage(MINICORE_APP_ID, '2.0.0')!, version: '2.0.1', filename: 'minicore-2.0.1.tar.gz' });
    store.putChannel({ appId: MINICORE_APP_ID, name: 'stable', version: '2.0.1', updatedAt: '' });
    expect(send('m1', check(), '1.0.0').updatecheck).toMatchObject({ status: 'ok', manifest: { version: '2.0.1' } });
    // a download error (10) is not a rollback: the next check gets the same version again
    send('m2', check());
    send('m2', event(3, 0, 10));
    expect(send('m2', check()).updatecheck).toMatchObject({ status: 'ok', manifest: { version: '2.0.1' } });
  });

  it('ignores a rollback report from a machine with no update in progress (as any event)', async () => {
    await setup();
    expect(send('m1', rollbackCheck, '1.0.0').updatecheck?.status).toBe('ok');
    expect(store.getInstance(MINICORE_APP_ID, 'm1')).toMatchObject({ statusName: 'UpdateGranted', lastErrorCode: null });
  });
});

describe('safe mode', () => {
  it('stops the group when the first attempt fails, without the server option (Nebraska UI: "stop if an update fails")', async () => {
    // (as in Nebraska, the rule is "the first instance to attempt the version failed": with more than one
    // update at a time allowed, others may have started by then and the group goes on)
    await setup({ safeMode: true, maxUpdatesPerPeriod: 1 });
    expect(send('m1', check()).updatecheck?.status).toBe('ok');
    expect(send('m2', check()).status).toBe(AppStatus.MaxUpdatesPerPeriodLimitReached);
    send('m1', event(3, 0, 10));
    expect(store.getGroup(MINICORE_APP_ID, 'prod')?.policy.updatesEnabled).toBe(false);
    expect(send('m2', check()).status).toBe(AppStatus.UpdatesDisabled);
    await store.flush();
    expect((await store.activity(1))[0]).toMatchObject({ class: 'RolloutFailed', severity: 'error' });
  });

  it('without safe mode or the option, a failure leaves the group running (Nebraska’s default)', async () => {
    await setup({ maxUpdatesPerPeriod: 5 });
    send('m1', check());
    send('m1', event(3, 0, 10));
    expect(store.getGroup(MINICORE_APP_ID, 'prod')?.policy.updatesEnabled).toBe(true);
    expect(send('m2', check()).updatecheck?.status).toBe('ok');
  });
});

describe('grants', () => {
  it('one per period: the second machine is OnHold with Nebraska’s error and update_engine sees 34', async () => {
    await setup({ maxUpdatesPerPeriod: 1 });
    expect(send('m1', check()).updatecheck?.status).toBe('ok');
    const held = send('m2', check());
    expect(held).toMatchObject({ status: AppStatus.MaxUpdatesPerPeriodLimitReached, updatecheck: { status: 'error-internal' } });
    expect(() => interpretUpdateCheck(buildFromApp(held))).toThrow(expect.objectContaining({ errorCode: 34 }) as Error);
    expect(status('m2')).toBe('OnHold');
    // a new period, but m1 is still updating: one at a time
    clock += 61 * 60_000;
    expect(send('m2', check()).status).toBe(AppStatus.MaxConcurrentUpdatesLimitReached);
    send('m1', check('1.0.0'), '2.0.0');
    expect(status('m1')).toBe('Complete');
    expect(send('m2', check()).updatecheck?.status).toBe('ok');
  });

  it('answers noupdate to machines at or past the channel version, never downgrading', async () => {
    await setup();
    expect(send('m1', check(), '2.0.0').updatecheck).toEqual({ status: 'noupdate' });
    expect(send('m2', check(), '3.0.0').updatecheck).toEqual({ status: 'noupdate' });
    expect(store.getInstance(MINICORE_APP_ID, 'm2')?.statusName).toBe('Undefined');
  });

  it('knows unknown apps, unknown tracks, missing packages, paused groups and bad versions', async () => {
    await setup();
    expect(send('m1', check(), '1.0.0', 'stable', '{00000000-0000-0000-0000-000000000000}').status).toBe(AppStatus.UnknownApplication);
    expect(send('m1', check(), '1.0.0', 'nightly').status).toBe(AppStatus.UnknownApplicationOrGroup);
    expect(send('m1', check(), 'banana').status).toBe(AppStatus.InvalidVersion);
    store.putGroup({ ...store.getGroup(MINICORE_APP_ID, 'prod')!, policy: { ...defaultPolicy } });
    expect(send('m1', check()).status).toBe(AppStatus.UpdatesDisabled);
    store.putChannel({ appId: MINICORE_APP_ID, name: 'stable', version: null, updatedAt: '' });
    expect(send('m1', check()).status).toBe(AppStatus.NoPackageFound);
    send('m2', check());
    await store.flush();
    expect((await store.activity(10)).filter((a) => a.class === 'PackageNotFound')).toHaveLength(1);
    expect(InstanceStatus.Undefined).toBe(1);
  });
});

import { buildResponse, type ResponseApp } from '@minicore/omaha';
function buildFromApp(app: ResponseApp): string {
  const xml = buildResponse({ server: 'update-server', apps: [app] });
  expect(parseResponse(xml).apps[0]).toEqual(app);
  return xml;
}
