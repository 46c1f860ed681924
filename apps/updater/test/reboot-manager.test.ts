import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialBootRecord, loadBootRecord, saveBootRecord, writeBootedSlot } from '@minicore/boot-record';
import { KvClient } from '@minicore/kv-client';
import { KvdCluster } from '@minicore/kvd-testing';
import { KvSemaphore } from '../src/locksmith/kv-semaphore.js';
import { REBOOT_LOCK_KEY } from '../src/locksmith/semaphore.js';
import { DaemonProcess, ReleaseWorkspace, UpdateServerProcess, bins, run, waitFor } from './support/harness.js';

const TOKEN = 'reboot-manager-token';
const work = new ReleaseWorkspace();
let server: UpdateServerProcess;
let kvd: KvdCluster;
let kv: KvClient;
const daemons: DaemonProcess[] = [];

async function rawSemaphore(key = REBOOT_LOCK_KEY): Promise<string | undefined> {
  return (await kv.get(key).catch(() => undefined))?.node.value;
}

async function freshSlots(name: string): Promise<string> {
  const slots = path.join(work.dir, name);
  await mkdir(slots, { recursive: true });
  await saveBootRecord(slots, initialBootRecord());
  await writeBootedSlot(slots, { slot: 'A', bootId: 'boot-1', bootedAt: new Date().toISOString(), trial: false });
  return slots;
}

/**
 * A machine whose "reboot" appends its id to `rebootLog`: the test sees reboots without rebooting anything.
 * The first check comes after --healthy-after, as with the defaults (7 min vs 45 s): marking the booted
 * slot good after an install would put it back in front of the new one.
 */
function machineArgs(name: string, slots: string, rebootLog: string, extra: string[]): string[] {
  return [
    '--slots-dir', slots, '--server', `${server.url}/v1/update/`, '--track', 'stable', '--trusted-key', `${work.key}.pub`, '--machine-id', name,
    '--version', '1.0.0', '--first-check-delay', '700ms', '--check-interval', '1h', '--check-fuzz', '0s', '--healthy-after', '300ms', '--health-interval', '50ms',
    '--dbus-address', 'none', '--kv-endpoints', kvd.endpointList, '--lock-retry', '1s', '--unlock-retry', '200ms',
    '--reboot-command', `echo "$MINICORE_MACHINE_ID $MINICORE_NEW_VERSION" >> ${rebootLog}`, ...extra,
  ];
}

async function startMachine(args: string[]): Promise<DaemonProcess> {
  const daemon = new DaemonProcess(bins.updaterd, args);
  daemons.push(daemon);
  await daemon.start(/updaterd ready/);
  return daemon;
}

const reboots = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
const updatectl = (args: string[]) => run(bins.updatectl, ['--kv-endpoints', kvd.endpointList, ...args]);

