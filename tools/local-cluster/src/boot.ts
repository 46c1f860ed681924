import { execFile } from 'node:child_process';
import { lstat, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { slotsDir } from './plan.js';

const run = promisify(execFile);

/**
 * Boots a local machine the way the boot selector boots a real one: on its first boot, slot A is
 * the working tree itself (a link: the factory image is whatever `npm run build` made); updates go
 * into B and back; `updaterd boot`, run from the working tree (like GRUB, outside the slots), picks
 * the slot and the machine's daemons then run from that folder. Returns the folder.
 */
export async function bootMachine(options: { dataDir: string; machine: string; workspaceRoot: string }): Promise<{ root: string; slot: string; trial: boolean }> {
  const slots = slotsDir(options.dataDir, options.machine);
  await mkdir(slots, { recursive: true });
  const slotA = path.join(slots, 'A');
  if (!(await lstat(slotA).catch(() => undefined))) await symlink(options.workspaceRoot, slotA);
  const bootSelector = path.join(options.workspaceRoot, 'apps/updater/dist/updaterd/boot-main.js');
  const { stdout } = await run(process.execPath, [bootSelector, '--slots-dir', slots, '--current-link', path.join(options.dataDir, options.machine, 'current')]);
  const result = JSON.parse(stdout) as { slot: string; path: string; trial: boolean };
  return { root: result.path, slot: result.slot, trial: result.trial };
}
