import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { BootRecordError, initialBootRecord, isSlotName, validateBootRecord, type BootRecord, type SlotName } from './record.js';

export const RECORD_FILE = 'boot-record.json';
/** GPT keeps a backup header at the end of the disk; the record keeps a backup copy beside it. */
export const BACKUP_FILE = 'boot-record.backup.json';
export const BOOTED_FILE = 'booted.json';
const FORMAT = 'minicore-boot-record/1';
const TEMP_MARK = '.tmp-';

interface StoredRecord {
  format: typeof FORMAT;
  /** Grows by one per write; of two valid copies the higher generation wins. */
  generation: number;
  slots: BootRecord;
  /** sha256 over format, generation and slots: a torn or edited copy fails it, like a GPT CRC. */
  checksum: string;
}

export interface LoadedRecord {
  record: BootRecord;
  generation: number;
  /** Which copies were readable; a write repairs the others. */
  valid: { primary: boolean; backup: boolean };
  /** True when neither copy existed and the record is the initial one. */
  created: boolean;
}

export interface WriteHooks {
  /** Test seam: runs after the temporary file is written and synced, before it is renamed. */
  beforeRename?: (tempFile: string, target: string) => Promise<void> | void;
}

function checksumOf(generation: number, slots: BootRecord): string {
  return createHash('sha256').update(JSON.stringify({ format: FORMAT, generation, slots })).digest('hex');
}

async function readCopy(file: string): Promise<{ generation: number; record: BootRecord } | 'absent' | 'invalid'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  try {
    const stored = JSON.parse(text) as Partial<StoredRecord>;
    if (stored.format !== FORMAT || typeof stored.generation !== 'number') return 'invalid';
    const slots = validateBootRecord(stored.slots);
    if (stored.checksum !== checksumOf(stored.generation, slots)) return 'invalid';
    return { generation: stored.generation, record: slots };
  } catch {
    return 'invalid';
  }
}

/** Flushes a file or a folder (a folder: the names in it, after a create or rename) to the disk. */
export async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write-then-rename: the target holds either its old or its new bytes, never a part of either. */
export async function writeFileAtomic(target: string, content: string, hooks: WriteHooks = {}): Promise<void> {
  const temp = `${target}${TEMP_MARK}${process.pid}-${Date.now()}`;
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await hooks.beforeRename?.(temp, target);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // The rename is durable only once the directory entry is on disk.
  await fsyncPath(path.dirname(target));
}

/** Removes temporary files a crash left behind; they never hold the record of truth. */
async function removeLeftovers(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => name.includes(TEMP_MARK)).map((name) => rm(path.join(dir, name), { force: true })));
}

/**
 * Reads the record: of the two copies, the valid one with the higher generation. Neither present
 * means a fresh machine (initial record); both present and damaged is an error, never a guess.
 */
export async function loadBootRecord(dir: string): Promise<LoadedRecord> {
  const primary = await readCopy(path.join(dir, RECORD_FILE));
  const backup = await readCopy(path.join(dir, BACKUP_FILE));
  const valid = { primary: typeof primary === 'object', backup: typeof backup === 'object' };
  const copies = [primary, backup].filter((copy) => typeof copy === 'object');
  if (copies.length === 0) {
    if (primary === 'absent' && backup === 'absent') return { record: initialBootRecord(), generation: 0, valid, created: true };
    throw new BootRecordError('MC_ERR_BOOT_RECORD_CORRUPT', `both copies of the boot record in ${dir} are damaged`);
  }
  const newest = copies.reduce((a, b) => (b.generation > a.generation ? b : a));
  return { record: newest.record, generation: newest.generation, valid, created: false };
}

/**
 * Writes a new generation of the record: first the primary copy, then the backup, each by
 * write-then-rename with fsync. A crash at any instant leaves at least one valid copy holding
 * either the old or the new record.
 */
export async function saveBootRecord(dir: string, record: BootRecord, hooks: WriteHooks = {}): Promise<number> {
  await mkdir(dir, { recursive: true });
  await removeLeftovers(dir);
  const slots = validateBootRecord(record);
  const current = await loadBootRecord(dir).catch(() => ({ generation: 0 }));
  const generation = current.generation + 1;
  const content = `${JSON.stringify({ format: FORMAT, generation, slots, checksum: checksumOf(generation, slots) } satisfies StoredRecord, null, 2)}\n`;
  await writeFileAtomic(path.join(dir, RECORD_FILE), content, hooks);
  await writeFileAtomic(path.join(dir, BACKUP_FILE), content, hooks);
  return generation;
}

/** Loads, applies `change` and saves: the read-modify-write every record update goes through. */
export async function updateBootRecord(dir: string, change: (record: BootRecord) => BootRecord, hooks: WriteHooks = {}): Promise<BootRecord> {
  const { record } = await loadBootRecord(dir);
  const next = change(record);
  await saveBootRecord(dir, next, hooks);
  return next;
}

/** Which slot this boot runs from, written by the boot selector (CoreOS: `usr_uuid` on the kernel command line). */
export interface BootedSlot {
  slot: SlotName;
  bootId: string;
  bootedAt: string;
  /** True when the boot used up a try (the slot is on trial until marked good). */
  trial: boolean;
}

export async function writeBootedSlot(dir: string, booted: BootedSlot): Promise<void> {
  await writeFileAtomic(path.join(dir, BOOTED_FILE), `${JSON.stringify(booted)}\n`);
}

export async function readBootedSlot(dir: string): Promise<BootedSlot | undefined> {
  try {
    const value = JSON.parse(await readFile(path.join(dir, BOOTED_FILE), 'utf8')) as Partial<BootedSlot>;
    if (!isSlotName(value.slot) || typeof value.bootId !== 'string') return undefined;
    return { slot: value.slot, bootId: value.bootId, bootedAt: String(value.bootedAt), trial: value.trial === true };
  } catch {
    return undefined;
  }
}

/** Where a slot's release lives: `<slots-dir>/A`, `<slots-dir>/B`. */
export function slotDirectory(dir: string, slot: SlotName): string {
  return path.join(dir, slot);
}
