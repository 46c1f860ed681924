/** One `Name=Value` line of a section, fleet's UnitOption (empty values are kept: they reset lists). */
export interface UnitOption {
  section: string;
  name: string;
  value: string;
}

/**
 * The values of a repeatable option in order, the way systemd reads list settings: an empty
 * assignment (`Conflicts=`) resets what came before it.
 */
export function optionValues(options: readonly UnitOption[], section: string, names: string | readonly string[]): string[] {
  const wanted = typeof names === 'string' ? [names] : names;
  let values: string[] = [];
  for (const option of options) {
    if (option.section !== section || !wanted.includes(option.name)) continue;
    if (option.value === '') values = [];
    else values.push(option.value);
  }
  return values;
}

/** The last value of a single-valued option (systemd: the last assignment wins), or undefined. */
export function lastValue(options: readonly UnitOption[], section: string, name: string): string | undefined {
  const values = optionValues(options, section, name);
  return values[values.length - 1];
}
