import { verdict, type Verdict } from './verdict.js';

/**
 * A machine's shutdown or boot, as the machine logged it (the runner's boot-log unit: `down` when
 * systemd began to stop the machine, with the target it was going to, `up` once its daemons had been
 * started again). Times in run ms.
 */
export interface BootLogEntry {
  machine: string;
  kind: 'down' | 'up';
  atMs: number;
  /** For `down`: reboot.target, halt.target, poweroff.target, or '' (not known). */
  target?: string;
}

/** One observation of the reboot semaphore in kv (locksmith's JSON), first seen at `atMs`. */
export interface SemaphoreSample {
  atMs: number;
  index: number;
  semaphore: number;
  max: number;
  holders: string[] | null;
}

/** A reboot through `systemctl reboot` (updaterd's reboot manager): from the machine going down to it being up again. */
export interface Reboot {
  machine: string;
  downMs: number;
  /** Undefined: not back by the end of the run. */
  upMs?: number;
}

export interface UpdaterCheckInput {
  log: BootLogEntry[];
  /** Every successful read of the semaphore, in time order (repeated values included: they say when it held). */
  samples: SemaphoreSample[];
  /** The end of the recording. */
  endMs: number;
  /** updaterd's --healthy-after: a rebooted machine keeps its place at least this long after it is up. */
  healthyAfterMs: number;
}

/** The reboots (down to reboot.target, then up) of the log, per machine in time order. */
export function rebootsOf(log: readonly BootLogEntry[]): Reboot[] {
  const reboots: Reboot[] = [];
  const open = new Map<string, Reboot>();
  for (const entry of [...log].sort((a, b) => a.atMs - b.atMs)) {
    if (entry.kind === 'down') {
      if (entry.target !== 'reboot.target') continue;
      const reboot: Reboot = { machine: entry.machine, downMs: entry.atMs };
      reboots.push(reboot);
      open.set(entry.machine, reboot);
    } else {
      const reboot = open.get(entry.machine);
      if (reboot) reboot.upMs = entry.atMs;
      open.delete(entry.machine);
    }
  }
  return reboots;
}

