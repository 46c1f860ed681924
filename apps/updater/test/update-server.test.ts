import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, MINICORE_APP_ID, buildUpdateEngineRequest, interpretUpdateCheck, parseResponse, type RequestKind } from '@minicore/omaha';
import type { GroupRecord, InstanceRecord, PackageRecord, RolloutStatus } from '../src/api/types.js';
import { ReleaseWorkspace, UpdateServerProcess } from './support/harness.js';

const TOKEN = 'test-admin-token';
const work = new ReleaseWorkspace();
let server: UpdateServerProcess;
let dataDir: string;
let bundle: string;

const identity = (machineid: string, version: string) => ({ appid: MINICORE_APP_ID, version, track: 'stable', bootid: `{boot-${machineid}}`, machineid });
const request = (machine: string, version: string, kind: RequestKind) => server.omaha(buildUpdateEngineRequest(identity(machine, version), kind));
const json = <T>(text: string) => JSON.parse(text) as T;

beforeAll(async () => {
  await work.setup();
  dataDir = await mkdtemp(path.join(work.dir, 'server-'));
  bundle = await work.bundle('2.0.0', 64 * 1024);
  server = await new UpdateServerProcess(dataDir, TOKEN).boot();
});

afterAll(async () => {
  await server?.stop();
  await work.teardown();
});

describe('the admin API', () => {
  it('answers 401 without the right bearer token, and updatectl says so', async () => {
    const wrong = await server.admin<{ error: { code: string } }>('GET', '/groups', undefined, 'nope');
    expect(wrong).toEqual({ status: 401, body: { error: expect.objectContaining({ code: 'MC_ERR_UNAUTHORIZED' }) as unknown } });
    const none = await fetch(`${server.url}/api/instances`, { signal: AbortSignal.timeout(5000) });
    expect(none.status).toBe(401);
    const cli = await server.updatectl(['group', 'list'], 'nope');
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('missing or wrong admin token');
  });

  it('sets up a rollout with updatectl: upload, channel, group, promote, resume', async () => {
    const upload = await server.updatectl(['release', 'upload', bundle, '--output', 'json']);
    expect(upload.stderr).toBe('');
    const pkg = json<PackageRecord>(upload.stdout);
    expect(pkg).toMatchObject({ version: '2.0.0', filename: 'minicore-2.0.0.tar.gz', files: 4 });
    const file = await readFile(bundle);
    expect(pkg.size).toBe(file.length);
    expect(pkg.sha256Base64).toBe(createHash('sha256').update(file).digest('base64'));

    expect((await server.updatectl(['channel', 'create', 'stable', '-o', 'json'])).stdout).toContain('"version": null');
    const created = await server.updatectl(['group', 'create', 'prod', '--channel', 'stable', '--track', 'stable', '--max-per-period', '1', '--period', '15m', '--timeout', '1d', '--safe-mode', '-o', 'json']);
    expect(json<GroupRecord>(created.stdout)).toMatchObject({ name: 'prod', track: 'stable', channel: 'stable', policy: { updatesEnabled: false, safeMode: true, maxUpdatesPerPeriod: 1, periodMs: 900_000, updateTimeoutMs: 86_400_000 } });
    expect((await server.updatectl(['channel', 'promote', 'stable', '9.9.9'])).stderr).toContain('no package for version 9.9.9');
    expect(json<{ version: string }>((await server.updatectl(['channel', 'promote', 'stable', '2.0.0', '-o', 'json'])).stdout).version).toBe('2.0.0');

    // paused: machines are told updates are disabled
    const paused = await request('m1', '1.0.0', { kind: 'updatecheck', previousVersion: '' });
    expect(parseResponse(paused.body).apps[0]?.status).toBe('error-updatesDisabled');

    const resumed = await server.updatectl(['group', 'resume', 'prod']);
    expect(resumed.stdout).toMatch(/prod\s+stable\s+stable\s+enabled, max 1\/15m, timeout 1d, safe-mode/);
    const table = await server.updatectl(['group', 'update', 'prod', '--max-per-period', '5', '--office-hours', '--timezone', 'Mars/Olympus']);
    expect(table).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown timezone Mars/Olympus') as string });
    expect((await server.updatectl(['group', 'update', 'prod', '--period', 'soon'])).code).toBe(2);
  });

  it('rejects uploads that are truncated or already there, with the bundle’s own error code', async () => {
    const file = await readFile(bundle);
    const truncated = path.join(work.dir, 'truncated.tar.gz');
    await writeFile(truncated, file.subarray(0, file.length - 100));
    const outcome = await server.updatectl(['release', 'upload', truncated, '-o', 'json']);
    expect(outcome.code).toBe(1);
    expect(json<{ error: { details: { error: { code: string } } } }>(outcome.stderr).error.details.error.code).toBe('MC_ERR_BUNDLE_TRUNCATED');
    expect((await server.updatectl(['release', 'upload', bundle])).stderr).toContain('a package for version 2.0.0 already exists');
  });
});

