import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusConnectError, BusNameTakenError, connectBus, exportUpdateEngine, idleStatus, UpdateEngineClient, UpdateEngineError, UpdateEngineErrorName, UpdateStatus, type ExportedUpdateEngine, type MessageBus, type UpdateEngineStatus } from '../src/index.js';
import { dbusAvailable, startPrivateBus, type PrivateBus } from '../src/testing/private-bus.js';

let bus: PrivateBus;
let serviceBus: MessageBus;
let exported: ExportedUpdateEngine;
let status: UpdateEngineStatus = idleStatus;
const calls: string[] = [];

beforeAll(async () => {
  if (!dbusAvailable) throw new Error('dbus-daemon is missing: apt-get install -y dbus');
  bus = await startPrivateBus();
  serviceBus = await connectBus({ address: bus.address });
  exported = await exportUpdateEngine(serviceBus, {
    attemptUpdate: () => {
      calls.push('AttemptUpdate');
      status = { ...status, currentOperation: UpdateStatus.CheckingForUpdate };
      exported.emitStatus(status);
    },
    resetStatus: () => {
      calls.push('ResetStatus');
      if (status.currentOperation !== UpdateStatus.Idle && status.currentOperation !== UpdateStatus.UpdatedNeedReboot) throw new UpdateEngineError(UpdateEngineErrorName.NotResettable, `cannot reset from ${status.currentOperation}`);
      status = idleStatus;
    },
    getStatus: () => status,
  });
});

afterAll(async () => {
  await exported?.close();
  serviceBus?.disconnect();
  await bus?.stop();
});

describe('the update engine interface on a private dbus-daemon', () => {
  it('answers GetStatus with the typed status, 64-bit fields intact', async () => {
    status = { lastCheckedTime: 1_764_000_123, progress: 1, currentOperation: UpdateStatus.UpdatedNeedReboot, newVersion: '2.0.0', newSize: 2 ** 53 + 1 };
    const client = await UpdateEngineClient.connect({ address: bus.address });
    try {
      expect(await client.getStatus()).toEqual(status);
    } finally {
      client.close();
    }
  });

  it('delivers StatusUpdate signals in order and maps service errors to their D-Bus names', async () => {
    status = { ...idleStatus, currentOperation: UpdateStatus.Downloading };
    const client = await UpdateEngineClient.connect({ address: bus.address });
    const seen: UpdateEngineStatus[] = [];
    try {
      await client.onStatusUpdate((s) => seen.push(s));
      await client.attemptUpdate();
      exported.emitStatus({ ...status, currentOperation: UpdateStatus.Verifying });
      await expect(client.resetStatus()).rejects.toMatchObject({ dbusName: UpdateEngineErrorName.NotResettable });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen.map((s) => s.currentOperation)).toEqual([UpdateStatus.CheckingForUpdate, UpdateStatus.Verifying]);
      expect(calls).toContain('AttemptUpdate');
    } finally {
      client.close();
    }
  });

  it('refuses a second owner of the name, and says where nothing listens', async () => {
    const other = await connectBus({ address: bus.address });
    try {
      await expect(exportUpdateEngine(other, { attemptUpdate: () => undefined, resetStatus: () => undefined, getStatus: () => idleStatus })).rejects.toBeInstanceOf(BusNameTakenError);
    } finally {
      other.disconnect();
    }
    await expect(connectBus({ address: 'unix:path=/nonexistent/minicore-bus' })).rejects.toBeInstanceOf(BusConnectError);
    await expect(UpdateEngineClient.connect({ address: bus.address, busName: 'io.minicore.Nobody', attempts: 2, retryDelayMs: 50 })).rejects.toThrow(/not on the bus/);
  });
});
