import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBootRecord, saveBootRecord, initialBootRecord, writeBootedSlot } from '@minicore/boot-record';
import { ErrorCode, UpdateStatus } from '@minicore/omaha';
import { generateReleaseKeyPair, loadPublicKey } from '@minicore/release';
import type { InstanceRecord } from '../src/api/types.js';
import { UpdateAgent } from '../src/updaterd/agent.js';
import { runBootSelector } from '../src/updaterd/boot.js';
import { UpdateFailure, downloadPayload } from '../src/updaterd/download.js';
import { DaemonProcess, ReleaseWorkspace, UpdateServerProcess, bins, waitFor } from './support/harness.js';

const TOKEN = 'updaterd-test-token';
const work = new ReleaseWorkspace();
let server: UpdateServerProcess;
let trustedKey: KeyObject;
let bundle: string;

async function freshSlots(name: string): Promise<string> {
  const slots = path.join(work.dir, name);
  await mkdir(slots, { recursive: true });
  await saveBootRecord(slots, initialBootRecord());
  await writeBootedSlot(slots, { slot: 'A', bootId: 'boot-1', bootedAt: new Date().toISOString(), trial: false });
  return slots;
}

function agent(slots: string, machineId: string, key = trustedKey): UpdateAgent {
  return new UpdateAgent({ slotsDir: slots, server: `${server.url}/v1/update/`, track: 'stable', machineId, bootId: 'boot-1', trustedKey: key, fallbackVersion: '1.0.0' });
}

const instance = async (id: string) => (await server.admin<InstanceRecord & { history: { statusName: string; errorCode?: number }[] }>('GET', `/instances/${id}`)).body;

beforeAll(async () => {
  await work.setup();
  trustedKey = await loadPublicKey(`${work.key}.pub`);
  bundle = await work.bundle('2.0.0', 32 * 1024);
  server = await new UpdateServerProcess(await mkdtemp(path.join(work.dir, 'server-')), TOKEN).boot();
  await server.publishStable(bundle, '2.0.0');
});

afterAll(async () => {
  await server?.stop();
  await work.teardown();
});

