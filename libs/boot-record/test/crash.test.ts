import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideBoot, initialBootRecord, loadBootRecord, saveBootRecord } from '../src/index.js';

const writer = path.join(import.meta.dirname, 'fixtures/writer.mjs');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'boot-crash-'));
  await saveBootRecord(dir, initialBootRecord());
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts the writer, waits (bounded) for `marker` on its stdout, waits `delayMs`, then SIGKILLs it. */
async function killWriterAfter(mode: string, marker: string, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, [writer, dir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`writer did not print ${marker} within 10 s`)), 10_000);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(marker)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`writer exited ${code} early`)));
    });
    await sleep(delayMs);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

describe('power loss during a record update (a writer process killed with SIGKILL)', () => {
  it('killed just before the rename: the old record stands, the temp file is ignored and later removed', async () => {
    await killWriterAfter('hang', 'renaming', 0);
    expect((await readdir(dir)).some((name) => name.includes('.tmp-'))).toBe(true);
    const loaded = await loadBootRecord(dir);
    expect(loaded.record).toEqual(initialBootRecord());
    expect(decideBoot(loaded.record).slot).toBe('A');
    await saveBootRecord(dir, initialBootRecord());
    expect((await readdir(dir)).some((name) => name.includes('.tmp-'))).toBe(false);
  });

  it('killed at 12 random instants of a tight rewrite loop: always one of the two whole records, always bootable', async () => {
    const seen = new Set<string>();
    for (let round = 0; round < 12; round++) {
      await killWriterAfter('loop', 'started', 5 + Math.floor(Math.random() * 60));
      const loaded = await loadBootRecord(dir);
      expect([1, 2]).toContain(loaded.record.A.priority);
      expect(loaded.valid.primary || loaded.valid.backup).toBe(true);
      seen.add(decideBoot(loaded.record).slot);
    }
    expect(seen.size).toBeGreaterThan(0);
  }, 60_000);
});
