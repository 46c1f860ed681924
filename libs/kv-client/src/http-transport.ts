import { KvInvalidArgumentError, KvTimeoutError, KvUnavailableError, type KvAttempt } from './errors.js';
import type { KvRequest } from './keys-request.js';

/** An HTTP answer from one endpoint, body read in full. */
export interface KvHttpAnswer {
  endpoint: string;
  status: number;
  headers: Headers;
  body: string;
}

export interface SendOptions {
  signal?: AbortSignal | undefined;
  /**
   * `total`: the timeout covers the whole exchange. `headers`: it covers the wait for the response
   * headers only, for long polls (etcd sends a watch's headers at once, and its body on the event).
   */
  timeout?: 'total' | 'headers';
}

export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Sends a request to the first endpoint that answers. It starts with the endpoint that worked last,
 * and moves to the next one on a connection error, a timeout or a 5xx. A 5xx is still an answer: if
 * no endpoint does better, the last 5xx is returned so the caller sees the server's own error.
 * Note that a POST whose answer timed out may have been applied before the next endpoint gets it
 * (etcd's Go client has the same at-least-once behaviour).
 */
export class FailoverTransport {
  #preferred = 0;
  readonly endpoints: readonly string[];

  constructor(
    endpoints: readonly string[],
    readonly timeoutMs: number,
    private readonly fetchFunction: FetchFunction = (url, init) => fetch(url, init),
  ) {
    if (endpoints.length === 0) throw new KvInvalidArgumentError('at least one endpoint is needed');
    this.endpoints = endpoints.map((endpoint) => {
      if (!URL.canParse(endpoint)) throw new KvInvalidArgumentError(`"${endpoint}" is not an endpoint URL such as http://127.0.0.1:2379`);
      return endpoint.replace(/\/+$/, '');
    });
    if (!(timeoutMs > 0)) throw new KvInvalidArgumentError(`timeoutMs must be positive, got ${timeoutMs}`);
  }

  /** The endpoint that answered last (the first one until something answered). */
  get currentEndpoint(): string {
    return this.endpoints[this.#preferred] as string;
  }

  async send(request: KvRequest, options: SendOptions = {}): Promise<KvHttpAnswer> {
    const attempts: KvAttempt[] = [];
    let serverError: KvHttpAnswer | undefined;
    for (let offset = 0; offset < this.endpoints.length; offset++) {
      const index = (this.#preferred + offset) % this.endpoints.length;
      const endpoint = this.endpoints[index] as string;
      const outcome = await this.#attempt(endpoint, request, options);
      if ('reason' in outcome) {
        attempts.push(outcome);
        continue;
      }
      if (outcome.status >= 500) {
        serverError = outcome;
        attempts.push({ endpoint, reason: `HTTP ${outcome.status}`, error: new Error(outcome.body) });
        continue;
      }
      this.#preferred = index;
      return outcome;
    }
    if (serverError) return serverError;
    if (attempts.every((attempt) => attempt.error instanceof KvTimeoutError)) {
      throw new KvTimeoutError(attempts.map((attempt) => attempt.endpoint), this.timeoutMs);
    }
    throw new KvUnavailableError(attempts);
  }

  async #attempt(endpoint: string, request: KvRequest, options: SendOptions): Promise<KvHttpAnswer | KvAttempt> {
    const controller = new AbortController();
    const timeout = new KvTimeoutError([endpoint], this.timeoutMs);
    const timer = setTimeout(() => controller.abort(timeout), this.timeoutMs);
    const forwardAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.throwIfAborted();
    options.signal?.addEventListener('abort', forwardAbort, { once: true });
    try {
      const query = request.query.toString();
      const url = `${endpoint}${request.path}${query ? `?${query}` : ''}`;
      const headers: Record<string, string> = { accept: 'application/json' };
      let body: string | undefined;
      if (request.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = request.form.toString();
      } else if (request.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(request.json);
      }
      const response = await this.fetchFunction(url, { method: request.method, headers, body, signal: controller.signal, redirect: 'follow' });
      if (options.timeout === 'headers') clearTimeout(timer);
      return { endpoint, status: response.status, headers: response.headers, body: await response.text() };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (controller.signal.reason === timeout) return { endpoint, reason: `timed out after ${this.timeoutMs} ms`, error: timeout };
      return { endpoint, reason: describeNetworkError(error), error: error instanceof Error ? error : new Error(String(error)) };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', forwardAbort);
    }
  }
}

/** undici reports `TypeError: fetch failed` with the socket error as its cause: show the cause. */
function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.startsWith(cause.code) ? ` (${cause.message})` : ''}`.trim();
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
