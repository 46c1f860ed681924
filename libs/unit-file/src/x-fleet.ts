import { globMatch } from './glob.js';
import { expandSpecifiers } from './unit-name.js';
import type { UnitOption } from './unit-option.js';

export const fleetSection = 'X-Fleet';

/** Each option with the deprecated names fleet still reads. */
const aliases: Record<string, FleetOptionName> = {
  MachineID: 'MachineID',
  'X-ConditionMachineID': 'MachineID',
  'X-ConditionMachineBootID': 'MachineID',
  MachineOf: 'MachineOf',
  'X-ConditionMachineOf': 'MachineOf',
  MachineMetadata: 'MachineMetadata',
  'X-ConditionMachineMetadata': 'MachineMetadata',
  Conflicts: 'Conflicts',
  'X-Conflicts': 'Conflicts',
  Replaces: 'Replaces',
  Global: 'Global',
};

export type FleetOptionName = 'MachineID' | 'MachineOf' | 'MachineMetadata' | 'Conflicts' | 'Replaces' | 'Global';

/** What a unit's `[X-Fleet]` section asks of the machine it runs on, specifiers resolved. */
export interface FleetRequirements {
  /** Full or 8-character short machine ID (only the first value counts). */
  machineId: string | undefined;
  /** Units that must already be scheduled on the same machine (exact names). */
  machineOf: string[];
  /** key → accepted values: values of one key OR, different keys AND. */
  machineMetadata: Record<string, string[]>;
  /** Glob patterns of units that must not share the machine (symmetric). */
  conflicts: string[];
  /** Glob patterns of units this one pushes off its machine. */
  replaces: string[];
  global: boolean;
  /** `[X-Fleet]` keys fleet does not know: fleetctl warns about them, nobody refuses them. */
  unknownOptions: string[];
}

/**
 * fleet's multi-value rule: a value that starts and ends with `"` is a list of words split on spaces
 * outside quotes (`"region=us" "disk=ssd"`), each word's quotes removed; any other value is one value.
 */
export function splitQuotedList(value: string): string[] {
  if (!(value.length >= 2 && value.startsWith('"') && value.endsWith('"'))) return [value];
  const words: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of value) {
    if (char === '"') quoted = !quoted;
    else if (char === ' ' && !quoted) {
      if (current !== '') words.push(current);
      current = '';
    } else current += char;
  }
  if (current !== '') words.push(current);
  return words;
}

/** Reads `[X-Fleet]` for the unit `name` (fleet's `Job.Requirements`). */
export function fleetRequirements(options: readonly UnitOption[], name: string): FleetRequirements {
  const values: Record<FleetOptionName, string[]> = { MachineID: [], MachineOf: [], MachineMetadata: [], Conflicts: [], Replaces: [], Global: [] };
  const unknownOptions: string[] = [];
  for (const option of options) {
    if (option.section !== fleetSection) continue;
    const canonical = aliases[option.name];
    if (canonical === undefined) {
      if (!unknownOptions.includes(option.name)) unknownOptions.push(option.name);
      continue;
    }
    if (option.value === '') {
      values[canonical] = [];
      continue;
    }
    for (const word of splitQuotedList(option.value)) values[canonical].push(expandSpecifiers(word, name));
  }
  const machineMetadata: Record<string, string[]> = {};
  for (const pair of values.MachineMetadata) {
    const parts = pair.split('=');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') continue;
    const [key, value] = parts as [string, string];
    (machineMetadata[key] ??= []).push(value);
  }
  const globalValue = values.Global[values.Global.length - 1];
  return {
    machineId: values.MachineID[0],
    machineOf: values.MachineOf,
    machineMetadata,
    conflicts: values.Conflicts.flatMap((value) => value.split(/\s+/).filter(Boolean)),
    replaces: values.Replaces,
    global: globalValue !== undefined && ['true', 'yes', '1', 'on', 't'].includes(globalValue.toLowerCase()),
    unknownOptions,
  };
}

/** fleet's `MatchID`: the full machine ID, or its first 8 characters. */
export function machineIdMatches(wanted: string, machineId: string): boolean {
  return wanted === machineId || wanted === machineId.slice(0, 8);
}

/** Same key: any value; different keys: all of them; a key the machine lacks: no match. */
export function metadataMatches(wanted: Record<string, string[]>, metadata: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, values]) => {
    const have = metadata[key];
    return have !== undefined && values.includes(have);
  });
}

/** Symmetric conflict: either unit has a Conflicts pattern matching the other's name. */
export function unitsConflict(a: { name: string; conflicts: readonly string[] }, b: { name: string; conflicts: readonly string[] }): boolean {
  return a.conflicts.some((pattern) => globMatch(pattern, b.name)) || b.conflicts.some((pattern) => globMatch(pattern, a.name));
}

/**
 * fleet's `ValidateOptions` rules on `[X-Fleet]`: the combinations it forbids, with its exact
 * messages, and MachineOf peers that a Conflicts or Replaces pattern would exclude.
 */
export function fleetOptionsProblem(requirements: FleetRequirements): string | undefined {
  const r = requirements;
  const has = { MachineID: r.machineId !== undefined, Peers: r.machineOf.length > 0, Conflicts: r.conflicts.length > 0, Global: r.global, Replaces: r.replaces.length > 0 };
  if (has.MachineID) {
    for (const other of ['Peers', 'Conflicts', 'Global', 'Replaces'] as const) if (has[other]) return `MachineID cannot be used with ${other}`;
  }
  if (has.Global && has.Peers) return 'Global cannot be used with Peers';
  if (has.Global && has.Replaces) return 'Global cannot be used with Replaces';
  if (has.Conflicts && has.Replaces) return 'Conflicts cannot be used with Replaces';
  for (const peer of r.machineOf) {
    for (const pattern of r.conflicts) if (globMatch(pattern, peer)) return `unresolvable requirements: peer "${peer}" matches conflict "${pattern}"`;
    for (const pattern of r.replaces) if (globMatch(pattern, peer)) return `unresolvable requirements: peer "${peer}" matches replace "${pattern}"`;
  }
  return undefined;
}
