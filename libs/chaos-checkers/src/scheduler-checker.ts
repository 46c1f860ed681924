import { verdict, type Verdict } from './verdict.js';

/**
 * One sampling round of the scheduler's units as the machines themselves see them (systemd's active
 * units on each machine), times in run ms. `views` maps a machine to the units it runs, or null when
 * it could not be asked (a machine powered off runs nothing: the runner records [] for it).
 */
export interface UnitRound {
  startMs: number;
  endMs: number;
  views: Record<string, string[] | null>;
}

export interface LaunchedUnit {
  name: string;
  global: boolean;
  /** Glob patterns of [X-Fleet] Conflicts (only `*` is used by the runner). */
  conflicts: string[];
}

/** A disruption window during which doubles are allowed (a fault, from start to heal). */
export interface Disruption {
  startMs: number;
  endMs: number;
}

export interface SchedulerCheckInput {
  units: LaunchedUnit[];
  rounds: UnitRound[];
  /** The faults, as injected and healed. */
  faults: Disruption[];
  /** When every fault had been healed. */
  healedAtMs: number;
  /** schedulerd's agent TTL on the machines (the machine presence key's lifetime). */
  ttlMs: number;
  /** After a fault heals, how long units may still run twice (agents catching up: two reconcile intervals). */
  settleMs: number;
  /** Times (run ms) of acknowledged kv writes: where none came for more than `quorumGapMs`, kv had no quorum. */
  quorumEvidence: number[];
  quorumGapMs?: number;
  /**
   * When machines went down to reboot (updaterd's rollout, from their own logs): each is a machine
   * loss the faults do not list. A unit's TTL + 10 s run again from the latest one within its gap
   * (the engine may have just placed it on that machine, which keeps it until it is back or its TTL ends).
   */
  reboots?: number[];
  /** The machines' names: the Global unit must run on every one at the end. */
  machines: string[];
}

export interface SchedulerFigures {
  rounds: number;
  /** Per unit: how often it changed machine, and its longest time not running anywhere (ms). */
  moves: Record<string, number>;
  longestGapMs: Record<string, number>;
  /** When every unit ran (once; Global on every machine) after the heal, ms after it; null: never. */
  settledAfterHealMs: number | null;
  /** When the Global units ran on every machine after the heal, ms after it; null: not seen. */
  globalsEverywhereAfterHealMs: number | null;
  /** Rounds in which some non-Global unit ran on two machines (during faults or their settling time: allowed). */
  doubleRoundsDuringFaults: number;
}

const matches = (pattern: string, name: string) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(name);

/** Where each unit runs in a round: unit -> machines (sorted); `unknown` lists the machines not asked. */
function placement(round: UnitRound): { where: Map<string, string[]>; unknown: string[] } {
  const where = new Map<string, string[]>();
  const unknown: string[] = [];
  for (const [machine, units] of Object.entries(round.views)) {
    if (units === null) {
      unknown.push(machine);
      continue;
    }
    for (const unit of units) where.set(unit, [...(where.get(unit) ?? []), machine].sort());
  }
  return { where, unknown };
}

/** Intervals (ms) in which kv acknowledged no write for longer than `gapMs`: no quorum (or no client got through). */
export function noQuorumIntervals(evidence: readonly number[], fromMs: number, toMs: number, gapMs: number): Disruption[] {
  const times = [fromMs, ...[...evidence].filter((t) => t > fromMs && t < toMs).sort((a, b) => a - b), toMs];
  const gaps: Disruption[] = [];
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > gapMs) gaps.push({ startMs: times[i - 1]!, endMs: times[i]! });
  return gaps;
}

const overlap = (a: Disruption, from: number, to: number) => Math.max(0, Math.min(a.endMs, to) - Math.max(a.startMs, from));

/**
 * The scheduler's guarantees under faults, from the machines' own view of their units:
 * - no non-Global unit active on two machines, and no two conflicting units on one machine, in any
 *   round that starts at least `settleMs` after a fault healed and ends before the next fault starts
 *   (fleet promises nothing while a partition holds: the cut-off machine keeps its units while the
 *   others' engine, after the TTL, places them again). A double must show in two consecutive rounds
 *   to count: the machines are asked one after another, so one round can catch a unit that moved
 *   between two questions;
 * - every launched unit running somewhere again within TTL + 10 s of the moment it stopped running
 *   anywhere (a machine lost, halted, rebooted), or of the latest reboot within that time, not counting
 *   time without a kv quorum; and, after
 *   the last heal, every unit running somewhere (Global ones included) within TTL + 10 s of the heal
 *   (a unit that stops again later is held to the first rule).
 */
