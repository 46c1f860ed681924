import { ErrorCode, StoreError, type ErrorCodeValue } from './errors.js';
import { normalizeKey } from './path.js';
import type { WriteCommand } from './types.js';

export type KeysMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';

/**
 * Query and form parameters, merged as Go's `r.Form` does (form body values before query values);
 * when a parameter has several values only the first counts.
 */
export type KeysParams = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A keys-API request, validated: what kvd does with it depends on `kind`. */
export type KeysRequest =
  /** GET or HEAD: answer from the local store (through Raft first when `quorum`). */
  | { kind: 'read'; key: string; recursive: boolean; sorted: boolean; quorum: boolean; noValueOnSuccess: boolean }
  /** GET with wait=true: `sinceIndex` is etcd's waitIndex (0 when not given). */
  | { kind: 'watch'; key: string; recursive: boolean; stream: boolean; sinceIndex: number; noValueOnSuccess: boolean }
  /** PUT, POST or DELETE: propose `command` to Raft, then apply it. */
  | { kind: 'write'; command: WriteCommand; noValueOnSuccess: boolean }
  /** Invalid input: answer `error` (its statusCode and toJSON()) without touching the store. */
  | { kind: 'error'; error: StoreError };

/**
 * Parses a /v2/keys request exactly as etcd's `parseKeyRequest` does, with the same validation
 * order, codes and causes. `key` is the URL path after /v2/keys, already percent-decoded; `now` is
 * the proposer's clock in ms, stamped on write commands.
 */
export function parseKeysRequest(method: KeysMethod, key: string, params: KeysParams, now: number): KeysRequest {
  try {
    return parse(method, key, params, now);
  } catch (err) {
    if (err instanceof StoreError) return { kind: 'error', error: err };
    throw err;
  }
}

function parse(method: KeysMethod, rawKey: string, params: KeysParams, now: number): KeysRequest {
  const key = normalizeKey(rawKey);
  const prevIndex = uint(params, 'prevIndex', ErrorCode.IndexNaN, 'invalid value for "prevIndex"');
  const waitIndex = uint(params, 'waitIndex', ErrorCode.IndexNaN, 'invalid value for "waitIndex"');
  const recursive = bool(params, 'recursive', 'invalid value for "recursive"');
  const sorted = bool(params, 'sorted', 'invalid value for "sorted"');
  const wait = bool(params, 'wait', 'invalid value for "wait"');
  const dir = bool(params, 'dir', 'invalid value for "dir"');
  const quorum = bool(params, 'quorum', 'invalid value for "quorum"');
  const stream = bool(params, 'stream', 'invalid value for "stream"');

  if (wait && method !== 'GET') fail(ErrorCode.InvalidField, '"wait" can only be used with GET requests');

  const prevValue = first(params, 'prevValue');
  if (prevValue === '') fail(ErrorCode.PrevValueRequired, '"prevValue" cannot be empty');

  const noValueOnSuccess = bool(params, 'noValueOnSuccess', 'invalid value for "noValueOnSuccess"');

  // An empty ttl means "no TTL" (which on update removes an existing one).
  const ttlText = first(params, 'ttl');
  const ttl = ttlText === undefined || ttlText === '' ? null : uint(params, 'ttl', ErrorCode.TTLNaN, 'invalid value for "ttl"');

  const prevExistText = first(params, 'prevExist');
  const prevExist = prevExistText === undefined ? undefined : parseBool(prevExistText, 'invalid value for prevExist');

  const value = first(params, 'value') ?? '';
  const refreshText = first(params, 'refresh');
  const refresh = refreshText === undefined ? false : parseBool(refreshText, 'invalid value for refresh');
  if (refresh) {
    if (value !== '') fail(ErrorCode.RefreshValue, 'A value was provided on a refresh');
    if (ttl === null) fail(ErrorCode.RefreshTTLRequired, 'No TTL value set');
  }

  switch (method) {
    case 'GET':
      if (wait) return { kind: 'watch', key, recursive, stream, sinceIndex: waitIndex, noValueOnSuccess };
      return { kind: 'read', key, recursive, sorted, quorum, noValueOnSuccess };
    case 'HEAD':
      return { kind: 'read', key, recursive, sorted, quorum: false, noValueOnSuccess };
    case 'PUT': {
      const command: WriteCommand = { op: 'set', key, value, dir, ttl, refresh, now };
      if (prevValue !== undefined) command.prevValue = prevValue;
      if (prevIndex !== 0) command.prevIndex = prevIndex;
      if (prevExist !== undefined) command.prevExist = prevExist;
      return { kind: 'write', command, noValueOnSuccess };
    }
    case 'POST': {
      const command: WriteCommand = { op: 'create-in-order', dir: key, value, ttl, now };
      if (dir) command.isDir = true;
      return { kind: 'write', command, noValueOnSuccess };
    }
    case 'DELETE': {
      const command: WriteCommand = { op: 'delete', key, dir, recursive, now };
      if (prevValue !== undefined) command.prevValue = prevValue;
      if (prevIndex !== 0) command.prevIndex = prevIndex;
      return { kind: 'write', command, noValueOnSuccess };
    }
  }
}

function fail(code: ErrorCodeValue, cause: string): never {
  throw new StoreError(code, cause, 0);
}

function first(params: KeysParams, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || typeof v === 'string') return v;
  return v[0];
}

const MAX_UINT64 = 18446744073709551615n;

/** Go's strconv.ParseUint(s, 10, 64); 0 when the parameter is absent. */
function uint(params: KeysParams, name: string, code: ErrorCodeValue, cause: string): number {
  const text = first(params, name);
  if (text === undefined) return 0;
  if (!/^[0-9]+$/.test(text) || BigInt(text) > MAX_UINT64) fail(code, cause);
  return Number(text);
}

/** Go's strconv.ParseBool; false when the parameter is absent. */
function bool(params: KeysParams, name: string, cause: string): boolean {
  const text = first(params, name);
  return text === undefined ? false : parseBool(text, cause);
}

function parseBool(text: string, cause: string): boolean {
  switch (text) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return fail(ErrorCode.InvalidField, cause);
  }
}
