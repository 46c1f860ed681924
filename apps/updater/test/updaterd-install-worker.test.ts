import type { KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialBootRecord, loadBootRecord, saveBootRecord, writeBootedSlot } from '@minicore/boot-record';
import { ErrorCode, UpdateStatus } from '@minicore/omaha';
import { describeFile, loadPublicKey } from '@minicore/release';
import type { InstanceRecord } from '../src/api/types.js';
import { UpdateAgent } from '../src/updaterd/agent.js';
import { downloadPayload } from '../src/updaterd/download.js';
import { keyToPem, type InstallMessage } from '../src/updaterd/install-job.js';
import { priorityPrefix, runInstallWorker } from '../src/updaterd/low-priority.js';
import { ReleaseWorkspace, UpdateServerProcess, bins } from './support/harness.js';

/**
 * The install as updaterd runs it by default: download, verification and unpacking in a worker
 * process at the lowest CPU and I/O priority, with an optional rate cap; and what a bad payload
 * does (nothing to either slot).
 */
const TOKEN = 'install-worker-token';
const APP_KEY = 'd5014c05-f571-4c69-9e9e-f53e99629675';
const work = new ReleaseWorkspace();
let server: UpdateServerProcess;
let trustedKey: KeyObject;
let bundle: string;
let payloadUrl: string;

async function freshSlots(name: string): Promise<string> {
  const slots = path.join(work.dir, name);
  await mkdir(slots, { recursive: true });
  await saveBootRecord(slots, initialBootRecord());
  await writeBootedSlot(slots, { slot: 'A', bootId: 'boot-1', bootedAt: new Date().toISOString(), trial: false });
  return slots;
}

const instance = async (id: string) => (await server.admin<InstanceRecord & { history: { statusName: string }[] }>('GET', `/instances/${id}`)).body;

beforeAll(async () => {
  await work.setup();
  trustedKey = await loadPublicKey(`${work.key}.pub`);
  bundle = await work.bundle('3.0.0', 0, 384 * 1024);
  server = await new UpdateServerProcess(await mkdtemp(path.join(work.dir, 'server-')), TOKEN).boot();
  await server.publishStable(bundle, '3.0.0');
  const pkg = (await server.admin<{ filename: string }[]>('GET', '/packages')).body[0]!;
  payloadUrl = `${server.url}/packages/${APP_KEY}/${pkg.filename}`;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await work.teardown();
});

describe('the install worker', () => {
  it('runs at nice 19 in the idle I/O class and installs into the passive slot on trial', async () => {
    const slots = await freshSlots('slots-worker');
    const described = await describeFile(bundle);
    const messages: InstallMessage[] = [];
    const final = await runInstallWorker({
      script: bins.installWorker,
      prefix: priorityPrefix('idle'),
      job: { urls: [payloadUrl], file: path.join(slots, 'payload'), size: described.size, sha256: described.sha256Base64, slotsDir: slots, slot: 'B', mark: 'trial', publicKeyPem: keyToPem(trustedKey) },
      onMessage: (message) => messages.push(message),
    });
    expect(final).toEqual({ type: 'installed', slot: 'B', version: '3.0.0' });
    const types = messages.map((message) => message.type).filter((type, i, all) => type !== 'progress' || all[i - 1] !== 'progress');
    expect(types).toEqual(['started', 'progress', 'verifying', 'downloaded', 'installed']);
    const started = messages[0] as Extract<InstallMessage, { type: 'started' }>;
    expect(started.nice).toBe(19);
    // ionice is part of util-linux, on every Debian machine; where it is absent the prefix is nice alone.
    expect(priorityPrefix('idle').includes('ionice') ? started.ioClass : 'idle').toBe('idle');
    expect((await loadBootRecord(slots)).record.B).toEqual({ priority: 2, tries: 1, successful: false });
    await expect(stat(path.join(slots, 'payload'))).rejects.toThrow();
  });

  it('honours --max-download-rate', async () => {
    const described = await describeFile(bundle);
    const rate = 128 * 1024;
    const timed = async (file: string, maxBytesPerSecond?: number) => {
      const started = performance.now();
      await downloadPayload({ urls: [payloadUrl], file: path.join(work.dir, file), size: described.size, sha256: described.sha256Base64, ...(maxBytesPerSecond ? { maxBytesPerSecond } : {}) });
      return (performance.now() - started) / 1000;
    };
    const limited = await timed('limited.bundle', rate);
    // A quarter second of burst, then the rate: never faster than that, whatever the machine's load.
    expect(limited).toBeGreaterThanOrEqual((described.size - rate / 4) / rate - 0.1);
    expect(await timed('unlimited.bundle')).toBeLessThan(limited);
    expect(await readFile(path.join(work.dir, 'limited.bundle'))).toEqual(await readFile(bundle));
  }, 60_000);
});

describe('a bad payload leaves both slots untouched', () => {
  const agent = (slots: string, machineId: string) =>
    new UpdateAgent({
      slotsDir: slots,
      server: `${server.url}/v1/update/`,
      track: 'stable',
      machineId,
      bootId: 'boot-1',
      trustedKey,
      fallbackVersion: '1.0.0',
      worker: { script: bins.installWorker, prefix: priorityPrefix('idle') },
    });

  async function attempt(machineId: string, damage: (stored: string) => Promise<void>): Promise<{ code: number; slots: string }> {
    const stored = path.join(server.dataDir, 'packages', APP_KEY, path.basename(payloadUrl));
    const original = await readFile(stored);
    const slots = await freshSlots(`slots-${machineId}`);
    const before = await loadBootRecord(slots);
    try {
      await damage(stored);
      const updater = agent(slots, machineId);
      expect(await updater.checkOnce()).toBe('failed');
      expect(updater.status).toBe(UpdateStatus.Idle);
      expect((await loadBootRecord(slots)).record).toEqual(before.record);
      await expect(stat(path.join(slots, 'B'))).rejects.toThrow();
      await expect(stat(path.join(slots, 'B.staging'))).rejects.toThrow();
      expect(await readFile(path.join(slots, 'booted.json'), 'utf8')).toContain('"slot":"A"');
      const seen = await instance(machineId);
      expect(seen).toMatchObject({ statusName: 'Error', lastErrorCode: updater.lastErrorCode });
      return { code: updater.lastErrorCode, slots };
    } finally {
      await writeFile(stored, original);
    }
  }

  it('a tampered payload: 3/0 with 10 (PayloadHashMismatchError)', async () => {
    const { code } = await attempt('machine-tampered', async (stored) => {
      const bytes = await readFile(stored);
      const middle = bytes.length >> 1;
      bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
      await writeFile(stored, bytes);
    });
    expect(code).toBe(ErrorCode.PayloadHashMismatchError);
  });

  it('a truncated payload: 3/0 with 11 (PayloadSizeMismatchError)', async () => {
    const { code } = await attempt('machine-truncated', async (stored) => truncate(stored, (await stat(stored)).size - 1000));
    expect(code).toBe(ErrorCode.PayloadSizeMismatchError);
  });
});
