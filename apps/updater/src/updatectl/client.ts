import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { OperationError } from '@minicore/cli';
import { ADMIN_PREFIX } from '../api/types.js';

interface ErrorBodyShape {
  error?: { code?: string; message?: string };
}

/** The admin API of update-server, typed by its answers; failures become OperationErrors with the server's error body. */
export class AdminClient {
  constructor(
    readonly server: string,
    readonly token: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.#send<T>(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }

  async upload<T>(file: string): Promise<T> {
    const size = (await stat(file).catch((error: unknown) => {
      throw new OperationError(`cannot read ${file}: ${(error as Error).message}`);
    })).size;
    return this.#send<T>('POST', '/packages', {
      body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      duplex: 'half',
    });
  }

  async #send<T>(method: string, path: string, init: RequestInit & { duplex?: 'half' }): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.server}${ADMIN_PREFIX}${path}`, {
        ...init,
        method,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      throw new OperationError(`cannot reach update-server at ${this.server}: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const message = (parsed as ErrorBodyShape | undefined)?.error?.message ?? `HTTP ${response.status}`;
      throw new OperationError(message, parsed);
    }
    return parsed as T;
  }
}
