import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialBootRecord, saveBootRecord, writeBootedSlot } from '@minicore/boot-record';
import { writeReleaseKeyPair } from '@minicore/release';
import { UpdateEngineClient, UpdateStatus, type UpdateEngineStatus } from '@minicore/update-engine-dbus';
import { dbusAvailable, startPrivateBus, type PrivateBus } from '@minicore/update-engine-dbus/testing';
import { DaemonProcess, ReleaseWorkspace, UpdateServerProcess, bins, run, waitFor } from './support/harness.js';

const TOKEN = 'updaterd-dbus-token';
const work = new ReleaseWorkspace();
let server: UpdateServerProcess;
const buses: PrivateBus[] = [];
const daemons: DaemonProcess[] = [];

async function freshSlots(name: string): Promise<string> {
  const slots = path.join(work.dir, name);
  await mkdir(slots, { recursive: true });
  await saveBootRecord(slots, initialBootRecord());
  await writeBootedSlot(slots, { slot: 'A', bootId: 'boot-1', bootedAt: new Date().toISOString(), trial: false });
  return slots;
}

/** A machine: its own private bus (a machine has its own system bus) and an updaterd on it that only checks when asked. */
async function machine(name: string, trustedKey = `${work.key}.pub`): Promise<{ bus: PrivateBus; daemon: DaemonProcess }> {
  const bus = await startPrivateBus();
  buses.push(bus);
  const daemon = new DaemonProcess(bins.updaterd, [
    '--slots-dir', await freshSlots(`slots-${name}`), '--server', `${server.url}/v1/update/`, '--track', 'stable', '--trusted-key', trustedKey,
    '--machine-id', `machine-${name}`, '--version', '1.0.0', '--first-check-delay', '1h', '--check-interval', '1h', '--check-fuzz', '0s',
    '--healthy-after', '1h', '--dbus-address', bus.address, '--reboot-strategy', 'off',
  ]);
  daemons.push(daemon);
  await daemon.start(/updaterd ready/);
  expect(daemon.log).toContain('update engine on D-Bus');
  return { bus, daemon };
}

const updatectl = (bus: PrivateBus, args: string[], timeoutMs?: number) => run(bins.updatectl, ['--dbus-address', bus.address, ...args], {}, timeoutMs);

/** Consecutive duplicates (progress updates) folded. */
const operations = (statuses: UpdateEngineStatus[]) => statuses.map((s) => s.currentOperation).filter((op, i, all) => op !== all[i - 1]);

beforeAll(async () => {
  if (!dbusAvailable) throw new Error('dbus-daemon is missing: apt-get install -y dbus');
  await work.setup();
  const bundle = await work.bundle('2.0.0', 256 * 1024);
  server = await new UpdateServerProcess(await mkdtemp(path.join(work.dir, 'server-')), TOKEN).boot();
  await server.publishStable(bundle, '2.0.0');
});

afterAll(async () => {
  for (const daemon of daemons) await daemon.stop();
  for (const bus of buses) await bus.stop();
  await server?.stop();
  await work.teardown();
});

