import type { UnitOption } from '@minicore/unit-file';
import type { UnitOptionJson } from './entities.js';

/** API options (value omitted when empty) → unit-file options. */
export function toUnitOptions(options: readonly UnitOptionJson[]): UnitOption[] {
  return options.map((option) => ({ section: option.section, name: option.name, value: option.value ?? '' }));
}

/** unit-file options → API options, with fleet's omitempty on value. */
export function fromUnitOptions(options: readonly UnitOption[]): UnitOptionJson[] {
  return options.map((option) => (option.value === '' ? { section: option.section, name: option.name } : { ...option }));
}
