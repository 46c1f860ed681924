export { KvClient, type KvClientOptions, type Cancellable, type TtlOptions, type WatchOptions } from './kv-client.js';
export type { GetOptions, SetOptions, DeleteOptions } from './keys-request.js';
export type {
  KvAction,
  KvNode,
  KvResponse,
  KvResponseBody,
  KvResponseHeaders,
  KvMember,
  KvEndpointHealth,
  KvVersion,
  KvLeaderStats,
  KvSelfStats,
  KvStoreStats,
} from './types.js';
export {
  KvClientError,
  KvError,
  KvHttpError,
  KvResponseError,
  KvTimeoutError,
  KvUnavailableError,
  KvConflictError,
  KvInvalidArgumentError,
  KvLeaseLostError,
  EtcdErrorCode,
  isKvError,
  type EtcdErrorBody,
  type KvAttempt,
} from './errors.js';
export type { FetchFunction } from './http-transport.js';
export { checkEndpointHealth } from './health.js';
export { watchForever, type WatchForeverOptions, type KvWatchItem, type Watchable } from './watch-forever.js';
export { Lease, withTtlRefresh, type LeaseOptions } from './lease.js';
export { compareAndSwap, type CompareAndSwapOptions } from './compare-and-swap.js';
export { acquireMutex, type MutexOptions, type MutexHold } from './mutex.js';
export { campaign, observeLeader, type CampaignOptions, type Leadership } from './election.js';
export { waitForRemoval } from './wait-for-removal.js';
export { keyPath } from './key-path.js';
export { minicoreKeys } from './minicore-keys.js';
