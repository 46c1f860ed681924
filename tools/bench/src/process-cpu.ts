import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat, or undefined when
 * it is gone or this is not Linux. On a shared machine wall-clock throughput moves with everyone
 * else's load; CPU time per request does much less, so it says what a change really saved.
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStatCpuSeconds(text);
}

/** Fields 14 and 15 (utime, stime) of a stat line; the command name (field 2) may hold spaces, so count from its closing parenthesis. */
export function parseStatCpuSeconds(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** CPU each member used during one phase, and per successful request. */
export interface PhaseCpu {
  /** Member name -> CPU seconds during the phase. */
  seconds: Record<string, number>;
  /** All members' CPU milliseconds per successful request. */
  msPerRequest: number;
}

export function describeCpu(phase: string, cpu: PhaseCpu, leader: string | undefined): string {
  const parts = Object.entries(cpu.seconds).map(([name, seconds]) => `${name}${name === leader ? ' (leader)' : ''} ${seconds.toFixed(1)} s`);
  return `${phase} phase: ${cpu.msPerRequest.toFixed(3)} CPU ms per request over all members (${parts.join(', ')})`;
}
