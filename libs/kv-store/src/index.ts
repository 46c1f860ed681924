export { ErrorCode, StoreError, WatcherClosedError, v2Errors } from './errors.js';
export type { ErrorCodeValue, StoreErrorJSON, V2ErrorInfo } from './errors.js';
export { normalizeKey } from './path.js';
export { parseKeysRequest } from './request.js';
export type { KeysMethod, KeysParams, KeysRequest } from './request.js';
export { V2Store } from './store.js';
export type { SnapshotImage } from './store.js';
export { eventStatusCode, keysResponseBody } from './types.js';
export type {
  CreateInOrderCommand,
  DeleteCommand,
  ExpireCommand,
  GetOptions,
  NodeView,
  SetCommand,
  StoreAction,
  StoreCommand,
  StoreEvent,
  StoreOptions,
  StoreStats,
  WatchOptions,
  WriteCommand,
} from './types.js';
export type { Watcher } from './watcher-hub.js';
