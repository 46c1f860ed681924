import { FailoverTransport, type FetchFunction, type KvHttpAnswer } from './http-transport.js';
import { checkEndpointHealth } from './health.js';
import {
  createInOrderRequest,
  deleteRequest,
  getRequest,
  plainRequest,
  setRequest,
  waitRequest,
  type DeleteOptions,
  type GetOptions,
  type KvRequest,
  type SetOptions,
} from './keys-request.js';
import { parseJsonAnswer, parseKeysAnswer } from './response.js';
import type { KvEndpointHealth, KvLeaderStats, KvMember, KvResponse, KvSelfStats, KvStoreStats, KvVersion } from './types.js';
import { watchForever, type WatchForeverOptions, type KvWatchItem } from './watch-forever.js';

export interface KvClientOptions {
  /** Client URLs, tried in order, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: readonly string[];
  /** Per-request timeout; for a watch, the wait for the response headers. Default 5000. */
  timeoutMs?: number;
  /** The HTTP transport's fetch: tests pass a double, everyone else the global fetch. */
  fetch?: FetchFunction;
}

export interface Cancellable {
  signal?: AbortSignal | undefined;
}

export interface TtlOptions extends Cancellable {
  ttl?: number | undefined;
}

export interface WatchOptions extends Cancellable {
  recursive?: boolean | undefined;
  /** First index to report; without it, the next change. */
  waitIndex?: number | undefined;
}

const defaultTimeoutMs = 5_000;

/** etcd's v2 API over HTTP+JSON, against kvd or a real etcd cluster, with failover between endpoints. */
export class KvClient {
  readonly #transport: FailoverTransport;
  readonly #fetch: FetchFunction | undefined;

  constructor(options: KvClientOptions) {
    this.#fetch = options.fetch;
    this.#transport = new FailoverTransport(options.endpoints, options.timeoutMs ?? defaultTimeoutMs, options.fetch);
  }

  get endpoints(): readonly string[] {
    return this.#transport.endpoints;
  }

  /** The endpoint that answered last. */
  get currentEndpoint(): string {
    return this.#transport.currentEndpoint;
  }

  get timeoutMs(): number {
    return this.#transport.timeoutMs;
  }

  async get(key: string, options: GetOptions & Cancellable = {}): Promise<KvResponse> {
    return this.#keys(getRequest(key, options), options.signal);
  }

  async set(key: string, value: string, options: Omit<SetOptions, 'dir'> & Cancellable = {}): Promise<KvResponse> {
    return this.#keys(setRequest(key, value, options), options.signal);
  }

  /** Sets the key only if it does not exist (etcd error 105 otherwise). */
  async create(key: string, value: string, options: TtlOptions = {}): Promise<KvResponse> {
    return this.set(key, value, { ...ttlOf(options), prevExist: false, signal: options.signal });
  }

  /** Sets the key only if it exists (etcd error 100 otherwise). */
  async update(key: string, value: string, options: TtlOptions = {}): Promise<KvResponse> {
    return this.set(key, value, { ...ttlOf(options), prevExist: true, signal: options.signal });
  }

  /** Resets a key's TTL without changing its value or waking watchers. */
  async refresh(key: string, ttl: number, options: Cancellable = {}): Promise<KvResponse> {
    return this.#keys(setRequest(key, undefined, { ttl, refresh: true, prevExist: true }), options.signal);
  }

  /** Creates a directory; fails with 105 if the key exists. */
  async mkdir(key: string, options: TtlOptions = {}): Promise<KvResponse> {
    return this.#keys(setRequest(key, undefined, { ...ttlOf(options), dir: true, prevExist: false }), options.signal);
  }

  /** Creates a directory, or sets the TTL of an existing one. */
  async setDir(key: string, options: TtlOptions = {}): Promise<KvResponse> {
    return this.#keys(setRequest(key, undefined, { ...ttlOf(options), dir: true }), options.signal);
  }

  /** Updates an existing directory's TTL; fails with 100 if it does not exist. */
  async updateDir(key: string, options: TtlOptions = {}): Promise<KvResponse> {
    return this.#keys(setRequest(key, undefined, { ...ttlOf(options), dir: true, prevExist: true }), options.signal);
  }

  async delete(key: string, options: DeleteOptions & Cancellable = {}): Promise<KvResponse> {
    return this.#keys(deleteRequest(key, options), options.signal);
  }

