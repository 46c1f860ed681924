import { UnitFileError } from './errors.js';
import type { UnitOption } from './unit-option.js';

const comment = /^[#;]/;
const sectionName = /^[^[\]\n]+$/;

/**
 * Reads a systemd unit file (systemd.syntax(7)): `[Section]` headers, `Name=Value` assignments
 * (repeated names kept in order, empty values kept as resets), `#`/`;` comment lines, and lines
 * ending in a backslash joined to the next with a space (comment lines inside such a continuation
 * are skipped, as systemd does). Values are kept verbatim, quotes included: quoting means different
 * things to different settings. Problems systemd would only warn about are errors here, naming the
 * line, because a scheduler should refuse a unit it cannot read exactly.
 */
export function parseUnitFile(text: string): UnitOption[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const options: UnitOption[] = [];
  let section: string | undefined;
  let pending: { text: string; line: number } | undefined;

  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const raw = lines[index] ?? '';
    const stripped = raw.trim();
    if (pending !== undefined) {
      if (comment.test(stripped)) continue;
      if (stripped.endsWith('\\')) {
        pending.text += ` ${stripped.slice(0, -1)}`;
        continue;
      }
      section = take(`${pending.text} ${stripped}`, pending.line);
      pending = undefined;
      continue;
    }
    if (stripped === '' || comment.test(stripped)) continue;
    if (stripped.endsWith('\\')) {
      pending = { text: stripped.slice(0, -1), line: lineNumber };
      continue;
    }
    section = take(stripped, lineNumber);
  }
  if (pending !== undefined) section = take(pending.text, pending.line);
  return options;

  /** Handles one logical line; returns the section in force after it. */
  function take(logical: string, line: number): string | undefined {
    const content = logical.trim();
    if (content.startsWith('[')) {
      if (!content.endsWith(']')) throw new UnitFileError(`section header "${content}" is not closed with "]"`, line);
      const name = content.slice(1, -1);
      if (!sectionName.test(name)) throw new UnitFileError(`"${content}" is not a valid section name`, line);
      return name;
    }
    const equals = content.indexOf('=');
    if (equals < 0) throw new UnitFileError(`"${content}" is not an assignment: expected Name=Value`, line);
    const name = content.slice(0, equals).trim();
    if (name === '') throw new UnitFileError(`assignment "${content}" has no name before "="`, line);
    if (/\s/.test(name)) throw new UnitFileError(`option name "${name}" contains whitespace`, line);
    if (section === undefined) throw new UnitFileError(`assignment "${name}=" comes before any [Section] header`, line);
    options.push({ section, name, value: content.slice(equals + 1).trim() });
    return section;
  }
}
