import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What powering a machine off does to the units its scheduler runs: they end. schedulerd leaves
 * units running when it stops (so that a restart does not disturb them); on the local cluster a
 * machine is a folder of processes, so the launcher ends each unit's process group itself, found
 * from the exec backend's run records (`<machine>/scheduler/units/<unit>/run.json`, `{ pid }`).
 */
export async function stopMachineUnits(machineDir: string): Promise<number> {
  const unitsDir = path.join(machineDir, 'scheduler', 'units');
  const units = await readdir(unitsDir).catch(() => [] as string[]);
  let stopped = 0;
  for (const unit of units) {
    const record = await readFile(path.join(unitsDir, unit, 'run.json'), 'utf8').catch(() => undefined);
    const pid = record ? (JSON.parse(record) as { pid?: unknown }).pid : undefined;
    if (typeof pid !== 'number' || pid <= 1) continue;
    try {
      process.kill(-pid, 'SIGTERM');
      stopped += 1;
    } catch {
      // already gone
    }
  }
  return stopped;
}