/** The most reboots in progress at one moment, and when. */
export function mostAtOnce(reboots: readonly Reboot[], endMs: number): { count: number; atMs: number; machines: string[] } {
  const edges = reboots.flatMap((reboot) => [
    { at: reboot.downMs, delta: 1, machine: reboot.machine },
    { at: reboot.upMs ?? endMs, delta: -1, machine: reboot.machine },
  ]);
  // At equal times an end comes before a start: touching windows do not overlap.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let count = 0;
  const current = new Set<string>();
  let best = { count: 0, atMs: 0, machines: [] as string[] };
  for (const edge of edges) {
    count += edge.delta;
    if (edge.delta > 0) current.add(edge.machine);
    else current.delete(edge.machine);
    if (count > best.count) best = { count, atMs: edge.at, machines: [...current].sort() };
  }
  return best;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * locksmith's promise under faults: never more machines rebooting at once than the semaphore's max,
 * and the semaphore's holders consistent with who rebooted:
 * - every value of the semaphore read during the run is well formed (holders distinct, at most max,
 *   semaphore = max - holders);
 * - at no moment more reboots in progress (down to up, from the machines' own logs) than the max;
 * - every reboot's machine was a holder: the first read of the semaphore after it went down, if that
 *   read came before the machine could have given its place back (up + healthy-after), lists it
 *   (a reboot without such a read is counted as unverified);
 * - every holder that gave its place back rebooted while it held it (a place taken and returned without
 *   a reboot would be a reboot manager that let go of a lock it needed).
 */
export function checkUpdater(input: UpdaterCheckInput): { verdicts: Verdict[]; reboots: Reboot[]; maxSeen: number; unverified: number } {
  const reboots = rebootsOf(input.log);
  const samples = [...input.samples].sort((a, b) => a.atMs - b.atMs);
  const maxes = [...new Set(samples.map((sample) => sample.max))];
  const max = Math.min(...maxes, Infinity);

  const malformed: string[] = [];
  for (const sample of samples) {
    const holders = sample.holders ?? [];
    if (new Set(holders).size !== holders.length) malformed.push(`@${sample.index} (${s(sample.atMs)}): a holder twice: ${holders.join(', ')}`);
    if (holders.length > sample.max) malformed.push(`@${sample.index} (${s(sample.atMs)}): ${holders.length} holders for a max of ${sample.max}: ${holders.join(', ')}`);
    if (sample.semaphore !== sample.max - holders.length) malformed.push(`@${sample.index} (${s(sample.atMs)}): semaphore ${sample.semaphore} with max ${sample.max} and ${holders.length} holders`);
  }
  const most = mostAtOnce(reboots, input.endMs);
  const tooMany = Number.isFinite(max) && most.count > max ? [`${most.count} machines rebooting at once at ${s(most.atMs)} (${most.machines.join(', ')}), the semaphore's max is ${max}`] : [];
  if (!Number.isFinite(max) && reboots.length > 0) tooMany.push(`${reboots.length} reboots but the semaphore was never read`);

  const unheld: string[] = [];
  let unverified = 0;
  for (const reboot of reboots) {
    const after = samples.find((sample) => sample.atMs > reboot.downMs);
    const releasable = (reboot.upMs ?? Infinity) + input.healthyAfterMs;
    if (!after || after.atMs >= releasable) {
      unverified++;
      continue;
    }
    if (!(after.holders ?? []).includes(reboot.machine)) unheld.push(`${reboot.machine} went down to reboot at ${s(reboot.downMs)} but the semaphore read at ${s(after.atMs)} (@${after.index}) lists ${(after.holders ?? []).join(', ') || 'no holder'}`);
  }

  // Holds: from the read before the first one listing a machine (the place was taken after it) to the
  // first read no longer listing it.
  const noReboot: string[] = [];
  const heldAfter = new Map<string, number>();
  let previousHolders = new Set<string>();
  let previousAt = -Infinity;
  for (const sample of samples) {
    const holders = new Set(sample.holders ?? []);
    for (const holder of holders) if (!previousHolders.has(holder)) heldAfter.set(holder, previousAt);
    for (const holder of previousHolders) {
      if (holders.has(holder)) continue;
      const after = heldAfter.get(holder) ?? -Infinity;
      heldAfter.delete(holder);
      // Held since before the first read: its reboot may have come before the recording began.
      if (after === -Infinity) continue;
      const rebooted = reboots.some((reboot) => reboot.machine === holder && reboot.downMs > after && reboot.downMs <= sample.atMs);
      if (!rebooted) noReboot.push(`${holder} took the semaphore after ${s(after)} and gave it back by ${s(sample.atMs)} (@${sample.index}) without a reboot in between`);
    }
    previousHolders = holders;
    previousAt = sample.atMs;
  }

  // Nothing rebooted and nobody held the semaphore: nothing was checked, which must not pass as a success.
  const idle = reboots.length === 0 && samples.every((sample) => (sample.holders ?? []).length === 0);
  const figures = `${reboots.length} reboots (${reboots.map((r) => `${r.machine} ${s(r.downMs)}-${r.upMs === undefined ? 'end' : s(r.upMs)}`).join(', ') || 'none'}); at most ${most.count} at once; semaphore max ${Number.isFinite(max) ? max : '?'}, ${samples.length} reads`;
  const rebooting = verdict('updater: never more machines rebooting than the semaphore max', [...malformed, ...tooMany], figures);
  if (idle && rebooting.result === 'pass') Object.assign(rebooting, { result: 'unknown', details: ['no machine rebooted and no machine held the semaphore during the run: the updater was not exercised (did the release install? see the updater figures)'] });
  return {
    verdicts: [
      rebooting,
      verdict('updater: semaphore holders consistent with the reboots', [...unheld, ...noReboot], `${reboots.length - unverified} reboots checked against the holders (${unverified} unverified: no read of the semaphore while they held it), ${heldAfter.size} still held at the end (${[...heldAfter.keys()].join(', ') || 'none'})`),
    ],
    reboots,
    maxSeen: most.count,
    unverified,
  };
}
