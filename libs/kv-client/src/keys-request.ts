import { keyPath } from './key-path.js';

/** One HTTP request, not yet bound to an endpoint. */
export interface KvRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  query: URLSearchParams;
  /** application/x-www-form-urlencoded body, as etcd expects values. */
  form?: URLSearchParams;
  /** JSON body (members API). */
  json?: unknown;
}

export interface GetOptions {
  recursive?: boolean;
  sorted?: boolean;
  /** Read through Raft, so the answer is linearizable rather than the member's local view. */
  quorum?: boolean;
}

export interface WaitOptions {
  recursive?: boolean;
  /** First index to report; without it the next change after the request arrives. */
  waitIndex?: number;
}

export interface SetOptions {
  /** Seconds until the key expires; `null` removes an existing TTL. */
  ttl?: number | null;
  prevValue?: string;
  prevIndex?: number;
  prevExist?: boolean;
  /** Only reset the TTL (no value is sent and watchers are not woken). */
  refresh?: boolean;
  dir?: boolean;
}

export interface DeleteOptions {
  recursive?: boolean;
  dir?: boolean;
  prevValue?: string;
  prevIndex?: number;
}

function flag(query: URLSearchParams, name: string, value: boolean | undefined): void {
  if (value !== undefined) query.set(name, String(value));
}

export function getRequest(key: string, options: GetOptions = {}): KvRequest {
  const query = new URLSearchParams();
  if (options.recursive) query.set('recursive', 'true');
  if (options.sorted) query.set('sorted', 'true');
  if (options.quorum) query.set('quorum', 'true');
  return { method: 'GET', path: keyPath(key), query };
}

export function waitRequest(key: string, options: WaitOptions = {}): KvRequest {
  const query = new URLSearchParams({ wait: 'true' });
  if (options.recursive) query.set('recursive', 'true');
  if (options.waitIndex !== undefined) query.set('waitIndex', String(options.waitIndex));
  return { method: 'GET', path: keyPath(key), query };
}

/**
 * A PUT. Like etcd's Go client, conditions and the TTL go in the query string and only the value
 * goes in the form body; a refresh or a directory sends no value at all (etcd rejects one).
 */
export function setRequest(key: string, value: string | undefined, options: SetOptions = {}): KvRequest {
  const query = new URLSearchParams();
  if (options.ttl === null) query.set('ttl', '');
  else if (options.ttl !== undefined) query.set('ttl', String(options.ttl));
  if (options.prevValue !== undefined) query.set('prevValue', options.prevValue);
  if (options.prevIndex !== undefined) query.set('prevIndex', String(options.prevIndex));
  flag(query, 'prevExist', options.prevExist);
  if (options.refresh) query.set('refresh', 'true');
  if (options.dir) query.set('dir', 'true');
  const sendsValue = !options.refresh && !options.dir && value !== undefined;
  return { method: 'PUT', path: keyPath(key), query, ...(sendsValue ? { form: new URLSearchParams({ value }) } : {}) };
}

export function createInOrderRequest(dir: string, value: string, options: { ttl?: number } = {}): KvRequest {
  const query = new URLSearchParams();
  if (options.ttl !== undefined) query.set('ttl', String(options.ttl));
  return { method: 'POST', path: keyPath(dir), query, form: new URLSearchParams({ value }) };
}

export function deleteRequest(key: string, options: DeleteOptions = {}): KvRequest {
  const query = new URLSearchParams();
  if (options.recursive) query.set('recursive', 'true');
  if (options.dir) query.set('dir', 'true');
  if (options.prevValue !== undefined) query.set('prevValue', options.prevValue);
  if (options.prevIndex !== undefined) query.set('prevIndex', String(options.prevIndex));
  return { method: 'DELETE', path: keyPath(key), query };
}

export function plainRequest(method: KvRequest['method'], path: string, json?: unknown): KvRequest {
  return { method, path, query: new URLSearchParams(), ...(json === undefined ? {} : { json }) };
}
