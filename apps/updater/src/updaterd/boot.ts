import { randomUUID } from 'node:crypto';
import { open, readFile, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { decideBoot, describeRecord, loadBootRecord, saveBootRecord, slotDirectory, writeBootedSlot, type BootRecord, type SlotName } from '@minicore/boot-record';

export interface BootResult {
  slot: SlotName;
  /** The slot's folder, the daemons start from here. */
  path: string;
  trial: boolean;
  bootId: string;
  record: BootRecord;
}

/** The kernel's boot id when there is one (Linux), so updaterd's Omaha bootid matches the machine's. */
export async function currentBootId(): Promise<string> {
  const id = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '');
  return id.trim() || randomUUID();
}

/**
 * `updaterd boot`: GRUB's part. Picks the slot by the gptprio rule, writes the record with the
 * chosen slot's tries decremented (atomically, before anything starts from the slot), and notes
 * which slot this boot runs from; with `currentLink`, points that link at the slot's folder.
 */
/**
 * Points `link` at the booted slot's folder, atomically (a new link renamed over the old one), so
 * that units whose ExecStart runs from `/opt/minicore/current/...` start the chosen slot's code.
 */
export async function pointCurrentLink(link: string, target: string): Promise<void> {
  const temp = `${link}.tmp-${process.pid}`;
  await rm(temp, { force: true });
  await symlink(path.resolve(target), temp);
  await rename(temp, link);
  const handle = await open(path.dirname(path.resolve(link)), 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function runBootSelector(slotsDir: string, bootId: string, now = new Date(), currentLink = ''): Promise<BootResult> {
  const loaded = await loadBootRecord(slotsDir);
  const decision = decideBoot(loaded.record);
  // Writing also repairs a damaged copy and persists the initial record of a fresh machine.
  if (decision.record !== loaded.record || loaded.created || !loaded.valid.primary || !loaded.valid.backup) await saveBootRecord(slotsDir, decision.record);
  await writeBootedSlot(slotsDir, { slot: decision.slot, bootId, bootedAt: now.toISOString(), trial: decision.trial });
  if (currentLink) await pointCurrentLink(currentLink, slotDirectory(slotsDir, decision.slot));
  return { slot: decision.slot, path: slotDirectory(slotsDir, decision.slot), trial: decision.trial, bootId, record: decision.record };
}

export { describeRecord };
