import { request as httpRequest, type IncomingMessage } from 'node:http';
import { OperationError } from '@minicore/cli';
import type { FleetErrorBody } from '@minicore/fleet-api';
import type { BackendUnitStatus } from '../agent/backend.js';

/** What a machine's agent answers for `GET /minicore/v1/units/{name}/status` (see api/agent-routes.ts). */
export interface AgentUnitStatus extends BackendUnitStatus {
  machineID: string;
  backend: string;
}

export interface AgentJournal {
  machineID: string;
  lines: string[];
}

/** The agent could not be reached at all (refused, timed out, no route): the machine or its schedulerd is down, or listens elsewhere. */
export class AgentUnreachableError extends OperationError {
  constructor(
    readonly address: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`agent unreachable at ${address}: ${reason}`, undefined, options);
  }
}

/**
 * One machine's agent API (Minicore's own endpoints, not fleet's): the unit status and journal that
 * fleetctl read over SSH. `http://host:port` or `unix:///path.sock` addresses.
 */
export class AgentClient {
  constructor(
    readonly address: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** The unit's status, or undefined when this agent does not have the unit (404). */
  async status(name: string): Promise<AgentUnitStatus | undefined> {
    return this.#json<AgentUnitStatus>(`/minicore/v1/units/${encodeURIComponent(name)}/status`);
  }

  async journal(name: string, lines: number): Promise<AgentJournal | undefined> {
    return this.#json<AgentJournal>(`/minicore/v1/units/${encodeURIComponent(name)}/journal?lines=${lines}`);
  }

  /** `journal -f`: the open plain-text stream, one log line per line; destroying it (or `signal`) ends the follow on the agent. */
  async follow(name: string, lines: number, signal: AbortSignal): Promise<IncomingMessage> {
    // No timeout: a quiet unit may log nothing for a long time.
    const response = await this.#get(`/minicore/v1/units/${encodeURIComponent(name)}/journal?lines=${lines}&follow=true`, signal, 0);
    if (response.statusCode === 200) return response;
    throw await this.#failure(response);
  }

  async #json<T>(path: string): Promise<T | undefined> {
    const response = await this.#get(path);
    if (response.statusCode === 404) {
      response.resume();
      return undefined;
    }
    if (response.statusCode !== 200) throw await this.#failure(response);
    return JSON.parse(await readAll(response)) as T;
  }

  async #failure(response: IncomingMessage): Promise<OperationError> {
    const text = await readAll(response).catch(() => '');
    let message = text.trim();
    try {
      message = (JSON.parse(text) as FleetErrorBody).error?.message || message;
    } catch {
      // not JSON: the text as it came
    }
    return new OperationError(`agent at ${this.address} answered ${response.statusCode}${message ? `: ${message}` : ''}`);
  }

  #get(path: string, signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<IncomingMessage> {
    const unix = /^(unix|file):\/\//.test(this.address) ? this.address.replace(/^(unix|file):\/\//, '') : undefined;
    const base = unix ? undefined : new URL(this.address);
    const fullPath = `${base ? base.pathname.replace(/\/$/, '') : ''}${path}`;
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        unix ? { socketPath: unix, path: fullPath, headers: { host: 'domain-sock' }, ...(signal ? { signal } : {}) } : { hostname: base!.hostname, port: base!.port, path: fullPath, ...(signal ? { signal } : {}) },
        resolve,
      );
      if (timeoutMs > 0) request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error.name === 'AbortError') reject(error);
        else reject(new AgentUnreachableError(this.address, error.code ?? error.message, { cause: error }));
      });
      request.end();
    });
  }
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}