describe('Omaha over HTTP', () => {
  let offer: ReturnType<typeof interpretUpdateCheck>;

  it('rejects malformed XML with 400 and a non-Omaha document likewise', async () => {
    const bad = await server.omaha('<request protocol="3.0"><app>');
    expect(bad.status).toBe(400);
    expect(json<{ error: { code: string } }>(bad.body).error.code).toBe('MC_ERR_OMAHA_MALFORMED');
    expect((await server.omaha('<hello/>')).status).toBe(400);
    expect((await server.omaha('')).status).toBe(400);
  });

  it('grants the first machine, holds the second under safe mode, and says noupdate to an up-to-date one', async () => {
    const first = await request('m1', '1.0.0', { kind: 'updatecheck', previousVersion: '' });
    expect(first.status).toBe(200);
    expect(first.type).toBe('text/xml; charset=utf-8');
    offer = interpretUpdateCheck(first.body);
    expect(offer).toMatchObject({ kind: 'update', version: '2.0.0', payloadUrls: [`${server.url}/packages/d5014c05-f571-4c69-9e9e-f53e99629675/minicore-2.0.0.tar.gz`] });
    const second = await request('m2', '1.0.0', { kind: 'updatecheck', previousVersion: '' });
    expect(parseResponse(second.body).apps[0]?.status).toBe('error-maxUpdatesPerPeriodLimitReached');
    expect(() => interpretUpdateCheck(second.body)).toThrow(expect.objectContaining({ errorCode: ErrorCode.OmahaResponseInvalid }) as Error);
    expect(interpretUpdateCheck((await request('m3', '2.0.0', { kind: 'updatecheck', previousVersion: '' })).body)).toEqual({ kind: 'noupdate', pollIntervalSeconds: 0 });
  });

  it('serves the package whole and in ranges, so a download can resume', async () => {
    if (offer.kind !== 'update') throw new Error('no offer');
    const url = offer.payloadUrls[0]!;
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(bytes.length).toBe(offer.size);
    expect(createHash('sha256').update(bytes).digest('base64')).toBe(offer.sha256);

    const half = Math.floor(offer.size / 2);
    const head = await fetch(url, { headers: { range: `bytes=0-${half - 1}` } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-${half - 1}/${offer.size}`);
    const tail = await fetch(url, { headers: { range: `bytes=${half}-` } });
    expect(tail.status).toBe(206);
    const resumed = Buffer.concat([Buffer.from(await head.arrayBuffer()), Buffer.from(await tail.arrayBuffer())]);
    expect(resumed.equals(bytes)).toBe(true);
    const suffix = await fetch(url, { headers: { range: 'bytes=-10' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(-10))).toBe(true);

    const past = await fetch(url, { headers: { range: `bytes=${offer.size}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${offer.size}`);
    await past.body?.cancel();
    expect((await fetch(`${server.url}/packages/nope/minicore-2.0.0.tar.gz`)).status).toBe(404);
  });

  it('moves the instance Granted → Downloading → Downloaded → Complete from update_engine’s events', async () => {
    const statusOf = async () => (await server.admin<InstanceRecord & { history: { statusName: string }[] }>('GET', '/instances/m1')).body;
    for (const [eventtype, expected] of [[13, 'Downloading'], [14, 'Downloaded'], [3, 'Downloaded']] as const) {
      const answer = await request('m1', '1.0.0', { kind: 'event', eventtype, eventresult: 1 });
      expect(parseResponse(answer.body).apps[0]).toEqual({ appid: MINICORE_APP_ID, status: 'ok', events: 1 });
      expect((await statusOf()).statusName).toBe(expected);
    }
    // a second machine's check while m1 is mid-update is still held
    const held = await request('m2', '1.0.0', { kind: 'updatecheck', previousVersion: '' });
    expect(parseResponse(held.body).apps[0]?.status).toMatch(/^error-max/);
    // m1 reboots into 2.0.0: its first check carries the old version
    const after = await request('m1', '2.0.0', { kind: 'updatecheck', previousVersion: '1.0.0' });
    expect(interpretUpdateCheck(after.body).kind).toBe('noupdate');
    const instance = await statusOf();
    expect(instance).toMatchObject({ statusName: 'Complete', version: '2.0.0', updateInProgress: false, ip: '127.0.0.1' });
    expect(instance.history.map((h) => h.statusName)).toEqual(['UpdateGranted', 'Downloading', 'Downloaded', 'Complete']);
  });

  it('shows rollout progress and instances with updatectl, and reports an error event', async () => {
    // m1's grant still fills this 15-minute period: allow more per period
    const updated = await server.updatectl(['group', 'update', 'prod', '--max-per-period', '5', '-o', 'json']);
    expect(json<GroupRecord>(updated.stdout).policy).toMatchObject({ maxUpdatesPerPeriod: 5, safeMode: true, updatesEnabled: true });
    const granted = interpretUpdateCheck((await request('m2', '1.0.0', { kind: 'updatecheck', previousVersion: '' })).body);
    expect(granted.kind).toBe('update');
    await request('m2', '1.0.0', { kind: 'event', eventtype: 13, eventresult: 1 });
    await request('m2', '1.0.0', { kind: 'event', eventtype: 3, eventresult: 0, errorcode: 10 });
    const rollout = json<RolloutStatus>((await server.updatectl(['rollout', 'status', 'prod', '-o', 'json'])).stdout);
    expect(rollout).toMatchObject({ channelVersion: '2.0.0', instances: 3, statuses: { Complete: 1, Error: 1, Undefined: 1 }, versions: { '1.0.0': 1, '2.0.0': 2 } });
    const text = (await server.updatectl(['rollout', 'status', 'prod'])).stdout;
    expect(text).toContain('group prod (track stable) follows stable at 2.0.0');
    const instances = await server.updatectl(['instances', '--group', 'prod']);
    expect(instances.stdout).toMatch(/m2\s+127\.0\.0\.1\s+1\.0\.0\s+prod\s+Error\s+\S+\s+PayloadHashMismatchError/);
    expect(json<InstanceRecord[]>((await server.updatectl(['instances', '-o', 'json'])).stdout).map((i) => i.machineId)).toEqual(['m1', 'm2', 'm3']);
    const activity = (await server.admin<{ class: string }[]>('GET', '/activity')).body.map((a) => a.class);
    expect(activity).toEqual(expect.arrayContaining(['InstanceUpdateFailed', 'RolloutStarted', 'ChannelPackageUpdated']));
  });

  it('keeps everything in level across a restart', async () => {
    await server.stop();
    server = await new UpdateServerProcess(dataDir, TOKEN).boot();
    const instance = (await server.admin<InstanceRecord & { history: unknown[] }>('GET', '/instances/m1')).body;
    expect(instance).toMatchObject({ statusName: 'Complete', version: '2.0.0' });
    expect(instance.history).toHaveLength(4);
    expect((await server.updatectl(['group', 'pause', 'prod', '-o', 'json'])).stdout).toContain('"updatesEnabled": false');
    const paused = await request('m3', '1.0.0', { kind: 'updatecheck', previousVersion: '' });
    expect(parseResponse(paused.body).apps[0]?.status).toBe('error-updatesDisabled');
  });
});
