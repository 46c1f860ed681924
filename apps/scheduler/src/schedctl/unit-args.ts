import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { toUnitOptions, type UnitJson } from '@minicore/fleet-api';
import { lastValue, unitSuffixes } from '@minicore/unit-file';

/** fleetctl's argument rule: the base name, with `.service` added when it has no known suffix. */
export function unitNameFromArg(arg: string): string {
  const base = path.basename(arg);
  const dot = base.lastIndexOf('.');
  const suffix = dot < 0 ? '' : base.slice(dot + 1);
  return (unitSuffixes as readonly string[]).includes(suffix) ? base : `${base}.service`;
}

/** The local file's text, or undefined when there is none. */
export async function readLocalUnit(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The file an argument names: as given, or with `.service` added like the unit name. */
export function localPathFor(arg: string): string {
  return path.join(path.dirname(arg), unitNameFromArg(arg));
}

/** `[X-Fleet] Global=true`: the unit runs on every matching machine, so it has no one machine to ask. */
export function isGlobal(unit: UnitJson): boolean {
  const value = lastValue(toUnitOptions(unit.options ?? []), 'X-Fleet', 'Global');
  return value !== undefined && ['true', 'yes', '1', 'on', 't'].includes(value.toLowerCase());
}
