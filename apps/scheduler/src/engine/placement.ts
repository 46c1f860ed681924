import { globMatch, machineIdMatches, metadataMatches, unitsConflict } from '@minicore/unit-file';
import type { ClusterMachine, ClusterUnit } from '../registry/model.js';

export type PlacementAction =
  | { kind: 'unschedule'; unit: string; machine: string; reason: string }
  | { kind: 'schedule'; unit: string; machine: string };

/** `units`: fleet's rule, the fewest units. `load`: the least busy by reported load, then free memory, then units. */
export type PlacementStrategy = 'units' | 'load';

export const placementStrategies: readonly PlacementStrategy[] = ['units', 'load'];

export interface PlacementOptions {
  strategy?: PlacementStrategy;
}

export interface Verdict {
  ok: boolean;
  reason: string;
}

/**
 * The units that count as running on each machine: placed non-inactive units plus the global units
 * that apply there. Kept so that one engine pass over ten thousand units stays cheap: units by name
 * per machine, the units with Conflicts patterns apart (the only ones a unit without patterns can
 * clash with), and the machines kept in placement order, one machine moved as its count changes
 * instead of all sorted again for every unit.
 */
export class ClusterLoad {
  readonly #onMachine = new Map<string, Map<string, ClusterUnit>>();
  readonly #conflicting = new Map<string, Map<string, ClusterUnit>>();
  #order: { strategy: PlacementStrategy; list: ClusterMachine[] } | undefined;

  constructor(
    readonly machines: ReadonlyMap<string, ClusterMachine>,
    units: Iterable<ClusterUnit>,
  ) {
    for (const id of machines.keys()) {
      this.#onMachine.set(id, new Map());
      this.#conflicting.set(id, new Map());
    }
    for (const unit of units) {
      if (unit.desiredState === 'inactive') continue;
      if (unit.requirements.global) {
        for (const machine of machines.values()) if (metadataMatches(unit.requirements.machineMetadata, machine.metadata)) this.#put(unit, machine.id);
      } else if (unit.target !== undefined) this.#put(unit, unit.target);
    }
  }

