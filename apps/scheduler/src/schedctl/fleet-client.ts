import { request as httpRequest } from 'node:http';
import { OperationError } from '@minicore/cli';
import { fleetApiPrefix, type FleetErrorBody, type MachineJson, type MachinePage, type UnitJson, type UnitPage, type UnitStateJson, type UnitStatePage } from '@minicore/fleet-api';

export class FleetApiError extends OperationError {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(`fleet API error ${statusCode}: ${message}`, { code: statusCode, message });
  }
}

/**
 * fleet's v1 API from schedctl: `http://host:port` or `unix:///path.sock` endpoints, names
 * percent-encoded, `alt=json` like fleetctl's generated client, pages followed to the end.
 */
export class FleetClient {
  constructor(
    readonly endpoint: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async #call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const unix = this.endpoint.startsWith('unix://') || this.endpoint.startsWith('file://') ? this.endpoint.replace(/^(unix|file):\/\//, '') : undefined;
    const base = unix ? new URL('http://domain-sock') : new URL(this.endpoint);
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${fleetApiPrefix}${path}`, base);
    url.searchParams.set('alt', 'json');
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        unix ? { socketPath: unix, path: `${url.pathname}${url.search}`, method, headers: { host: 'domain-sock' } } : { hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? undefined : JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: response.statusCode ?? 0, json });
          });
          response.on('error', reject);
        },
      );
      request.setTimeout(this.timeoutMs, () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      request.on('error', (error: NodeJS.ErrnoException) => reject(new OperationError(`cannot reach schedulerd at ${this.endpoint}: ${error.code ?? error.message}`, undefined, { cause: error })));
      if (body !== undefined) {
        request.setHeader('content-type', 'application/json');
        request.end(JSON.stringify(body));
      } else request.end();
    });
  }

  async #expect<T>(method: string, path: string, ok: number[], body?: unknown): Promise<T> {
    const answer = await this.#call(method, path, body);
    if (!ok.includes(answer.status)) throw new FleetApiError(answer.status, (answer.json as FleetErrorBody | undefined)?.error?.message ?? '');
    return answer.json as T;
  }

  async #pages<T>(path: string, key: 'units' | 'states' | 'machines', query = new URLSearchParams()): Promise<T[]> {
    const all: T[] = [];
    for (let token: string | undefined = undefined; ; ) {
      const params = new URLSearchParams(query);
      if (token) params.set('nextPageToken', token);
      const suffix = params.size > 0 ? `?${params.toString()}` : '';
      const page = await this.#expect<Record<string, unknown>>('GET', `${path}${suffix}`, [200]);
      all.push(...((page[key] as T[] | undefined) ?? []));
      token = page['nextPageToken'] as string | undefined;
      if (!token) return all;
    }
  }

  /** The unit, or undefined when it does not exist (404). */
  async unit(name: string): Promise<UnitJson | undefined> {
    try {
      return await this.#expect<UnitJson>('GET', `/units/${encodeURIComponent(name)}`, [200]);
    } catch (error) {
      if (error instanceof FleetApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async unitState(name: string): Promise<UnitStateJson | undefined> {
    try {
      return await this.#expect<UnitStateJson>('GET', `/state/${encodeURIComponent(name)}`, [200]);
    } catch (error) {
      if (error instanceof FleetApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async putUnit(name: string, unit: UnitJson): Promise<void> {
    await this.#expect('PUT', `/units/${encodeURIComponent(name)}`, [201, 204], unit);
  }

  async deleteUnit(name: string): Promise<void> {
    await this.#expect('DELETE', `/units/${encodeURIComponent(name)}`, [204]);
  }

  units(): Promise<UnitJson[]> {
    return this.#pages<UnitJson>('/units', 'units');
  }

  states(filter: { machineID?: string; unitName?: string } = {}): Promise<UnitStateJson[]> {
    return this.#pages<UnitStateJson>('/state', 'states', new URLSearchParams(filter));
  }

  machines(): Promise<MachineJson[]> {
    return this.#pages<MachineJson>('/machines', 'machines');
  }
}

export type { UnitPage, UnitStatePage, MachinePage };
