import { BootRecordError, MAX_FIELD, SLOTS, type BootRecord, type SlotName, type SlotState } from './record.js';

/** GRUB gptprio's candidate test: priority above 0, and tries left or marked successful. */
export function isBootable(state: SlotState): boolean {
  return state.priority > 0 && (state.tries > 0 || state.successful);
}

/**
 * `gptprio.next`: the bootable slot of highest priority; a tie keeps the first in table order
 * (A before B), because only a strictly greater priority replaces the current pick.
 */
export function selectSlot(record: BootRecord): SlotName | undefined {
  let best: SlotName | undefined;
  for (const slot of SLOTS) {
    const state = record[slot];
    if (!isBootable(state)) continue;
    if (best === undefined || state.priority > record[best].priority) best = slot;
  }
  return best;
}

export interface BootDecision {
  slot: SlotName;
  /** The record to write before booting: the chosen slot's tries decremented when above 0. */
  record: BootRecord;
  /** True when this boot used up one of the slot's tries (an unproven release on trial). */
  trial: boolean;
}

/** What GRUB does before it boots: choose, then decrement the chosen slot's tries. */
export function decideBoot(record: BootRecord): BootDecision {
  const slot = selectSlot(record);
  if (slot === undefined) throw new BootRecordError('MC_ERR_NO_BOOTABLE_SLOT', `no bootable slot: ${describeRecord(record)}`);
  const state = record[slot];
  if (state.tries === 0) return { slot, record, trial: false };
  return { slot, record: { ...record, [slot]: { ...state, tries: state.tries - 1 } }, trial: true };
}

/**
 * `cgpt prioritize`: the slot moves to a new top group; the other groups of equal priority keep
 * their order below it, renumbered from min(#groups, 15) downward, never below 1; slots at 0 stay 0.
 */
export function prioritize(record: BootRecord, slot: SlotName): BootRecord {
  const others = SLOTS.filter((s) => s !== slot);
  const groups = [...new Set(others.map((s) => record[s].priority).filter((p) => p > 0))].sort((a, b) => b - a);
  const top = Math.min(groups.length + 1, MAX_FIELD);
  const next = { ...record, [slot]: { ...record[slot], priority: top } };
  for (const other of others) {
    const old = record[other].priority;
    if (old === 0) continue;
    next[other] = { ...record[other], priority: Math.max(1, top - 1 - groups.indexOf(old)) };
  }
  return next;
}

/** The postinstall step of an update: the new slot gets one try, not successful, top priority. */
export function markUpdated(record: BootRecord, slot: SlotName): BootRecord {
  return prioritize({ ...record, [slot]: { ...record[slot], tries: 1, successful: false } }, slot);
}

/** `coreos-setgoodroot`: the booted slot is successful, has no tries pending and the top priority. */
export function markGood(record: BootRecord, slot: SlotName): BootRecord {
  return prioritize({ ...record, [slot]: { ...record[slot], tries: 0, successful: true } }, slot);
}

/** The manual rollback of CoreOS's docs: prioritize the other slot (it must still be bootable). */
export function rollbackTo(record: BootRecord, slot: SlotName): BootRecord {
  if (!record[slot].successful && record[slot].tries === 0) {
    throw new BootRecordError('MC_ERR_NO_BOOTABLE_SLOT', `slot ${slot} has no tries left and never booted successfully`);
  }
  return prioritize(record, slot);
}

export function describeRecord(record: BootRecord): string {
  return SLOTS.map((s) => `${s} priority=${record[s].priority} tries=${record[s].tries} successful=${record[s].successful ? 1 : 0}`).join(', ');
}
