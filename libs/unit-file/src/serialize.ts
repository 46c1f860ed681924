import { createHash } from 'node:crypto';
import type { UnitOption } from './unit-option.js';

/**
 * go-systemd's `Serialize`, the canonical text fleet hashes and stores: sections in first-seen
 * order (a section's options grouped under it), one `Name=Value` per line, one blank line between
 * sections, and the text ends right after the last option's newline.
 */
export function serializeUnitFile(options: readonly UnitOption[]): string {
  const sections = new Map<string, UnitOption[]>();
  for (const option of options) {
    const list = sections.get(option.section);
    if (list) list.push(option);
    else sections.set(option.section, [option]);
  }
  return [...sections]
    .map(([section, list]) => `[${section}]\n${list.map((option) => `${option.name}=${option.value}\n`).join('')}`)
    .join('\n');
}

/** fleet's unit hash: the lowercase hex SHA-1 of the canonical text. */
export function unitHash(options: readonly UnitOption[]): string {
  return createHash('sha1').update(serializeUnitFile(options)).digest('hex');
}
