export { SLOTS, MAX_FIELD, BootRecordError, initialBootRecord, validateBootRecord, isSlotName, otherSlot, type SlotName, type SlotState, type BootRecord } from './record.js';
export { isBootable, selectSlot, decideBoot, prioritize, markUpdated, markGood, rollbackTo, describeRecord, type BootDecision } from './selection.js';
export {
  RECORD_FILE,
  BACKUP_FILE,
  BOOTED_FILE,
  loadBootRecord,
  saveBootRecord,
  updateBootRecord,
  writeFileAtomic,
  fsyncPath,
  writeBootedSlot,
  readBootedSlot,
  slotDirectory,
  type LoadedRecord,
  type WriteHooks,
  type BootedSlot,
} from './store.js';
