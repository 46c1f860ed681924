import { percentile } from './percentiles.js';

/** p50, p90 and p99 (nearest rank) of one set of samples, in milliseconds. */
export interface Spread {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function spread(samplesMs: readonly number[]): Spread | undefined {
  if (samplesMs.length === 0) return undefined;
  return { count: samplesMs.length, p50: percentile(samplesMs, 50), p90: percentile(samplesMs, 90), p99: percentile(samplesMs, 99), max: Math.max(...samplesMs) };
}

/**
 * The order of the systems in round `round`: each round rotates it by one, so that every system
 * goes first, second, … equally often and a slow drift of the machine (other work starting, the
 * page cache warming) lands on all of them alike.
 */
export function roundOrder<T>(systems: readonly T[], round: number): T[] {
  if (systems.length === 0) return [];
  const shift = round % systems.length;
  return [...systems.slice(shift), ...systems.slice(0, shift)];
}

/** `a / b`, or undefined when either is missing or b is 0. */
export function ratioOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

/** Kilobytes from the `VmRSS:` (or `VmHWM:`) line of /proc/PID/status. */
export function statusKilobytes(status: string, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
  return match ? Number(match[1]) : undefined;
}

/**
 * CPU time (user + system, in clock ticks) from /proc/PID/stat. The command name (field 2) is in
 * parentheses and may hold spaces and parentheses itself: fields are counted after its last `)`.
 */
export function statCpuTicks(stat: string): number | undefined {
  const end = stat.lastIndexOf(')');
  if (end < 0) return undefined;
  // After ")": state is field 3, utime field 14, stime field 15.
  const fields = stat.slice(end + 2).trim().split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}