describe('updaterd on D-Bus', () => {
  it('publishes every step of a real install as StatusUpdate, and GetStatus/updatectl agree', async () => {
    const { bus } = await machine('ok');
    const client = await UpdateEngineClient.connect({ address: bus.address });
    const seen: UpdateEngineStatus[] = [];
    const watcher = new DaemonProcess(bins.updatectl, ['--dbus-address', bus.address, 'watch', '--until', 'UPDATED_NEED_REBOOT', '--output', 'json']);
    try {
      expect(await client.getStatus()).toEqual({ lastCheckedTime: 0, progress: 0, currentOperation: UpdateStatus.Idle, newVersion: '0.0.0', newSize: 0 });
      await client.onStatusUpdate((status) => seen.push(status));
      await watcher.start(/UPDATE_STATUS_IDLE/);

      const check = await updatectl(bus, ['check']);
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout).toBe('Initiating update check.\n');
      await waitFor('UPDATED_NEED_REBOOT', () => seen.some((s) => s.currentOperation === UpdateStatus.UpdatedNeedReboot), 20_000);

      expect(operations(seen)).toEqual([
        UpdateStatus.CheckingForUpdate,
        UpdateStatus.UpdateAvailable,
        UpdateStatus.Downloading,
        UpdateStatus.Verifying,
        UpdateStatus.Finalizing,
        UpdateStatus.UpdatedNeedReboot,
      ]);
      const progress = seen.filter((s) => s.currentOperation === UpdateStatus.Downloading).map((s) => s.progress);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress.at(-1)).toBe(1);
      const final = await client.getStatus();
      expect(final).toMatchObject({ currentOperation: UpdateStatus.UpdatedNeedReboot, newVersion: '2.0.0', progress: 1 });
      const pkg = (await server.admin<{ size: number }[]>('GET', '/packages')).body[0]!;
      expect(final.newSize).toBe(pkg.size);
      expect(Math.abs(final.lastCheckedTime - Date.now() / 1000)).toBeLessThan(60);

      // updatectl watch printed the current status, then each signal, and stopped at --until
      await waitFor('updatectl watch to see UPDATED_NEED_REBOOT', () => watcher.log.includes('UPDATE_STATUS_UPDATED_NEED_REBOOT'), 5000);
      const lines = watcher.log.trim().split('\n').map((line) => JSON.parse(line) as UpdateEngineStatus);
      expect(operations(lines)).toEqual([UpdateStatus.Idle, ...operations(seen)]);

      const status = await updatectl(bus, ['status']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toBe(`LAST_CHECKED_TIME=${final.lastCheckedTime}\nPROGRESS=1.000000\nCURRENT_OP=UPDATE_STATUS_UPDATED_NEED_REBOOT\nNEW_VERSION=2.0.0\nNEW_SIZE=${final.newSize}\n`);
      expect(JSON.parse((await updatectl(bus, ['status', '--output', 'json'])).stdout)).toEqual(final);

      // update_engine_client -update exits 0 at once when the update is already installed
      const update = await updatectl(bus, ['update', '--output', 'json']);
      expect(update.code, update.stderr).toBe(0);
      expect(JSON.parse(update.stdout)).toMatchObject({ result: 'updated', status: { currentOperation: UpdateStatus.UpdatedNeedReboot } });

      // ResetStatus: back to IDLE, announced as a signal
      const reset = await updatectl(bus, ['reset-status']);
      expect(reset.code, reset.stderr).toBe(0);
      expect(reset.stdout).toContain('CURRENT_OP=UPDATE_STATUS_IDLE');
      await waitFor('the IDLE signal after ResetStatus', () => seen.at(-1)?.currentOperation === UpdateStatus.Idle, 5000);
    } finally {
      await watcher.stop();
      client.close();
    }
  });

  it('reports a failed install as REPORTING_ERROR_EVENT then IDLE; updatectl update exits 1', async () => {
    const strangerKey = path.join(work.dir, 'stranger.key');
    await writeReleaseKeyPair(strangerKey);
    const { bus } = await machine('badkey', `${strangerKey}.pub`);
    const client = await UpdateEngineClient.connect({ address: bus.address });
    const seen: UpdateEngineStatus[] = [];
    try {
      await client.onStatusUpdate((status) => seen.push(status));
      const update = await updatectl(bus, ['update'], 30_000);
      expect(update.code, update.stdout + update.stderr).toBe(1);
      expect(update.stdout).toContain('Update failed.');
      await waitFor('IDLE after the error', () => seen.at(-1)?.currentOperation === UpdateStatus.Idle, 5000);
      expect(operations(seen).slice(-2)).toEqual([UpdateStatus.ReportingErrorEvent, UpdateStatus.Idle]);
      expect(operations(seen)).toContain(UpdateStatus.Finalizing);
    } finally {
      client.close();
    }
  });

  it('says where it looked when no updaterd is on the bus', async () => {
    const bus = await startPrivateBus();
    buses.push(bus);
    const outcome = await updatectl(bus, ['status']);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/updaterd is not on the bus/);
  });
});
