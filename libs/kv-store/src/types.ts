/**
 * The commands and results of the v2 store. Commands are JSON-serializable, one per Raft entry, and
 * carry `now` (ms since the epoch, chosen by the proposer) so that every member that applies the
 * same log computes the same expirations and reaches the same state.
 */

/**
 * PUT: plain set, create (`prevExist: false`), update (`prevExist: true`), compare-and-swap
 * (`prevValue` and/or `prevIndex`), and TTL refresh (`refresh: true`, no watch event). The store
 * chooses the operation exactly as etcd's applier does. `ttl: null` means no TTL (and on update
 * removes an existing one); `ttl: 0` expires at `now`.
 */
export interface SetCommand {
  op: 'set';
  key: string;
  value: string;
  dir: boolean;
  ttl: number | null;
  refresh: boolean;
  prevValue?: string;
  prevIndex?: number;
  prevExist?: boolean;
  now: number;
}

/** POST: creates `<dir>/<20-digit zero-padded store index>`; a directory when `isDir`. */
export interface CreateInOrderCommand {
  op: 'create-in-order';
  dir: string;
  value: string;
  ttl: number | null;
  isDir?: boolean;
  now: number;
}

/** DELETE, and compare-and-delete when `prevValue` or `prevIndex` is given. */
export interface DeleteCommand {
  op: 'delete';
  key: string;
  dir: boolean;
  recursive: boolean;
  prevValue?: string;
  prevIndex?: number;
  now: number;
}

/** etcd's SYNC: removes every node whose expiration is <= now, one `expire` event each. */
export interface ExpireCommand {
  op: 'expire';
  now: number;
}

export type WriteCommand = SetCommand | CreateInOrderCommand | DeleteCommand;
export type StoreCommand = WriteCommand | ExpireCommand;

/**
 * A node exactly as etcd's JSON shows it (same field order and omissions). `key`, `createdIndex`
 * and `modifiedIndex` are absent only on the root directory, as in etcd.
 */
export interface NodeView {
  key?: string;
  value?: string;
  dir?: true;
  /** RFC 3339 with nanoseconds, UTC, trailing zeros trimmed (Go's time.Time JSON). */
  expiration?: string;
  /** Remaining seconds, rounded up; left out when 0. */
  ttl?: number;
  nodes?: NodeView[];
  modifiedIndex?: number;
  createdIndex?: number;
}

export type StoreAction = 'get' | 'set' | 'create' | 'update' | 'delete' | 'compareAndSwap' | 'compareAndDelete' | 'expire';

/** etcd's event JSON. Events are shared between the caller, the history and watchers: never mutate them. */
export interface StoreEvent {
  action: StoreAction;
  node: NodeView;
  prevNode?: NodeView;
}

export interface StoreOptions {
  /** Events kept for `watch` with `sinceIndex` (etcd: 1000). */
  historySize?: number;
  /**
   * Events a watcher may hold undelivered before it is dropped (etcd's channel holds 100, but etcd
   * drains it from another goroutine; here a whole batch of Raft entries is applied before any HTTP
   * write runs, so the default is larger).
   */
  watcherBufferSize?: number;
}

export interface GetOptions {
  recursive: boolean;
  sorted: boolean;
  /** Used only to show the remaining `ttl`. */
  now: number;
}

export interface WatchOptions {
  recursive: boolean;
  stream: boolean;
  /** etcd's waitIndex; 0 or absent means "the next change". */
  sinceIndex?: number;
}

/** etcd's /v2/stats/store counters, in etcd's order. */
export interface StoreStats {
  getsSuccess: number;
  getsFail: number;
  setsSuccess: number;
  setsFail: number;
  deleteSuccess: number;
  deleteFail: number;
  updateSuccess: number;
  updateFail: number;
  createSuccess: number;
  createFail: number;
  compareAndSwapSuccess: number;
  compareAndSwapFail: number;
  compareAndDeleteSuccess: number;
  compareAndDeleteFail: number;
  expireCount: number;
  watchers: number;
}

/** The HTTP status etcd answers a successful keys request with: 201 when a node was created. */
export function eventStatusCode(event: StoreEvent): 200 | 201 {
  return event.action === 'create' || (event.action === 'set' && event.prevNode === undefined) ? 201 : 200;
}

/**
 * The body etcd writes for a successful keys request: with noValueOnSuccess, writes that store a
 * value (set, compareAndSwap, create, update) answer with the action alone.
 */
export function keysResponseBody(event: StoreEvent, noValueOnSuccess: boolean): StoreEvent | { action: StoreAction } {
  if (noValueOnSuccess && (event.action === 'set' || event.action === 'compareAndSwap' || event.action === 'create' || event.action === 'update')) {
    return { action: event.action };
  }
  return event;
}
