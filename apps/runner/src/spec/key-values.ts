import { RESERVED_LABEL_PREFIX, isReservedLabel } from '@minicore/runner-labels';
import { SpecError } from './spec-error.js';

/**
 * `-e/--env KEY=VALUE`; `-e KEY` alone takes the value from `environment` as docker does, and is
 * dropped when the variable is not set there.
 */
export function parseEnv(spec: string, environment: NodeJS.ProcessEnv = {}): [string, string] | undefined {
  const at = spec.indexOf('=');
  const key = at < 0 ? spec : spec.slice(0, at);
  if (key === '' || /\s/.test(key)) throw new SpecError(`invalid environment variable "${spec}": expected KEY=VALUE with a non-empty KEY without spaces`);
  if (at >= 0) return [key, spec.slice(at + 1)];
  const value = environment[key];
  return value === undefined ? undefined : [key, value];
}

/** `-l/--label key=value` (or `key`, an empty value). */
export function parseLabel(spec: string): [string, string] {
  const at = spec.indexOf('=');
  const key = (at < 0 ? spec : spec.slice(0, at)).trim();
  if (key === '') throw new SpecError(`invalid label "${spec}": expected key=value`);
  if (isReservedLabel(key)) throw new SpecError(`invalid label "${spec}": labels under ${RESERVED_LABEL_PREFIX} are runnerd's own`);
  return [key, at < 0 ? '' : spec.slice(at + 1)];
}

/** Collects repeated specs into an object; later ones win, as in docker. */
export function collect<T extends [string, string] | undefined>(specs: readonly string[], parse: (spec: string) => T): Record<string, string> {
  const result: Record<string, string> = {};
  for (const spec of specs) {
    const pair = parse(spec);
    if (pair) result[pair[0]] = pair[1];
  }
  return result;
}
