import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { OperationError } from '@minicore/cli';
// frames.js, not index.js: the index also loads the API schemas and error catalogue, and with them
// fastify (@minicore/http), which runctl does not need and which would double its start-up time.
import { FrameDecoder, type OutputFrame } from '../api/frames.js';

interface ErrorBody {
  error?: { code?: string; message?: string };
}

/**
 * runnerd's API from runctl, over node:http rather than fetch: `logs -f` and `run --attach` hold a
 * response open for as long as a container runs, and fetch (undici) would cut it after 5 minutes.
 */
export class RunnerClient {
  constructor(readonly endpoint: string) {}

  #send(method: string, path: string, body?: { json: unknown } | { stream: Readable; contentType: string }): Promise<IncomingMessage> {
    const url = new URL(path, this.endpoint);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (body && 'json' in body) headers['content-type'] = 'application/json';
      if (body && 'stream' in body) headers['content-type'] = body.contentType;
      // No keep-alive pool: a CLI makes a few requests and must exit as soon as it is done.
      const request = httpRequest(url, { method, headers, agent: false }, resolve);
      request.on('error', (error: NodeJS.ErrnoException) => reject(new OperationError(`runnerd unreachable at ${this.endpoint}: ${error.code ?? error.message}`, undefined, { cause: error })));
      if (body && 'json' in body) request.end(JSON.stringify(body.json));
      else if (body && 'stream' in body) {
        body.stream.on('error', (error) => request.destroy(error));
        body.stream.pipe(request);
      } else request.end();
    });
  }

  async #failure(response: IncomingMessage): Promise<OperationError> {
    const text = await readAll(response);
    let parsed: ErrorBody | undefined;
    try {
      parsed = JSON.parse(text) as ErrorBody;
    } catch {
      parsed = undefined;
    }
    const message = parsed?.error?.message ?? `runnerd answered ${response.statusCode}: ${text.slice(0, 200)}`;
    return new OperationError(message, parsed?.error ?? { statusCode: response.statusCode });
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#send(method, path, body === undefined ? undefined : { json: body });
    if ((response.statusCode ?? 500) >= 400) throw await this.#failure(response);
    return JSON.parse(await readAll(response)) as T;
  }

  async upload<T>(path: string, stream: Readable, contentType: string): Promise<T> {
    const response = await this.#send('POST', path, { stream, contentType });
    if ((response.statusCode ?? 500) >= 400) throw await this.#failure(response);
    return JSON.parse(await readAll(response)) as T;
  }

  /** A streaming answer (logs, attach, exec) as frames. */
  async frames(method: string, path: string, body?: unknown): Promise<AsyncIterable<OutputFrame> & { close(): void }> {
    const response = await this.#send(method, path, body === undefined ? undefined : { json: body });
    if ((response.statusCode ?? 500) >= 400) throw await this.#failure(response);
    const decoder = new FrameDecoder();
    response.on('error', (error) => decoder.destroy(error));
    response.pipe(decoder);
    return {
      [Symbol.asyncIterator]: () => decoder[Symbol.asyncIterator]() as AsyncIterator<OutputFrame>,
      close: () => response.destroy(),
    };
  }
}

async function readAll(stream: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