beforeAll(async () => {
  await work.setup();
  [kvd] = await Promise.all([
    KvdCluster.start(3, { waitWritable: true, timeoutMs: 30_000 }),
    (async () => {
      const bundle = await work.bundle('2.0.0');
      server = await new UpdateServerProcess(await mkdtemp(path.join(work.dir, 'server-')), TOKEN).boot();
      await server.publishStable(bundle, '2.0.0');
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

describe('the reboot semaphore in a real kvd cluster', () => {
  it('is locksmith’s key and JSON, changed by compare-and-swap under locksmith’s rules', async () => {
    const semaphore = new KvSemaphore(kv, 'rules');
    const key = '/coreos.com/updateengine/rebootlock/groups/rules/semaphore';
    expect((await semaphore.get()).semaphore).toEqual({ semaphore: 1, max: 1, holders: null });
    expect(await rawSemaphore(key)).toBe('{"semaphore":1,"max":1,"holders":null}');
    await semaphore.lock('m-b');
    await expect(semaphore.lock('m-a')).rejects.toThrow('semaphore is at 0');
    expect((await semaphore.setMax(2)).old.max).toBe(1);
    await expect(semaphore.lock('m-b')).rejects.toThrow('holder exists');
    await semaphore.lock('m-a');
    expect(await rawSemaphore(key)).toBe('{"semaphore":0,"max":2,"holders":["m-a","m-b"]}');
    await semaphore.unlock('m-a');
    await semaphore.unlock('m-b');
    await expect(semaphore.unlock('m-b')).rejects.toThrow('holder does not exist');
    expect(await rawSemaphore(key)).toBe('{"semaphore":2,"max":2,"holders":[]}');
  });

  it('retries a compare-and-swap that another machine’s write made fail', async () => {
    const group = 'race';
    await new KvSemaphore(kv, group).setMax(2);
    let sets = 0;
    let raced = false;
    const racing = {
      get: kv.get.bind(kv),
      create: kv.create.bind(kv),
      watch: kv.watch.bind(kv),
      set: async (...args: Parameters<KvClient['set']>) => {
        sets++;
        if (!raced) {
          // Between our read and our write, another machine takes its place: our write is stale (101).
          raced = true;
          await new KvSemaphore(kv, group).lock('m-other');
        }
        return kv.set(...args);
      },
    };
    expect(await new KvSemaphore(racing, group).lock('m-self')).toEqual({ semaphore: 0, max: 2, holders: ['m-other', 'm-self'] });
    expect(sets).toBe(2);
  });

  it('updatectl lock status, set-max and unlock', async () => {
    await kv.delete(REBOOT_LOCK_KEY).catch(() => undefined);
    const fresh = await updatectl(['lock', 'status']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toBe('Available: 1\nMax: 1\n');
    const setMax = await updatectl(['lock', 'set-max', '2']);
    expect(setMax.stdout).toBe('Old-Max: 1\nMax: 2\n');
    await new KvSemaphore(kv).lock('69d27b356a94476da859461d3a3bc6fd');
    expect((await updatectl(['lock', 'status'])).stdout).toBe('Available: 1\nMax: 2\n\nMACHINE ID\n69d27b356a94476da859461d3a3bc6fd\n');
    const json = await updatectl(['lock', 'status', '--output', 'json']);
    expect(JSON.parse(json.stdout)).toEqual({ key: REBOOT_LOCK_KEY, semaphore: 1, max: 2, holders: ['69d27b356a94476da859461d3a3bc6fd'] });
    const unlock = await updatectl(['lock', 'unlock', '69d27b356a94476da859461d3a3bc6fd']);
    expect(unlock.code, unlock.stderr).toBe(0);
    expect(unlock.stdout).toBe('Unlocked 69d27b356a94476da859461d3a3bc6fd\nAvailable: 2\nMax: 2\n');
    const again = await updatectl(['lock', 'unlock', '69d27b356a94476da859461d3a3bc6fd']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('holder does not exist');
    expect((await updatectl(['lock', 'set-max', '1'])).code).toBe(0);
    expect(await rawSemaphore()).toBe('{"semaphore":1,"max":1,"holders":[]}');
  });
});

describe('updaterd’s reboot manager', () => {
  it('etcd-lock: of two machines at max=1 one reboots; the other waits until the first is healthy again after its boot', async () => {
    await kv.delete(REBOOT_LOCK_KEY).catch(() => undefined);
    const rebootLog = path.join(work.dir, 'contention-reboots.log');
    const slots = { 'm-one': await freshSlots('slots-one'), 'm-two': await freshSlots('slots-two') };
    const args = (name: 'm-one' | 'm-two', extra: string[] = []) => machineArgs(name, slots[name], rebootLog, ['--reboot-strategy', 'etcd-lock', ...extra]);
    const running = { 'm-one': await startMachine(args('m-one')), 'm-two': await startMachine(args('m-two')) };

    const [first] = await waitFor('one machine to reboot', async () => ((await reboots(rebootLog)).length > 0 ? reboots(rebootLog) : undefined), 20_000);
    const firstId = first!.split(' ')[0] as 'm-one' | 'm-two';
    const secondId = firstId === 'm-one' ? 'm-two' : 'm-one';
    expect(first).toBe(`${firstId} 2.0.0`);
    await waitFor('the other machine to wait for the lock', () => running[secondId].log.includes('waiting for the reboot lock'), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await reboots(rebootLog)).toHaveLength(1);
    expect(JSON.parse((await rawSemaphore())!)).toEqual({ semaphore: 0, max: 1, holders: [firstId] });

    // The first machine "reboots": its updaterd stops, the boot selector picks the new slot, updaterd starts again.
    await running[firstId].stop();
    const booted = await run(bins.updaterd, ['boot', '--slots-dir', slots[firstId], '--boot-id', 'boot-2']);
    expect(JSON.parse(booted.stdout)).toMatchObject({ slot: 'B', trial: true });
    const rebooted = await startMachine(args(firstId));
    await waitFor('the rebooted machine to release the lock once healthy', () => rebooted.log.includes('reboot lock released'), 10_000);
    expect((await loadBootRecord(slots[firstId])).record.B).toMatchObject({ successful: true });

    await waitFor('the second machine to reboot', async () => (await reboots(rebootLog)).length === 2, 20_000);
    expect(await reboots(rebootLog)).toEqual([`${firstId} 2.0.0`, `${secondId} 2.0.0`]);
    expect(JSON.parse((await rawSemaphore())!)).toEqual({ semaphore: 0, max: 1, holders: [secondId] });
    expect(rebooted.log).not.toContain('rebooting into the new release');
    await running[secondId].stop();
    await rebooted.stop();
  }, 60_000);

  it('keeps the lock when the shutdown ends the reboot command (systemctl reboot gets SIGTERM with every service)', async () => {
    await kv.delete(REBOOT_LOCK_KEY).catch(() => undefined);
    const slots = await freshSlots('slots-shutdown');
    const daemon = await startMachine(machineArgs('m-shutdown', slots, '/dev/null', ['--reboot-strategy', 'etcd-lock', '--reboot-command', 'kill -TERM $$']));
    await waitFor('the reboot', () => daemon.log.includes('reboot under way (the shutdown ended the reboot command)'), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(daemon.log).not.toContain('reboot failed');
    expect(JSON.parse((await rawSemaphore())!)).toMatchObject({ semaphore: 0, holders: ['m-shutdown'] });
    await daemon.stop();
    await kv.delete(REBOOT_LOCK_KEY);
  });

  it('waits for the reboot window, and reboots inside it', async () => {
    const hhmm = (date: Date) => `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
    const later = path.join(work.dir, 'window-later.log');
    const now = path.join(work.dir, 'window-now.log');
    const outside = await startMachine(machineArgs('m-later', await freshSlots('slots-later'), later, ['--reboot-strategy', 'reboot', '--reboot-window-start', hhmm(new Date(Date.now() + 2 * 3_600_000)), '--reboot-window-length', '1h']));
    const inside = await startMachine(machineArgs('m-now', await freshSlots('slots-now'), now, ['--reboot-strategy', 'reboot', '--reboot-window-start', hhmm(new Date(Date.now() - 60_000)), '--reboot-window-length', '1h']));
    await waitFor('the machine inside its window to reboot', async () => (await reboots(now)).length === 1, 20_000);
    await waitFor('the machine outside its window to wait', () => outside.log.includes('waiting for the reboot window'), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await reboots(later)).toEqual([]);
    expect(await reboots(now)).toEqual(['m-now 2.0.0']);
    await outside.stop();
    await inside.stop();
  });

  it('best-effort reboots without the lock when kv does not answer; off never reboots', async () => {
    const log = path.join(work.dir, 'strategies.log');
    const noKv = ['--kv-endpoints', 'http://127.0.0.1:9'];
    const bestEffort = await startMachine([...machineArgs('m-best', await freshSlots('slots-best'), log, ['--reboot-strategy', 'best-effort']), ...noKv]);
    const off = await startMachine(machineArgs('m-off', await freshSlots('slots-off'), log, ['--reboot-strategy', 'off']));
    await waitFor('best-effort to reboot', async () => (await reboots(log)).includes('m-best 2.0.0'), 20_000);
    expect(bestEffort.log).toContain('best-effort: kv does not answer');
    await waitFor('the off machine to install', () => off.log.includes('update installed; reboot to use it'), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await reboots(log)).toEqual(['m-best 2.0.0']);
    await bestEffort.stop();
    await off.stop();
  });
});
