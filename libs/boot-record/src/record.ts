/**
 * The boot record: CoreOS kept three numbers per USR partition in the GPT attribute bits (priority
 * bits 48-51, tries 52-55, successful bit 56). Minicore keeps the same three per slot in a file.
 */
export const SLOTS = ['A', 'B'] as const;
export type SlotName = (typeof SLOTS)[number];

export interface SlotState {
  /** 0-15; 0 is never bootable. */
  priority: number;
  /** 0-15; boot attempts left before the slot counts as failed. */
  tries: number;
  successful: boolean;
}

export type BootRecord = Record<SlotName, SlotState>;

/** The field width of the GPT attributes: 4 bits each. */
export const MAX_FIELD = 15;

export class BootRecordError extends Error {
  override name = 'BootRecordError';
  constructor(
    readonly code: 'MC_ERR_BOOT_RECORD_CORRUPT' | 'MC_ERR_BOOT_RECORD_INVALID' | 'MC_ERR_NO_BOOTABLE_SLOT',
    message: string,
  ) {
    super(message);
  }
}

export function isSlotName(value: unknown): value is SlotName {
  return value === 'A' || value === 'B';
}

export function otherSlot(slot: SlotName): SlotName {
  return slot === 'A' ? 'B' : 'A';
}

/** A freshly installed machine: slot A holds the installed release and is known good. */
export function initialBootRecord(): BootRecord {
  return { A: { priority: 1, tries: 0, successful: true }, B: { priority: 0, tries: 0, successful: false } };
}

export function validateBootRecord(value: unknown): BootRecord {
  if (typeof value !== 'object' || value === null) throw new BootRecordError('MC_ERR_BOOT_RECORD_INVALID', 'boot record is not an object');
  const record = value as Record<string, unknown>;
  const slots = {} as BootRecord;
  for (const slot of SLOTS) {
    const state = record[slot] as Record<string, unknown> | undefined;
    if (typeof state !== 'object' || state === null) throw new BootRecordError('MC_ERR_BOOT_RECORD_INVALID', `slot ${slot} is missing`);
    const { priority, tries, successful } = state;
    for (const [name, field] of [['priority', priority], ['tries', tries]] as const) {
      if (typeof field !== 'number' || !Number.isInteger(field) || field < 0 || field > MAX_FIELD) {
        throw new BootRecordError('MC_ERR_BOOT_RECORD_INVALID', `slot ${slot}: ${name} must be an integer 0-${MAX_FIELD}`);
      }
    }
    if (typeof successful !== 'boolean') throw new BootRecordError('MC_ERR_BOOT_RECORD_INVALID', `slot ${slot}: successful must be true or false`);
    slots[slot] = { priority: priority as number, tries: tries as number, successful };
  }
  return slots;
}
