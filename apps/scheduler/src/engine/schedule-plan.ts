import { metadataMatches } from '@minicore/unit-file';
import type { ClusterMachine, ClusterUnit } from '../registry/model.js';
import { encodeSchedule, type ScheduleEntry } from '../registry/schedule-index.js';

export type IndexChange =
  | { kind: 'put'; machine: string; encoded: string }
  /** A machine that went away: its list goes. */
  | { kind: 'drop'; machine: string };

function isTemplate(name: string): boolean {
  return /@\.[^.]+$/.test(name);
}

/**
 * What each live machine's list in the schedule index should hold: its placed units and the global
 * units its metadata matches, every one not inactive (templates never run). Conflicts between
 * global units are left to the agent, as in fleet.
 */
export function expectedSchedule(units: Iterable<ClusterUnit>, machines: ReadonlyMap<string, ClusterMachine>): Map<string, ScheduleEntry[]> {
  const expected = new Map<string, ScheduleEntry[]>([...machines.keys()].map((id) => [id, []]));
  for (const unit of units) {
    if (unit.desiredState === 'inactive' || isTemplate(unit.name)) continue;
    const entry = { name: unit.name, hash: unit.hash, desiredState: unit.desiredState };
    if (unit.requirements.global) {
      for (const machine of machines.values()) if (metadataMatches(unit.requirements.machineMetadata, machine.metadata)) expected.get(machine.id)!.push(entry);
    } else if (unit.target !== undefined) expected.get(unit.target)?.push(entry);
  }
  return expected;
}

/** The writes that turn the index as read (machine → stored text) into the expected one. */
export function diffSchedule(actual: ReadonlyMap<string, string>, expected: ReadonlyMap<string, readonly ScheduleEntry[]>): IndexChange[] {
  const changes: IndexChange[] = [];
  for (const machine of actual.keys()) if (!expected.has(machine)) changes.push({ kind: 'drop', machine });
  for (const [machine, entries] of expected) {
    const encoded = encodeSchedule(entries);
    if (actual.get(machine) !== encoded) changes.push({ kind: 'put', machine, encoded });
  }
  return changes;
}
