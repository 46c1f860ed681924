import { KvError, KvHttpError, KvResponseError, type EtcdErrorBody } from './errors.js';
import type { KvHttpAnswer } from './http-transport.js';
import type { KvResponse, KvResponseBody, KvResponseHeaders } from './types.js';

function headerNumber(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function parseResponseHeaders(headers: Headers): KvResponseHeaders {
  const raftIndex = headerNumber(headers, 'x-raft-index');
  const raftTerm = headerNumber(headers, 'x-raft-term');
  const clusterId = headers.get('x-etcd-cluster-id') ?? undefined;
  return {
    etcdIndex: headerNumber(headers, 'x-etcd-index') ?? 0,
    ...(raftIndex === undefined ? {} : { raftIndex }),
    ...(raftTerm === undefined ? {} : { raftTerm }),
    ...(clusterId === undefined ? {} : { clusterId }),
  };
}

function parseJson(answer: KvHttpAnswer): unknown {
  try {
    return JSON.parse(answer.body) as unknown;
  } catch {
    return undefined;
  }
}

function isEtcdError(value: unknown): value is EtcdErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as EtcdErrorBody).errorCode === 'number' && typeof (value as EtcdErrorBody).message === 'string';
}

/** Turns a non-2xx answer into the error it describes. */
export function errorFromAnswer(answer: KvHttpAnswer): KvError | KvHttpError {
  const json = parseJson(answer);
  if (isEtcdError(json)) return new KvError({ ...json, index: typeof json.index === 'number' ? json.index : 0 }, answer.status);
  const message = typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string' ? (json as { message: string }).message : answer.body.trim() || `HTTP ${answer.status}`;
  return new KvHttpError(message, answer.status, answer.endpoint);
}

/** A keys API answer: the typed body plus the index headers, or the etcd error it carries. */
export function parseKeysAnswer(answer: KvHttpAnswer): KvResponse {
  if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer);
  const json = parseJson(answer);
  if (isEtcdError(json)) throw new KvError(json, answer.status);
  if (typeof json !== 'object' || json === null || typeof (json as KvResponseBody).action !== 'string' || typeof (json as KvResponseBody).node !== 'object') {
    throw new KvResponseError(`${answer.endpoint} answered ${answer.status} without an etcd keys document`, answer.endpoint, answer.body);
  }
  const body = json as KvResponseBody;
  // etcd sends the root directory as `{"dir":true}`: no key, no indexes. Give it the key it stands for.
  body.node.key ??= '/';
  body.node.createdIndex ??= 0;
  body.node.modifiedIndex ??= 0;
  return { ...body, ...parseResponseHeaders(answer.headers) };
}

/** A JSON answer from the members, stats or version API; `204 No Content` gives `undefined`. */
export function parseJsonAnswer<T>(answer: KvHttpAnswer): T {
  if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer);
  if (answer.status === 204 || answer.body === '') return undefined as T;
  const json = parseJson(answer);
  if (json === undefined) throw new KvResponseError(`${answer.endpoint} answered ${answer.status} with a body that is not JSON`, answer.endpoint, answer.body);
  return json as T;
}
