import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialBootRecord, loadBootRecord, markUpdated, saveBootRecord, type BootRecord } from '@minicore/boot-record';
import { DaemonProcess, bins, run, waitFor } from './support/harness.js';

let slots: string;
beforeEach(async () => {
  slots = await mkdtemp(path.join(tmpdir(), 'updaterd-slots-'));
});
afterEach(async () => {
  await rm(slots, { recursive: true, force: true });
});

async function boot(bootId: string): Promise<{ slot: string; trial: boolean; record: BootRecord; path: string }> {
  const outcome = await run(bins.updaterd, ['boot', '--slots-dir', slots, '--boot-id', bootId]);
  expect(outcome.code, outcome.stderr).toBe(0);
  return JSON.parse(outcome.stdout) as { slot: string; trial: boolean; record: BootRecord; path: string };
}

describe('updaterd boot', () => {
  it('boots A on a fresh machine and writes the initial record', async () => {
    expect(await boot('b1')).toMatchObject({ slot: 'A', trial: false, path: path.join(slots, 'A') });
    expect((await loadBootRecord(slots)).created).toBe(false);
  });

  it('tries a fresh update once, then falls back when it was never marked good', async () => {
    await saveBootRecord(slots, markUpdated(initialBootRecord(), 'B'));
    expect(await boot('b1')).toMatchObject({ slot: 'B', trial: true, record: { B: { priority: 2, tries: 0, successful: false } } });
    expect(await boot('b2')).toMatchObject({ slot: 'A', trial: false });
    expect(await boot('b3')).toMatchObject({ slot: 'A' });
  });

  it('keeps the update once updaterd has seen the machine healthy for --healthy-after', async () => {
    await saveBootRecord(slots, markUpdated(initialBootRecord(), 'B'));
    expect((await boot('b1')).slot).toBe('B');
    const daemon = new DaemonProcess(bins.updaterd, ['--slots-dir', slots, '--healthy-after', '400ms', '--health-interval', '50ms']);
    try {
      const started = Date.now();
      await daemon.start(/updaterd ready/);
      await waitFor('slot B to be marked successful', async () => (await loadBootRecord(slots)).record.B.successful, 10_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      // The record is written before the line is logged.
      await waitFor('the mark to be logged', () => daemon.log.includes('booted slot marked successful'), 5000);
    } finally {
      await daemon.stop();
    }
    expect((await loadBootRecord(slots)).record).toEqual({ A: { priority: 1, tries: 0, successful: true }, B: { priority: 2, tries: 0, successful: true } });
    expect(await boot('b2')).toMatchObject({ slot: 'B', trial: false });
  });

  it('does not mark a slot good while a health URL fails', async () => {
    await saveBootRecord(slots, markUpdated(initialBootRecord(), 'B'));
    await boot('b1');
    const daemon = new DaemonProcess(bins.updaterd, ['--slots-dir', slots, '--healthy-after', '200ms', '--health-interval', '50ms', '--health-urls', 'http://127.0.0.1:9/health']);
    try {
      await daemon.start(/updaterd ready/);
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect((await loadBootRecord(slots)).record.B.successful).toBe(false);
    } finally {
      await daemon.stop();
    }
  });

  it('fails with a clear message when no slot can boot', async () => {
    await saveBootRecord(slots, { A: { priority: 1, tries: 0, successful: false }, B: { priority: 0, tries: 0, successful: false } });
    const outcome = await run(bins.updaterd, ['boot', '--slots-dir', slots]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('no bootable slot: A priority=1 tries=0 successful=0');
  });

  it('mark-good by hand needs a booted slot', async () => {
    const before = await run(bins.updaterd, ['mark-good', '--slots-dir', slots]);
    expect(before).toMatchObject({ code: 1, stderr: expect.stringContaining('run updaterd boot first') as string });
    await boot('b1');
    expect((await run(bins.updaterd, ['mark-good', '--slots-dir', slots])).code).toBe(0);
  });
});