export function checkScheduler(input: SchedulerCheckInput): { verdicts: Verdict[]; figures: SchedulerFigures } {
  const { units, rounds, ttlMs, settleMs } = input;
  const placed = units.filter((unit) => !unit.global);
  const globals = units.filter((unit) => unit.global);
  const deadlineMs = ttlMs + 10_000;
  const lastRound = rounds.at(-1);
  const endMs = lastRound?.endMs ?? input.healedAtMs;
  const noQuorum = noQuorumIntervals(input.quorumEvidence, 0, Math.min(endMs, input.healedAtMs), input.quorumGapMs ?? 2_000);
  const faults = [...input.faults].sort((a, b) => a.startMs - b.startMs);

  // Windows where doubles are not allowed: from each heal + settle to the next fault's start, and after the last heal.
  const windows: Disruption[] = [];
  let from = 0;
  for (const fault of faults) {
    if (fault.startMs > from) windows.push({ startMs: from, endMs: fault.startMs });
    from = Math.max(from, fault.endMs + settleMs);
  }
  from = Math.max(from, input.healedAtMs + settleMs);
  windows.push({ startMs: from, endMs: Infinity });
  const inWindow = (round: UnitRound) => windows.some((window) => round.startMs >= window.startMs && round.endMs <= window.endMs);

  const doubles: string[] = [];
  const conflicts: string[] = [];
  let doubleRoundsDuringFaults = 0;
  let previous: { round: UnitRound; twice: Set<string>; conflicting: Set<string> } | undefined;
  const places = rounds.map(placement);
  rounds.forEach((round, i) => {
    const { where } = places[i]!;
    const twice = new Set(placed.filter((unit) => (where.get(unit.name)?.length ?? 0) > 1).map((unit) => `${unit.name} on ${where.get(unit.name)!.join(' and ')}`));
    const conflicting = new Set<string>();
    for (const [machine, names] of Object.entries(round.views)) {
      if (!names) continue;
      for (const unit of units) {
        if (!names.includes(unit.name)) continue;
        for (const other of names) if (other !== unit.name && unit.conflicts.some((pattern) => matches(pattern, other))) conflicting.add(`${[unit.name, other].sort().join(' and ')} on ${machine}`);
      }
    }
    const checked = inWindow(round);
    if (!checked && twice.size > 0) doubleRoundsDuringFaults++;
    if (checked && previous && inWindow(previous.round)) {
      const at = `${(previous.round.startMs / 1000).toFixed(1)}-${(round.endMs / 1000).toFixed(1)} s`;
      for (const double of twice) if (previous.twice.has(double)) doubles.push(`${at}: ${double}`);
      for (const pair of conflicting) if (previous.conflicting.has(pair)) conflicts.push(`${at}: conflicting units ${pair}`);
    }
    previous = { round, twice, conflicting };
  });

  // Gaps: runs of rounds in which a unit ran nowhere (and every machine answered).
  const late: string[] = [];
  const moves: Record<string, number> = {};
  const longestGapMs: Record<string, number> = {};
  for (const unit of placed) {
    let gapStart: number | undefined;
    let lastMachine: string | undefined;
    moves[unit.name] = 0;
    longestGapMs[unit.name] = 0;
    const close = (atMs: number, open: boolean) => {
      if (gapStart === undefined) return;
      const length = atMs - gapStart;
      longestGapMs[unit.name] = Math.max(longestGapMs[unit.name]!, length);
      const reboot = Math.max(-Infinity, ...(input.reboots ?? []).filter((at) => at > gapStart! && at < atMs));
      const from = Math.max(gapStart, reboot);
      const excused = noQuorum.reduce((sum, gap) => sum + overlap(gap, from, atMs), 0);
      if (atMs - from - excused > deadlineMs) {
        late.push(`${unit.name} ran nowhere from ${(gapStart / 1000).toFixed(1)} s ${open ? `to the end of the run (${(atMs / 1000).toFixed(1)} s)` : `until ${(atMs / 1000).toFixed(1)} s`}: ${(length / 1000).toFixed(1)} s${from > gapStart ? ` (${((atMs - from) / 1000).toFixed(1)} s after a machine went down to reboot at ${(from / 1000).toFixed(1)} s)` : ''}${excused > 0 ? ` (${(excused / 1000).toFixed(1)} s of it without a kv quorum)` : ''}, more than the TTL + 10 s (${deadlineMs / 1000} s)`);
      }
      gapStart = undefined;
    };
    rounds.forEach((round, i) => {
      const { where, unknown } = places[i]!;
      const on = where.get(unit.name);
      if (on?.length) {
        close(round.startMs, false);
        if (lastMachine !== undefined && !on.includes(lastMachine)) moves[unit.name]!++;
        lastMachine = on[0];
      } else if (unknown.length === 0 && gapStart === undefined) {
        // It ran nowhere by the end of this round (a lower bound of the gap: it may have stopped earlier).
        gapStart = round.endMs;
      }
    });
    close(endMs, true);
  }

  // After the last heal: every unit running (Global ones on every machine) within TTL + 10 s.
  let settledAfterHealMs: number | null = null;
  for (const [i, round] of rounds.entries()) {
    if (round.startMs < input.healedAtMs) continue;
    const { where, unknown } = places[i]!;
    if (unknown.length > 0) continue;
    // "Running somewhere", Global units included: a Global unit can only wait for a rebooting
    // machine of its own to come back, however long its boot takes (the figures say when it ran everywhere).
    const all = [...placed, ...globals].every((unit) => (where.get(unit.name)?.length ?? 0) >= 1);
    if (all) {
      settledAfterHealMs = round.endMs - input.healedAtMs;
      break;
    }
  }
  let globalsEverywhereAfterHealMs: number | null = null;
  for (const [i, round] of rounds.entries()) {
    if (round.startMs < input.healedAtMs || places[i]!.unknown.length > 0) continue;
    if (globals.every((unit) => input.machines.every((machine) => places[i]!.where.get(unit.name)?.includes(machine)))) {
      globalsEverywhereAfterHealMs = round.endMs - input.healedAtMs;
      break;
    }
  }
  const finalProblems: string[] = [];
  const missingIn = (place: { where: Map<string, string[]> }) => [
    ...placed.filter((unit) => !place.where.get(unit.name)?.length).map((unit) => `${unit.name} runs nowhere`),
    ...globals.filter((unit) => !place.where.get(unit.name)?.length).map((unit) => `${unit.name} runs nowhere`),
  ];
  const lastKnown = [...places].reverse().find((place) => place.unknown.length === 0);
  if (settledAfterHealMs === null) {
    finalProblems.push(`after the heal at ${(input.healedAtMs / 1000).toFixed(1)} s the units never all ran (last seen: ${lastKnown ? missingIn(lastKnown).join(', ') : 'no round in which every machine answered'})`);
  } else {
    // A machine going down to reboot after the heal is a machine loss too: the deadline runs from it.
    const settledAt = input.healedAtMs + settledAfterHealMs;
    const from = Math.max(input.healedAtMs, ...(input.reboots ?? []).filter((at) => at < settledAt));
    if (settledAt - from > deadlineMs) finalProblems.push(`every unit ran only ${(settledAfterHealMs / 1000).toFixed(1)} s after the heal${from > input.healedAtMs ? ` (${((settledAt - from) / 1000).toFixed(1)} s after the last reboot began)` : ''}: more than the TTL + 10 s (${deadlineMs / 1000} s)`);
  }
  // A unit missing again later is judged by the gap rule above, not here: machines keep rebooting
  // after the heal (updaterd's rollout), and their units are briefly down each time.

  const checkedRounds = rounds.filter(inWindow).length;
  const verdicts = [
    verdict(
      'scheduler: no unit on two machines once faults healed',
      [...doubles, ...conflicts],
      `${placed.length} units (+${globals.length} Global) asked on every machine in ${rounds.length} rounds; ${checkedRounds} rounds at least ${settleMs / 1000} s after a heal checked: ${doubles.length} doubles, ${conflicts.length} Conflicts violations (${doubleRoundsDuringFaults} rounds with a double during faults, allowed)`,
    ),
    verdict(
      'scheduler: every launched unit running within TTL + 10 s',
      [...late, ...finalProblems],
      `longest time a unit ran nowhere ${(Math.max(0, ...Object.values(longestGapMs)) / 1000).toFixed(1)} s (deadline ${deadlineMs / 1000} s, TTL ${ttlMs / 1000} s; ${(noQuorum.reduce((sum, gap) => sum + gap.endMs - gap.startMs, 0) / 1000).toFixed(1)} s without kv quorum not counted); ${Object.values(moves).reduce((a, b) => a + b, 0)} moves; all running ${settledAfterHealMs === null ? 'never' : `${(settledAfterHealMs / 1000).toFixed(1)} s`} after the heal`,
    ),
  ];
  return { verdicts, figures: { rounds: rounds.length, moves, longestGapMs, settledAfterHealMs, globalsEverywhereAfterHealMs, doubleRoundsDuringFaults } };
}
