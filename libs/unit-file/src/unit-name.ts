import { UnitFileError } from './errors.js';

/** Suffixes fleet accepts (`ValidateName`). */
export const unitSuffixes = ['automount', 'busname', 'device', 'mount', 'path', 'scope', 'service', 'slice', 'snapshot', 'socket', 'swap', 'target', 'timer'] as const;
/** Suffixes a template or instance name may have. */
const templateSuffixes = ['path', 'service', 'socket', 'target', 'timer'];

export interface UnitName {
  /** `web@1.service` */
  name: string;
  /** `web` (before `@`, or the whole stem when there is none) */
  prefix: string;
  /** `1`; empty for a template or a plain unit */
  instance: string;
  /** `service` */
  suffix: string;
  /** `web@.service` */
  isTemplate: boolean;
  /** `web@1.service` */
  isInstance: boolean;
}

/** fleet's `ValidateName`: the reason a name is refused, or undefined when it is fine. */
export function unitNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 256) return `unit name "${name}" must be 1 to 256 characters long`;
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot === name.length - 1) return `unit name "${name}" has no suffix such as .service`;
  const suffix = name.slice(dot + 1);
  if (!(unitSuffixes as readonly string[]).includes(suffix)) return `unit name "${name}" has an unknown suffix ".${suffix}"`;
  if (name.includes('@') && !templateSuffixes.includes(suffix)) return `unit name "${name}": a template or instance must end in .${templateSuffixes.join(', .')}`;
  if (!/^[A-Za-z0-9:_.@\\-]+$/.test(name.slice(0, dot))) return `unit name "${name}" contains characters other than A-Z a-z 0-9 : _ . @ \\ -`;
  if (name.startsWith('@')) return `unit name "${name}" must not start with "@"`;
  return undefined;
}

export function parseUnitName(name: string): UnitName {
  const problem = unitNameProblem(name);
  if (problem) throw new UnitFileError(problem);
  const dot = name.lastIndexOf('.');
  const stem = name.slice(0, dot);
  const suffix = name.slice(dot + 1);
  const at = stem.indexOf('@');
  const prefix = at < 0 ? stem : stem.slice(0, at);
  const instance = at < 0 ? '' : stem.slice(at + 1);
  return { name, prefix, instance, suffix, isTemplate: at >= 0 && instance === '', isInstance: at >= 0 && instance !== '' };
}

/** `web@1.service` → `web@.service`; undefined for names that are not instances. */
export function templateName(name: string): string | undefined {
  const parsed = parseUnitName(name);
  return parsed.isInstance ? `${parsed.prefix}@.${parsed.suffix}` : undefined;
}

/** `web@.service` + `1` → `web@1.service`. */
export function instanceName(template: string, instance: string): string {
  const parsed = parseUnitName(template);
  if (!parsed.isTemplate) throw new UnitFileError(`"${template}" is not a template unit (name@.suffix)`);
  const name = `${parsed.prefix}@${instance}.${parsed.suffix}`;
  parseUnitName(name);
  return name;
}

/**
 * Replaces the specifiers fleet knows in `text` for the unit `name`: `%n` full name, `%N` name
 * without suffix, `%p` prefix, `%i` instance. fleet does no unescaping; systemd also turns `%%`
 * into `%`, which the exec backend asks for with `percent: true`.
 */
export function expandSpecifiers(text: string, name: string, options: { percent?: boolean } = {}): string {
  if (!text.includes('%')) return text;
  const dot = name.lastIndexOf('.');
  const stem = dot < 0 ? name : name.slice(0, dot);
  const at = stem.indexOf('@');
  const values: Record<string, string> = {
    n: name,
    N: stem,
    p: at < 0 ? stem : stem.slice(0, at),
    i: at < 0 ? '' : stem.slice(at + 1),
  };
  return text.replace(/%(.)/g, (whole, letter: string) => {
    if (letter === '%' && options.percent) return '%';
    return values[letter] ?? whole;
  });
}
