/**
 * Every failure the client reports, undici style: one base class, one subclass per failure mode,
 * each with a stable `code` that callers and tests match on (never the message text).
 */
export class KvClientError extends Error {
  override name = 'KvClientError';
  readonly code: string = 'KV_ERR_CLIENT';
}

/** The JSON body etcd sends with a failed keys request, e.g. `{"errorCode":100,"message":"Key not found","cause":"/foo","index":12}`. */
export interface EtcdErrorBody {
  errorCode: number;
  message: string;
  cause?: string;
  index: number;
}

/** etcd's error codes that callers branch on (see etcd's `error/error.go`). */
export const EtcdErrorCode = {
  keyNotFound: 100,
  testFailed: 101,
  notFile: 102,
  notDir: 104,
  nodeExist: 105,
  rootReadOnly: 107,
  dirNotEmpty: 108,
  prevValueRequired: 201,
  ttlNaN: 202,
  indexNaN: 203,
  invalidField: 209,
  invalidForm: 210,
  refreshValue: 211,
  refreshTtlRequired: 212,
  raftInternal: 300,
  leaderElect: 301,
  watcherCleared: 400,
  eventIndexCleared: 401,
} as const;

/** etcd answered with an error document: the fields are exactly etcd's JSON, plus the HTTP status. */
export class KvError extends KvClientError {
  override name = 'KvError';
  override readonly code = 'KV_ERR_ETCD';
  readonly errorCode: number;
  override readonly cause: string | undefined;
  readonly index: number;
  readonly statusCode: number;

  constructor(body: EtcdErrorBody, statusCode: number) {
    super(body.message);
    this.errorCode = body.errorCode;
    this.cause = body.cause;
    this.index = body.index;
    this.statusCode = statusCode;
  }

  /** etcd's JSON body, as the server sent it. */
  toJSON(): EtcdErrorBody {
    return { errorCode: this.errorCode, message: this.message, ...(this.cause === undefined ? {} : { cause: this.cause }), index: this.index };
  }

  /** The form etcd's Go client and etcdctl print: `100: Key not found (/foo) [12]`. */
  override toString(): string {
    return `${this.errorCode}: ${this.message} (${this.cause ?? ''}) [${this.index}]`;
  }
}

/** The server answered with an error that is not an etcd keys error (members API `{"message"}`, a proxy's page). */
export class KvHttpError extends KvClientError {
  override name = 'KvHttpError';
  override readonly code = 'KV_ERR_HTTP';
  constructor(message: string, readonly statusCode: number, readonly endpoint: string) {
    super(message);
  }
}

/** The server answered 2xx with a body that is not what etcd sends. */
export class KvResponseError extends KvClientError {
  override name = 'KvResponseError';
  override readonly code = 'KV_ERR_RESPONSE';
  constructor(message: string, readonly endpoint: string, readonly body: string) {
    super(message);
  }
}

/** The endpoints (one, or every one tried) did not answer within the timeout. */
export class KvTimeoutError extends KvClientError {
  override name = 'KvTimeoutError';
  override readonly code = 'KV_ERR_TIMEOUT';
  constructor(readonly endpoints: readonly string[], readonly timeoutMs: number) {
    super(`${endpoints.join(', ')} did not answer within ${timeoutMs} ms`);
  }
}

/** One try against one endpoint, and why it did not count as an answer. */
export interface KvAttempt {
  endpoint: string;
  reason: string;
  error: Error;
}

/** No endpoint answered: lists each endpoint tried and why it failed. */
export class KvUnavailableError extends KvClientError {
  override name = 'KvUnavailableError';
  override readonly code = 'KV_ERR_UNAVAILABLE';
  constructor(readonly attempts: readonly KvAttempt[]) {
    super(`no endpoint answered: ${attempts.map((attempt) => `${attempt.endpoint}: ${attempt.reason}`).join('; ')}`);
  }
}

/** A compare-and-swap loop lost the race more often than it was allowed to retry. */
export class KvConflictError extends KvClientError {
  override name = 'KvConflictError';
  override readonly code = 'KV_ERR_CONFLICT';
  constructor(readonly key: string, readonly attempts: number) {
    super(`${key} kept changing under compare-and-swap: gave up after ${attempts} attempts`);
  }
}

/** A caller passed something the client refuses before sending it. */
export class KvInvalidArgumentError extends KvClientError {
  override name = 'KvInvalidArgumentError';
  override readonly code = 'KV_ERR_INVALID_ARGUMENT';
}

/** A key kept alive with a TTL (a lease, a lock, a leadership) was lost: it expired or was removed. */
export class KvLeaseLostError extends KvClientError {
  override name = 'KvLeaseLostError';
  override readonly code = 'KV_ERR_LEASE_LOST';
  constructor(readonly key: string, options?: ErrorOptions) {
    super(`lost ${key}: it expired or was removed`, options);
  }
}

export function isKvError(error: unknown, errorCode?: number): error is KvError {
  return error instanceof KvError && (errorCode === undefined || error.errorCode === errorCode);
}
