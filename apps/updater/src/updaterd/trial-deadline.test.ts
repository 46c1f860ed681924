import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { initialBootRecord, markGood, markUpdated, saveBootRecord, writeBootedSlot } from '@minicore/boot-record';
import { isRollback } from './agent.js';
import { TrialDeadline, type TrialInfo } from './trial-deadline.js';

let slots: string;
beforeEach(async () => {
  slots = await mkdtemp(path.join(tmpdir(), 'trial-deadline-'));
});
afterEach(async () => {
  await rm(slots, { recursive: true, force: true });
});

async function bootB(bootedAt: Date, successful = false): Promise<void> {
  const updated = markUpdated(initialBootRecord(), 'B');
  await saveBootRecord(slots, successful ? markGood(updated, 'B') : { ...updated, B: { ...updated.B, tries: 0 } });
  await writeBootedSlot(slots, { slot: 'B', bootId: 'k', bootedAt: bootedAt.toISOString(), trial: true });
}

function deadline(deadlineMs: number, healthy: Promise<unknown> = new Promise(() => undefined)) {
  const expired: TrialInfo[] = [];
  return { expired, trial: new TrialDeadline({ slotsDir: slots, deadlineMs, healthy, onExpired: (info) => expired.push(info) }) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the trial deadline', () => {
  it('fires once, counted from the boot, when the slot on trial is not marked good in time', async () => {
    const bootedAt = new Date(Date.now() - 1000);
    await bootB(bootedAt);
    const firedAt: number[] = [];
    const trial = new TrialDeadline({ slotsDir: slots, deadlineMs: 2500, healthy: new Promise(() => undefined), onExpired: () => firedAt.push(Date.now()) });
    const armed = await trial.start();
    expect(armed).toEqual({ slot: 'B', bootedAt: bootedAt.toISOString(), deadlineAt: bootedAt.getTime() + 2500 });
    for (let waited = 0; firedAt.length === 0 && waited < 10_000; waited += 50) await sleep(50);
    expect(firedAt).toHaveLength(1);
    expect(firedAt[0]).toBeGreaterThanOrEqual(bootedAt.getTime() + 2500);
    await sleep(200);
    expect(firedAt).toHaveLength(1);
    trial.stop();
  });

  it('waits out a deadline longer than one timer can hold (30 days) instead of firing at once', async () => {
    const bootedAt = new Date();
    await bootB(bootedAt);
    const days = (n: number) => n * 24 * 3_600_000;
    vi.useFakeTimers({ now: bootedAt, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const { expired, trial } = deadline(days(30));
      expect(await trial.start()).toEqual(expect.objectContaining({ deadlineAt: bootedAt.getTime() + days(30) }));
      await vi.advanceTimersByTimeAsync(days(29));
      expect(expired).toEqual([]);
      await vi.advanceTimersByTimeAsync(days(1) + 1);
      expect(expired).toHaveLength(1);
      trial.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does nothing once healthy, off trial, for a slot already good, or with no deadline', async () => {
    await bootB(new Date());
    let markHealthy: (value: unknown) => void = () => undefined;
    const healthy = deadline(1000, new Promise((resolve) => (markHealthy = resolve)));
    expect(await healthy.trial.start()).toBeDefined();
    markHealthy('B');
    await sleep(1300);
    expect(healthy.expired).toEqual([]);
    expect(await deadline(0).trial.start()).toBeUndefined();
    await bootB(new Date(), true);
    expect(await deadline(10).trial.start()).toBeUndefined();
    await writeBootedSlot(slots, { slot: 'A', bootId: 'k', bootedAt: new Date().toISOString(), trial: false });
    expect(await deadline(10).trial.start()).toBeUndefined();
  });
});

describe('Flatcar’s rollback test', () => {
  it('is running the version from before the last update, in another boot than the one that installed it', () => {
    const prefs = { previousVersion: '1.0.0', updatedInBoot: 'boot-1 t1', updatedVersion: '2.0.0' };
    expect(isRollback(prefs, '1.0.0', 'boot-1 t2')).toBe(true);
    expect(isRollback(prefs, '1.0.0', 'boot-1 t1')).toBe(false);
    expect(isRollback(prefs, '2.0.0', 'boot-1 t2')).toBe(false);
    expect(isRollback({ previousVersion: '' }, '1.0.0', 'boot-1 t2')).toBe(false);
    expect(isRollback(undefined, '1.0.0', 'boot-1 t2')).toBe(false);
  });
});
