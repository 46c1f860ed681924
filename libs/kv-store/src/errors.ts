/**
 * etcd v2 error codes, messages and HTTP statuses (etcd's `v2error` package), so that the store and
 * kvd's HTTP layer answer with byte-identical error bodies.
 */

export const ErrorCode = {
  KeyNotFound: 100,
  TestFailed: 101,
  NotFile: 102,
  NoMorePeer: 103,
  NotDir: 104,
  NodeExist: 105,
  KeyIsPreserved: 106,
  RootReadOnly: 107,
  DirNotEmpty: 108,
  ExistingPeerAddr: 109,
  Unauthorized: 110,

  ValueRequired: 200,
  PrevValueRequired: 201,
  TTLNaN: 202,
  IndexNaN: 203,
  ValueOrTTLRequired: 204,
  TimeoutNaN: 205,
  NameRequired: 206,
  IndexOrValueRequired: 207,
  IndexValueMutex: 208,
  InvalidField: 209,
  InvalidForm: 210,
  RefreshValue: 211,
  RefreshTTLRequired: 212,

  RaftInternal: 300,
  LeaderElect: 301,

  WatcherCleared: 400,
  EventIndexCleared: 401,
  StandbyInternal: 402,
  InvalidActiveSize: 403,
  InvalidRemoveDelay: 404,

  ClientInternal: 500,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface V2ErrorInfo {
  readonly message: string;
  /** The HTTP status etcd answers with for this code. */
  readonly status: number;
}

const messages: Record<ErrorCodeValue, string> = {
  100: 'Key not found',
  101: 'Compare failed',
  102: 'Not a file',
  103: 'Reached the max number of peers in the cluster',
  104: 'Not a directory',
  105: 'Key already exists',
  106: 'The prefix of given key is a keyword in etcd',
  107: 'Root is read only',
  108: 'Directory not empty',
  109: 'Peer address has existed',
  110: 'The request requires user authentication',

  200: 'Value is Required in POST form',
  201: 'PrevValue is Required in POST form',
  202: 'The given TTL in POST form is not a number',
  203: 'The given index in POST form is not a number',
  204: 'Value or TTL is required in POST form',
  205: 'The given timeout in POST form is not a number',
  206: 'Name is required in POST form',
  207: 'Index or value is required',
  208: 'Index and value cannot both be specified',
  209: 'Invalid field',
  210: 'Invalid POST form',
  211: 'Value provided on refresh',
  212: 'A TTL must be provided on refresh',

  300: 'Raft Internal Error',
  301: 'During Leader Election',

  400: 'watcher is cleared due to etcd recovery',
  401: 'The event in requested index is outdated and cleared',
  402: 'Standby Internal Error',
  403: 'Invalid active size',
  404: 'Standby remove delay',

  500: 'Client Internal Error',
};

// Every code not listed here is answered with 400 Bad Request, as etcd does.
const statuses: Partial<Record<ErrorCodeValue, number>> = {
  100: 404,
  102: 403,
  108: 403,
  110: 401,
  101: 412,
  105: 412,
  300: 500,
  301: 500,
};

/** Every etcd v2 error code with its message and HTTP status. */
export const v2Errors: Readonly<Record<ErrorCodeValue, V2ErrorInfo>> = Object.freeze(
  Object.fromEntries(
    Object.entries(messages).map(([code, message]) => [
      code,
      Object.freeze({ message, status: statuses[Number(code) as ErrorCodeValue] ?? 400 }),
    ]),
  ) as Record<ErrorCodeValue, V2ErrorInfo>,
);

export interface StoreErrorJSON {
  errorCode: number;
  message: string;
  cause?: string;
  index: number;
}

/** An etcd v2 error. `toJSON()` gives etcd's body; `statusCode` its HTTP status. */
export class StoreError extends Error {
  readonly errorCode: number;
  override readonly cause: string;
  readonly index: number;
  readonly statusCode: number;

  constructor(errorCode: ErrorCodeValue, cause = '', index = 0) {
    const info = v2Errors[errorCode];
    super(info.message);
    this.name = 'StoreError';
    this.errorCode = errorCode;
    this.cause = cause;
    this.index = index;
    this.statusCode = info.status;
  }

  /** etcd's JSON body: `cause` is left out when empty (Go's omitempty). */
  toJSON(): StoreErrorJSON {
    return this.cause === ''
      ? { errorCode: this.errorCode, message: this.message, index: this.index }
      : { errorCode: this.errorCode, message: this.message, cause: this.cause, index: this.index };
  }
}

/** Why a watcher stopped delivering events (see Watcher.next). */
export class WatcherClosedError extends Error {
  readonly reason: 'cancelled' | 'overflow' | 'delivered';

  constructor(reason: 'cancelled' | 'overflow' | 'delivered') {
    super(`watcher closed: ${reason}`);
    this.name = 'WatcherClosedError';
    this.reason = reason;
  }
}
