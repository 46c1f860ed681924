import type { DesiredState, MachineRecord, UnitStateRecord } from '@minicore/fleet-api';
import type { FleetRequirements, UnitOption } from '@minicore/unit-file';
import { loadFromFields, type MachineLoad, type MachineLoadFields } from './machine-load.js';

/** A unit as the cluster knows it: its options, what is asked of it, and where it is scheduled. */
export interface ClusterUnit {
  name: string;
  hash: string;
  options: UnitOption[];
  desiredState: DesiredState;
  /** The machine the engine placed it on (never set for global units). */
  target: string | undefined;
  /** The machine whose agent reports it launched (heartbeat key). */
  jobState: string | undefined;
  requirements: FleetRequirements;
}

export interface ClusterMachine {
  id: string;
  publicIP: string;
  metadata: Record<string, string>;
  /** What its agent last reported, if it reports it (see machine-load.ts). */
  load?: MachineLoad | undefined;
}

export interface ClusterUnitState {
  name: string;
  machineId: string;
  record: UnitStateRecord;
}

/** One consistent-enough read of everything the engine, the agents and the API decide from. */
export interface ClusterSnapshot {
  units: Map<string, ClusterUnit>;
  machines: Map<string, ClusterMachine>;
  states: ClusterUnitState[];
}

export function machineFromRecord(record: MachineRecord & MachineLoadFields): ClusterMachine {
  const load = loadFromFields(record);
  return { id: record.ID, publicIP: record.PublicIP, metadata: record.Metadata ?? {}, ...(load ? { load } : {}) };
}

/**
 * fleet's `currentState`, derived on every read: inactive until the target machine published a
 * state for the unit, loaded once it has, launched once its agent's heartbeat says it runs there.
 */
export function currentState(unit: ClusterUnit, states: readonly ClusterUnitState[]): DesiredState {
  if (unit.target === undefined) return 'inactive';
  if (!states.some((state) => state.name === unit.name && state.machineId === unit.target)) return 'inactive';
  return unit.jobState === unit.target ? 'launched' : 'loaded';
}
