import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, exportUpdateEngine, idleStatus, UpdateEngineClient, UpdateStatus, type ExportedUpdateEngine, type MessageBus, type UpdateEngineStatus } from '@minicore/update-engine-dbus';
import { dbusAvailable, startPrivateBus, type PrivateBus } from '@minicore/update-engine-dbus/testing';
import { parseRebootWindow } from '../src/locksmith/reboot-window.js';
import { RebootManager } from '../src/updaterd/reboot-manager.js';
import { waitFor } from './support/harness.js';

let bus: PrivateBus;
let serviceBus: MessageBus;
let exported: ExportedUpdateEngine;
let status: UpdateEngineStatus = idleStatus;

function announce(next: UpdateEngineStatus): void {
  status = next;
  exported.emitStatus(next);
}

beforeAll(async () => {
  if (!dbusAvailable) throw new Error('dbus-daemon is missing: apt-get install -y dbus');
  bus = await startPrivateBus();
  serviceBus = await connectBus({ address: bus.address });
  exported = await exportUpdateEngine(serviceBus, { attemptUpdate: () => undefined, resetStatus: () => announce(idleStatus), getStatus: () => status });
});

afterAll(async () => {
  await exported?.close();
  serviceBus?.disconnect();
  await bus?.stop();
});

describe('the reboot manager as a D-Bus client, the way locksmithd follows update_engine', () => {
  it('reboots on the StatusUpdate signal carrying UPDATED_NEED_REBOOT', async () => {
    status = idleStatus;
    const client = await UpdateEngineClient.connect({ address: bus.address });
    const reboots: string[] = [];
    const manager = new RebootManager({ strategy: 'reboot', machineId: 'm-dbus', source: client, reboot: async ({ newVersion }) => void reboots.push(newVersion) });
    try {
      await manager.start();
      announce({ ...idleStatus, currentOperation: UpdateStatus.Downloading, newVersion: '3.0.0' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(reboots).toEqual([]);
      announce({ ...idleStatus, currentOperation: UpdateStatus.UpdatedNeedReboot, newVersion: '3.0.0', progress: 1 });
      await waitFor('the reboot', () => reboots.length === 1, 5000);
      expect(reboots).toEqual(['3.0.0']);
      expect(manager.state).toBe('rebooted');
    } finally {
      manager.stop();
      client.close();
    }
  });

  it('with a fake clock: waits outside the window, and a ResetStatus cancels the wait', async () => {
    status = { ...idleStatus, currentOperation: UpdateStatus.UpdatedNeedReboot, newVersion: '3.0.1' };
    const client = await UpdateEngineClient.connect({ address: bus.address });
    const reboots: string[] = [];
    const manager = new RebootManager({
      strategy: 'reboot',
      machineId: 'm-window',
      source: client,
      reboot: async ({ newVersion }) => void reboots.push(newVersion),
      window: parseRebootWindow('03:00', 3_600_000),
      now: () => new Date('2026-03-10T12:00:00'),
    });
    try {
      // GetStatus at start already says UPDATED_NEED_REBOOT: the manager goes straight to the window.
      await manager.start();
      expect(manager.state).toBe('waiting-window');
      announce(idleStatus);
      await waitFor('the wait to be cancelled', () => manager.state === 'idle', 5000);
      expect(reboots).toEqual([]);
    } finally {
      manager.stop();
      client.close();
    }
  });
});
