export { RESERVED_LABEL_PREFIX, RunnerLabel, isOwnedBy, isReservedLabel, ownedBy, userLabels } from './labels.js';
