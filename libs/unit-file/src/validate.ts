import { UnitFileError } from './errors.js';
import { parseUnitFile } from './parse.js';
import { serializeUnitFile } from './serialize.js';
import type { UnitOption } from './unit-option.js';
import { fleetOptionsProblem, fleetRequirements } from './x-fleet.js';

/** go-systemd's line limit: fleet refuses options that would not survive a serialize/parse round trip. */
export const maxLineLength = 2048;

/**
 * fleet's `ValidateOptions`: the options must survive the canonical text round trip (no line longer
 * than 2048 bytes, names and sections that parse back the same) and `[X-Fleet]` must be coherent.
 * Returns the problem, or undefined.
 */
export function unitOptionsProblem(options: readonly UnitOption[], name: string): string | undefined {
  for (const option of options) {
    if (option.section === '' || /[[\]\n]/.test(option.section)) return `invalid section name "${option.section}"`;
    if (option.name === '' || /[\s=]/.test(option.name)) return `invalid option name "${option.name}" in [${option.section}]`;
    if (/\n/.test(option.value)) return `option ${option.name} in [${option.section}] has a value with a line break`;
    const length = Buffer.byteLength(`${option.name}=${option.value}`);
    if (length > maxLineLength) return `option ${option.name} in [${option.section}] is ${length} bytes long; the limit is ${maxLineLength}`;
  }
  let reparsed: UnitOption[];
  try {
    reparsed = parseUnitFile(serializeUnitFile(options));
  } catch (error) {
    return error instanceof UnitFileError ? error.problem : String(error);
  }
  const same = reparsed.length === options.length && reparsed.every((option, i) => option.section === options[i]?.section && option.name === options[i]?.name && option.value === options[i]?.value.trim());
  if (!same) return 'options do not survive a round trip through the unit file format (values with surrounding whitespace or trailing backslashes?)';
  return fleetOptionsProblem(fleetRequirements(options, name));
}