  #put(unit: ClusterUnit, machineId: string): boolean {
    const here = this.#onMachine.get(machineId);
    if (!here) return false;
    here.set(unit.name, unit);
    if (unit.requirements.conflicts.length > 0) this.#conflicting.get(machineId)!.set(unit.name, unit);
    return true;
  }

  unitsOn(machineId: string): readonly ClusterUnit[] {
    return [...(this.#onMachine.get(machineId)?.values() ?? [])];
  }

  count(machineId: string): number {
    return this.#onMachine.get(machineId)?.size ?? 0;
  }

  /** Whether `unit` (by name) counts on the machine. */
  carries(machineId: string, unit: string): boolean {
    return this.#onMachine.get(machineId)?.has(unit) ?? false;
  }

  /** Units on the machine, all of them or only those with Conflicts patterns. */
  units(machineId: string, onlyConflicting: boolean): Iterable<ClusterUnit> {
    return (onlyConflicting ? this.#conflicting : this.#onMachine).get(machineId)?.values() ?? [];
  }

  add(unit: ClusterUnit, machineId: string): void {
    if (this.#put(unit, machineId)) this.#reorder(machineId);
  }

  remove(unit: ClusterUnit, machineId: string): void {
    const here = this.#onMachine.get(machineId);
    if (!here?.delete(unit.name)) return;
    this.#conflicting.get(machineId)!.delete(unit.name);
    this.#reorder(machineId);
  }

  #compare(strategy: PlacementStrategy): (a: ClusterMachine, b: ClusterMachine) => number {
    const byUnits = (a: ClusterMachine, b: ClusterMachine) => this.count(a.id) - this.count(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return strategy === 'load' ? (a, b) => busier(a, b) || byUnits(a, b) : byUnits;
  }

  /** One machine's count changed: take it out of the order and put it back where it now belongs (binary search). */
  #reorder(machineId: string): void {
    const order = this.#order;
    if (!order) return;
    const compare = this.#compare(order.strategy);
    const { list } = order;
    const from = list.findIndex((machine) => machine.id === machineId);
    const [machine] = list.splice(from, 1);
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(list[middle]!, machine!) < 0) low = middle + 1;
      else high = middle;
    }
    list.splice(low, 0, machine!);
  }

  /**
   * Machines in the order a unit tries them. `units`: fewest units first, ties by id (fleet's
   * order). `load`: see `busier`; units, then id, break ties. The array is kept up to date by
   * `add` and `remove`; do not change it.
   */
  byLoad(strategy: PlacementStrategy = 'units'): readonly ClusterMachine[] {
    if (this.#order?.strategy !== strategy) {
      const list = [...this.machines.values()].sort(this.#compare(strategy));
      this.#order = { strategy, list };
    }
    return this.#order.list;
  }
}

/** Load per CPU is compared in steps of this size, so noise in the load average does not outweigh free memory and unit counts. */
export const loadStep = 0.1;
/** Free memory is compared in steps of this many bytes. */
export const memoryStep = 256 * 1024 * 1024;

/**
 * `--placement load`'s order: negative when `a` is less busy. Lower load per CPU first, then more
 * free memory, each compared in coarse steps; a machine that reports no load comes after those
 * that do. The load is as last reported (every third of the agent TTL), so within one burst the
 * unit counts are what spreads units over machines of similar load.
 */
export function busier(a: ClusterMachine, b: ClusterMachine): number {
  if (!a.load || !b.load) return a.load ? -1 : b.load ? 1 : 0;
  return Math.round(a.load.loadPerCpu / loadStep) - Math.round(b.load.loadPerCpu / loadStep) || Math.floor(b.load.freeMemoryBytes / memoryStep) - Math.floor(a.load.freeMemoryBytes / memoryStep);
}

/**
 * fleet's `AbleToRun`: whether `machine` may carry `unit`, given what already runs there
 * (the unit itself excluded). MachineID, metadata, MachineOf peers placed here, and Conflicts both ways.
 */
export function ableToRun(machine: ClusterMachine, unit: ClusterUnit, load: ClusterLoad): Verdict {
  const r = unit.requirements;
  if (r.machineId !== undefined && !machineIdMatches(r.machineId, machine.id)) return { ok: false, reason: `requires machine ${r.machineId}` };
  if (!metadataMatches(r.machineMetadata, machine.metadata)) return { ok: false, reason: 'machine metadata does not match' };
  for (const peer of r.machineOf) {
    if (peer === unit.name || !load.carries(machine.id, peer)) return { ok: false, reason: `required peer ${peer} is not scheduled on the machine` };
  }
  // Without patterns of its own, a unit can only clash with units that have some.
  const mine = { name: unit.name, conflicts: r.conflicts };
  for (const other of load.units(machine.id, r.conflicts.length === 0)) {
    if (other.name !== unit.name && unitsConflict(mine, { name: other.name, conflicts: other.requirements.conflicts })) return { ok: false, reason: `conflicts with ${other.name}` };
  }
  return { ok: true, reason: '' };
}

function replaces(a: ClusterUnit, b: ClusterUnit): boolean {
  return a.requirements.replaces.some((pattern) => globMatch(pattern, b.name));
}

/**
 * One engine pass as pure data, fleet's two steps: first take units off machines that went away or
 * can no longer carry them (or that a Replaces unit pushes away), then place every unplaced
 * non-global unit that is not inactive on the least-loaded machine able to run it (by `strategy`). Units are
 * visited by name; placing repeats until nothing changes, so a MachineOf chain lands in one pass.
 */
export function planPlacement(units: ReadonlyMap<string, ClusterUnit>, machines: ReadonlyMap<string, ClusterMachine>, options: PlacementOptions = {}): PlacementAction[] {
  const actions: PlacementAction[] = [];
  const sorted = [...units.values()].filter((unit) => !unit.requirements.global).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Global units count for load and conflicts, but the engine never places them.
  const load = new ClusterLoad(machines, units.values());
  const placed = new Map(sorted.filter((unit) => unit.target !== undefined).map((unit) => [unit.name, unit.target!]));
  const avoid = new Map<string, string>();

  const unschedule = (unit: ClusterUnit, machine: string, reason: string) => {
    actions.push({ kind: 'unschedule', unit: unit.name, machine, reason });
    load.remove(unit, machine);
    placed.delete(unit.name);
  };

  for (const unit of sorted) {
    const target = placed.get(unit.name);
    if (target === undefined) continue;
    if (unit.desiredState === 'inactive') unschedule(unit, target, 'desired state is inactive');
    else if (!machines.has(target)) unschedule(unit, target, `target machine ${target} went away`);
    else {
      const verdict = ableToRun(machines.get(target)!, unit, load);
      if (!verdict.ok) unschedule(unit, target, verdict.reason);
    }
  }
  for (const unit of sorted) {
    const target = placed.get(unit.name);
    if (target === undefined || unit.requirements.replaces.length === 0) continue;
    for (const other of load.unitsOn(target)) {
      if (other.name === unit.name || other.requirements.global || !replaces(unit, other) || replaces(other, unit)) continue;
      unschedule(other, target, `replaced by ${unit.name}`);
      avoid.set(other.name, target);
    }
  }

  for (let progress = true; progress; ) {
    progress = false;
    for (const unit of sorted) {
      if (placed.has(unit.name) || unit.desiredState === 'inactive') continue;
      const machine = load.byLoad(options.strategy).find((candidate) => candidate.id !== avoid.get(unit.name) && ableToRun(candidate, unit, load).ok);
      if (!machine) continue;
      actions.push({ kind: 'schedule', unit: unit.name, machine: machine.id });
      load.add(unit, machine.id);
      placed.set(unit.name, machine.id);
      progress = true;
    }
  }
  return actions;
}