describe('updaterd against a real update-server', () => {
  it('downloads, verifies and installs into B (tries=1, top priority), then completes after the reboot', async () => {
    const slots = await freshSlots('slots-ok');
    const first = agent(slots, 'machine-ok');
    expect(await first.checkOnce()).toBe('updated');
    expect(first.status).toBe(UpdateStatus.UpdatedNeedReboot);
    expect(first.newVersion).toBe('2.0.0');
    expect((await loadBootRecord(slots)).record).toEqual({ A: { priority: 1, tries: 0, successful: true }, B: { priority: 2, tries: 1, successful: false } });
    expect(await readFile(path.join(slots, 'B/package.json'), 'utf8')).toContain('"version":"2.0.0"');
    expect((await stat(path.join(slots, 'B/apps/kv/bin/kvd.js'))).isFile()).toBe(true);
    expect(await readdir(path.join(slots, 'downloads'))).toEqual([]);
    expect(await first.checkOnce()).toBe('pinged');
    expect((await instance('machine-ok')).history.map((h) => h.statusName)).toEqual(['UpdateGranted', 'Downloading', 'Downloaded']);

    // reboot: the selector boots B on trial; the new updaterd reports 2.0.0 with previousversion 1.0.0
    expect((await runBootSelector(slots, 'boot-2')).slot).toBe('B');
    const second = new UpdateAgent({ ...first.options, bootId: 'boot-2' });
    expect((await second.identity()).identity.version).toBe('2.0.0');
    expect(await second.checkOnce()).toBe('noupdate');
    expect(await instance('machine-ok')).toMatchObject({ statusName: 'Complete', version: '2.0.0' });
  });

  it('rejects a release signed by another key with 18 and leaves both slots untouched', async () => {
    const slots = await freshSlots('slots-badkey');
    const before = await loadBootRecord(slots);
    const stranger = createPublicKey(generateReleaseKeyPair().publicKey);
    const updater = agent(slots, 'machine-badkey', stranger);
    expect(await updater.checkOnce()).toBe('failed');
    expect(updater.lastErrorCode).toBe(ErrorCode.DownloadPayloadPubKeyVerificationError);
    expect((await loadBootRecord(slots)).record).toEqual(before.record);
    await expect(stat(path.join(slots, 'B'))).rejects.toThrow();
    await expect(stat(path.join(slots, 'B.staging'))).rejects.toThrow();
    const seen = await instance('machine-badkey');
    expect(seen).toMatchObject({ statusName: 'Error', lastErrorCode: ErrorCode.DownloadPayloadPubKeyVerificationError });
    expect(seen.history.map((h) => h.statusName)).toEqual(['UpdateGranted', 'Downloading', 'Downloaded', 'Error']);
  });

  it('resumes a cut download with a Range request, and rejects a wrong size (11) or hash (10)', async () => {
    const pkg = (await server.admin<{ filename: string; size: number; sha256Base64: string }[]>('GET', '/packages')).body[0]!;
    const url = `${server.url}/packages/d5014c05-f571-4c69-9e9e-f53e99629675/${pkg.filename}`;
    const whole = await readFile(bundle);
    const file = path.join(work.dir, 'partial.bundle');
    await writeFile(file, whole.subarray(0, 1000));
    expect(await downloadPayload({ urls: [url], file, size: pkg.size, sha256: pkg.sha256Base64 })).toEqual({ resumed: true });
    expect((await readFile(file)).equals(whole)).toBe(true);
    const code = async (options: Parameters<typeof downloadPayload>[0]) =>
      downloadPayload(options).then(
        () => 0,
        (error: UpdateFailure) => error.errorCode,
      );
    expect(await code({ urls: [url], file: path.join(work.dir, 'a.bundle'), size: pkg.size, sha256: 'AAAA' })).toBe(ErrorCode.PayloadHashMismatchError);
    expect(await code({ urls: [url], file: path.join(work.dir, 'b.bundle'), size: pkg.size - 1, sha256: pkg.sha256Base64 })).toBe(ErrorCode.PayloadSizeMismatchError);
    expect(await code({ urls: [`${server.url}/packages/x/nothing`], file: path.join(work.dir, 'c.bundle'), size: 10, sha256: 'x', maxAttempts: 2 })).toBe(ErrorCode.DownloadTransferError);
  });

  it('reports a failed update check as 3/0 with 2000+HTTP status', async () => {
    const slots = await freshSlots('slots-404');
    const updater = new UpdateAgent({ ...agent(slots, 'machine-404').options, server: `${server.url}/v1/nowhere/` });
    expect(await updater.checkOnce()).toBe('failed');
    expect(updater.lastErrorCode).toBe(2404);
    expect(updater.status).toBe(UpdateStatus.Idle);
  });

  it('marks the booted slot good before its first update check (update_engine\'s order), so the update keeps the top priority', async () => {
    // The other order would install B and then hand the top priority back to the booted A.
    const slots = await freshSlots('slots-order');
    const daemon = new DaemonProcess(bins.updaterd, [
      '--slots-dir', slots, '--server', `${server.url}/v1/update/`, '--track', 'stable', '--trusted-key', `${work.key}.pub`, '--machine-id', 'machine-order',
      '--version', '1.0.0', '--first-check-delay', '0s', '--check-interval', '1h', '--check-fuzz', '0s', '--healthy-after', '1500ms', '--health-interval', '100ms',
      '--dbus-address', 'none', '--reboot-strategy', 'off',
    ]);
    try {
      await daemon.start(/updaterd ready/);
      await waitFor('the daemon to install 2.0.0 into B', () => daemon.log.includes('update installed; reboot to use it'), 20_000);
    } finally {
      await daemon.stop();
    }
    const lines = daemon.log.split('\n').map((line) => (line.startsWith('{') ? (JSON.parse(line) as { msg: string; time: string }) : undefined));
    const at = (msg: string) => lines.findIndex((line) => line?.msg === msg);
    expect(at('booted slot marked successful')).toBeGreaterThan(-1);
    expect(at('booted slot marked successful')).toBeLessThan(at('update available'));
    const ready = Date.parse(lines[at('updaterd ready')]!.time);
    expect(Date.parse(lines[at('update available')]!.time) - ready).toBeGreaterThanOrEqual(1400);
    expect((await loadBootRecord(slots)).record).toEqual({ A: { priority: 1, tries: 0, successful: true }, B: { priority: 2, tries: 1, successful: false } });
  });

  it('the updaterd daemon checks in on its schedule and installs the update', async () => {
    const slots = await freshSlots('slots-daemon');
    const daemon = new DaemonProcess(bins.updaterd, [
      '--slots-dir', slots, '--server', `${server.url}/v1/update/`, '--track', 'stable', '--trusted-key', `${work.key}.pub`, '--machine-id', 'machine-daemon',
      '--version', '1.0.0', '--first-check-delay', '100ms', '--check-interval', '1h', '--check-fuzz', '0s', '--healthy-after', '0s', '--dbus-address', 'none', '--reboot-strategy', 'off',
    ]);
    try {
      await daemon.start(/updaterd ready/);
      await waitFor('the daemon to install 2.0.0 into B', async () => (await loadBootRecord(slots)).record.B.tries === 1, 15_000);
      await waitFor('the install to be logged', () => daemon.log.includes('update installed; reboot to use it'), 5000);
    } finally {
      await daemon.stop();
    }
    expect((await instance('machine-daemon')).statusName).toBe('Downloaded');
  });
});
