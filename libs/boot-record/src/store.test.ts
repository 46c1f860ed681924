import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialBootRecord } from './record.js';
import { markUpdated } from './selection.js';
import { BACKUP_FILE, RECORD_FILE, loadBootRecord, readBootedSlot, saveBootRecord, updateBootRecord, writeBootedSlot } from './store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'boot-record-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the stored record', () => {
  it('starts as the initial record on a fresh machine and round-trips with growing generations', async () => {
    expect(await loadBootRecord(dir)).toMatchObject({ record: initialBootRecord(), generation: 0, created: true });
    const updated = markUpdated(initialBootRecord(), 'B');
    expect(await saveBootRecord(dir, updated)).toBe(1);
    expect(await loadBootRecord(dir)).toMatchObject({ record: updated, generation: 1, created: false, valid: { primary: true, backup: true } });
    await updateBootRecord(dir, (record) => ({ ...record, B: { ...record.B, tries: 0 } }));
    expect((await loadBootRecord(dir)).generation).toBe(2);
  });

  it('falls back to the backup copy when the primary is torn, and a write repairs it', async () => {
    const updated = markUpdated(initialBootRecord(), 'B');
    await saveBootRecord(dir, updated);
    const text = await readFile(path.join(dir, RECORD_FILE), 'utf8');
    await writeFile(path.join(dir, RECORD_FILE), text.slice(0, text.length / 2));
    expect(await loadBootRecord(dir)).toMatchObject({ record: updated, valid: { primary: false, backup: true } });
    await saveBootRecord(dir, updated);
    expect((await loadBootRecord(dir)).valid).toEqual({ primary: true, backup: true });
  });

  it('rejects a copy whose checksum does not match (a hand edit or bit rot) instead of trusting it', async () => {
    await saveBootRecord(dir, initialBootRecord());
    const edited = (await readFile(path.join(dir, BACKUP_FILE), 'utf8')).replace('"priority": 0', '"priority": 9');
    await writeFile(path.join(dir, BACKUP_FILE), edited);
    expect((await loadBootRecord(dir)).valid).toEqual({ primary: true, backup: false });
    await writeFile(path.join(dir, RECORD_FILE), '{');
    await expect(loadBootRecord(dir)).rejects.toMatchObject({ code: 'MC_ERR_BOOT_RECORD_CORRUPT' });
  });

  it('refuses to store out-of-range fields', async () => {
    await expect(saveBootRecord(dir, { ...initialBootRecord(), A: { priority: 16, tries: 0, successful: true } })).rejects.toMatchObject({ code: 'MC_ERR_BOOT_RECORD_INVALID' });
  });

  it('a failure before the rename leaves the old record and no temporary file', async () => {
    await saveBootRecord(dir, initialBootRecord());
    await expect(
      saveBootRecord(dir, markUpdated(initialBootRecord(), 'B'), {
        beforeRename: () => {
          throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    expect((await loadBootRecord(dir)).record).toEqual(initialBootRecord());
    expect((await readdir(dir)).sort()).toEqual([BACKUP_FILE, RECORD_FILE].sort());
  });

  it('remembers which slot this boot runs from', async () => {
    expect(await readBootedSlot(dir)).toBeUndefined();
    await writeBootedSlot(dir, { slot: 'B', bootId: 'b1', bootedAt: '2026-01-01T00:00:00Z', trial: true });
    expect(await readBootedSlot(dir)).toEqual({ slot: 'B', bootId: 'b1', bootedAt: '2026-01-01T00:00:00Z', trial: true });
  });
});
