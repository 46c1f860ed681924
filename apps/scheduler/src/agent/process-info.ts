import { readFile } from 'node:fs/promises';

/** The kernel's start time of a process (clock ticks since boot), to tell it from a later process reusing its pid. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the process exists and is not a zombie. */
export async function processAlive(pid: number, startTime: string | undefined): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return false;
    return startTime === undefined || fields[19] === startTime;
  } catch {
    return false;
  }
}
