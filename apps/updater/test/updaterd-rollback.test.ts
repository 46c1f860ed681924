import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialBootRecord, loadBootRecord, markUpdated, saveBootRecord } from '@minicore/boot-record';
import { KvClient } from '@minicore/kv-client';
import { KvdCluster } from '@minicore/kvd-testing';
import type { ActivityEntry, GroupRecord, InstanceRecord, RolloutStatus } from '../src/api/types.js';
import { REBOOT_LOCK_KEY } from '../src/locksmith/semaphore.js';
import { DaemonProcess, ReleaseWorkspace, UpdateServerProcess, bins, run, waitFor } from './support/harness.js';

/**
 * The rollback, end to end between real processes: an updaterd installs 2.0.0 and reboots into it
 * under the kv reboot lock; 2.0.0 never becomes healthy (the daemon its health URL names does not
 * answer), so at --trial-deadline updaterd reboots again, holding the lock; the boot selector falls
 * back to 1.0.0, which is healthy, gives the lock back and reports the rollback (3/0 errorcode=44);
 * update-server marks the update Error and does not offer 2.0.0 to that machine again.
 * A "reboot" is the reboot command appending to a log, then the test stopping updaterd, running the
 * boot selector and starting updaterd again.
 */
const TOKEN = 'rollback-test-token';
const work = new ReleaseWorkspace();
let server: UpdateServerProcess;
let kvd: KvdCluster;
let kv: KvClient;
let slots = '';
let rebootLog = '';
const daemons: DaemonProcess[] = [];
/** A health URL nothing answers: the release's daemon did not start. */
const BROKEN_HEALTH = 'http://127.0.0.1:9/health';

