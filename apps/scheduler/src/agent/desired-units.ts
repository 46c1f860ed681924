import { metadataMatches, unitsConflict } from '@minicore/unit-file';
import type { ClusterMachine, ClusterUnit } from '../registry/model.js';

/**
 * fleet's agent view of what its machine should run: units placed on it plus the global units whose
 * metadata matches, in name order, dropping any that conflicts with one already accepted.
 * Inactive units are not desired (they get unloaded); templates never run.
 */
export function desiredUnits(units: Iterable<ClusterUnit>, machine: ClusterMachine): ClusterUnit[] {
  const candidates = [...units]
    .filter((unit) => unit.desiredState !== 'inactive')
    .filter((unit) => (unit.requirements.global ? metadataMatches(unit.requirements.machineMetadata, machine.metadata) : unit.target === machine.id))
    .filter((unit) => !/@\.[a-z]+$/.test(unit.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const accepted: ClusterUnit[] = [];
  for (const unit of candidates) {
    const mine = { name: unit.name, conflicts: unit.requirements.conflicts };
    if (accepted.some((other) => unitsConflict(mine, { name: other.name, conflicts: other.requirements.conflicts }))) continue;
    accepted.push(unit);
  }
  return accepted;
}

export type AgentTask = { kind: 'unload' | 'load' | 'start' | 'stop'; unit: string };

/**
 * fleet's task planning: per unit, what takes the backend from `current` to `desired`, ordered
 * unload → load → stop → start so a replaced unit is gone before its successor arrives.
 */
export function planTasks(desired: readonly ClusterUnit[], current: readonly { name: string; hash: string; launched: boolean }[]): AgentTask[] {
  const tasks: AgentTask[] = [];
  const have = new Map(current.map((unit) => [unit.name, unit]));
  const want = new Map(desired.map((unit) => [unit.name, unit]));
  for (const unit of current) if (!want.has(unit.name)) tasks.push({ kind: 'unload', unit: unit.name });
  for (const unit of desired) {
    const local = have.get(unit.name);
    const launch = unit.desiredState === 'launched';
    if (!local || local.hash !== unit.hash) {
      if (local) tasks.push({ kind: 'unload', unit: unit.name });
      tasks.push({ kind: 'load', unit: unit.name });
      if (launch) tasks.push({ kind: 'start', unit: unit.name });
    } else if (launch && !local.launched) tasks.push({ kind: 'start', unit: unit.name });
    else if (!launch && local.launched) tasks.push({ kind: 'stop', unit: unit.name });
  }
  const order = { unload: 0, load: 1, stop: 2, start: 3 };
  return tasks.sort((a, b) => order[a.kind] - order[b.kind]);
}