  /** POST: a new key under `dir` named after the store index, so keys sort by creation. */
  async createInOrder(dir: string, value: string, options: TtlOptions = {}): Promise<KvResponse> {
    return this.#keys(createInOrderRequest(dir, value, ttlOf(options)), options.signal);
  }

  /**
   * One long poll: resolves with the first change at or after `waitIndex`. An answer with an empty
   * body (a server or proxy closing the poll) resolves to `undefined`: poll again with the same index.
   */
  async watch(key: string, options: WatchOptions = {}): Promise<KvResponse | undefined> {
    const answer = await this.#transport.send(waitRequest(key, { recursive: options.recursive ?? false, ...(options.waitIndex === undefined ? {} : { waitIndex: options.waitIndex }) }), {
      signal: options.signal,
      timeout: 'headers',
    });
    if (answer.status === 200 && answer.body.trim() === '') return undefined;
    return parseKeysAnswer(answer);
  }

  /** Follows a key (or a tree) change after change; see `watchForever`. */
  watchForever(key: string, options: WatchForeverOptions = {}): AsyncGenerator<KvWatchItem, void, undefined> {
    return watchForever(this, key, options);
  }

  async listMembers(options: Cancellable = {}): Promise<KvMember[]> {
    const body = await this.#json<{ members: KvMember[] | null }>(plainRequest('GET', '/v2/members'), options.signal);
    return (body.members ?? []).map(normalizeMember);
  }

  /** The member that currently leads Raft. */
  async leaderMember(options: Cancellable = {}): Promise<KvMember> {
    return normalizeMember(await this.#json<KvMember>(plainRequest('GET', '/v2/members/leader'), options.signal));
  }

  async addMember(peerURLs: readonly string[], options: Cancellable = {}): Promise<KvMember> {
    return normalizeMember(await this.#json<KvMember>(plainRequest('POST', '/v2/members', { peerURLs }), options.signal));
  }

  async removeMember(id: string, options: Cancellable = {}): Promise<void> {
    await this.#json<undefined>(plainRequest('DELETE', `/v2/members/${encodeURIComponent(id)}`), options.signal);
  }

  async updateMember(id: string, peerURLs: readonly string[], options: Cancellable = {}): Promise<void> {
    await this.#json<undefined>(plainRequest('PUT', `/v2/members/${encodeURIComponent(id)}`, { peerURLs }), options.signal);
  }

  /** `/health` of every configured endpoint, each on its own (no failover). */
  async health(): Promise<KvEndpointHealth[]> {
    return Promise.all(this.endpoints.map((endpoint) => checkEndpointHealth(endpoint, { timeoutMs: this.timeoutMs, fetch: this.#fetch })));
  }

  async version(options: Cancellable = {}): Promise<KvVersion> {
    return this.#json<KvVersion>(plainRequest('GET', '/version'), options.signal);
  }

  /** Only the leader answers this one (others answer 403). */
  async leaderStats(options: Cancellable = {}): Promise<KvLeaderStats> {
    return this.#json<KvLeaderStats>(plainRequest('GET', '/v2/stats/leader'), options.signal);
  }

  async selfStats(options: Cancellable = {}): Promise<KvSelfStats> {
    return this.#json<KvSelfStats>(plainRequest('GET', '/v2/stats/self'), options.signal);
  }

  async storeStats(options: Cancellable = {}): Promise<KvStoreStats> {
    return this.#json<KvStoreStats>(plainRequest('GET', '/v2/stats/store'), options.signal);
  }

  async #keys(request: KvRequest, signal: AbortSignal | undefined): Promise<KvResponse> {
    return parseKeysAnswer(await this.#send(request, signal));
  }

  async #json<T>(request: KvRequest, signal: AbortSignal | undefined): Promise<T> {
    return parseJsonAnswer<T>(await this.#send(request, signal));
  }

  async #send(request: KvRequest, signal: AbortSignal | undefined): Promise<KvHttpAnswer> {
    return this.#transport.send(request, { signal, timeout: 'total' });
  }
}

function ttlOf(options: TtlOptions): { ttl?: number } {
  return options.ttl === undefined ? {} : { ttl: options.ttl };
}

function normalizeMember(member: KvMember): KvMember {
  return { id: member.id, name: member.name ?? '', peerURLs: member.peerURLs ?? [], clientURLs: member.clientURLs ?? [] };
}
