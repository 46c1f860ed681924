export * from './entities.js';
export { encodePageToken, decodePageToken, pageOf, defaultTokenLimit, PageTokenError, type PageToken } from './page-token.js';
export { schedulerKeys, defaultKeyPrefix, type SchedulerKeys } from './keys.js';
export {
  hashToBytes,
  bytesToHash,
  parseRecord,
  engineVersion,
  type UnitBlobRecord,
  type JobObjectRecord,
  type MachineRecord,
  type UnitStateRecord,
  type EngineLeaseRecord,
} from './records.js';
export { discoveryDocument } from './discovery.js';
export { toUnitOptions, fromUnitOptions } from './options.js';