const reboots = async () => (await readFile(rebootLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
const semaphore = async () => JSON.parse((await kv.get(REBOOT_LOCK_KEY)).node.value ?? 'null') as { semaphore: number; holders: string[] | null };
const instance = async (id: string) => (await server.admin<InstanceRecord & { history: { statusName: string; errorCode?: number; errorName?: string; version: string }[] }>('GET', `/instances/${id}`)).body;

function machine(healthUrl: string, extra: string[] = []): string[] {
  return [
    '--slots-dir', slots, '--server', `${server.url}/v1/update/`, '--track', 'stable', '--trusted-key', `${work.key}.pub`, '--machine-id', 'm-roll',
    '--first-check-delay', '700ms', '--check-interval', '1h', '--check-fuzz', '0s', '--healthy-after', '300ms', '--health-interval', '50ms',
    '--health-urls', healthUrl, '--trial-deadline', '2500ms',
    '--dbus-address', 'none', '--kv-endpoints', kvd.endpointList, '--reboot-strategy', 'etcd-lock', '--lock-retry', '1s', '--unlock-retry', '200ms',
    '--reboot-command', `echo "$MINICORE_MACHINE_ID $MINICORE_NEW_VERSION" >> ${rebootLog}`, ...extra,
  ];
}

async function start(args: string[]): Promise<DaemonProcess> {
  const daemon = new DaemonProcess(bins.updaterd, args);
  daemons.push(daemon);
  await daemon.start(/updaterd ready/);
  return daemon;
}

/** What the firmware and GRUB do after the reboot command: the boot selector picks the slot. */
async function boot(bootId: string): Promise<{ slot: string; trial: boolean }> {
  const outcome = await run(bins.updaterd, ['boot', '--slots-dir', slots, '--boot-id', bootId]);
  expect(outcome.code, outcome.stderr).toBe(0);
  return JSON.parse(outcome.stdout) as { slot: string; trial: boolean };
}

beforeAll(async () => {
  await work.setup();
  slots = path.join(work.dir, 'slots');
  rebootLog = path.join(work.dir, 'reboots.log');
  await mkdir(slots);
  [kvd] = await Promise.all([
    KvdCluster.start(1, { waitWritable: true, timeoutMs: 30_000 }),
    (async () => {
      const [good, update] = [await work.bundle('1.0.0'), await work.bundle('2.0.0')];
      // The machine's first install: 1.0.0 into A, marked good.
      const installed = await run(bins.updaterd, ['install', '--slots-dir', slots, '--bundle', good, '--trusted-key', `${work.key}.pub`, '--slot', 'A']);
      expect(installed.code, installed.stderr).toBe(0);
      server = await new UpdateServerProcess(await mkdtemp(path.join(work.dir, 'server-')), TOKEN, ['--disable-updates-on-failed-rollout']).boot();
      await server.publishStable(update, '2.0.0', ['--max-per-period', '1', '--period', '1s']);
    })(),
  ]).then(([cluster]) => [cluster]);
  kv = new KvClient({ endpoints: kvd.endpoints });
}, 90_000);

afterAll(async () => {
  for (const daemon of daemons) await daemon.stop();
  await server?.stop();
  await kvd?.destroy();
  await work.teardown();
});

describe('a release that never becomes healthy', () => {
  it('is rolled back at the trial deadline; the lock held across both reboots is released on the old slot; the server shows the Error and stops offering that version', async () => {
    const goodHealth = `${server.url}/health`;
    expect(await boot('boot-1')).toEqual(expect.objectContaining({ slot: 'A', trial: false }));

    // 1. On 1.0.0: install 2.0.0 into B, take the lock, reboot.
    const first = await start(machine(goodHealth));
    await waitFor('the update reboot', async () => (await reboots()).length === 1, 20_000);
    expect(await reboots()).toEqual(['m-roll 2.0.0']);
    expect(await semaphore()).toMatchObject({ semaphore: 0, holders: ['m-roll'] });
    // updaterd restarting before the reboot is no rollback: the reboot is still pending (it asks for
    // it again, giving the lock back and taking it again as locksmithd does at start), and B keeps the top priority.
    await first.stop();
    const restarted = await start(machine(goodHealth));
    await waitFor('the restarted updaterd to take up the pending reboot', async () => (await reboots()).length === 2, 20_000);
    await waitFor('the pending reboot in the log', () => restarted.log.includes('an update installed earlier in this boot waits for the reboot'), 5_000);
    expect(await reboots()).toEqual(['m-roll 2.0.0', 'm-roll 2.0.0']);
    expect(await semaphore()).toMatchObject({ semaphore: 0, holders: ['m-roll'] });
    expect((await loadBootRecord(slots)).record).toEqual({ A: { priority: 1, tries: 0, successful: true }, B: { priority: 2, tries: 1, successful: false } });
    expect(restarted.log).not.toContain('rolled back');
    expect(restarted.log).not.toContain('update available');
    await restarted.stop();

    // 2. The trial boot of 2.0.0: its daemon never answers, so it is never marked good; at the deadline updaterd reboots, still holding the lock.
    expect(await boot('boot-2')).toEqual(expect.objectContaining({ slot: 'B', trial: true }));
    const trialStarted = Date.now();
    const trial = await start(machine(BROKEN_HEALTH));
    expect(trial.log).toContain('booted a release on trial');
    await waitFor('the rollback reboot', async () => (await reboots()).length === 3, 15_000);
    const rolledBackAfter = Date.now() - trialStarted;
    expect(rolledBackAfter).toBeGreaterThanOrEqual(2000);
    expect((await reboots())[2]).toBe('m-roll 1.0.0');
    // (the log reaches us a little after the reboot command ran)
    await waitFor('the rollback in the log', () => trial.log.includes('the release on trial did not become healthy by its deadline') && trial.log.includes('rolling back: rebooting out of the release on trial'), 5_000);
    expect(await semaphore()).toMatchObject({ semaphore: 0, holders: ['m-roll'] });
    expect((await loadBootRecord(slots)).record.B).toEqual({ priority: 2, tries: 0, successful: false });
    // Nothing was reported from the trial boot: it never checked in.
    expect((await instance('m-roll')).statusName).toBe('Downloaded');
    await trial.stop();

    // 3. The boot selector falls back to A (1.0.0), which is healthy: lock released, rollback reported.
    expect(await boot('boot-3')).toEqual(expect.objectContaining({ slot: 'A', trial: false }));
    const back = await start(machine(goodHealth));
    expect(back.log).not.toContain('booted a release on trial');
    await waitFor('the lock to be released on the old slot', () => back.log.includes('reboot lock released'), 10_000);
    expect(await semaphore()).toEqual({ semaphore: 1, max: 1, holders: [] });
    await waitFor('the rollback to be reported', async () => ((await instance('m-roll')).statusName === 'Error' ? true : undefined), 10_000);
    const seen = await instance('m-roll');
    expect(seen).toMatchObject({ version: '1.0.0', lastUpdateVersion: '2.0.0', lastErrorCode: 44, updateInProgress: false });
    expect(seen.history.map((h) => h.statusName)).toEqual(['UpdateGranted', 'Downloading', 'Downloaded', 'Error']);
    expect(seen.history.at(-1)).toMatchObject({ errorCode: 44, errorName: 'RollbackError', version: '2.0.0' });
    await waitFor('the rollback report in the log', () => back.log.includes('rolled back: the update never became healthy'), 5_000);
    expect((await loadBootRecord(slots)).record).toEqual({ A: { priority: 2, tries: 0, successful: true }, B: { priority: 1, tries: 0, successful: false } });
    // The check that reported it got noupdate: nothing was installed again and no reboot is pending.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(back.log).not.toContain('update available');
    expect(await reboots()).toHaveLength(3);

    // What the operator sees.
    const listed = await server.updatectl(['instances']);
    expect(listed.stdout).toMatch(/m-roll\s+\S+\s+1\.0\.0\s+prod\s+Error\s+\S+\s+RollbackError/);
    const rollout = await server.admin<RolloutStatus>('GET', '/groups/prod/rollout');
    expect(rollout.body).toMatchObject({ statuses: { Error: 1 }, failed: [{ machineId: 'm-roll', errorCode: 44, errorName: 'RollbackError' }] });
    expect((await server.updatectl(['rollout', 'status', 'prod'])).stdout).toMatch(/FAILED\s+ERROR\nm-roll\s+RollbackError \(44\)/);
    const activity = (await server.admin<ActivityEntry[]>('GET', '/activity')).body;
    expect(activity.map((a) => a.class)).toEqual(expect.arrayContaining(['RolloutFailed', 'InstanceUpdateFailed']));
    // The first attempt failed: the group stopped (--disable-updates-on-failed-rollout, CoreRoller's rule).
    expect((await server.admin<GroupRecord>('GET', '/groups/prod')).body.policy.updatesEnabled).toBe(false);

    // 4. Even with the group resumed, the machine is not offered 2.0.0 again; restarted updaterds check and stay put.
    expect((await server.updatectl(['group', 'resume', 'prod'])).code).toBe(0);
    await back.stop();
    const again = await start(machine(goodHealth, ['--first-check-delay', '0s']));
    await waitFor('a check after the resume', () => again.log.includes('"result":"noupdate"'), 10_000);
    expect((await instance('m-roll')).statusName).toBe('Error');
    expect(await reboots()).toHaveLength(3);
    await again.stop();
  }, 90_000);

  it('is rolled back without the reboot lock when kv does not answer (the broken daemon may be kvd itself)', async () => {
    const own = path.join(work.dir, 'slots-no-kv');
    await mkdir(own);
    await saveBootRecord(own, markUpdated(initialBootRecord(), 'B'));
    const log = path.join(work.dir, 'no-kv-reboots.log');
    const booted = await run(bins.updaterd, ['boot', '--slots-dir', own, '--boot-id', 'trial']);
    expect(JSON.parse(booted.stdout)).toMatchObject({ slot: 'B', trial: true });
    const daemon = await start([
      '--slots-dir', own, '--machine-id', 'm-no-kv', '--healthy-after', '300ms', '--health-interval', '50ms', '--health-urls', BROKEN_HEALTH, '--trial-deadline', '1500ms',
      '--dbus-address', 'none', '--kv-endpoints', 'http://127.0.0.1:9', '--reboot-strategy', 'etcd-lock', '--reboot-command', `echo "$MINICORE_MACHINE_ID $MINICORE_NEW_VERSION" >> ${log}`,
    ]);
    await waitFor('the rollback reboot', async () => (await readFile(log, 'utf8').catch(() => '')) === 'm-no-kv 0.0.0\n', 15_000);
    await waitFor('the rollback without the lock in the log', () => daemon.log.includes('kv does not answer: rolling back without the reboot lock'), 5_000);
    await daemon.stop();
    expect((await run(bins.updaterd, ['boot', '--slots-dir', own, '--boot-id', 'back'])).stdout).toContain('"slot":"A"');
  }, 30_000);
});
