import { Prng } from '@minicore/seeded-random';

/**
 * The faults the runner can inject. Slow disks are absent on purpose: the docker-provider machines
 * share a cgroup-v1 host's overlayfs disk, with no block device of their own (see
 * e2e/chaos/README.md). Full disks fill a small loop-mounted filesystem the host made for kvd's data
 * dir. Clock jumps shift one kvd's wall clock through libfaketime.
 */
export type FaultKind =
  /** kill -9 of kvd; systemd's Restart=always brings it back after RestartSec. */
  | 'kill'
  /** SIGSTOP of kvd for `holdMs`, then SIGCONT. */
  | 'pause'
  /** A clean machine halt (systemd shuts down), powered on again after `holdMs`. */
  | 'halt'
  /** The plug pulled: the machine's every process killed at once, powered on after `holdMs`. */
  | 'crash'
  /** A minority of the machines cut off from the rest. */
  | 'partition-minority'
  /** The current leader (found when the fault starts) cut off from the rest. */
  | 'partition-leader'
  /** Two halves that cannot reach each other, and one bridge machine that reaches both. */
  | 'partition-bridge'
  /** kvd's wall clock moved by `clockOffsetS` (libfaketime) for `holdMs`, then back; its monotonic clock stays. */
  | 'clock-jump'
  /** kvd's data dir filled to the last block (from the host) for `holdMs`, then the filler deleted. */
  | 'disk-full';

export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'halt', 'crash', 'partition-minority', 'partition-leader', 'partition-bridge', 'clock-jump', 'disk-full'];

/** The machine a fault hits; LEADER means the leader at the moment the fault starts. */
export const LEADER = '@leader';

export interface PlannedFault {
  id: number;
  kind: FaultKind;
  /** When it starts, in ms after the clients started. */
  atMs: number;
  /** How long it lasts before it is healed (for kill: how long the runner waits before the next fault). */
  holdMs: number;
  /** kill, pause, halt, crash, clock-jump, disk-full: one machine name or LEADER. */
  target?: string;
  /** Partitions: groups that cannot reach each other (a machine in no group reaches everyone: the bridge). */
  groups?: string[][];
  bridge?: string;
  /** clock-jump: seconds added to the wall clock (negative: back in time). */
  clockOffsetS?: number;
}

export interface ScheduleOptions {
  seed: number;
  /** The run's length: every fault is healed by then. */
  durationMs: number;
  machines: readonly string[];
  kinds?: readonly FaultKind[];
  /** Load without faults at the start (default 5 s). */
  warmupMs?: number;
}

/** How long each kind of fault lasts, [min, max] ms. */
const HOLD: Record<FaultKind, [number, number]> = {
  kill: [3_000, 6_000],
  pause: [1_500, 8_000],
  halt: [6_000, 15_000],
  crash: [6_000, 15_000],
  'partition-minority': [4_000, 12_000],
  'partition-leader': [4_000, 12_000],
  'partition-bridge': [4_000, 12_000],
  'clock-jump': [4_000, 12_000],
  'disk-full': [4_000, 12_000],
};
/** Calm between two faults, [min, max] ms. */
const GAP: [number, number] = [2_000, 6_000];

/**
 * A fault schedule, a pure function of the seed: faults one after another (never overlapping, so
 * that a majority can always be restored by healing the current fault), each healed before the next.
 */
export function generateSchedule(options: ScheduleOptions): PlannedFault[] {
  const prng = new Prng(options.seed);
  const kinds = options.kinds ?? FAULT_KINDS;
  const machines = [...options.machines];
  if (kinds.length === 0) return [];
  if (machines.length === 0) throw new Error('a schedule needs machines');
  const faults: PlannedFault[] = [];
  let at = options.warmupMs ?? 5_000;
  for (;;) {
    const kind = prng.pick(kinds);
    const [low, high] = HOLD[kind];
    const holdMs = prng.int(low, high);
    if (at + holdMs > options.durationMs) break;
    faults.push({ id: faults.length + 1, kind, atMs: at, holdMs, ...placement(kind, machines, prng) });
    at += holdMs + prng.int(GAP[0], GAP[1]);
  }
  return faults;
}

function placement(kind: FaultKind, machines: string[], prng: Prng): Pick<PlannedFault, 'target' | 'groups' | 'bridge' | 'clockOffsetS'> {
  const shuffled = prng.shuffle([...machines]);
  switch (kind) {
    case 'kill':
    case 'pause':
    case 'disk-full':
      // Half of the process faults and full disks hit the leader: that is where they hurt.
      return { target: prng.chance(0.5) ? LEADER : shuffled[0] };
    case 'halt':
    case 'crash':
      return { target: shuffled[0] };
    case 'clock-jump':
      // The leader's clock decides TTL expiry; another member's, the expiry times of what is created through it.
      return { target: prng.chance(0.5) ? LEADER : shuffled[0], clockOffsetS: (prng.chance(0.5) ? 1 : -1) * prng.int(10, 60) };
    case 'partition-minority': {
      const size = Math.max(1, Math.floor((machines.length - 1) / 2));
      return { groups: [shuffled.slice(0, size).sort(), shuffled.slice(size).sort()] };
    }
    case 'partition-leader':
      return { target: LEADER };
    case 'partition-bridge': {
      if (machines.length < 3) return { groups: [shuffled.slice(0, 1), shuffled.slice(1)] };
      const [bridge, ...rest] = shuffled as [string, ...string[]];
      const half = Math.floor(rest.length / 2);
      return { bridge, groups: [rest.slice(0, half).sort(), rest.slice(half).sort()] };
    }
  }
}

/** For each machine, the machines it must not reach while a partition holds. */
export function blockedPeers(groups: readonly (readonly string[])[]): Map<string, string[]> {
  const blocked = new Map<string, string[]>();
  groups.forEach((group, index) => {
    const others = groups.filter((_, other) => other !== index).flat();
    for (const machine of group) blocked.set(machine, [...others]);
  });
  return blocked;
}

/** One line for a planned fault, e.g. `#3 partition-bridge 7.5 s: [core-1] | [core-4] (bridge core-2)`. */
export function describeFault(fault: PlannedFault): string {
  const hold = `${(fault.holdMs / 1000).toFixed(1)} s`;
  const where = fault.groups
    ? `${fault.groups.map((group) => `[${group.join(',')}]`).join(' | ')}${fault.bridge ? ` (bridge ${fault.bridge})` : ''}`
    : (fault.target ?? '');
  const offset = fault.clockOffsetS === undefined ? '' : ` ${fault.clockOffsetS > 0 ? '+' : ''}${fault.clockOffsetS} s`;
  return `#${fault.id} ${fault.kind} ${hold}: ${where}${offset}`;
}
